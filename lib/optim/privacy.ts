/** optax.contrib's differentially private SGD (`contrib/_privacy.py`): per-example clipping, Gaussian noise, averaging. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as tree from '../tree/index.js';
import { chain, identity } from './chain.js';
import { traceMomentum } from './momentum.js';
import { perExampleGlobalNormClip } from './per-example-clip.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import type { GradientTransformation } from './types.js';
import { copyTree } from './util.js';

export interface DifferentiallyPrivateAggregateOptions {
  /** Bound on each example's gradient norm (over all leaves). */
  readonly l2NormClip: number;
  /** Noise standard deviation as a multiple of `l2NormClip`. */
  readonly noiseMultiplier: number;
  /** A PRNG key (`random.key(seed)`) or an integer seed (default 0, optax's). */
  readonly key?: NdArray | number;
}

/** The state of {@link differentiallyPrivateAggregate}: the key of the next call (optax's `rng_key`). */
export interface DifferentiallyPrivateAggregateState {
  readonly rngKey: NdArray;
}

/**
 * optax.contrib.differentially_private_aggregate: the updates are per-example gradients (every
 * leaf with the batch axis first); each example is clipped to global norm `l2NormClip`, the
 * batch summed, `N(0, (l2NormClip · noiseMultiplier)²)` noise added per element and the result
 * divided by the batch size. Keys: `[next, k_1, ..., k_L] = split(rngKey, L + 1)`, one per leaf.
 */
export function differentiallyPrivateAggregate({ l2NormClip, noiseMultiplier, key = 0 }: DifferentiallyPrivateAggregateOptions): GradientTransformation<DifferentiallyPrivateAggregateState> {
  if (!(l2NormClip >= 0)) throw new Error(`differentiallyPrivateAggregate: l2NormClip must be >= 0, got ${l2NormClip}`);
  if (!(noiseMultiplier >= 0)) throw new Error(`differentiallyPrivateAggregate: noiseMultiplier must be >= 0, got ${noiseMultiplier}`);
  const std = l2NormClip * noiseMultiplier;
  return {
    init: () => ({ rngKey: typeof key === 'number' ? random.key(key) : copyTree(key) }),
    update(updates, state) {
      const [leaves, def] = tree.flatten<NdArray>(updates);
      const [clipped] = perExampleGlobalNormClip(leaves, l2NormClip);
      const bsize = leaves[0].shape[0];
      const [rngKey, ...keys] = random.split(state.rngKey, leaves.length + 1);
      const noised = clipped.map((g, i) => np.div(np.add(g, np.mul(std, random.normal(keys[i], g.shape))), bsize));
      return [tree.unflatten<typeof updates>(def, noised), { rngKey }];
    },
  };
}

export interface DpsgdOptions extends DifferentiallyPrivateAggregateOptions {
  readonly learningRate: ScheduleLike;
  /** `trace` momentum (default none). */
  readonly momentum?: number | null;
  readonly nesterov?: boolean;
}

/** optax.contrib.dpsgd: `chain(differentiallyPrivateAggregate, [trace(momentum, nesterov)], scaleByLearningRate(lr))`. */
export function dpsgd({ learningRate, momentum = null, nesterov = false, ...aggregate }: DpsgdOptions): GradientTransformation {
  return chain(differentiallyPrivateAggregate(aggregate), momentum === null ? identity() : traceMomentum(momentum, nesterov), scaleByLearningRate(learningRate));
}
