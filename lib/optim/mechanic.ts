/**
 * Mechanic (Cutkosky et al. 2023; optax `contrib/_mechanic.py` `mechanize`): learns a scale `s`
 * for any base optimiser's updates by online betting over several decay rates, so the base
 * learning rate need not be tuned.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { Hyper } from './moments.js';
import { treeNorm, treeVdot } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount, requireParams } from './util.js';

/** The state of {@link mechanize} (optax's `MechanicState`); `r`, `m`, `v`, `s` are float32 [numBetas]. */
export interface MechanicState<S> {
  readonly baseOptimizerState: S;
  /** int32 []. */
  readonly count: NdArray;
  readonly r: NdArray;
  readonly m: NdArray;
  readonly v: NdArray;
  readonly s: NdArray;
  /** The initial parameters. */
  readonly x0: unknown;
}

export interface MechanizeOptions {
  /** Default 1e-2. */
  readonly weightDecay?: Hyper;
  /** Default 1e-8. */
  readonly eps?: Hyper;
  /** The initial scale of every bettor (default 1e-6). */
  readonly sInit?: number;
  /** Bettors with decays `1 − 0.1^i`, i = 1..numBetas (default 6). */
  readonly numBetas?: number;
}

/**
 * optax.contrib.mechanize: wraps `base` (which includes its learning rate and sign, e.g. `sgd`);
 * the parameters become `x0 − Σs · Δ`, `Δ` the base optimiser's accumulated (negated) updates
 * scaled back by `Σs`. `update` needs the parameters; extra arguments go to `base`.
 * @example const opt = mechanize(adam({ learningRate: 1 }));
 */
export function mechanize<S>(base: GradientTransformation<S>, { weightDecay = 1e-2, eps = 1e-8, sInit = 1e-6, numBetas = 6 }: MechanizeOptions = {}): GradientTransformation<MechanicState<S>> {
  if (!Number.isInteger(numBetas) || numBetas < 1) throw new Error(`mechanize: numBetas must be an integer >= 1, got ${numBetas}`);
  const betas = np.array(Array.from({ length: numBetas }, (_, i) => 1 - 0.1 ** (i + 1)));
  return {
    init: (params) => ({
      baseOptimizerState: base.init(params),
      count: initCount(),
      r: np.zeros([numBetas]),
      m: np.zeros([numBetas]),
      v: np.zeros([numBetas]),
      s: np.full([numBetas], sInit),
      x0: copyTree(params),
    }),
    update(updates, state, params, extra) {
      type U = typeof updates;
      const p = requireParams(params, 'mechanize');
      const [negUpdates, baseOptimizerState] = base.update(updates, state.baseOptimizerState, p, extra);
      const first = np.equal(state.count, 0);
      const x0 = tree.map<U>((a: NdArray, b: NdArray) => np.where(first, a, b), p, state.x0 as U);
      const sSum = np.sum(state.s);
      const decay = np.div(np.mul(np.mul(weightDecay, sSum), treeNorm(updates)), np.add(treeNorm(p), eps));
      const decayed = tree.map<U>((g: NdArray, x: NdArray) => np.add(g, np.mul(decay, x)), updates, p);
      const deltaPrev = tree.map<U>((x: NdArray, a: NdArray) => np.div(np.sub(a, x), np.add(sSum, eps)), p, x0);
      const delta = tree.map<U>((d: NdArray, u: NdArray) => np.sub(d, u), deltaPrev, negUpdates);
      const h = treeVdot(decayed, deltaPrev);
      const clippedH = np.clip(h, np.neg(state.m), state.m);
      const m = np.maximum(np.mul(betas, state.m), np.add(np.abs(h), eps));
      const v = np.add(np.mul(np.square(betas), state.v), np.square(h));
      const r = np.add(np.mul(betas, state.r), np.mul(clippedH, state.s));
      const wealth = np.add(np.mul(sInit / numBetas, m), np.maximum(0, r));
      const s = np.div(wealth, np.add(np.sqrt(v), eps));
      const sTotal = np.sum(s);
      const out = tree.map<U>((a: NdArray, d: NdArray, x: NdArray) => np.sub(np.sub(a, np.mul(sTotal, d)), x), x0, delta, p);
      return [out, { baseOptimizerState, count: incrementCount(state.count), r, m, v, s, x0 }];
    },
  };
}
