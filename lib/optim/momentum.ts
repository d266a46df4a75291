/** Momentum with PyTorch SGD's buffer convention. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface TraceState {
  /** The momentum buffer, shaped like the parameters (zeros at init). */
  readonly trace: unknown;
  /** int32 []: steps done, kept only with a `dampening` (its first step is undamped). */
  readonly count?: NdArray;
}

/**
 * PyTorch SGD's momentum: `buf = momentum * buf + (1 - dampening) * g` (the first step
 * `buf = g`, undamped, as torch); the update is `buf`, or `g + momentum * buf` with `nesterov`.
 * With dampening 0 (the default) the buffer starts at zero, which gives torch's first step
 * exactly, and this equals optax's `trace(decay, nesterov)`; a dampening adds a step `count`
 * to the state.
 */
export function traceMomentum(momentum: number, nesterov = false, dampening = 0): GradientTransformation<TraceState> {
  if (!(dampening >= 0 && dampening <= 1)) throw new Error(`traceMomentum: dampening must be in [0, 1], got ${dampening}`);
  if (nesterov && dampening !== 0) throw new Error('traceMomentum: nesterov needs dampening 0 (as torch)');
  return {
    init: (params) => (dampening === 0 ? { trace: zerosLikeTree(params) } : { trace: zerosLikeTree(params), count: initCount() }),
    update(updates, state) {
      type U = typeof updates;
      const weight = state.count === undefined ? 1 : np.where(np.equal(state.count, 0), 1, 1 - dampening);
      const buf = tree.map<U>((g: NdArray, b: NdArray) => np.add(weight === 1 ? g : np.mul(g, weight), np.mul(b, momentum)), updates, state.trace);
      const out = nesterov ? tree.map<U>((g: NdArray, b: NdArray) => np.add(g, np.mul(b, momentum)), updates, buf) : buf;
      return [out, state.count === undefined ? { trace: buf } : { trace: buf, count: incrementCount(state.count) }];
    },
  };
}
