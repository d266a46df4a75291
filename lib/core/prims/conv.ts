/**
 * 2-D convolution (NHWC input, HWIO filter with I = in channels / groups) and its two
 * linear transposes. Each of the three is linear in each operand, and the VJP of each is
 * expressed with the other two, so derivatives of any order compose.
 */
import { type Aval, avalStr } from '../aval.js';
import * as lax from '../lax.js';
import type { PrimParams } from '../prim-params.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, shapeOf } from '../trace.js';
import { foldInto, materializeBatch, splitAxis } from './batching-util.js';

type ConvP = PrimParams['conv'];
type BpInputP = PrimParams['conv_bp_input'];
type BpFilterP = PrimParams['conv_bp_filter'];

/** Output size of one spatial axis (the kernels of lower/ share it). */
export function outSize(n: number, k: number, s: number, d: number, lo: number, hi: number): number {
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

const conv: PrimitiveDef<ConvP> = {
  abstractEval: ([x, w], p) => ({ shape: checkConv(x, w, p, 'conv'), dtype: 'float32' }),
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
