/**
 * Sophia (Liu et al. 2023; optax `contrib/_sophia.py`): a clipped, Hessian-diagonal-preconditioned
 * momentum method. The Hessian diagonal comes from a transformation (default Hutchinson's
 * estimator), refreshed every `updateInterval` steps; it reads the objective from the extra
 * arguments: `update(grads, state, params, { objFn: (params) => loss })`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { grad, isTracer, jvp, lax, type NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights, type WeightDecayLike } from './decay.js';
import type { Mask } from './mask.js';
import { biasCorrection, checkHyper, type Hyper, updateMoment } from './moments.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import { treeRandomLike } from './tree-utils.js';
import type { ExtraArgs, GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';

/** The state of {@link hutchinsonEstimatorDiagHessian} (optax's `HutchinsonState`). */
export interface HutchinsonState {
  /** The PRNG key of the next probe. */
  readonly key: NdArray;
}

function objective(extra: ExtraArgs | undefined, what: string): (params: unknown) => NdArray {
  const f = extra?.objFn;
  if (typeof f !== 'function') throw new Error(`${what}: update needs the objective: call update(grads, state, params, { objFn: (params) => loss })`);
  return f as (params: unknown) => NdArray;
}

/**
 * optax.contrib.hutchinson_estimator_diag_hessian: `r ⊙ (H r)` with `r` Rademacher signs (one
 * split key per leaf) and `H r` the Hessian-vector product `jvp(grad(objFn), [params], [r])`, an
 * unbiased estimate of the Hessian's diagonal. `randomSeed` a key or an integer seed (default 0).
 */
export function hutchinsonEstimatorDiagHessian(randomSeed: random.Key | number = 0): GradientTransformation<HutchinsonState> {
  return {
    init: () => ({ key: typeof randomSeed === 'number' ? random.key(randomSeed) : isTracer(randomSeed) ? randomSeed : tf.clone(randomSeed) }),
    update(_updates, state, params, extra) {
      type U = typeof _updates;
      const p = requireParams(params, 'hutchinsonEstimatorDiagHessian');
      const f = objective(extra, 'hutchinsonEstimatorDiagHessian');
      const [key, subkey] = random.split(state.key);
      const signs = treeRandomLike(subkey, p, (k, shape, dtype) => np.cast(random.rademacher(k, [...shape]), dtype), 'float32');
      const hvp = jvp(grad(f), [p], [signs])[1] as U;
      return [tree.map<U>((h: NdArray, r: NdArray) => np.mul(h, r), hvp, signs), { key }];
    },
  };
}

/** The state of {@link scaleBySophia} (optax's `SophiaState`). */
export interface SophiaState<H = unknown> {
  /** int32 []. */
  readonly count: NdArray;
  /** The momentum. */
  readonly mu: unknown;
  /** The running mean of the Hessian diagonal estimates. */
  readonly nu: unknown;
  readonly hessianFnState: H;
}

export interface SophiaOptions {
  /** Default 0.965. */
  readonly b1?: Hyper;
  /** Decay of the Hessian estimate, per refresh (default 0.99). */
  readonly b2?: Hyper;
  /** Default 1e-8: the floor of `gamma · h`. */
  readonly eps?: Hyper;
  /** Default 0.01: the Hessian's normaliser. */
  readonly gamma?: Hyper;
  /** Updates are clipped to `[−c, c]` (default 1); `null` for none. */
  readonly clipThreshold?: number | null;
  /** The Hessian estimate is refreshed when `count % updateInterval == 0` (default 10). */
  readonly updateInterval?: number;
  /** What estimates the Hessian diagonal (default `hutchinsonEstimatorDiagHessian()`); gets `update`'s extra arguments. */
  readonly hessianDiagonalFn?: GradientTransformation;
}

/**
 * optax.contrib.scale_by_sophia: `mu = b1 mu + (1 − b1) g`, update `clip(mû / max(gamma · nu, eps), ±c)`
 * with `nu` the previous Hessian estimate, then (every `updateInterval` steps, from step 0)
 * `nu = b2 nu + (1 − b2) hessianDiagonalFn(g)`. `update` needs the parameters.
 */
export function scaleBySophia({
  b1 = 0.965,
  b2 = 0.99,
  eps = 1e-8,
  gamma = 0.01,
  clipThreshold = 1,
  updateInterval = 10,
  hessianDiagonalFn = hutchinsonEstimatorDiagHessian(),
}: SophiaOptions = {}): GradientTransformation<SophiaState> {
  if (!Number.isInteger(updateInterval) || updateInterval < 1) throw new Error(`scaleBySophia: updateInterval must be an integer >= 1, got ${updateInterval}`);
  if (clipThreshold !== null) checkHyper('scaleBySophia', 'clipThreshold', clipThreshold, (v) => v > 0, '> 0 (or null)');
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params), hessianFnState: hessianDiagonalFn.init(params) }),
    update(updates, state, params, extra) {
      type U = typeof updates;
      const p = requireParams(params, 'scaleBySophia');
      const count = incrementCount(state.count);
      const mu = updateMoment(updates, state.mu, b1, 1);
      const scaled = tree.map<U>((m: NdArray, h: NdArray) => np.div(m, np.maximum(np.mul(gamma, h), eps)), biasCorrection(mu, b1, count), state.nu);
      const out = clipThreshold === null ? scaled : tree.map<U>((u: NdArray) => np.clip(u, -clipThreshold, clipThreshold), scaled);
      const refresh = (hState: unknown, nu: unknown) => {
        const [diag, next] = hessianDiagonalFn.update(updates, hState, p, extra);
        return [next, updateMoment(diag, nu, b2, 1)];
      };
      const [hessianFnState, nu] = lax.cond(np.equal(np.mod(state.count, updateInterval), 0), refresh, (h: unknown, n: unknown) => [h, n], state.hessianFnState, state.nu) as [unknown, unknown];
      return [out, { count, mu, nu, hessianFnState }];
    },
  };
}

export interface SophiaOptimizerOptions extends SophiaOptions {
  readonly learningRate: ScheduleLike;
  /** Decoupled decay `lr · wd · p` (default 1e-4, optax's). */
  readonly weightDecay?: WeightDecayLike;
  /** Leaves that get decay (default all). */
  readonly weightDecayMask?: Mask;
}

/**
 * optax.contrib.sophia: `chain(scaleBySophia, addDecayedWeights(wd, mask), scaleByLearningRate(lr))`.
 * @example const [u, s] = optim.sophia({ learningRate: 1e-3 }).update(grads, state, params, { objFn: (p) => loss(p, batch) });
 */
export function sophia({ learningRate, weightDecay = 1e-4, weightDecayMask, ...rest }: SophiaOptimizerOptions): GradientTransformation {
  return chain(scaleBySophia(rest), addDecayedWeights(weightDecay, weightDecayMask), scaleByLearningRate(learningRate));
}
