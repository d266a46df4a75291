/** SwAV's swapped prediction: the cross-entropy of one view's codes against another view's scores. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, Tracer } from '../../core/index.js';
import * as np from '../../ops/index.js';

/**
 * `-mean_b sum_k codes[b, k] * log_softmax(scores / temperature)[b, k]`.
 * `scores` and `codes` are [B, K]; the codes are targets (pass them without gradient,
 * as `sinkhorn` returns them). `temperature` may be a scalar array (a schedule's value under `jit`).
 * @example const l = swappedPrediction(scores1, sinkhorn(scores2), 0.1);
 */
export function swappedPrediction(scores: NdArray, codes: NdArray, temperature: number | NdArray): NdArray {
  const isArray = temperature instanceof tf.Tensor || temperature instanceof Tracer;
  if (!isArray && (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0))
    throw new Error(`swappedPrediction: temperature must be a finite number > 0, got ${String(temperature)}`);
  const s = scores.shape;
  const q = codes.shape;
  if (s.length !== 2 || q.length !== 2 || s[0] !== q[0] || s[1] !== q[1])
    throw new Error(`swappedPrediction: scores and codes must both be [batch, prototypes] of one shape, got [${s.join(',')}] and [${q.join(',')}]`);
  return np.neg(np.mean(np.sum(np.mul(codes, np.logSoftmax(np.div(scores, temperature), -1)), -1)));
}
