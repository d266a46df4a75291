/** optax's SM3 scaling: memory-efficient Adagrad with one accumulator per row/column (per axis slice). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { zerosLikeTree } from './util.js';

export interface Sm3Options {
  /** Decay of the momentum on the scaled updates (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the accumulators (default 1: plain sums, as in the paper). */
  readonly b2?: Hyper;
  /** Added inside the inverse root (default 1e-8). */
  readonly eps?: Hyper;
}

export interface Sm3State {
  /** Per leaf of rank r, r accumulators: the i-th of shape `[shape[i]]` (the max over the other axes). */
  readonly mu: unknown;
  /** Momentum of the scaled updates, shaped like the parameters (also the output). */
  readonly nu: unknown;
}

const otherAxes = (i: number, rank: number) => Array.from({ length: rank }, (_, j) => j).filter((j) => j !== i);

/**
 * optax.scale_by_sm3: per leaf g of rank r, `acc = c g^2 + b2 v` where `c = 1 - b2` (1 when
 * b2 = 1) and v is the elementwise minimum of the r accumulators broadcast along their axes
 * (rank 1: the accumulator itself); `u = g / sqrt(acc + eps)` (0 where acc = 0);
 * `nu = b1 nu + (1-b1) u` is the update, and accumulator i becomes the max of `acc` over all axes
 * but i. Leaves must have rank >= 1.
 * @example const opt = chain(scaleBySm3(), scale(-0.1));
 */
export function scaleBySm3({ b1 = 0.9, b2 = 1, eps = 1e-8 }: Sm3Options = {}): GradientTransformation<Sm3State> {
  const c = b2 === 1 ? 1 : typeof b2 === 'number' ? 1 - b2 : np.sub(1, b2);
  const slotsFor = (p: NdArray) => {
    const shape = np.shape(p);
    if (shape.length === 0) throw new Error('scaleBySm3: every leaf needs rank >= 1, got a scalar');
    return shape.map((d) => np.zeros([d]));
  };
  return {
    init: (params) => ({ mu: tree.map((p: NdArray) => slotsFor(p), params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const [gs, def] = tree.flatten<NdArray>(updates);
      // The accumulators flatten leaf after leaf, each leaf's in axis order.
      const flat = tree.leaves<NdArray>(state.mu);
      let at = 0;
      const slots = gs.map((g) => flat.slice(at, (at += np.shape(g).length)));
      if (at !== flat.length) throw new Error(`scaleBySm3: the state holds ${flat.length} accumulators, the updates need ${at}`);
      const accs = gs.map((g, k) => {
        const shape = np.shape(g);
        const expanded = slots[k].map((v, i) => np.reshape(v, shape.map((d, j) => (j === i ? d : 1))));
        const v = shape.length < 2 ? expanded[0] : expanded.reduce((a, b) => np.minimum(a, b));
        return np.add(np.mul(c, np.square(g)), np.mul(b2, v));
      });
      const scaled = tree.unflatten<U>(
        def,
        gs.map((g, k) => np.mul(g, np.where(np.greater(accs[k], 0), np.rsqrt(np.add(accs[k], eps)), 0))),
      );
      const nu = updateMoment(scaled, state.nu, b1, 1);
      const mu = tree.unflatten(
        def,
        accs.map((a) => {
          const rank = np.shape(a).length;
          return rank < 2 ? [a] : Array.from({ length: rank }, (_, i) => np.max(a, otherAxes(i, rank)));
        }),
      );
      return [nu, { mu, nu }];
    },
  };
}
