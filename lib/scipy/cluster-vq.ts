/** `scipy.cluster.vq`: jax.scipy.cluster.vq.vq, assigning observations to their nearest code. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/**
 * For each observation (rows of obs [n, d], or entries of a 1-D obs), the index of the nearest
 * code in codeBook [k, d] (Euclidean distance; the first on ties) and that distance: [code int32 [n], dist [n]].
 * @example const [code, dist] = cluster.vq.vq(obs, codeBook);
 */
export function vq(obs: NdArray, codeBook: NdArray): [NdArray, NdArray] {
  if (obs.shape.length !== codeBook.shape.length) throw new Error(`vq: obs and codeBook must have the same rank, got [${obs.shape.join(', ')}] and [${codeBook.shape.join(', ')}]`);
  if (obs.shape.length !== 1 && obs.shape.length !== 2) throw new Error(`vq: obs must be 1-D or 2-D, got rank ${obs.shape.length}`);
  const asRows = (a: NdArray) => (a.shape.length === 1 ? np.expandDims(np.toFloat(a), 1) : np.toFloat(a));
  const o = asRows(obs);
  const cb = asRows(codeBook);
  if (o.shape[1] !== cb.shape[1]) throw new Error(`vq: obs has ${o.shape[1]} features, codeBook ${cb.shape[1]}`);
  const dist = np.sqrt(np.sum(np.square(np.sub(np.expandDims(o, 1), np.expandDims(cb, 0))), 2));
  const code = np.argmin(dist, 1);
  return [code, np.squeeze(np.takeAlongAxis(dist, np.expandDims(code, 1), 1), 1)];
}
