/** Root-mean-square normalisation over the last axis or axes (PyTorch's nn.RMSNorm(normalized_shape), eqx.nn.RMSNorm(shape)). */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Layer, positiveInt } from './layer.js';
import { copy } from './torch.js';

/** float32's machine epsilon, 2^-23: PyTorch's RMSNorm eps when none is given (torch.finfo(float32).eps). */
export const FLOAT32_EPS = 2 ** -23;

/**
 * x * rsqrt(mean(x^2, the last `axes` axes) + eps) * scale.
 * @example rmsNormalize(x, scale) // x [..., d], scale [d]
 * @example rmsNormalize(x, scale, 1e-5, 2) // x [..., h, d], scale [h, d]
 */
export function rmsNormalize(x: NdArray, scale: NdArray | null, eps = FLOAT32_EPS, axes = 1): NdArray {
  const rank = x.shape.length;
  const over = Array.from({ length: axes }, (_, i) => rank - axes + i);
  const y = np.mul(x, np.rsqrt(np.add(np.mean(np.square(x), over, true), eps)));
  return scale ? np.mul(y, scale) : y;
}

export interface RmsNormConfig {
  /** Size of the last axis, or a shape [d1, d2, ...]: the last axes, normalised together (torch's normalized_shape, Equinox's shape). */
  readonly dim: number | readonly number[];
  /** Default: float32's machine epsilon 2^-23, as PyTorch's eps=None. */
  readonly eps?: number;
  /** A learnable per-feature scale (starts at 1); default true (PyTorch's elementwise_affine, Equinox's use_weight). */
  readonly affine?: boolean;
  /** A learnable per-feature shift after the scale (starts at 0; Equinox's use_bias, whose default is true); default false, as PyTorch's. */
  readonly bias?: boolean;
}

export interface RmsNormParams {
  /** [dim] or the shape `dim` (absent without affine) */
  readonly scale?: NdArray;
  /** as scale (only with `bias`) */
  readonly bias?: NdArray;
}

/**
 * RMSNorm over the last axis, as torch.nn.RMSNorm(dim): y = x / sqrt(mean(x^2) + eps) * scale,
 * no centring, and a bias only with `bias: true` (eqx.nn.RMSNorm(dim, eps=1e-5) is
 * `{ dim, eps: 1e-5, bias: true }`). Works on one example [dim] or any batch [..., dim]; with
 * `dim` a shape, the mean runs over that many last axes. Params `scale` [dim] (PyTorch's `weight`).
 * @example const norm = nn.rmsNorm({ dim: 512 });
 * @example const norm2 = nn.rmsNorm({ dim: [8, 64] }); // on [..., 8, 64]
 */
export function rmsNorm(config: RmsNormConfig): Layer<RmsNormParams, Record<string, never>> {
  const d = (typeof config.dim === 'number' ? [config.dim] : [...config.dim]).map((v) => positiveInt(v, 'rmsNorm: dim'));
  if (d.length === 0) throw new Error('rmsNorm: dim must be a size or a non-empty shape');
  const eps = config.eps ?? FLOAT32_EPS;
  const affine = config.affine ?? true;
  const hasBias = config.bias ?? false;
  return {
    kind: 'rmsNorm',
    init: () => ({ params: { ...(affine ? { scale: np.ones(d) } : {}), ...(hasBias ? { bias: np.zeros(d) } : {}) }, state: {} }),
    apply(params, state, x) {
      const s = x.shape;
      if (s.length < d.length || s.slice(-d.length).some((v, i) => v !== d[i])) throw new Error(`rmsNorm: expected inputs [..., ${d.join(', ')}], got ${shapeStr(s)}`);
      const y = rmsNormalize(x, params.scale ?? null, eps, d.length);
      return [params.bias ? np.add(y, params.bias) : y, state];
    },
    toTorch(v, prefix, out) {
      if (affine) out[`${prefix}weight`] = copy(v.params.scale!);
      if (hasBias) out[`${prefix}bias`] = copy(v.params.bias!);
    },
    fromTorch(r, prefix) {
      const scale = affine ? { scale: tf.clone(r.get(`${prefix}weight`, d)) } : {};
      return { params: { ...scale, ...(hasBias ? { bias: tf.clone(r.get(`${prefix}bias`, d)) } : {}) }, state: {} };
    },
  };
}
