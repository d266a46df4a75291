/**
 * optax's `scale_by_factored_rms` (`_src/factorized.py`): Adafactor's second-moment estimate, kept
 * for a leaf of rank >= 2 as two vectors (means of `g² + eps` over each of its two largest axes)
 * instead of a full array.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, oneMinus } from './moments.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams } from './util.js';

export interface FactoredRmsOptions {
  /** Factor the second moment of leaves of rank >= 2 (default true). */
  readonly factored?: boolean;
  /** Exponent of the decay schedule `1 - (t + 1)^(-decayRate)` (default 0.8). */
  readonly decayRate?: Hyper;
  /** Subtracted from the step count before the decay schedule (fine-tuning; default 0). */
  readonly stepOffset?: number;
  /** Factor only when the second-largest dimension is at least this (default 128). */
  readonly minDimSizeToFactor?: number;
  /** Added to `g²` (default 1e-30). */
  readonly eps?: Hyper;
  /** The decay at a step (`count - stepOffset`, int32) given `decayRate`; default optax's `1 - (step + 1)^(-decayRate)`. */
  readonly decayRateFn?: (step: NdArray, decayRate: Hyper) => NdArray;
}

export interface FactoredRmsState {
  /** Updates done so far (int32 scalar). */
  readonly count: NdArray;
  /** Per leaf: the running mean over its largest axis (factored leaves), else zeros([1]). */
  readonly vRow: unknown;
  /** Per leaf: the running mean over its second-largest axis (factored leaves), else zeros([1]). */
  readonly vCol: unknown;
  /** Per leaf: the full running second moment (unfactored leaves), else zeros([1]). */
  readonly v: unknown;
}

/** optax's `_decay_rate_pow`: `1 - (step + 1)^(-exponent)` in float32. */
function decayRatePow(step: NdArray, exponent: Hyper): NdArray {
  const t = np.cast(np.add(step, 1), 'float32');
  return np.sub(1, np.pow(t, typeof exponent === 'number' ? -exponent : np.neg(exponent)));
}

/**
 * The axes `[d1, d0]` (second-largest, largest size; ties by position, as numpy's stable
 * argsort of the shape) a leaf's second moment is factored over, or null when it is not.
 */
export function factoredDims(shape: readonly number[], factored: boolean, minDimSizeToFactor: number): [number, number] | null {
  if (!factored || shape.length < 2) return null;
  const order = shape.map((_, i) => i).sort((a, b) => shape[a] - shape[b] || a - b);
  const [d1, d0] = order.slice(-2);
  return shape[d1] < minDimSizeToFactor ? null : [d1, d0];
}

const zeros1 = () => np.zeros([1]);
const without = (shape: readonly number[], axis: number) => shape.filter((_, i) => i !== axis);

/** The running average `decay m + (1 - decay) x`. */
const blend = (m: NdArray, x: NdArray, decay: NdArray) => np.add(np.mul(decay, m), np.mul(oneMinus(decay), x));

/**
 * Scales updates by a factored estimate of their RMS (optax's `scale_by_factored_rms`, Adafactor).
 * With `decay = 1 - (count - stepOffset + 1)^(-decayRate)` and `s = g² + eps`: a factored leaf
 * (rank >= 2, second-largest axis d1 of size >= `minDimSizeToFactor`, largest d0) keeps
 * `row = decay row + (1-decay) mean(s, d0)`, `col = decay col + (1-decay) mean(s, d1)`, and
 * returns `g · (row / mean(row))^(-1/2) · col^(-1/2)`; any other leaf keeps `v = decay v + (1-decay) s`
 * and returns `g · v^(-1/2)`. Needs the parameters (as optax), for their shapes.
 * @example chain(scaleByFactoredRms(), clipByBlockRms(1), scale(-1e-2))
 */
export function scaleByFactoredRms({
  factored = true,
  decayRate = 0.8,
  stepOffset = 0,
  minDimSizeToFactor = 128,
  eps = 1e-30,
  decayRateFn = decayRatePow,
}: FactoredRmsOptions = {}): GradientTransformation<FactoredRmsState> {
  const dims = (x: NdArray) => factoredDims(np.shape(x), factored, minDimSizeToFactor);
  return {
    init(params) {
      const [xs, def] = tree.flatten<NdArray>(params);
      const slots = xs.map((x) => {
        const d = dims(x);
        if (d === null) return { row: zeros1(), col: zeros1(), v: np.zerosLike(x) };
        return { row: np.zeros(without(np.shape(x), d[1])), col: np.zeros(without(np.shape(x), d[0])), v: zeros1() };
      });
      const rebuild = (k: 'row' | 'col' | 'v') => tree.unflatten(def, slots.map((o) => o[k]));
      return { count: initCount(), vRow: rebuild('row'), vCol: rebuild('col'), v: rebuild('v') };
    },
    update(updates, state, params) {
      requireParams(params, 'scaleByFactoredRms');
      const decay = decayRateFn(np.sub(state.count, stepOffset), decayRate);
      const [gs, def] = tree.flatten<NdArray>(updates);
      const [rows, cols, vs] = [state.vRow, state.vCol, state.v].map((t) => tree.flattenUpTo(def, t, 'scaleByFactoredRms: state')) as NdArray[][];
      const out = gs.map((g, i) => {
        const s = np.add(np.square(g), eps);
        const d = dims(g);
        if (d === null) {
          const v = blend(vs[i], s, decay);
          return { u: np.mul(g, np.rsqrt(v)), row: zeros1(), col: zeros1(), v };
        }
        const [d1, d0] = d;
        const row = blend(rows[i], np.mean(s, d0), decay);
        const col = blend(cols[i], np.mean(s, d1), decay);
        const rowFactor = np.rsqrt(np.div(row, np.mean(row, d1 > d0 ? d1 - 1 : d1, true)));
        const u = np.mul(np.mul(g, np.expandDims(rowFactor, d0)), np.expandDims(np.rsqrt(col), d1));
        return { u, row, col, v: zeros1() };
      });
      const rebuild = (k: 'u' | 'row' | 'col' | 'v') => tree.unflatten(def, out.map((o) => o[k]));
      return [rebuild('u') as typeof updates, { count: incrementCount(state.count), vRow: rebuild('row'), vCol: rebuild('col'), v: rebuild('v') }];
    },
  };
}
