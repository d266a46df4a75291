/** optax's `scale_by_adan` (`_src/transform.py`, Xie et al. 2022, Algorithm 1). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, biasCorrection, oneMinus, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount, zerosLikeTree } from './util.js';

export interface AdanOptions {
  /** Decay of the gradient's moving average (default 0.98). */
  readonly b1?: Hyper;
  /** Decay of the gradient differences' moving average (default 0.92). */
  readonly b2?: Hyper;
  /** Decay of the second moment (default 0.99). */
  readonly b3?: Hyper;
  /** Added to the root of the second moment (default 1e-8). */
  readonly eps?: Hyper;
  /** Added inside the root (default 0 here, 1e-8 in `adan`, as optax). */
  readonly epsRoot?: Hyper;
}

export interface AdanState {
  /** First moment of the gradients. */
  readonly m: unknown;
  /** Moving average of the gradient differences `g - gPrev`. */
  readonly v: unknown;
  /** Second moment of `g + (1 - b2)(g - gPrev)`. */
  readonly n: unknown;
  /** The previous gradients. */
  readonly g: unknown;
  /** Updates done so far (int32 scalar). */
  readonly t: NdArray;
}

/**
 * Adan's scaling: with `d = g - gPrev` (0 at the first step), `m`, `v`, `n` the moving averages
 * (decays b1, b2, b3) of `g`, `d`, `(g + (1 - b2) d)²`, and hats their bias corrections,
 * `update = (m̂ + (1 - b2) v̂) / (sqrt(n̂ + epsRoot) + eps)`.
 * @example chain(scaleByAdan(), scaleByLearningRate(1e-3))
 */
export function scaleByAdan({ b1 = 0.98, b2 = 0.92, b3 = 0.99, eps = 1e-8, epsRoot = 0 }: AdanOptions = {}): GradientTransformation<AdanState> {
  return {
    init: (params) => ({ m: zerosLikeTree(params), v: zerosLikeTree(params), n: zerosLikeTree(params), g: zerosLikeTree(params), t: initCount() }),
    update(updates, state) {
      type U = typeof updates;
      const first = np.equal(state.t, 0);
      const diff = tree.map<U>((g: NdArray, prev: NdArray) => np.where(first, np.zerosLike(g), np.sub(g, prev)), updates, state.g);
      const m = updateMoment(updates, state.m, b1, 1);
      const v = updateMoment(diff, state.v, b2, 1);
      const sq = tree.map<U>((g: NdArray, d: NdArray) => np.add(g, np.mul(oneMinus(b2), d)), updates, diff);
      const n = updateMoment(sq, state.n, b3, 2);
      const t = incrementCount(state.t);
      const [mHat, vHat, nHat] = [biasCorrection(m, b1, t), biasCorrection(v, b2, t), biasCorrection(n, b3, t)];
      const out = tree.map<U>(
        (mh: NdArray, vh: NdArray, nh: NdArray) => np.div(np.add(mh, np.mul(oneMinus(b2), vh)), np.add(np.sqrt(np.add(nh, epsRoot)), eps)),
        mHat,
        vHat,
        nHat,
      );
      // A copy: the caller may free the gradients it passed once the step is done.
      return [out, { m, v, n, g: copyTree(updates), t }];
    },
  };
}
