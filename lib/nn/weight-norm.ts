/** Weight normalisation (torch.nn.utils.weight_norm, eqx.nn.WeightNorm) as a layer wrapper. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope } from '../core/index.js';
import * as np from '../ops/index.js';
import type { Layer } from './layer.js';
import { copy, inversePerm, torchWeightLayout, weightFromTorchAs, weightToTorchAs } from './torch.js';

export interface WeightNormConfig {
  /**
   * torch's `dim`: the axis of the weight **in PyTorch's layout** that keeps one norm per entry
   * (default 0: one per output unit of Linear / Conv, per input channel of ConvTranspose); `null`
   * or -1 (torch's own rule for -1) normalise the whole weight as one vector.
   */
  readonly dim?: number | null;
  /** Equinox's `axis`: as `dim`, but -1 is the last axis (Python's rule); `null` is the whole weight. Not with `dim`. */
  readonly axis?: number | null;
  /** The PyTorch layout of the wrapped layer's `w` (PyTorch's axis j is our axis layout[j]), for kinds tfjax does not know. */
  readonly layout?: readonly number[];
}

/** The wrapped layer's parameters with `w` replaced by its direction `v` and magnitude `g` (our layout; `g` has size 1 on the normalised axes). */
export type WeightNormParams<P> = Omit<P, 'w'> & { readonly g: NdArray; readonly v: NdArray };

/** Our axis that keeps its own norm, or null for the whole weight, from torch's `dim` or Equinox's `axis`. */
function keptAxis(config: WeightNormConfig, perm: readonly number[]): number | null {
  if (config.dim !== undefined && config.axis !== undefined) throw new Error('weightNorm: give dim (PyTorch) or axis (Equinox), not both');
  const r = perm.length;
  const torchAxis = config.axis !== undefined ? config.axis : config.dim === undefined ? 0 : config.dim === -1 ? null : config.dim;
  if (torchAxis === null) return null;
  if (!Number.isInteger(torchAxis) || torchAxis < -r || torchAxis >= r) throw new Error(`weightNorm: dim must be an integer in [-${r}, ${r}) or null, got ${String(torchAxis)}`);
  return perm[torchAxis < 0 ? torchAxis + r : torchAxis];
}

/** ||v|| over every axis but `axis` (kept, size 1), or over all of v (a scalar). */
export function normExcept(v: NdArray, axis: number | null): NdArray {
  if (axis === null) return np.sqrt(np.sum(np.square(v)));
  const others = v.shape.map((_, i) => i).filter((i) => i !== axis);
  return np.sqrt(np.sum(np.square(v), others, true));
}

/**
 * `layer` with its weight `w` reparametrised as `g * v / ||v||` (torch.nn.utils.weight_norm,
 * eqx.nn.WeightNorm): the norm is over every axis but `dim` (PyTorch's layout), and `init` starts
 * from the layer's weight (v = w, g = ||w||). PyTorch names: `weight_g` (PyTorch's shape, e.g.
 * [out, 1] for Linear), `weight_v`, and the layer's others (`bias`).
 * @example const fc = nn.weightNorm(nn.linear({ in: 8, out: 4 })); // g [1, 4], v [8, 4] (torch: weight_g [4, 1])
 */
export function weightNorm<P extends { readonly w: NdArray }, S>(layer: Layer<P, S>, config: WeightNormConfig = {}): Layer<WeightNormParams<P>, S> {
  const layoutOf = (w: NdArray) => torchWeightLayout(layer.kind, w, config.layout, 'weightNorm');
  const axisOf = (w: NdArray) => keptAxis(config, layoutOf(w));
  const withW = (p: WeightNormParams<P>, w: NdArray) => {
    const { g: _g, v: _v, ...rest } = p;
    return { ...rest, w } as unknown as P;
  };
  const split = (p: P, g: NdArray) => {
    const { w, ...rest } = p;
    return { ...rest, g, v: w } as unknown as WeightNormParams<P>;
  };
  return {
    kind: `weightNorm(${layer.kind})`,
    init(key) {
      return scope(() => {
        const v = layer.init(key);
        return { params: split(v.params, normExcept(v.params.w, axisOf(v.params.w))), state: v.state };
      });
    },
    apply(params, state, x, opts) {
      const w = np.mul(params.v, np.div(params.g, normExcept(params.v, axisOf(params.v))));
      return layer.apply(withW(params, w), state, x, opts);
    },
    toTorch(vars, prefix, out) {
      weightToTorchAs(layer, { params: withW(vars.params, vars.params.v), state: vars.state }, prefix, out, 'weight_v');
      const g = vars.params.g;
      out[`${prefix}weight_g`] = g.shape.length ? tf.transpose(copy(g), [...layoutOf(vars.params.v)]) : copy(g);
    },
    fromTorch(r, prefix) {
      const inner = weightFromTorchAs(layer, r, prefix, 'weight_v');
      const w = inner.params.w;
      const perm = layoutOf(w);
      const axis = axisOf(w);
      const torchShape = perm.map((a) => (axis === a ? w.shape[a] : 1));
      const g = axis === null ? tf.clone(r.get(`${prefix}weight_g`, [])) : tf.transpose(r.get(`${prefix}weight_g`, torchShape), inversePerm(perm));
      return { params: split(inner.params, g), state: inner.state };
    },
  };
}
