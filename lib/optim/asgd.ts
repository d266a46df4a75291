/** torch.optim.ASGD: SGD with a decaying step and a running average of the iterates. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { Mask } from './mask.js';
import { maximizing } from './scale.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';

export interface ScaleByAsgdOptions {
  /** torch's `lr` (default 0.01, torch's). */
  readonly learningRate?: number;
  /** Decay term: `p *= 1 - lambd eta` each step (default 1e-4). */
  readonly lambd?: number;
  /** Power of the step's decay (default 0.75). */
  readonly alpha?: number;
  /** The step from which the iterates are averaged (default 1e6). */
  readonly t0?: number;
}

export interface AsgdState {
  /** int32 []: steps done. */
  readonly count: NdArray;
  /** torch's `ax`: the running average of the parameters after each step (zeros at init). */
  readonly ax: unknown;
}

/** A number option's check: finite and >= 0. */
function checkNonNegative(what: string, values: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(values)) if (!(Number.isFinite(v) && v >= 0)) throw new Error(`${what}: ${k} must be a finite number >= 0, got ${v}`);
}

/**
 * ASGD's step as a transformation (the update is the whole signed step, no learning rate to
 * chain after it). At step t (from 1), `eta = lr / (1 + lambd lr (t - 1))^alpha` and
 * `mu = 1 / max(1, t - 1 - t0)`; the update is `-eta (g + lambd p)` (torch's
 * `p = p (1 - lambd eta) - eta g`), and `ax` becomes the new parameters while `mu = 1`, then
 * `ax + mu (p_new - ax)`. Needs the parameters.
 */
export function scaleByAsgd({ learningRate = 0.01, lambd = 1e-4, alpha = 0.75, t0 = 1e6 }: ScaleByAsgdOptions = {}): GradientTransformation<AsgdState> {
  checkNonNegative('asgd', { learningRate, lambd, alpha, t0 });
  return {
    init: (params) => ({ count: initCount(), ax: zerosLikeTree(params) }),
    update(updates, state, params) {
      type U = typeof updates;
      const p = requireParams(params, 'asgd');
      const done = np.cast(state.count, 'float32');
      const eta = np.div(learningRate, np.pow(np.add(1, np.mul(done, lambd * learningRate)), alpha));
      const mu = np.div(1, np.maximum(1, np.sub(done, t0)));
      const out = tree.map<U>((g: NdArray, w: NdArray) => np.mul(np.add(g, np.mul(w, lambd)), np.negative(eta)), updates, p);
      const averaging = np.notEqual(mu, 1);
      const ax = tree.map<U>((a: NdArray, w: NdArray, u: NdArray) => {
        const next = np.add(w, u);
        return np.where(averaging, np.add(a, np.mul(np.sub(next, a), mu)), next);
      }, state.ax, p, out);
      return [out, { count: incrementCount(state.count), ax }];
    },
  };
}

export interface AsgdOptions extends ScaleByAsgdOptions {
  /** L2: `wd * p` added to the gradient first (default 0). */
  readonly weightDecay?: number;
  readonly weightDecayMask?: Mask;
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

/**
 * torch.optim.ASGD(lr, lambd, alpha, t0, weight_decay, maximize):
 * `chain(addDecayedWeights(wd), scaleByAsgd(...))`. The averaged parameters are the state's
 * `ax`: `optim.tree.get(state, 'ax')`.
 * @example const opt = optim.asgd({ learningRate: 0.01, t0: 100 });
 */
export function asgd({ weightDecay = 0, weightDecayMask, maximize = false, ...rest }: AsgdOptions = {}): GradientTransformation {
  return maximizing(maximize, chain(addDecayedWeights(weightDecay, weightDecayMask), scaleByAsgd(rest)));
}
