/** Tracing to the IR: tracers are variables, and each primitive applied appends an equation. */
import * as tf from '@tensorflow/tfjs-core';
import type { Aval } from '../aval.js';
import { literalValues } from '../lax.js';
import { type Params, type Prim, primitive } from '../primitive.js';
import { type CustomVjpCall, type MainTrace, type NdArray, Trace, Tracer, avalOf, withMain } from '../trace.js';
import { type Eqn, type Jaxpr, Var } from './ir.js';

class Builder {
  nextId = 0;
  readonly eqns: Eqn[] = [];
  readonly constOf = new Map<tf.Tensor, Var>();
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
    if (x instanceof Tracer)
      throw new Error(`jit/makeJaxpr: the traced function closes over a value of an outer transformation (${x}); pass it as an argument instead`);
    let v = this.builder.constOf.get(x);
    if (!v) {
      v = this.builder.newVar(avalOf(x));
      this.builder.constOf.set(x, v);
    }
    return new StagingTracer(this, v);
  }
  processPrimitive(prim: Prim, tracers: Tracer[], params: Params): Tracer {
    const ins = (tracers as StagingTracer[]).map((t) => t.v);
    const out = this.builder.newVar(primitive(prim).abstractEval(ins.map((v) => v.aval), params));
    this.builder.eqns.push({ prim, inputs: ins, params, out });
    return new StagingTracer(this, out);
  }
  processCustomVjp(call: CustomVjpCall, tracers: Tracer[]): Tracer[] {
    // Under jit alone only the primal function matters; differentiation happens above.
    return call.fun(...tracers) as Tracer[];
  }
}

/**
 * Traces f on abstract inputs to a jaxpr. Constants it captures are cloned and kept,
 * so the jaxpr owns them whatever scope they came from.
 */
export function traceToJaxpr(f: (...xs: NdArray[]) => NdArray[], avals: readonly Aval[]): Jaxpr {
  return withMain('jit', (m: MainTrace) => new StagingTrace(m), new Builder(), (main) => {
    const trace = main.current as StagingTrace;
    const b = trace.builder;
    const invars = avals.map((a) => b.newVar(a));
    const outs = f(...invars.map((v) => new StagingTracer(trace, v)));
    const outvars = outs.map((o) => (o instanceof StagingTracer && o.trace.main === main ? o.v : (trace.lift(o) as StagingTracer).v));
    const entries = [...b.constOf.entries()];
    const consts = entries.map(([t]) => {
      const c = tf.keep(tf.clone(t));
      const lit = literalValues.get(t);
      if (lit !== undefined) literalValues.set(c, lit);
      return c;
    });
    return { invars, constvars: entries.map(([, v]) => v), consts, eqns: b.eqns, outvars };
  });
}
