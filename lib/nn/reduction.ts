/** PyTorch's `reduction` argument of its losses: 'mean', 'sum' or 'none'. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface ReductionOptions {
  /** 'mean' (default), 'sum' or 'none' (the per-element losses). */
  readonly reduction?: Reduction;
}

/** Throws one line naming `what` unless `reduction` is 'mean', 'sum', 'none' or one of `extra`. */
export function checkReduction(reduction: string, what: string, extra: readonly string[] = []): void {
  const known = ['mean', 'sum', 'none', ...extra];
  if (!known.includes(reduction)) throw new Error(`${what}: reduction must be one of ${known.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(reduction)}`);
}

/** The mean, the sum or the elementwise losses, as PyTorch's `reduction`. */
export function reduce(loss: NdArray, reduction: Reduction, what: string): NdArray {
  checkReduction(reduction, what);
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? np.sum(loss) : np.mean(loss);
}
