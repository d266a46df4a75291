/**
 * Elementwise kernels above rank 6 on fewer axes. tfjs's wasm kernels (XNNPACK) take at most
 * 6 dims and left a rank-7 output unwritten; its webgpu shaders refuse rank 7 ("GPU for rank 7
 * is not yet supported"). Rank 7 comes up under vmap of rank-6 code and in sort's pairwise
 * comparisons of rank-6 arrays. Unary kernels run on the flattened array, binary ones with
 * their broadcast axes merged, or materialised by tfjs's broadcastTo (its Tile takes any
 * rank) and flattened where more than 6 remain.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../aval.js';
import { BINARY, type Prim, UNARY } from '../prim-types.js';
import type { Lowering, PrimKernel } from './kernel.js';
import { boolLogical, defaultLowering } from './tfjs.js';
import { mergeBroadcastAxes } from './tfjs-kernels.js';

const MAX_RANK = 6;

function unaryAtLowRank(k: PrimKernel<unknown>): PrimKernel<unknown> {
  return ([x], p) => (x.rank <= MAX_RANK ? k([x], p) : tf.tidy(() => tf.reshape(k([tf.reshape(x, [x.size])], p), x.shape)));
}

function binaryAtLowRank(k: PrimKernel<unknown>): PrimKernel<unknown> {
  return ([x, y], p) => {
    const out = tf.backend_util.assertAndGetBroadcastShape(x.shape, y.shape);
    if (out.length <= MAX_RANK) return k([x, y], p);
    const lead = (t: tf.Tensor) => [...new Array<number>(out.length - t.rank).fill(1), ...t.shape];
    const [[xs, ys], merged] = mergeBroadcastAxes([lead(x), lead(y)], out);
    return tf.tidy(() => {
      if (merged.length <= MAX_RANK) return tf.reshape(k([tf.reshape(x, xs), tf.reshape(y, ys)], p), out);
      const flat = (t: tf.Tensor, s: number[]) => tf.reshape(tf.broadcastTo(tf.reshape(t, s), merged), [sizeOf(merged)]);
      return tf.reshape(k([flat(x, xs), flat(y, ys)], p), out);
    });
  };
}

/**
 * Every unary and binary elementwise primitive's kernel of a backend's lowering (`own`'s where
 * it has one, with bool operands taken logically as the default lowering's are, else the
 * default), run on at most 6 axes.
 */
export function elementwiseAtLowRank(own: Lowering): Lowering {
  const kernelOf = (p: Prim): PrimKernel<unknown> => {
    const k = (own as Record<string, PrimKernel<unknown> | undefined>)[p];
    return k ? boolLogical(p, k) : ((defaultLowering as Record<string, unknown>)[p] as PrimKernel<unknown>);
  };
  return {
    ...Object.fromEntries(UNARY.map((p) => [p, unaryAtLowRank(kernelOf(p))])),
    ...Object.fromEntries(BINARY.map((p) => [p, binaryAtLowRank(kernelOf(p))])),
  };
}
