/**
 * 2-D convolution (NHWC input, HWIO filter with I = in channels / groups) and its two
 * linear transposes. Each of the three is linear in each operand, and the VJP of each is
 * expressed with the other two, so derivatives of any order compose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr } from '../aval.js';
import * as lax from '../lax.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, shapeOf } from '../trace.js';
import { foldInto, materializeBatch, splitAxis } from './batching-util.js';
import { interleave, transposeKernel } from './kernels.js';
import { type ConvPass, convPassesWasm, convWasmApplies } from '../../backend/wasm-conv.js';
import { filterGradWasm, filterGradWasmApplies } from '../../backend/wasm-filter-grad.js';
import { gatherRowsWasm } from '../../backend/wasm-gather-rows.js';
import { padWasm, padWasmApplies } from '../../backend/wasm-pad.js';
import { winogradConvIfFaster, winogradInputGradIfFaster } from '../../backend/wasm-winograd.js';
import { winogradFilterGradIfFaster } from '../../backend/wasm-winograd-filter-grad.js';

type ConvP = lax.ConvParams;
type BpInputP = ConvP & { inputShape: number[] };
type BpFilterP = ConvP & { filterShape: number[] };

function outSize(n: number, k: number, s: number, d: number, lo: number, hi: number): number {
  return Math.floor((n + lo + hi - d * (k - 1) - 1) / s) + 1;
}

function checkConv(x: Aval, w: Aval, p: ConvP, op: string): number[] {
  const bad = (why: string) => new Error(`${op}: ${why} (input ${avalStr(x)}, filter ${avalStr(w)}, strides [${p.strides}], dilation [${p.dilation}], groups ${p.groups})`);
  if (x.shape.length !== 4) throw bad('the input must be NHWC (rank 4)');
  if (w.shape.length !== 4) throw bad('the filter must be HWIO (rank 4)');
  if (x.dtype !== 'float32' || w.dtype !== 'float32') throw bad('operands must be float32');
  const [n, h, wd, c] = x.shape;
  const [kh, kw, ci, co] = w.shape;
  if (c % p.groups !== 0 || co % p.groups !== 0) throw bad(`channels ${c} -> ${co} are not divisible by groups`);
  if (ci * p.groups !== c) throw bad(`filter expects ${ci * p.groups} input channels, input has ${c}`);
  if (p.strides.some((s) => s > 1) && p.dilation.some((d) => d > 1)) throw bad('strides and dilation cannot both exceed 1');
  const ho = outSize(h, kh, p.strides[0], p.dilation[0], p.padding[0][0], p.padding[0][1]);
  const wo = outSize(wd, kw, p.strides[1], p.dilation[1], p.padding[1][0], p.padding[1][1]);
  if (ho <= 0 || wo <= 0) throw bad('the filter is larger than the padded input');
  return [n, ho, wo, co];
}

const explicitPad = (p: ConvP) => [[0, 0], [...p.padding[0]], [...p.padding[1]], [0, 0]] as tf.backend_util.ExplicitPadding;

/** Runs `f` on each channel group and concatenates along the last axis. */
function perGroup(groups: number, parts: tf.Tensor[], axes: number[], f: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  if (groups === 1) return f(...parts);
  const split = parts.map((t, i) => tf.split(t, groups, axes[i]));
  return tf.concat(split[0].map((_, g) => f(...split.map((s) => s[g]))), 3);
}

/** The [low, high] padding of one spatial axis trimmed to what the convolution reads: (o-1)*s + (k-1)*d + 1 rows from -low. */
function readPadding(n: number, [lo, hi]: readonly number[], o: number, k: number, s: number, d: number): [number, number] {
  return [lo!, Math.min(hi!, (o - 1) * s + (k - 1) * d + 1 - n - lo!)];
}

function convKernel(x: tf.Tensor4D, w: tf.Tensor4D, p: ConvP): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const c = x.shape[3];
  if (usesWasmConv(p, co)) return convByWasmPasses(x, w, p);
  if (p.groups > 1 && ci === 1 && p.groups === c) {
    const dw = tf.reshape(w, [kh, kw, c, co / c]) as tf.Tensor4D;
    return tf.depthwiseConv2d(x, dw, p.strides as [number, number], explicitPad(p), 'NHWC', p.dilation as [number, number]);
  }
  return perGroup(p.groups, [x, w], [3, 3], (xg, wg) =>
    tf.conv2d(xg as tf.Tensor4D, wg as tf.Tensor4D, p.strides as [number, number], explicitPad(p), 'NHWC', p.dilation as [number, number]),
  ) as tf.Tensor4D;
}

/** One group and unit dilation: what our wasm kernels take. */
const isPlain = (p: ConvP) => p.groups === 1 && p.dilation.every((d) => d === 1);

/** Whether our wasm kernel runs this forward convolution: wasm backend, one group, unit dilation, output channels a multiple of 4. */
export const usesWasmConv = (p: ConvP, outChannels: number) => isPlain(p) && convWasmApplies(outChannels);

/**
 * A forward convolution by our wasm kernel (see {@link usesWasmConv}): x zero-padded as
 * far as it is read, then one pass; optionally with jit's fused bias (any shape holding
 * one value per output channel) and ReLU.
 */
export function convByWasmPasses(x: tf.Tensor4D, w: tf.Tensor4D, p: ConvP, epilogue: { bias?: tf.Tensor; relu?: boolean } = {}): tf.Tensor4D {
  // Winograd F(2x2, 3x3) for 3x3 stride-1 layers where it is faster (lib/backend/wasm-winograd.ts).
  const winograd = winogradConvIfFaster(x, w, p.strides, p.padding, epilogue);
  if (winograd) return winograd;
  const [kh, kw, , co] = w.shape;
  const [n, h, wd] = x.shape;
  const ho = outSize(h, kh, p.strides[0], 1, p.padding[0][0], p.padding[0][1]);
  const wo = outSize(wd, kw, p.strides[1], 1, p.padding[1][0], p.padding[1][1]);
  const xp = padOrCrop(x, readPadding(h, p.padding[0], ho, kh, p.strides[0], 1), readPadding(wd, p.padding[1], wo, kw, p.strides[1], 1));
  const pass: ConvPass = { kh, kw, filterOffset: 0, inRow0: 0, inCol0: 0, outRow0: 0, outCol0: 0, rows: ho, cols: wo };
  const attrs = { outShape: [n, ho, wo, co] as [number, number, number, number], strides: p.strides as [number, number], outStrides: [1, 1] as [number, number], gaps: false, passes: [pass], bias: !!epilogue.bias, relu: !!epilogue.relu };
  return convPassesWasm(xp, w, attrs, epilogue.bias);
}

/**
 * Gradient w.r.t. the input. With unit dilation and one group: on wasm our kernel's
 * stride-phase passes (below), elsewhere tfjs's Conv2DBackpropInput kernel (present on
 * every backend). Otherwise: correlate the stride-dilated, re-padded dy with the flipped
 * filter whose in/out channels are swapped.
 */
function bpInputKernel(dy: tf.Tensor4D, w: tf.Tensor4D, p: BpInputP): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const [, h, wd] = p.inputShape;
  if (isPlain(p) && convWasmApplies(ci)) {
    // Winograd F(2x2, 3x3) for 3x3 stride-1 layers where it is faster (lib/backend/wasm-winograd.ts).
    const winograd = winogradInputGradIfFaster(dy, w, p.strides, p.padding);
    return winograd ?? bpInputByWasmPasses(dy, w, p);
  }
  // wasm's Conv2DBackpropInput is a plain loop: with a stride the dilated route is faster there.
  if (isPlain(p) && !(p.strides.some((s) => s > 1) && tf.getBackend() === 'wasm')) {
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
  const padded = padOrCrop(dil, [pt, pb], [pl, pr]);
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
function padOrCrop(t: tf.Tensor4D, [t0, t1]: [number, number], [l0, l1]: [number, number]): tf.Tensor4D {
  const [rows, cols]: [number, number][] = [[Math.max(0, t0), Math.max(0, t1)], [Math.max(0, l0), Math.max(0, l1)]];
  const any = rows.some((p) => p > 0) || cols.some((p) => p > 0);
  const padded = !any ? t : padWasmApplies(t) ? padWasm(t, { rows, cols }) : tf.pad(t, [[0, 0], rows, cols, [0, 0]]);
  if (t0 >= 0 && t1 >= 0 && l0 >= 0 && l1 >= 0) return padded;
  const [n, h, w, c] = padded.shape;
  const top = Math.max(0, -t0);
  const left = Math.max(0, -l0);
  return tf.slice(padded, [0, top, left, 0], [n, h - top - Math.max(0, -t1), w - left - Math.max(0, -l1), c]);
}

/**
 * The stride phases of one spatial axis of dx (stride s, kernel k, low padding pad): dx
 * position h = s*u + a (phase a, `count` of them) receives dy positions u + dMin + t for
 * exactly the taps `taps[t]` (filter indices, descending), those with a + pad - tap = s*d.
 */
function stridePhases(k: number, pad: number, size: number, s: number) {
  return Array.from({ length: s }, (_, a) => {
    const taps: number[] = [];
    for (let kk = k - 1; kk >= 0; kk--) if ((((a + pad - kk) % s) + s) % s === 0) taps.push(kk);
    const dMin = taps.length ? (a + pad - taps[0]!) / s : 0;
    return { taps, dMin, count: a < size ? Math.ceil((size - a) / s) : 0 };
  });
}

/**
 * dx (unit dilation, one group) by our wasm kernel: one pass per stride phase (a, b),
 * a valid convolution of the zero-padded dy with the sub-filter of its taps (3x3 stride
 * 2: 1x1, 1x2, 2x1 and 2x2, nine taps in all, none multiplying an inserted zero), writing
 * every s-th row and column of dx from (a, b). Stride 1 is a single pass: the full
 * correlation with the flipped filter.
 */
function bpInputByWasmPasses(dy: tf.Tensor4D, w: tf.Tensor4D, p: BpInputP): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const [n, h, wd] = p.inputShape as [number, number, number, number];
  const rows = stridePhases(kh, p.padding[0][0], h, p.strides[0]);
  const cols = stridePhases(kw, p.padding[1][0], wd, p.strides[1]);
  // dy's zero padding: enough for every phase's first and last reads.
  const padding = (phases: ReturnType<typeof stridePhases>, outN: number): [number, number] => {
    const used = phases.filter((q) => q.taps.length && q.count);
    return [Math.max(0, ...used.map((q) => -q.dMin)), Math.max(0, ...used.map((q) => q.count - 1 + q.dMin + q.taps.length - 1 - (outN - 1)))];
  };
  const [top, bottom] = padding(rows, dy.shape[1]);
  const [left, right] = padding(cols, dy.shape[2]);
  const passes: ConvPass[] = [];
  const taps: number[] = [];
  let gaps = false;
  rows.forEach((r, a) =>
    cols.forEach((c, b) => {
      if (!r.count || !c.count) return;
      if (!r.taps.length || !c.taps.length) return void (gaps = true);
      passes.push({ kh: r.taps.length, kw: c.taps.length, filterOffset: taps.length * co * ci, inRow0: r.dMin + top, inCol0: c.dMin + left, outRow0: a, outCol0: b, rows: r.count, cols: c.count });
      taps.push(...r.taps.flatMap((ky) => c.taps.map((kx) => ky * kw + kx)));
    }),
  );
  if (!passes.length) return tf.zeros([n, h, wd, ci]);
  const perTap = tf.reshape(transposeKernel(w, [0, 1, 3, 2]), [kh * kw, co, ci]);
  const filters = gatherRowsWasm(perTap, { rows: taps }); // each pass's [taps, co, ci]
  const attrs = { outShape: [n, h, wd, ci] as [number, number, number, number], strides: [1, 1] as [number, number], outStrides: p.strides as [number, number], gaps, passes };
  return convPassesWasm(padOrCrop(dy, [top, bottom], [left, right]), filters, attrs);
}

/**
 * Gradient w.r.t. the filter. On wasm (one group, no dilation, output channels a multiple
 * of 4): our own SIMD kernel (lib/backend/wasm-filter-grad.ts). Elsewhere, as a forward
 * convolution (wasm has no Conv2DBackpropFilter, and cpu's is very slow): the batch
 * becomes the contracted channel axis, dy the filter, and the forward stride the dilation.
 */
function bpFilterKernel(x: tf.Tensor4D, dy: tf.Tensor4D, p: BpFilterP): tf.Tensor4D {
  const [kh, kw] = p.filterShape;
  if (isPlain(p) && filterGradWasmApplies(x, dy)) {
    // Winograd F(2x2, 3x3) for 3x3 stride-1 layers where it is faster (lib/backend/wasm-winograd-filter-grad.ts).
    const winograd = winogradFilterGradIfFaster(x, dy, p.filterShape, p.strides, p.padding);
    if (winograd) return winograd;
    return filterGradWasm(x, dy, { filterShape: p.filterShape as [number, number, number, number], strides: p.strides as [number, number], padTop: p.padding[0][0], padLeft: p.padding[1][0] });
  }
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

const conv: PrimitiveDef<ConvP> = {
  abstractEval: ([x, w], p) => ({ shape: checkConv(x, w, p, 'conv'), dtype: 'float32' }),
  impl: ([x, w], p) => convKernel(x as tf.Tensor4D, w as tf.Tensor4D, p),
  jvp: ([tx, tw], [x, w], _o, p) => lax.add(lax.conv(tx, w, p), lax.conv(x, tw, p)),
  vjp: (ct, [x, w], _o, p, [wx, ww]) => [wx ? lax.convBpInput(ct, w, shapeOf(x), p) : null, ww ? lax.convBpFilter(x, ct, shapeOf(w), p) : null],
  batch([x, w], [dx, dw], p, n) {
    if (dw === null) {
      const y = lax.conv(foldInto(lax.moveAxis(x, dx!, 0), 0), w, p); // batch folded into N
      return [splitAxis(y, 0, n), 0];
    }
    return batchViaGroups(x, w, dx, dw, n, p, (a, b, q) => lax.conv(a, b, q));
  },
};

/** An NHWC value with its batch axis placed before the channels: [N,H,W,B,C]. */
function channelBatch(x: NdArray, d: number | null, n: number): NdArray {
  return materializeBatch(x, d, n, 3);
}

const convBpInput: PrimitiveDef<BpInputP> = {
  abstractEval([dy, w], p) {
    const expect = checkConv({ shape: p.inputShape, dtype: 'float32' }, w, p, 'conv_bp_input');
    if (dy.shape.length !== 4 || expect.some((d, i) => d !== dy.shape[i])) throw new Error(`conv_bp_input: dy ${avalStr(dy)} does not match the forward output [${expect}]`);
    return { shape: p.inputShape, dtype: 'float32' };
  },
  impl: ([dy, w], p) => bpInputKernel(dy as tf.Tensor4D, w as tf.Tensor4D, p),
  jvp: ([tdy, tw], [dy, w], _o, p) => lax.add(lax.convBpInput(tdy, w, p.inputShape, p), lax.convBpInput(dy, tw, p.inputShape, p)),
  vjp: (ct, [dy, w], _o, p, [wd, ww]) => [wd ? lax.conv(ct, w, strip(p)) : null, ww ? lax.convBpFilter(ct, dy, shapeOf(w), strip(p)) : null],
  batch([dy, w], [ddy, dw], p, n) {
    if (dw === null) {
      const x = lax.convBpInput(foldInto(lax.moveAxis(dy, ddy!, 0), 0), w, [n * p.inputShape[0], ...p.inputShape.slice(1)], strip(p));
      return [splitAxis(x, 0, n), 0];
    }
    return batchViaGroups(dy, w, ddy, dw, n, p, (a, b, q) => lax.convBpInput(a, b, [p.inputShape[0], p.inputShape[1], p.inputShape[2], p.inputShape[3] * n], q));
  },
};

const convBpFilter: PrimitiveDef<BpFilterP> = {
  abstractEval([x, dy], p) {
    const expect = checkConv(x, { shape: p.filterShape, dtype: 'float32' }, p, 'conv_bp_filter');
    if (dy.shape.length !== 4 || expect.some((d, i) => d !== dy.shape[i])) throw new Error(`conv_bp_filter: dy ${avalStr(dy)} does not match the forward output [${expect}]`);
    return { shape: p.filterShape, dtype: 'float32' };
  },
  impl: ([x, dy], p) => bpFilterKernel(x as tf.Tensor4D, dy as tf.Tensor4D, p),
  jvp: ([tx, tdy], [x, dy], _o, p) => lax.add(lax.convBpFilter(tx, dy, p.filterShape, strip(p)), lax.convBpFilter(x, tdy, p.filterShape, strip(p))),
  vjp: (ct, [x, dy], _o, p, [wx, wd]) => [wx ? lax.convBpInput(dy, ct, shapeOf(x), strip(p)) : null, wd ? lax.conv(x, ct, strip(p)) : null],
  batch([x, dy], [dx, ddy], p, n) {
    // Per-example filter gradients: each batch member is its own group.
    const xb = channelBatch(x, dx, n);
    const dyb = channelBatch(dy, ddy, n);
    const [kh, kw, ci, co] = p.filterShape;
    const out = lax.convBpFilter(foldInto(xb, 3), foldInto(dyb, 3), [kh, kw, ci, n * co], { ...strip(p), groups: p.groups * n });
    return [splitAxis(out, 3, n), 3];
  },
};

/** Only the convolution's own parameters (drops inputShape / filterShape). */
function strip(p: ConvP): ConvP {
  return { strides: p.strides, padding: p.padding, dilation: p.dilation, groups: p.groups };
}

/**
 * A batched filter: each batch member becomes its own set of channel groups. Channels
 * fold as (batch, group, channel), so group b*G + g of the result is group g of member b.
 */
function batchViaGroups(
  dy: NdArray, w: NdArray, ddy: number | null, dw: number, n: number, p: ConvP,
  f: (dy: NdArray, w: NdArray, q: ConvP) => NdArray,
): [NdArray, number] {
  const dyb = channelBatch(dy, ddy, n); // [N,H,W,B,C]
  const wb = lax.moveAxis(w, dw, 3); // [kh,kw,ci,B,co]
  const y = f(foldInto(dyb, 3), foldInto(wb, 3), { ...strip(p), groups: p.groups * n });
  return [splitAxis(y, 3, n), 3];
}

definePrimitives({ conv, conv_bp_input: convBpInput, conv_bp_filter: convBpFilter });
