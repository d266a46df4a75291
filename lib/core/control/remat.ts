/**
 * The remat primitive (JAX's checkpoint): a function applied as one equation whose
 * reverse mode saves only its inputs and recomputes its intermediates in the backward
 * pass, trading compute for memory.
 */
import { isFloat } from '../aval.js';
import { defineHigherOrder, type HigherOrderDef } from '../higher-order.js';
import type { Jaxpr } from '../jit/ir.js';
import { traceClosed } from '../jit/staging.js';
import { vmapFlat } from '../interpreters/batching.js';
import { jvpFlat } from '../interpreters/jvp.js';
import { vjpFlat } from '../interpreters/vjp.js';
import { batchAt } from '../prims/batching-util.js';
import { type NdArray, avalOf, bindHigherOrder } from '../trace.js';
import { type Flat, avalsOut, axisNamesOf, communicatesOver, dependentOutputs, fnOf, indicesWhere, runJaxpr, withZeros } from './jaxpr-fn.js';

export interface RematParams {
  readonly body: Jaxpr;
}

/** Binds fn(...args) as one remat equation (what fn closes over becomes leading operands). */
export function rematFlat(fn: Flat, args: NdArray[]): NdArray[] {
  const { jaxpr, captured } = traceClosed(fn, args.map(avalOf), 'remat');
  if (jaxpr.outvars.length === 0) return [];
  return bindHigherOrder('remat', [...captured, ...args], { body: jaxpr });
}

const remat: HigherOrderDef<RematParams> = {
  abstractEval: (_avals, { body }) => avalsOut(body),
  impl: (args, { body }) => runJaxpr(body, args),

  jvp(primals, tangents, { body }) {
    const n = primals.length;
    const tAt = indicesWhere(n, (i) => tangents[i] !== null);
    const outs = avalsOut(body);
    const fAt = indicesWhere(outs.length, (i) => isFloat(outs[i]!.dtype));
    const r = rematFlat(
      (...a) => {
        const [o, t] = jvpFlat(fnOf(body), a.slice(0, n), withZeros(a.slice(0, n), tAt, a.slice(n)));
        return [...o, ...fAt.map((i) => t[i]!)];
      },
      [...primals, ...tAt.map((i) => tangents[i]!)],
    );
    return [r.slice(0, outs.length), outs.map((_, i) => (fAt.includes(i) ? r[outs.length + fAt.indexOf(i)]! : null))];
  },

  // Forward: the results only; the inputs (primals) are all the backward pass keeps.
  vjpForward: (primals, params) => [bindHigherOrder('remat', primals, params as unknown as Record<string, unknown>), []],

  vjpBackward(cts, _res, primals, { body }, needed) {
    const n = primals.length;
    const want = indicesWhere(n, (i) => needed[i]! && isFloat(avalOf(primals[i]!).dtype));
    if (!want.length) return primals.map(() => null);
    // Recomputation and backward pass as one remat equation: under jit, common-subexpression
    // elimination cannot merge the recomputation back into the forward pass.
    const r = rematFlat(
      (...a) => {
        const [, pullback] = vjpFlat(fnOf(body), a.slice(0, n));
        const cin = pullback(a.slice(n));
        return want.map((i) => cin[i]!);
      },
      [...primals, ...cts],
    );
    return primals.map((_, i) => (want.includes(i) ? r[want.indexOf(i)]! : null));
  },

  batch(args, dims, { body }, n, name) {
    const inAxes = dims.map((d) => (d === null ? null : 0));
    const ours = communicatesOver(body, name);
    const outAxes = dependentOutputs(body, dims.map((d) => d !== null)).map((b) => (ours || b ? 0 : null));
    const moved = args.map((x, i) => (dims[i] === null ? x : batchAt(x, dims[i]!)));
    return [rematFlat((...a) => vmapFlat(fnOf(body), a, inAxes, outAxes, n, undefined, name), moved), outAxes];
  },

  axisNames: ({ body }) => axisNamesOf(body),
};

defineHigherOrder('remat', remat);
