/** Layout conversions between our parameter layouts and PyTorch's. */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/index.js';

const concrete = (x: NdArray, what: string): tf.Tensor => {
  if (!(x instanceof tf.Tensor)) throw new Error(`${what}: expected concrete arrays (call it outside jit/grad/vmap)`);
  return x;
};

/** Linear: ours [in, out] <-> PyTorch weight [out, in]. */
export const linearToTorch = (w: NdArray) => tf.transpose(concrete(w, 'toTorch'), [1, 0]);
export const linearFromTorch = (w: tf.Tensor) => tf.transpose(w, [1, 0]);

/** Conv2d: ours HWIO [kh, kw, in/groups, out] <-> PyTorch OIHW [out, in/groups, kh, kw]. */
export const convToTorch = (w: NdArray) => tf.transpose(concrete(w, 'toTorch'), [3, 2, 0, 1]);
export const convFromTorch = (w: tf.Tensor) => tf.transpose(w, [2, 3, 1, 0]);

/** A copy the caller owns (shares data with the original in tfjs). */
export const copy = (x: NdArray) => tf.clone(concrete(x, 'toTorch'));
