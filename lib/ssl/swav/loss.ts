/**
 * The SwAV loss over any number of views: which view's codes each view's scores must
 * predict, and how the terms are averaged.
 *
 * - `pairing: 'seed'` (default; stable-pretraining's `SwAV.forward`): for each
 *   assignment (global) view i and each later view j > i, the terms
 *   `swapped(s_i, q_j) + swapped(s_j, q_i)`, divided by the number of terms. Local
 *   views' codes are targets too (of the global views' scores).
 * - `pairing: 'paper'` (facebookresearch/swav's `main_swav.py`): codes come from the
 *   assignment views only (`crops_for_assign`); each such code is predicted from every
 *   other view, those terms are averaged, and the averages are averaged over the
 *   assignment views.
 *
 * With two views both give `(swapped(s_0, q_1) + swapped(s_1, q_0)) / 2`.
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { swappedPrediction } from './swapped-prediction.js';

export type Pairing = 'seed' | 'paper';

export interface SwavLossOptions {
  /** Softmax temperature of the swapped prediction (a scalar array is allowed: a schedule's value). Default 0.1. */
  readonly temperature?: number | NdArray;
  /** Which codes each view predicts (see the module doc). Default 'seed'. */
  readonly pairing?: Pairing;
  /**
   * The views whose codes are computed (the global views, `crops_for_assign`). For
   * 'seed' they must be the first views, 0..n-1. Default [0, 1] (or [0] for one view).
   */
  readonly cropsForAssign?: readonly number[];
}

/** The (scores view, codes view) pairs of a pairing and the divisor of their sum. */
export function lossTerms(numViews: number, pairing: Pairing, cropsForAssign: readonly number[]): { terms: [number, number][]; divisor: number } {
  checkAssign(numViews, pairing, cropsForAssign);
  const terms: [number, number][] = [];
  if (pairing === 'seed') {
    for (const i of cropsForAssign)
      for (let j = i + 1; j < numViews; j++) {
        terms.push([i, j]);
        terms.push([j, i]);
      }
    return { terms, divisor: Math.max(terms.length, 1) };
  }
  // paper: sum_i (1/(V-1)) sum_{v != i} swapped(s_v, q_i), then / |assign|; written as
  // one divisor since every assignment view has V-1 terms.
  for (const i of cropsForAssign) for (let v = 0; v < numViews; v++) if (v !== i) terms.push([v, i]);
  return { terms, divisor: Math.max((numViews - 1) * cropsForAssign.length, 1) };
}

function checkAssign(numViews: number, pairing: Pairing, cropsForAssign: readonly number[]): void {
  if (pairing !== 'seed' && pairing !== 'paper') throw new Error(`swavLoss: pairing must be 'seed' or 'paper', got ${String(pairing)}`);
  if (cropsForAssign.length === 0) throw new Error('swavLoss: cropsForAssign is empty');
  const seen = new Set<number>();
  for (const c of cropsForAssign) {
    if (!Number.isInteger(c) || c < 0 || c >= numViews) throw new Error(`swavLoss: cropsForAssign holds ${c}, not a view index in 0..${numViews - 1}`);
    if (seen.has(c)) throw new Error(`swavLoss: cropsForAssign holds ${c} twice`);
    seen.add(c);
  }
  if (pairing === 'seed' && !cropsForAssign.every((c, i) => c === i))
    throw new Error(`swavLoss: with pairing 'seed' the assignment (global) views are the first ones, cropsForAssign [0..n-1]; got [${cropsForAssign.join(', ')}]`);
}

/** The default assignment views: the first two (or the only one). */
export function defaultCropsForAssign(numViews: number): number[] {
  return numViews >= 2 ? [0, 1] : [0];
}

/**
 * The SwAV loss from per-view scores [B, K] and codes [B, K]. Only the codes of the
 * assignment views are read (others may be null).
 * @example
 * const codes = scores.map((s) => sinkhorn(s));
 * const loss = swavLoss(scores, codes, { temperature: 0.1 });
 */
export function swavLoss(scoresPerView: readonly NdArray[], codesPerView: readonly (NdArray | null | undefined)[], opts: SwavLossOptions = {}): NdArray {
  const n = scoresPerView.length;
  if (n < 2) throw new Error(`swavLoss: needs at least 2 views, got ${n}`);
  const temperature = opts.temperature ?? 0.1;
  const pairing = opts.pairing ?? 'seed';
  const assign = opts.cropsForAssign ?? defaultCropsForAssign(n);
  const { terms, divisor } = lossTerms(n, pairing, assign);
  let total: NdArray | null = null;
  for (const [s, q] of terms) {
    const codes = codesPerView[q];
    if (!codes) throw new Error(`swavLoss: view ${q} is an assignment view but has no codes`);
    const t = swappedPrediction(scoresPerView[s], codes, temperature);
    total = total === null ? t : np.add(total, t);
  }
  return np.div(total!, divisor);
}
