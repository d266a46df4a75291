/** The cpu backend's lowering: where it runs a primitive differently from the default (tfjs.ts). */
import * as tf from '@tensorflow/tfjs-core';
import type { Lowering } from './kernel.js';
import { defaultLowering } from './tfjs.js';
import { matmulInt, mulInt } from './wasm-int.js';

/** x with its last two axes swapped. */
const swapLast = (x: tf.Tensor) => tf.transpose(x, [...Array(x.rank - 2).keys(), x.rank - 1, x.rank - 2]);

/** x and y at their broadcast shape. */
function atOneShape(x: tf.Tensor, y: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const shape = tf.backend_util.assertAndGetBroadcastShape(x.shape, y.shape);
  const fit = (t: tf.Tensor) => (tf.util.arraysEqual(t.shape, shape) ? t : tf.broadcastTo(t, shape));
  return [fit(x), fit(y)];
}

export const cpuLowering: Lowering = {
  // tfjs cpu's Log1p is Math.log1p, accurate for tiny x (the default's series is for backends whose Log1p is not).
  log1p: ([x]) => tf.log1p(x),
  // tfjs cpu's int32 Multiply and MatMul compute in floats (2147483647 * 2147483647 gave 0, not
  // the wrapped 1; sums of products past 2^24 were rounded): exact host loops (wasm-int.ts).
  mul: ([x, y]) => (x.dtype === 'int32' ? mulInt(...atOneShape(x, y)) : tf.mul(x, y)),
  dot: ([a, b], { transposeA, transposeB }) =>
    a.dtype === 'int32' ? matmulInt(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b) : tf.matMul(a, b, transposeA, transposeB),
  // tfjs cpu's Cast from int32 to float32 keeps the int32 values (2147483647 stayed 2147483647,
  // not float32's 2147483648), which later float arithmetic then reads: rounded here.
  cast: ([x], { dtype }) => (x.dtype === 'int32' && dtype === 'float32' ? tf.tensor(Float32Array.from(x.dataSync()), x.shape, 'float32') : defaultLowering.cast([x], { dtype })),
};
