/** Forward mode: tracers carry a primal and a tangent (null = symbolic zero). */
import type * as tf from '@tensorflow/tfjs-core';
import { isFloat } from '../aval.js';
import { higherOrder } from '../higher-order.js';
import type { HigherOrderPrim } from '../prim-types.js';
import * as lax from '../lax.js';
import { primitive } from '../primitive.js';
import type { Params, Prim } from '../prim-types.js';
import type { CustomCallParams } from '../jit/staging.js';
import { type CustomVjpCall, type MainTrace, type NdArray, Trace, Tracer, avalOf, bind, bindCustomVjp, bindHigherOrder, concreteOf, withMain } from '../trace.js';

export class JVPTracer extends Tracer {
  constructor(
    readonly trace: JVPTrace,
    readonly primal: NdArray,
    readonly tangent: NdArray | null,
  ) {
    super();
  }
  get aval() {
    return avalOf(this.primal);
  }
  override concrete(): tf.Tensor | null {
    return concreteOf(this.primal);
  }
}

export class JVPTrace extends Trace {
  lift(x: NdArray): Tracer {
    return new JVPTracer(this, x, null);
  }
  processPrimitive(prim: Prim, tracers: Tracer[], params: Params): Tracer {
    const ts = tracers as JVPTracer[];
    const primals = ts.map((t) => t.primal);
    const out = bind(prim, primals, params);
    const def = primitive(prim);
    if (def.nonDifferentiable || !isFloat(avalOf(out).dtype) || ts.every((t) => t.tangent === null)) return new JVPTracer(this, out, null);
    const tangents = ts.map((t) => t.tangent ?? lax.zerosLike(t.primal));
    return new JVPTracer(this, out, def.jvp(tangents, primals, out, params));
  }
  processHigherOrder(prim: HigherOrderPrim, tracers: Tracer[], params: Params): Tracer[] {
    const ts = tracers as JVPTracer[];
    const primals = ts.map((t) => t.primal);
    const tangents = ts.map((t) => (t.tangent !== null && isFloat(t.aval.dtype) ? t.tangent : null));
    if (tangents.every((t) => t === null)) return bindHigherOrder(prim, primals, params).map((o) => new JVPTracer(this, o, null));
    const [outs, touts] = higherOrder(prim).jvp(primals, tangents, params);
    return outs.map((o, i) => new JVPTracer(this, o, isFloat(avalOf(o).dtype) ? touts[i] : null));
  }
  processCustomVjp(call: CustomVjpCall, tracers: Tracer[]): Tracer[] {
    const ts = tracers as JVPTracer[];
    const primals = ts.map((t) => t.primal);
    if (ts.every((t) => t.tangent === null)) return bindCustomVjp(call, primals).map((o) => new JVPTracer(this, o, null));
    if (!call.jvp)
      throw new Error('forward-mode differentiation (jvp, jacfwd, hessian) of a customVjp function is not defined: it only has a reverse-mode rule. Use grad/vjp/jacrev, customJvp, or write the function without customVjp.');
    const [outs, touts] = call.jvp(primals, ts.map((t) => t.tangent ?? lax.zerosLike(t.primal)));
    return outs.map((o, i) => new JVPTracer(this, o, isFloat(avalOf(o).dtype) ? touts[i] : null));
  }
  /**
   * A customVjp function staged in a loop body or branch: with no forward-mode rule, its primal
   * is differentiated, as the forward half of the loop's reverse mode needs when an outer
   * forward mode differentiates it (hessian through a scan); the backward half applies bwd.
   */
  override processCustomVjpCall(tracers: Tracer[], params: Params): Tracer[] {
    const { rules, nCaptured } = params as unknown as CustomCallParams;
    if (rules.jvp || tracers.every((t) => (t as JVPTracer).tangent === null)) return super.processCustomVjpCall(tracers, params);
    return rules.fun(...tracers.slice(nCaptured)) as Tracer[];
  }
}

/** Runs f on JVP tracers (a null tangent: a symbolic zero); returns primal and tangent outputs (tangents instantiated). */
export function jvpFlat(f: (...xs: NdArray[]) => NdArray[], primals: NdArray[], tangents: readonly (NdArray | null)[]): [NdArray[], NdArray[]] {
  return withMain('jvp', (m: MainTrace) => new JVPTrace(m), null, (main) => {
    const trace = main.current as JVPTrace;
    const outs = f(...primals.map((p, i) => new JVPTracer(trace, p, tangents[i])));
    const ps: NdArray[] = [];
    const tgs: NdArray[] = [];
    for (const o of outs) {
      if (o instanceof JVPTracer && o.trace.main === main) {
        ps.push(o.primal);
        tgs.push(o.tangent ?? lax.zerosLike(o.primal));
      } else {
        ps.push(o);
        tgs.push(lax.zerosLike(o));
      }
    }
    return [ps, tgs];
  });
}

export type { CustomVjpCall };
