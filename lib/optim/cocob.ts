/**
 * COCOB-Backprop (Orabona & Tommasi 2017; optax `contrib/_cocob.py`): continuous coin betting,
 * a learning-rate-free optimiser whose parameters are the initial ones plus a bet of the wealth
 * won so far, per coordinate.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { Mask } from './mask.js';
import type { Hyper } from './moments.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import type { GradientTransformation } from './types.js';
import { copyTree, requireParams, zerosLikeTree } from './util.js';

/** The state of {@link scaleByCocob} (optax's `COCOBState`), each shaped like the parameters. */
export interface CocobState {
  readonly initParticles: unknown;
  readonly cumulativeGradients: unknown;
  /** The largest |g| so far (`L`, from eps). */
  readonly scale: unknown;
  /** `Σ |g|` (`G`). */
  readonly subgradients: unknown;
  /** The wealth won (`R`). */
  readonly reward: unknown;
}

/**
 * optax.contrib `scale_by_cocob`: with `L = max(L, |g|)`, `G += |g|`, `R = max(R − g (p − p0), 0)`,
 * `C −= g`, the new parameters are `p0 + C (L + R) / (L · max(G + L, alpha L))`; the update is
 * their difference from `p`. `update` needs the parameters.
 */
export function scaleByCocob({ alpha = 100, eps = 1e-8 }: { readonly alpha?: Hyper; readonly eps?: Hyper } = {}): GradientTransformation<CocobState> {
  return {
    init: (params) => ({
      initParticles: copyTree(params),
      cumulativeGradients: zerosLikeTree(params),
      scale: tree.map((x: NdArray) => np.mul(eps, np.onesLike(x)), params),
      subgradients: zerosLikeTree(params),
      reward: zerosLikeTree(params),
    }),
    update(updates, state, params) {
      type U = typeof updates;
      const p = requireParams(params, 'scaleByCocob');
      const scale = tree.map((L: NdArray, g: NdArray) => np.maximum(L, np.abs(g)), state.scale, updates);
      const subgradients = tree.map((G: NdArray, g: NdArray) => np.add(G, np.abs(g)), state.subgradients, updates);
      const reward = tree.map((R: NdArray, g: NdArray, x: NdArray, x0: NdArray) => np.maximum(np.sub(R, np.mul(g, np.sub(x, x0))), 0), state.reward, updates, p, state.initParticles);
      const cumulativeGradients = tree.map((C: NdArray, g: NdArray) => np.sub(C, g), state.cumulativeGradients, updates);
      const out = tree.map<U>(
        (x: NdArray, x0: NdArray, C: NdArray, L: NdArray, G: NdArray, R: NdArray) =>
          np.add(np.neg(x), np.add(x0, np.mul(np.div(C, np.mul(L, np.maximum(np.add(G, L), np.mul(alpha, L)))), np.add(L, R)))),
        p, state.initParticles, cumulativeGradients, scale, subgradients, reward,
      );
      return [out, { initParticles: state.initParticles, cumulativeGradients, scale, subgradients, reward }];
    },
  };
}

export interface CocobOptions {
  /** Multiplies the gradient before the bet (default 1; no sign flip). */
  readonly learningRate?: ScheduleLike;
  readonly alpha?: Hyper;
  readonly eps?: Hyper;
  /** L2 decay added to the gradient (default 0). */
  readonly weightDecay?: number;
  readonly mask?: Mask;
}

/**
 * optax.contrib.cocob: `chain(addDecayedWeights(wd, mask), scaleByLearningRate(lr, {flipSign: false}), scaleByCocob)`.
 * @example const opt = cocob();
 */
export function cocob({ learningRate = 1, alpha = 100, eps = 1e-8, weightDecay = 0, mask }: CocobOptions = {}): GradientTransformation {
  return chain(addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate, { flipSign: false }), scaleByCocob({ alpha, eps }));
}
