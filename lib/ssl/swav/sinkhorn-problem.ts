/**
 * What both Sinkhorn solvers (the log domain's and the scaling one's) take: the scores and
 * epsilon (the logits are `scores / epsilon`), the mask and the collectives, prepared once by
 * `sinkhorn`.
 */
import type { NdArray } from '../../core/index.js';

/** A collective over devices (e.g. an all-reduce); the identity on one device. */
export type Collective = (x: NdArray) => NdArray;

export const identity: Collective = (x) => x;

export interface SinkhornProblem {
  /** [B, K], without gradient. */
  readonly scores: NdArray;
  /** > 0; a scalar array without gradient, or a number. */
  readonly epsilon: number | NdArray;
  /** [B, 1]: 1 for a sample, 0 for padding; null without a mask. */
  readonly keep: NdArray | null;
  /** log of the global batch size (at least 1); null when fewer than 2 iterations need it. */
  readonly logB: NdArray | null;
  readonly iterations: number;
  /** Sum over devices (identity on one). */
  readonly sumOver: Collective;
  /** Max over devices (identity on one). */
  readonly maxOver: Collective;
}
