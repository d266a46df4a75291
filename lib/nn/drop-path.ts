/**
 * Stochastic depth in residual networks, as timm builds it: the rate of each of a network's
 * residual blocks, and a block's residual branch dropped per sample in training
 * ({@link F.dropPath}). Shared by the ViT block and the ResNet blocks.
 */
import type { NdArray } from '../core/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import type { ApplyOptions } from './layer.js';

/**
 * timm's linear decay rule: block i of n drops its branches with rate `rate * i / (n - 1)`
 * (`torch.linspace(0, drop_path_rate, n)`), so the first block is never dropped and the last at `rate`.
 * @example dropPathRates(0.1, 3) // [0, 0.05, 0.1]
 */
export function dropPathRates(rate: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n > 1 ? (rate * i) / (n - 1) : 0));
}

/**
 * A residual branch inside a layer's forward under stochastic depth: in training (`opts.train`) with
 * `rate > 0`, dropped per sample with the key folded with `slot` (slots from 100 on, clear of a
 * composite's children, which fold in their index); otherwise the branch as it is.
 */
export function dropPathBranch(opts: ApplyOptions, rate: number, slot: number, branch: NdArray, what: string): NdArray {
  if (!opts.train || rate === 0) return branch;
  if (!opts.key) throw new Error(`${what}: training with dropPath needs a PRNG key: apply(params, state, x, { train: true, key })`);
  return F.dropPath(random.foldIn(opts.key, 100 + slot), branch, rate);
}
