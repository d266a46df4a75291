/** Tracing to the IR: tracers are variables, and each primitive applied appends an equation. */
import * as tf from '@tensorflow/tfjs-core';
import type { Aval } from '../aval.js';
import { higherOrder } from '../higher-order.js';
import { literalValue } from '../lax.js';
import { primitive } from '../primitive.js';
import { type CustomVjpCall, type MainTrace, type NdArray, Trace, Tracer, avalOf, stagingBody, withMain } from '../trace.js';
import { type Eqn, type Jaxpr, Var } from './ir.js';
import type { HigherOrderPrim, Params, Prim } from '../prim-types.js';

class Builder {
  nextId = 0;
  readonly eqns: Eqn[] = [];
  /** Values the trace closes over: tensors, and (when `closesOver`) outer transformations' tracers. */
  readonly constOf = new Map<NdArray, Var>();
  /** The values of the captured constants that are JS-number literals (lax.scalar's). */
  readonly literalOf = new Map<Var, number>();
  /** Whether a customVjp function was traced (its primal only: the IR does not hold the rule). */
  sawCustomVjp = false;
  constructor(readonly closesOver = false) {}
  newVar(aval: Aval): Var {
    return new Var(this.nextId++, aval);
  }
}

export class StagingTracer extends Tracer {
  constructor(
    readonly trace: StagingTrace,
    readonly v: Var,
  ) {
    super();
  }
  get aval() {
    return this.v.aval;
  }
}

export class StagingTrace extends Trace {
  get builder(): Builder {
    return this.main.global as Builder;
  }
  lift(x: NdArray): Tracer {
    if (x instanceof Tracer && !this.builder.closesOver)
      throw new Error(`jit/makeJaxpr: the traced function closes over a value of an outer transformation (${x}); pass it as an argument instead`);
    let v = this.builder.constOf.get(x);
    if (!v) {
      v = this.builder.newVar(avalOf(x));
      this.builder.constOf.set(x, v);
      const literal = literalValue(x);
      if (literal !== undefined) this.builder.literalOf.set(v, literal);
    }
    return new StagingTracer(this, v);
  }
  processPrimitive(prim: Prim, tracers: Tracer[], params: Params): Tracer {
    const ins = (tracers as StagingTracer[]).map((t) => t.v);
    const out = this.builder.newVar(primitive(prim).abstractEval(ins.map((v) => v.aval), params));
    this.builder.eqns.push({ prim, inputs: ins, params, out });
    return new StagingTracer(this, out);
  }
  processHigherOrder(prim: HigherOrderPrim, tracers: Tracer[], params: Params): Tracer[] {
    const ins = (tracers as StagingTracer[]).map((t) => t.v);
    const outs = higherOrder(prim).abstractEval(ins.map((v) => v.aval), params).map((a) => this.builder.newVar(a));
    this.builder.eqns.push({ prim, inputs: ins, params, out: outs[0], extraOuts: outs.slice(1) });
    return outs.map((v) => new StagingTracer(this, v));
  }
  processCustomVjp(call: CustomVjpCall, tracers: Tracer[]): Tracer[] {
    this.builder.sawCustomVjp = true;
    // One equation holding the primal and the rules, so that a transformation applying this
    // jaxpr later (grad of a scan whose body calls it, ...) applies the rules. A primal that
    // closes over this trace's values is inlined instead: the rules could not be replayed.
    const { jaxpr, captured } = traceClosed(call.fun, tracers.map(avalOf), 'customVjp');
    if (captured.some((c) => c instanceof Tracer)) return call.fun(...tracers) as Tracer[];
    const params: CustomCallParams = { body: jaxpr, nCaptured: captured.length, rules: call };
    return this.processHigherOrder('custom_vjp_call', [...captured.map((c) => this.lift(c)), ...tracers], params as unknown as Params);
  }
  override processCustomVjpCall(tracers: Tracer[], params: Params): Tracer[] {
    return this.processHigherOrder('custom_vjp_call', tracers, params);
  }
}

/** A customVjp / customJvp function staged as one `custom_vjp_call` equation (control/custom.ts). */
export interface CustomCallParams {
  /** The primal function; its captured constants are its leading inputs. */
  readonly body: Jaxpr;
  /** How many leading operands are captured constants (the rules close over those themselves). */
  readonly nCaptured: number;
  /** The user's rules (jvp, fwd / bwd), applied by every transformation of the equation. */
  readonly rules: CustomVjpCall;
}

/** Traces f on fresh variables of `avals`: the builder's equations and captures, with f's in/out variables. */
function stage(kind: string, b: Builder, f: (...xs: NdArray[]) => NdArray[], avals: readonly Aval[], body = false): { invars: Var[]; outvars: Var[] } {
  return withMain(kind, (m: MainTrace) => new StagingTrace(m), b, (main) => {
    const trace = main.current as StagingTrace;
    const invars = avals.map((a) => b.newVar(a));
    const args = invars.map((v) => new StagingTracer(trace, v));
    const outs = body ? stagingBody(main, () => f(...args)) : f(...args);
    const outvars = outs.map((o) => (o instanceof StagingTracer && o.trace.main === main ? o.v : (trace.lift(o) as StagingTracer).v));
    return { invars, outvars };
  });
}

/**
 * Traces f on abstract inputs to a jaxpr. Constants it captures are cloned and kept,
 * so the jaxpr owns them whatever scope they came from.
 */
export function traceToJaxpr(f: (...xs: NdArray[]) => NdArray[], avals: readonly Aval[]): Jaxpr {
  const b = new Builder();
  const { invars, outvars } = stage('jit', b, f, avals);
  const entries = [...b.constOf.entries()];
  const consts = entries.map(([x]) => tf.keep(tf.clone(x as tf.Tensor))); // a plain jit trace closes over no tracer (lift refuses)
  const literals = b.literalOf.size > 0 ? { literals: b.literalOf } : {};
  return { invars, constvars: entries.map(([, v]) => v), consts, eqns: b.eqns, outvars, ...literals };
}

/** A jaxpr with no constants, and the values it closes over. */
export interface ClosedOver {
  /** Its invars are the captured values' variables, then the declared inputs'. */
  readonly jaxpr: Jaxpr;
  /** What the leading invars stand for: tensors, and tracers of enclosing transformations. */
  readonly captured: NdArray[];
  /** Whether f applied a customVjp function, whose rule the jaxpr lost. */
  readonly sawCustomVjp: boolean;
}

/**
 * Traces f (a loop body, a branch) to a jaxpr whose every captured value, a tensor or an
 * enclosing transformation's tracer, becomes a leading input (closure conversion), so a
 * higher-order primitive can take those values as operands and transformations see them.
 * `kind` names the tracers in error messages. A control-flow `body` (a cond branch, a loop body
 * or a while loop's condition) also stages the operations on those tracers and its effects
 * (trace.ts's stagingBody), so that they run when and as often as the body does.
 */
export function traceClosed(f: (...xs: NdArray[]) => NdArray[], avals: readonly Aval[], kind: string, { body = false }: { body?: boolean } = {}): ClosedOver {
  const b = new Builder(true);
  const { invars, outvars } = stage(kind, b, f, avals, body);
  const entries = [...b.constOf.entries()];
  const jaxpr: Jaxpr = { invars: [...entries.map(([, v]) => v), ...invars], constvars: [], consts: [], eqns: b.eqns, outvars };
  return { jaxpr, captured: entries.map(([x]) => x), sawCustomVjp: b.sawCustomVjp };
}
