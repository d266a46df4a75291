/**
 * Distance over gradients (optax `contrib/_dog.py`): parameter-free step sizes from the largest
 * distance travelled from the initial point. DoG (Ivgi et al. 2023): `η_t = r̄_t / sqrt(Σ‖g‖² + eps)`;
 * DoWG (Khaled et al. 2023): `η_t = r̄²_t / (sqrt(Σ r̄²_k ‖g_k‖²) + eps)`.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { chain, identity } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { Mask } from './mask.js';
import type { Hyper } from './moments.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import { treeNorm, treeScale, treeSub } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { copyTree, requireParams } from './util.js';

/** DoG's initial step: `['distance', r0]`, `['learningRate', η0]` or `['heuristic', α]` (`r0 = α (1 + ‖x0‖)`). */
export type DogInitStep = readonly ['distance' | 'learningRate' | 'heuristic', number];

/** The state of {@link scaleByDog} (optax's `DoGState`). */
export interface DogState {
  /** bool []: true before the first update. */
  readonly isInitStep: NdArray;
  readonly initParams: unknown;
  /** float32 []: the largest distance from the initial parameters so far (`r̄`). */
  readonly maxDist: NdArray;
  /** float32 []: `Σ ‖g‖²`. */
  readonly sumSqNormGrads: NdArray;
}

/**
 * DoG's scaling (optax.contrib `scale_by_dog`): `u · r̄ / sqrt(Σ‖g‖² + eps)`; with
 * `['learningRate', η0]` the first step is `η0 · u`. Needs the real initial parameters at `init`.
 */
export function scaleByDog(initStep: DogInitStep, eps: Hyper = 1e-8): GradientTransformation<DogState> {
  const [kind, value] = initStep;
  if (kind !== 'distance' && kind !== 'learningRate' && kind !== 'heuristic') throw new Error(`scaleByDog: initStep[0] must be 'distance', 'learningRate' or 'heuristic', got ${String(kind)}`);
  return {
    init: (params) => ({
      isInitStep: np.array(true),
      initParams: copyTree(params),
      maxDist: kind === 'distance' ? np.array(value) : kind === 'heuristic' ? np.mul(value, np.add(1, treeNorm(params))) : np.array(0),
      sumSqNormGrads: np.zeros([]),
    }),
    update(updates, state, params) {
      const p = requireParams(params, 'scaleByDog');
      const maxDist = np.maximum(state.maxDist, treeNorm(treeSub(state.initParams as typeof p, p)));
      const sumSqNormGrads = np.add(state.sumSqNormGrads, treeNorm(updates, 2, true));
      let lr = np.div(maxDist, np.sqrt(np.add(sumSqNormGrads, eps)));
      if (kind === 'learningRate') lr = np.where(state.isInitStep, value, lr);
      return [treeScale(lr, updates), { isInitStep: np.array(false), initParams: state.initParams, maxDist, sumSqNormGrads }];
    },
  };
}

/** The state of {@link scaleByDowg} (optax's `DoWGState`). */
export interface DowgState {
  readonly initParams: unknown;
  /** float32 []: `Σ r̄²_k ‖g_k‖²`. */
  readonly weightedSqNormGrads: NdArray;
  /** float32 []: the largest squared distance from the initial parameters so far (`r̄²`). */
  readonly estimSqDist: NdArray;
}

/** DoWG's scaling (optax.contrib `scale_by_dowg`): `u · r̄² / (sqrt(Σ r̄²‖g‖²) + eps)`, `r̄²` starting at `initEstimSqDist` (default eps). */
export function scaleByDowg(initEstimSqDist: number | null = null, eps: Hyper = 1e-4): GradientTransformation<DowgState> {
  return {
    init: (params) => ({ initParams: copyTree(params), estimSqDist: np.asarray(initEstimSqDist ?? eps, 'float32'), weightedSqNormGrads: np.zeros([]) }),
    update(updates, state, params) {
      const p = requireParams(params, 'scaleByDowg');
      const estimSqDist = np.maximum(state.estimSqDist, treeNorm(treeSub(state.initParams as typeof p, p), 2, true));
      const weightedSqNormGrads = np.add(np.mul(estimSqDist, treeNorm(updates, 2, true)), state.weightedSqNormGrads);
      const lr = np.div(estimSqDist, np.add(np.sqrt(weightedSqNormGrads), eps));
      return [treeScale(lr, updates), { initParams: state.initParams, weightedSqNormGrads, estimSqDist }];
    },
  };
}

interface DecayOptions {
  /** Default 1. */
  readonly learningRate?: ScheduleLike;
  /** L2 decay added to the gradient first (default none). */
  readonly weightDecay?: number | null;
  /** Which leaves it applies to. */
  readonly mask?: Mask;
}

export interface DogOptions extends DecayOptions {
  /** Default `['heuristic', 1e-6]`. */
  readonly initStep?: DogInitStep;
  /** Default 1e-8. */
  readonly eps?: Hyper;
}

/**
 * optax.contrib.dog: `chain(addDecayedWeights(wd, mask) or identity, scaleByDog, scaleByLearningRate(lr))`.
 * @example const opt = dog(); let state = opt.init(params); // the real initial parameters
 */
export function dog({ learningRate = 1, initStep = ['heuristic', 1e-6], eps = 1e-8, weightDecay = null, mask }: DogOptions = {}): GradientTransformation {
  return chain(weightDecay === null ? identity() : addDecayedWeights(weightDecay, mask), scaleByDog(initStep, eps), scaleByLearningRate(learningRate));
}

export interface DowgOptions extends DecayOptions {
  /** Default: eps. */
  readonly initEstimSqDist?: number | null;
  /** Default 1e-4. */
  readonly eps?: Hyper;
}

/** optax.contrib.dowg: `chain(addDecayedWeights(wd, mask) or identity, scaleByDowg, scaleByLearningRate(lr))`. */
export function dowg({ learningRate = 1, initEstimSqDist = null, eps = 1e-4, weightDecay = null, mask }: DowgOptions = {}): GradientTransformation {
  return chain(weightDecay === null ? identity() : addDecayedWeights(weightDecay, mask), scaleByDowg(initEstimSqDist, eps), scaleByLearningRate(learningRate));
}
