/**
 * Masked-autoencoder reconstruction: `maeLoss(pred [N, L, P], target [N, L, P], mask [N, L], opts?)` -> scalar.
 *
 * Sources: stable-pretraining `losses/reconstruction.py`, the functional `mae(target, pred, mask,
 * norm_pix_loss=False)` and `MAELoss` (after its `patchify`; the `MAE` method passes
 * `patch_normalize=norm_pix_loss`, True by default there):
 * ```
 * target = (target - mean_P target) / sqrt(var_unbiased_P target + 1e-6)     (normPixLoss)
 * per[n, l] = mean_P (pred - target)^2           'mse'
 *           = 1 - cos(pred, target)  (eps 1e-8)  'cosine'
 *           = mean_P smoothL1(pred - target)      'smoothL1' (`beta`, default 1; beta 0: L1)
 * loss = sum(per * mask) / max(sum(mask), minCount)   (maskOnly, 'mean'; the removed patches: mask 1)
 *      = sum(per * mask)               (maskOnly, 'sum')
 *      = mean(per) | sum(per)          (every patch)
 * ```
 * The defaults are the functional `mae`'s (no normalisation, MSE on the masked patches):
 * `maeLoss(pred, target, mask)` is the seed's `mae(target, pred, mask)` (note the order), and
 * `{ normPixLoss: true }` is the `MAE` method's loss; `{ lossType: 'smoothL1', beta: 0 }` (L1) is
 * the seed's `SimMIM`'s and `{ lossType: 'smoothL1', beta: 2 }` its `Data2Vec`'s (on tokens
 * [N, L, D]), both with `minCount: 1` (the seed's `mask.sum().clamp(min=1)`). Patches follow the caller's layout: the loss only compares `pred` and `target`
 * entry by entry.
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import { smoothL1Loss } from '../../nn/torch-losses.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';
import { cosineAlongLast } from './cosine.js';

/** The per-patch loss: 'mse', 'cosine' (1 - cosine similarity) or 'smoothL1' (the seed's 'smooth_l1'). */
export type MaeLossType = 'mse' | 'cosine' | 'smoothL1';

export interface MaeLossOptions {
  /** Standardise each target patch over its P values first (the seed's `norm_pix_loss`); default false. */
  readonly normPixLoss?: boolean;
  /** Default 'mse'. */
  readonly lossType?: MaeLossType;
  /** Only the masked (removed, mask 1) patches count; default true. */
  readonly maskOnly?: boolean;
  /** 'mean' (default) or 'sum' over the counted patches. */
  readonly reduction?: 'mean' | 'sum';
  /** Where 'smoothL1' turns from quadratic to linear (F.smooth_l1_loss's beta; 0: L1); default 1. */
  readonly beta?: number;
  /** The 'mean' divides by at least this many masked patches (default 0; SimMIM and data2vec: 1, so no mask gives 0, not NaN). */
  readonly minCount?: number;
}

/** Each patch standardised over its last axis, with the unbiased variance plus 1e-6 (MAE's `norm_pix_loss`). */
function normalisePatches(target: NdArray): NdArray {
  const p = shapeOf(target)[2];
  const centred = np.sub(target, np.mean(target, -1, true));
  const variance = np.div(np.sum(np.square(centred), -1, true), p - 1);
  return np.div(centred, np.sqrt(np.add(variance, 1e-6)));
}

/** The loss of each patch, [N, L]. */
function perPatch(pred: NdArray, target: NdArray, lossType: MaeLossType, beta: number): NdArray {
  if (lossType === 'mse') return np.mean(np.square(np.sub(pred, target)), -1);
  if (lossType === 'cosine') return np.sub(1, cosineAlongLast(pred, target));
  return np.mean(smoothL1Loss(pred, target, { reduction: 'none', beta }), -1);
}

function checkMae(pred: NdArray, target: NdArray, mask: NdArray, lossType: string, reduction: string): void {
  const [ps, ts, ms] = [shapeOf(pred), shapeOf(target), shapeOf(mask)];
  if (ps.length !== 3) throw new Error(`maeLoss: pred must be [N, L, P] (patches), got ${shapeStr(ps)}`);
  if (shapeStr(ts) !== shapeStr(ps)) throw new Error(`maeLoss: target must have pred's shape ${shapeStr(ps)}, got ${shapeStr(ts)}`);
  if (shapeStr(ms) !== shapeStr(ps.slice(0, 2))) throw new Error(`maeLoss: mask must be ${shapeStr(ps.slice(0, 2))} (one entry per patch), got ${shapeStr(ms)}`);
  if (!['mse', 'cosine', 'smoothL1'].includes(lossType)) throw new Error(`maeLoss: lossType must be 'mse', 'cosine' or 'smoothL1', got ${JSON.stringify(lossType)}`);
  if (reduction !== 'mean' && reduction !== 'sum') throw new Error(`maeLoss: reduction must be 'mean' or 'sum', got ${JSON.stringify(reduction)}`);
}

/**
 * MAE's reconstruction loss over patches, by default the mean MSE of the masked ones.
 * @example const loss = maeLoss(decoded, patches, mask, { normPixLoss: true });
 */
export function maeLoss(pred: NdArray, target: NdArray, mask: NdArray, opts: MaeLossOptions = {}): NdArray {
  const { normPixLoss = false, lossType = 'mse', maskOnly = true, reduction = 'mean', beta = 1, minCount = 0 } = opts;
  checkMae(pred, target, mask, lossType, reduction);
  if (normPixLoss && shapeOf(target)[2] < 2) throw new Error(`maeLoss: normPixLoss needs patches of at least 2 values (the unbiased variance), got ${shapeStr(shapeOf(target))}`);
  const per = perPatch(pred, normPixLoss ? normalisePatches(target) : target, lossType, beta);
  if (!maskOnly) return reduction === 'mean' ? np.mean(per) : np.sum(per);
  const weights = np.cast(mask, 'float32');
  const total = np.sum(np.mul(per, weights));
  return reduction === 'mean' ? np.div(total, np.maximum(np.sum(weights), minCount)) : total;
}
