/**
 * The convolution primitives (prims/conv.ts) on tfjs's kernels, present on every backend.
 * wasm.ts routes the cases its own kernels take elsewhere (wasm-conv.ts) and passes its
 * faster padding in.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PrimParams } from '../prim-params.js';
import { interleave } from './tfjs-kernels.js';

type ConvP = PrimParams['conv'];
type BpInputP = PrimParams['conv_bp_input'];
type BpFilterP = PrimParams['conv_bp_filter'];

export const explicitPad = (p: ConvP) => [[0, 0], [...p.padding[0]], [...p.padding[1]], [0, 0]] as tf.backend_util.ExplicitPadding;

/** Runs `f` on each channel group and concatenates along the last axis. */
function perGroup(groups: number, parts: tf.Tensor[], axes: number[], f: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  if (groups === 1) return f(...parts);
  const split = parts.map((t, i) => tf.split(t, groups, axes[i]));
  return tf.concat(split[0].map((_, g) => f(...split.map((s) => s[g]))), 3);
}

/** The [low, high] padding of one spatial axis trimmed to what the convolution reads: (o-1)*s + (k-1)*d + 1 rows from -low. */
export function readPadding(n: number, [lo, hi]: readonly number[], o: number, k: number, s: number, d: number): [number, number] {
  return [lo!, Math.min(hi!, (o - 1) * s + (k - 1) * d + 1 - n - lo!)];
}

/** One group and unit dilation: what tfjs's Conv2DBackpropInput and our wasm kernels take. */
export const isPlain = (p: ConvP) => p.groups === 1 && p.dilation.every((d) => d === 1);

export function convKernel(x: tf.Tensor4D, w: tf.Tensor4D, p: ConvP): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const c = x.shape[3];
  if (p.groups > 1 && ci === 1 && p.groups === c) {
    const dw = tf.reshape(w, [kh, kw, c, co / c]) as tf.Tensor4D;
    return tf.depthwiseConv2d(x, dw, p.strides as [number, number], explicitPad(p), 'NHWC', p.dilation as [number, number]);
  }
  return perGroup(p.groups, [x, w], [3, 3], (xg, wg) =>
    tf.conv2d(xg as tf.Tensor4D, wg as tf.Tensor4D, p.strides as [number, number], explicitPad(p), 'NHWC', p.dilation as [number, number]),
  ) as tf.Tensor4D;
}

/** Zero padding of the two spatial axes of an NHWC array by [top, bottom] rows and [left, right] columns. */
export type PadSpatial = (t: tf.Tensor4D, rows: [number, number], cols: [number, number]) => tf.Tensor4D;

const padSpatialTfjs: PadSpatial = (t, rows, cols) => tf.pad(t, [[0, 0], rows, cols, [0, 0]]);

/** How a backend runs the generic input gradient: its spatial padding, and whether strided plain cases take the dilated route. */
export interface BpInputRoute {
  readonly padSpatial?: PadSpatial;
  readonly stridedViaDilation?: boolean;
}

/**
 * Gradient w.r.t. the input. With unit dilation and one group: tfjs's
 * Conv2DBackpropInput kernel (present on every backend). Otherwise (or where the route
 * says so): correlate the stride-dilated, re-padded dy with the flipped filter whose
 * in/out channels are swapped.
 */
export function bpInputKernel(dy: tf.Tensor4D, w: tf.Tensor4D, p: BpInputP, route: BpInputRoute = {}): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const [, h, wd] = p.inputShape;
  if (isPlain(p) && !(p.strides.some((s) => s > 1) && route.stridedViaDilation)) {
    return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: p.strides, pad: explicitPad(p), dataFormat: 'NHWC', inputShape: p.inputShape } as any) as tf.Tensor4D;
  }
  const g = p.groups;
  const flipped = tf.reverse(w, [0, 1]);
  const swapped = tf.reshape(tf.transpose(tf.reshape(flipped, [kh, kw, ci, g, co / g]), [0, 1, 4, 3, 2]), [kh, kw, co / g, g * ci]) as tf.Tensor4D;
  const [sh, sw] = p.strides;
  const [dh, dwl] = p.dilation;
  const dil = dilateSpatial(dy, sh, sw);
  const cropPad = (n: number, k: number, d: number, lo: number, outN: number, s: number): [number, number] => [(k - 1) * d - lo, n - 1 + lo - (outN - 1) * s];
  const [pt, pb] = cropPad(h, kh, dh, p.padding[0][0], dy.shape[1], sh);
  const [pl, pr] = cropPad(wd, kw, dwl, p.padding[1][0], dy.shape[2], sw);
  const padded = padOrCrop(dil, [pt, pb], [pl, pr], route.padSpatial);
  const q: ConvP = { strides: [1, 1], padding: [[0, 0], [0, 0]], dilation: p.dilation, groups: g };
  return convKernel(padded, swapped, q);
}

/**
 * Inserts s-1 zero rows/cols between neighbours (input dilation by the stride). Each axis
 * is done on a rank-4 view: a rank-6 pad compiles to an invalid shader on webgpu.
 */
function dilateSpatial(t: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  return interleave(interleave(t, 1, sh - 1, 0), 2, sw - 1, 0) as tf.Tensor4D;
}

/** Pads with zeros where an amount is positive and crops where it is negative (each kernel only when needed: wasm's Slice is slow). */
export function padOrCrop(t: tf.Tensor4D, [t0, t1]: [number, number], [l0, l1]: [number, number], padSpatial: PadSpatial = padSpatialTfjs): tf.Tensor4D {
  const [rows, cols]: [number, number][] = [[Math.max(0, t0), Math.max(0, t1)], [Math.max(0, l0), Math.max(0, l1)]];
  const any = rows.some((p) => p > 0) || cols.some((p) => p > 0);
  const padded = any ? padSpatial(t, rows as [number, number], cols as [number, number]) : t;
  if (t0 >= 0 && t1 >= 0 && l0 >= 0 && l1 >= 0) return padded;
  const [n, h, w, c] = padded.shape;
  const top = Math.max(0, -t0);
  const left = Math.max(0, -l0);
  return tf.slice(padded, [0, top, left, 0], [n, h - top - Math.max(0, -t1), w - left - Math.max(0, -l1), c]);
}

/**
 * Gradient w.r.t. the filter, as a forward convolution (wasm has no Conv2DBackpropFilter,
 * and cpu's is very slow): the batch becomes the contracted channel axis, dy the filter,
 * and the forward stride the dilation.
 */
export function bpFilterKernel(x: tf.Tensor4D, dy: tf.Tensor4D, p: BpFilterP): tf.Tensor4D {
  const [kh, kw] = p.filterShape;
  // Only the padded rows/columns the forward read: (Ho-1)*stride + (k-1)*dilation + 1 of
  // them, so that the result has exactly kh x kw taps (with a stride, the full padded input
  // would give extra taps, computed and then sliced off).
  const padH = readPadding(x.shape[1], p.padding[0], dy.shape[1], kh, p.strides[0], p.dilation[0]);
  const padW = readPadding(x.shape[2], p.padding[1], dy.shape[2], kw, p.strides[1], p.dilation[1]);
  return perGroup(p.groups, [x, dy], [3, 3], (xg, dyg) => {
    // The zero padding goes to the convolution itself (no padded copy of x) unless the
    // forward read less than the whole input (a negative high pad: crop, as before).
    const trim = padH[1] < 0 || padW[1] < 0;
    const xt = tf.transpose(trim ? tf.pad(xg, [[0, 0], [...p.padding[0]], [...p.padding[1]], [0, 0]]) : xg, [3, 1, 2, 0]) as tf.Tensor4D; // [C, H, W, N]
    const dyt = tf.transpose(dyg, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, N, O]
    const pad = trim ? 'valid' : ([[0, 0], padH, padW, [0, 0]] as tf.backend_util.ExplicitPadding);
    const r = tf.conv2d(xt, dyt, p.dilation as [number, number], pad, 'NHWC', p.strides as [number, number]); // [C, kh', kw', O]
    const [c, rh, rw, o] = r.shape;
    return tf.transpose(rh === kh && rw === kw ? r : tf.slice(r, [0, 0, 0, 0], [c, kh, kw, o]), [1, 2, 0, 3]);
  }) as tf.Tensor4D;
}
