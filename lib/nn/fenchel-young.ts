/** optax.make_fenchel_young_loss: a loss from a max function (Blondel et al. 2020). */
import { type NdArray, shapeStr, vmap } from '../core/index.js';
import * as np from '../ops/index.js';

/** A max function on one vector [n] -> a scalar (np.logsumexp, np.max, a sparsemax's max, ...); extra arguments pass through. */
export type MaxFun = (scores: NdArray, ...args: unknown[]) => NdArray;

/** maxFun on each vector along the last axis of `scores` [..., n] -> [...] (as jnp.vectorize's "(n)->()"). */
function maxOverLastAxis(maxFun: MaxFun, scores: NdArray, args: unknown[]): NdArray {
  const lead = scores.shape.slice(0, -1);
  const one = (v: NdArray) => {
    const m = maxFun(v, ...args);
    if (m.shape.length !== 0) throw new Error(`fenchelYoungLoss: maxFun must return a scalar for a vector ${shapeStr(v.shape)}, got ${shapeStr(m.shape)}`);
    return m;
  };
  if (lead.length === 0) return one(scores);
  const rows = np.reshape(scores, [-1, scores.shape[scores.shape.length - 1]!]);
  return np.reshape(vmap(one)(rows) as NdArray, lead);
}

/**
 * optax.make_fenchel_young_loss: the loss (scores, targets, ...args) -> maxFun(scores) - <targets,
 * scores> over the last axis ([..., n] -> [...]), maxFun applied to each vector. With np.logsumexp
 * it is the softmax cross-entropy of probability targets.
 * @example const fy = losses.makeFenchelYoungLoss((v) => np.logsumexp(v)); fy(scores, targets) // [...]
 */
export function makeFenchelYoungLoss(maxFun: MaxFun): (scores: NdArray, targets: NdArray, ...args: unknown[]) => NdArray {
  return (scores, targets, ...args) => {
    if (scores.shape.length === 0) throw new Error('fenchelYoungLoss: scores must be [..., n], got a scalar');
    if (scores.dtype !== 'float32') throw new Error(`fenchelYoungLoss: scores must be float32, got ${scores.dtype}`);
    if (targets.shape.length !== scores.shape.length || targets.shape.some((d, i) => d !== scores.shape[i])) throw new Error(`fenchelYoungLoss: targets ${shapeStr(targets.shape)} must be shaped as the scores ${shapeStr(scores.shape)}`);
    return np.sub(maxOverLastAxis(maxFun, scores, args), np.sum(np.mul(targets, scores), -1));
  };
}
