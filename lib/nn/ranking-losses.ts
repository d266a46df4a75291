/** optax's ranking loss: ranking_softmax_loss (listwise softmax cross-entropy, from rax). */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';

/** A reduction called as optax calls `reduce_fn(a, where=...)`: `np.mean` and `np.sum` fit. */
export type RankingReduceFn = (x: NdArray, axis?: undefined, keepdims?: boolean, opts?: { where?: NdArray }) => NdArray;

export interface RankingSoftmaxOptions {
  /** Which items count, [..., L] bool: the others add nothing, and a list with none is left out of the reduction. */
  readonly where?: NdArray;
  /** A weight per item, [..., L] (or broadcasting to it), scaling its label. */
  readonly weights?: NdArray;
  /** np.mean (default), np.sum, another reduction taking `{ where }`, or null for the loss of each list. */
  readonly reduceFn?: RankingReduceFn | null;
}

function checkBroadcasts(x: NdArray | undefined, shape: readonly number[], name: string): void {
  if (!x) return;
  const r = shape.length - x.shape.length;
  if (r < 0 || x.shape.some((d, i) => d !== 1 && d !== shape[i + r])) throw new Error(`rankingSoftmaxLoss: ${name} ${shapeStr(x.shape)} must broadcast to the logits' shape ${shapeStr(shape)}`);
}

/**
 * optax's _safe_reduce: reduceFn(loss, { where }), with np.mean's NaN over no valid list (and no
 * NaN loss) made 0; without a reduction, the losses of lists with no valid item are 0.
 */
function safeReduce(loss: NdArray, where: NdArray | undefined, reduceFn: RankingReduceFn | null): NdArray {
  if (reduceFn === null) return where ? np.where(where, loss, 0) : loss;
  const out = reduceFn(loss, undefined, false, where ? { where } : {});
  if (reduceFn !== np.mean) return out;
  const inputValid = np.logicalNot(np.any(np.isnan(loss)));
  return np.where(np.logicalAnd(np.isnan(out), inputValid), 0, out);
}

/**
 * optax.ranking_softmax_loss: -Σ_i labels_i log softmax(logits)_i over the last axis (each list of
 * L items), labels scaled by `weights`, items outside `where` ignored; reduced with np.mean by
 * default. logits float [..., L]; labels [..., L] (relevances, cast to float).
 * @example losses.rankingSoftmaxLoss(scores, relevance, { where: valid, reduceFn: null }) // [...]
 */
export function rankingSoftmaxLoss(logits: NdArray, labels: NdArray, opts: RankingSoftmaxOptions = {}): NdArray {
  const what = 'rankingSoftmaxLoss';
  if (logits.dtype !== 'float32') throw new Error(`${what}: logits must be float32, got ${logits.dtype}`);
  if (logits.shape.length === 0) throw new Error(`${what}: logits must be [..., L] (a list of scores), got a scalar`);
  if (labels.shape.length !== logits.shape.length || labels.shape.some((d, i) => d !== logits.shape[i])) throw new Error(`${what}: labels ${shapeStr(labels.shape)} must be shaped as the logits ${shapeStr(logits.shape)}`);
  const { where, weights } = opts;
  checkBroadcasts(where, logits.shape, 'where');
  checkBroadcasts(weights, logits.shape, 'weights');
  if (where && where.dtype !== 'bool') throw new Error(`${what}: where must be bool, got ${where.dtype}`);
  let y = np.astype(labels, 'float32');
  let s = logits;
  if (where) {
    y = np.where(where, y, 0);
    s = np.where(where, s, -Infinity);
  }
  if (weights) y = np.mul(y, weights);
  const terms = np.mul(y, np.logSoftmax(s, -1));
  // Masked items' terms (0 · -inf) are NaN: left out of the sum, as jnp.sum(where=...).
  const loss = np.neg(np.sum(where ? np.where(np.broadcastTo(where, logits.shape), terms, 0) : terms, -1));
  const listWhere = where ? np.any(np.broadcastTo(where, logits.shape), -1) : undefined;
  return safeReduce(loss, listWhere, opts.reduceFn === undefined ? np.mean : opts.reduceFn);
}
