/**
 * reduce_logsumexp: log(sum(exp(x))) over axes (removed from the shape), as one primitive so
 * that the lowering can run it as one fused kernel (log-domain Sinkhorn's row and column
 * normalisers: lib/ssl/swav/sinkhorn.ts). Computed with the max shift: finite wherever the
 * result is; an all -inf slice and an empty one give -inf, a +inf gives +inf, a NaN NaN.
 * Derivative: softmax weights exp(x - out), 0 for a slice whose result is not finite.
 * Its kernels: lower/logsumexp.ts (tfjs kernels), lower/wasm-logsumexp.ts (one fused kernel).
 */
import * as lax from '../lax.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, shapeOf } from '../trace.js';
import { shiftAxes } from './reductions.js';

type AxesP = { axes: number[] };

const reduced = (shape: readonly number[], axes: readonly number[]) => shape.filter((_, i) => !axes.includes(i));

/** exp(x - out) broadcast back over the reduced axes; 0 where out is not finite (an all -inf slice). */
function weights(x: NdArray, out: NdArray, axes: readonly number[]): NdArray {
  const shape = shapeOf(x);
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const finite = lax.unary('is_finite', out);
  const shift = lax.broadcastInDim(lax.select(finite, out, lax.scalarLike(0, out)), shape, kept);
  const w = lax.exp(lax.sub(x, shift));
  return lax.select(lax.broadcastInDim(finite, shape, kept), w, lax.zerosLike(w));
}

const reduceLogSumExp: PrimitiveDef<AxesP> = {
  abstractEval([a], { axes }) {
    if (a.dtype !== 'float32') throw new Error(`reduce_logsumexp: expected a float32 array, got ${a.dtype}[${a.shape.join(',')}]`);
    for (const ax of axes) if (ax < 0 || ax >= a.shape.length) throw new Error(`reduce_logsumexp: axis ${ax} out of range for shape [${a.shape.join(',')}]`);
    return { shape: reduced(a.shape, axes), dtype: a.dtype };
  },
  jvp: ([t], [x], out, { axes }) => lax.reduceSum(lax.mul(t!, weights(x!, out, axes)), axes),
  vjp: (ct, [x], out, { axes }) => {
    const shape = shapeOf(x!);
    return [lax.mul(lax.broadcastInDim(ct, shape, shape.map((_, i) => i).filter((i) => !axes.includes(i))), weights(x!, out, axes))];
  },
  batch: ([x], [d], { axes }) => [lax.reduceLogSumExp(x!, shiftAxes(axes, d!)), d! - axes.filter((a) => a < d!).length],
};

definePrimitives({ reduce_logsumexp: reduceLogSumExp });
