/**
 * jax.lax's convolution helpers on top of convGeneralDilated: padtype_to_pads,
 * conv_transpose (the input dilated by the strides) and conv_general_dilated_patches (im2col
 * as a grouped convolution with one-hot filters, in JAX's feature order).
 */
import * as tf from '@tensorflow/tfjs-core';
import { avalStr } from '../core/aval.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { type ConvDimensionNumbers, type ConvPadding, convGeneralDilated, dimensionNumbersOf } from './lax-dot-conv.js';
import { rev } from './lax-structural.js';

/**
 * Explicit [lo, hi] pads for a window over `inShape` (jax.lax.padtype_to_pads): 'VALID' none;
 * 'SAME' (and 'SAME_LOWER', the odd pad below) pads to ceil(in / stride) outputs, the odd one
 * above; names are case-insensitive, explicit pairs come back as they are.
 * @example lax.padtypeToPads([5], [3], [2], 'SAME') // [[1, 1]]
 */
export function padtypeToPads(inShape: readonly number[], windowShape: readonly number[], windowStrides: readonly number[], padding: string | readonly (readonly [number, number])[]): [number, number][] {
  if (typeof padding !== 'string') return padding.map(([lo, hi]) => [lo, hi]);
  const kind = padding.toUpperCase();
  if (kind === 'VALID') return inShape.map(() => [0, 0]);
  if (kind !== 'SAME' && kind !== 'SAME_LOWER') throw new Error(`lax.padtypeToPads: unrecognized padding type: expected 'VALID', 'SAME' or 'SAME_LOWER', got '${padding}'`);
  if (windowShape.length !== inShape.length || windowStrides.length !== inShape.length) throw new Error(`lax.padtypeToPads: inShape, windowShape and windowStrides need one entry per dim, got ${inShape.length}, ${windowShape.length}, ${windowStrides.length}`);
  return inShape.map((n, i) => {
    const total = Math.max((Math.ceil(n / windowStrides[i]) - 1) * windowStrides[i] + windowShape[i] - n, 0);
    const small = Math.floor(total / 2);
    return kind === 'SAME' ? [small, total - small] : [total - small, small];
  });
}

/**
 * jax.lax.conv_with_general_padding: convGeneralDilated with the default NCHW / OIHW / NCHW layout.
 * @example lax.convWithGeneralPadding(x, w, [1, 1], [[1, 1], [0, 0]], [2, 2], null)
 */
export function convWithGeneralPadding(lhs: NdArray, rhs: NdArray, windowStrides: readonly number[], padding: ConvPadding, lhsDilation?: readonly number[] | null, rhsDilation?: readonly number[] | null): NdArray {
  return convGeneralDilated(lhs, rhs, windowStrides, padding, lhsDilation, rhsDilation);
}

/** JAX's pads of a transposed convolution along one dim: kernel k (dilated), stride s. */
function transposePads(k: number, s: number, padding: 'SAME' | 'VALID'): [number, number] {
  const total = padding === 'SAME' ? k + s - 2 : k + s - 2 + Math.max(k - s, 0);
  const lo = padding === 'SAME' && s <= k - 1 ? Math.ceil(total / 2) : k - 1;
  return [lo, total - lo];
}

/** conv_transpose's default layouts: channels last (NHC / HIO, NHWC / HWIO). */
const TRANSPOSE_DEFAULTS: Record<number, readonly [string, string, string]> = { 3: ['NHC', 'HIO', 'NHC'], 4: ['NHWC', 'HWIO', 'NHWC'] };

/**
 * jax.lax.conv_transpose: the gradient-of-convolution layout, as convGeneralDilated with the
 * input dilated by `strides` and unit window strides. `padding` 'SAME' (output in * stride),
 * 'VALID' ((in - 1) * stride + max(k, stride)) or explicit pairs; `rhsDilation` (atrous);
 * dimension numbers default to NHWC / HWIO / NHWC (NHC / HIO for one spatial dim). With
 * `transposeKernel` the kernel is flipped and its I and O swapped, so a forward convolution's
 * kernel gives its transpose (PyTorch's ConvTranspose). Differentiable in both operands.
 * @example lax.convTranspose(x, w, [2, 2], 'SAME') // NHWC [1, 4, 4, C] -> [1, 8, 8, O]
 */
export function convTranspose(
  lhs: NdArray,
  rhs: NdArray,
  strides: readonly number[],
  padding: ConvPadding,
  rhsDilation?: readonly number[] | null,
  dimensionNumbers?: ConvDimensionNumbers | readonly [string, string, string] | null,
  transposeKernel = false,
): NdArray {
  const rank = shapeOf(lhs).length;
  const dn = dimensionNumbersOf(dimensionNumbers ?? TRANSPOSE_DEFAULTS[rank] ?? null, rank);
  const nSpatial = rank - 2;
  if (strides.length !== nSpatial) throw new TypeError(`lax.convTranspose: strides need ${nSpatial} entries, got ${strides.length} (lhs ${avalStr(avalOf(lhs))})`);
  const spatialDims = dn.rhsSpec.slice(2);
  const dil = rhsDilation ?? spatialDims.map(() => 1);
  const kernel = spatialDims.map((d, i) => (shapeOf(rhs)[d] - 1) * dil[i] + 1);
  let pads: readonly (readonly [number, number])[];
  if (typeof padding === 'string') {
    if (padding !== 'SAME' && padding !== 'VALID') throw new TypeError(`lax.convTranspose: padding must be 'SAME', 'VALID' or pairs, got '${padding}'`);
    pads = kernel.map((k, i) => transposePads(k, strides[i], padding));
  } else pads = padding;
  let w = rhs;
  if (transposeKernel) {
    const perm = shapeOf(rhs).map((_, i) => (i === dn.rhsSpec[0] ? dn.rhsSpec[1] : i === dn.rhsSpec[1] ? dn.rhsSpec[0] : i));
    w = core.transpose(rev(rhs, spatialDims), perm);
  }
  return convGeneralDilated(lhs, w, strides.map(() => 1), pads, strides, dil, dn);
}

/** One-hot filters [C * K, 1, ...filterShape]: output feature c * K + s reads input channel c at window position s. */
function patchFilters(channels: number, filterShape: readonly number[]): NdArray {
  const k = filterShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(channels * k * k);
  for (let c = 0; c < channels; c++) for (let s = 0; s < k; s++) data[(c * k + s) * k + s] = 1;
  return tf.tensor(data, [channels * k, 1, ...filterShape], 'float32');
}

/**
 * jax.lax.conv_general_dilated_patches: the windows a convolution with `filterShape` would
 * see, as features (im2col). The result's feature dim has C * prod(filterShape) entries,
 * channel-major (feature c * prod(filterShape) + window position, the window flattened in
 * row-major order), laid out by the output spec of `dimensionNumbers` (default NCHW).
 * Strides, padding and dilations as convGeneralDilated; differentiable in lhs.
 * @example lax.convGeneralDilatedPatches(x, [3, 3], [1, 1], 'SAME') // NCHW [1, 2, 5, 5] -> [1, 18, 5, 5]
 */
export function convGeneralDilatedPatches(
  lhs: NdArray,
  filterShape: readonly number[],
  windowStrides: readonly number[],
  padding: ConvPadding,
  lhsDilation?: readonly number[] | null,
  rhsDilation?: readonly number[] | null,
  dimensionNumbers?: ConvDimensionNumbers | readonly [string, string, string] | null,
): NdArray {
  const rank = shapeOf(lhs).length;
  if (filterShape.length !== rank - 2) throw new TypeError(`lax.convGeneralDilatedPatches: filterShape needs ${rank - 2} entries for lhs ${avalStr(avalOf(lhs))}, got [${filterShape.join(', ')}]`);
  const { lhsSpec, outSpec } = dimensionNumbersOf(dimensionNumbers, rank);
  const channels = shapeOf(lhs)[lhsSpec[1]];
  const identity = Array.from({ length: rank }, (_, i) => i);
  return convGeneralDilated(lhs, patchFilters(channels, filterShape), windowStrides, padding, lhsDilation, rhsDilation, { lhsSpec, rhsSpec: identity, outSpec }, channels);
}
