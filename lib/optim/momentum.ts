/** Momentum with PyTorch SGD's buffer convention. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { zerosLikeTree } from './util.js';

export interface TraceState {
  /** The momentum buffer, shaped like the parameters (zeros at init). */
  readonly trace: unknown;
}

/**
 * PyTorch SGD's momentum (dampening 0): `buf = momentum * buf + g`; the update is `buf`, or
 * `g + momentum * buf` with `nesterov`. The buffer starts at zero, which gives torch's first
 * step (`buf = g`) exactly. Equals optax's `trace(decay, nesterov)`.
 */
export function traceMomentum(momentum: number, nesterov = false): GradientTransformation<TraceState> {
  return {
    init: (params) => ({ trace: zerosLikeTree(params) }),
    update(updates, state) {
      const buf = tree.map<typeof updates>((g: NdArray, b: NdArray) => np.add(g, np.mul(b, momentum)), updates, state.trace);
      const out = nesterov ? tree.map<typeof updates>((g: NdArray, b: NdArray) => np.add(g, np.mul(b, momentum)), updates, buf) : buf;
      return [out, { trace: buf }];
    },
  };
}
