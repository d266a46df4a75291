/**
 * TiCo: `tico(z1 [N, D], z2 [N, D], covariance [D, D], { beta = 0.9, rho = 20, axisName? })`
 * -> `{ loss, covariance, invariance, contrast }`.
 *
 * Source: stable-pretraining `methods/tico.py` (`TiCO.forward`). The projections are compared on
 * the unit sphere; the running covariance of both views (a soft memory of past batches) is
 * updated first, without gradient, and the contrast term then reads the updated one:
 * ```
 * u1, u2 = normalize(z1), normalize(z2)                           (F.normalize, eps 1e-12)
 * u   = [u1; u2] - mean                                           [2N, D]   (no gradient)
 * C'  = beta C + (1 - beta) u^T u / max(2N - 1, 1)
 * loss = (2 - 2 mean_i <u1_i, u2_i>) + rho mean_i u1_i^T C' u1_i
 * ```
 * With `axisName` (the batch sharded over a named axis) the covariance update uses every member's
 * rows (gathered), so each member holds the covariance one process would on the whole batch; the
 * two means are per member, and their mean over the members is the whole batch's.
 */
import { type NdArray, allGather, shapeStr, stopGradient } from '../../core/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { pairOfViews } from './checks.js';

export interface TicoOptions {
  /** EMA momentum of the covariance (the seed's default 0.9). */
  readonly beta?: number;
  /** Weight of the covariance-contrast term (the seed's default 20). */
  readonly rho?: number;
  /** The batch is sharded over this named axis: the covariance update sees every member's rows. */
  readonly axisName?: string;
}

export interface TicoResult {
  readonly loss: NdArray;
  /** The updated running covariance [D, D] (no gradient): the next step's `covariance`. */
  readonly covariance: NdArray;
  /** `2 - 2 mean cos(z1, z2)`. */
  readonly invariance: NdArray;
  /** `mean u1^T C' u1` (before the weight `rho`). */
  readonly contrast: NdArray;
}

/** The covariance after one EMA step with the rows `u` [M, D] (no gradient). */
function updatedCovariance(covariance: NdArray, u: NdArray, beta: number, axisName: string | undefined): NdArray {
  const rows = stopGradient(axisName === undefined ? u : allGather(u, axisName, { tiled: true }));
  const m = np.shape(rows)[0];
  const centred = np.sub(rows, np.mean(rows, 0, true));
  const batch = np.div(np.matmul(np.transpose(centred), centred), Math.max(m - 1, 1));
  return np.add(np.mul(beta, stopGradient(covariance)), np.mul(1 - beta, batch));
}

/**
 * TiCo's loss of two views with the running covariance; also the updated covariance.
 * @example const { loss, covariance } = tico(z1, z2, state.covariance, { beta: 0.9, rho: 20 });
 */
export function tico(z1: NdArray, z2: NdArray, covariance: NdArray, { beta = 0.9, rho = 20, axisName }: TicoOptions = {}): TicoResult {
  const [, d] = pairOfViews(z1, z2, 'tico', ['z1', 'z2']);
  const cs = np.shape(covariance);
  if (shapeStr(cs) !== shapeStr([d, d])) throw new Error(`tico: covariance must be [${d}, ${d}] (the projections' width), got ${shapeStr(cs)}`);
  if (!(beta >= 0 && beta <= 1)) throw new Error(`tico: beta must be a number in [0, 1], got ${beta}`);
  if (!Number.isFinite(rho)) throw new Error(`tico: rho must be a finite number, got ${rho}`);
  const u1 = F.l2Normalize(z1, -1);
  const u2 = F.l2Normalize(z2, -1);
  const next = updatedCovariance(covariance, np.concatenate([u1, u2], 0), beta, axisName);
  const invariance = np.sub(2, np.mul(2, np.mean(np.sum(np.mul(u1, u2), -1))));
  const contrast = np.mean(np.sum(np.mul(np.matmul(u1, next), u1), -1));
  return { loss: np.add(invariance, np.mul(rho, contrast)), covariance: next, invariance, contrast };
}
