/**
 * The default lowering: every primitive on tfjs kernels that each backend has, made safe
 * for every rank (tfjs-kernels.ts) and for NumPy's semantics where tfjs differs. A
 * backend's own module (cpu.ts, wasm.ts, webgpu.ts) replaces what it runs differently.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FusedParams } from '../jit/ir.js';
import type { Prim } from '../prim-types.js';
import { broadcastShapes } from '../prims/elementwise.js';
import { erfComposite } from './erf.js';
import { collectiveKernels } from './host-collectives.js';
import { randomKernels } from './host-random.js';
import type { DefaultLowering, PrimKernel } from './kernel.js';
import { logSumExpComposite, logSumExpKernel } from './logsumexp.js';
import { bpFilterKernel, bpInputKernel, convKernel, explicitPad } from './tfjs-conv.js';
import { argmaxKernel, argsortKernel, broadcastKernel, emptyProduct, padKernel, selectKernel, sliceKernel, transposeKernel } from './tfjs-kernels.js';

const unary = (k: (x: tf.Tensor) => tf.Tensor): PrimKernel<unknown> => ([x]) => k(x);
const binary = (k: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor): PrimKernel<unknown> => ([x, y]) => k(x, y);

/** sign; tfjs cpu's Sign maps NaN to 0: NaN is put back (sign(NaN) is NaN in NumPy). */
function signKernel(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32') return tf.sign(x);
  return tf.where(tf.isNaN(x), x, tf.sign(x));
}

/**
 * log(1 + x) accurate for tiny x: tfjs's wasm and webgpu Log1p compute log(1 + x), which
 * rounds 1 + x first (log1p(1e-8) gave 0). For x in [-0.5, 1], 2 atanh(z) with
 * z = x / (2 + x) (|z| <= 1/3) by its series z + z^3/3 + ... + z^17/17 (truncation < 1e-9
 * relative); it needs no log, whose error near 1 is absolute on GPUs (2^-21 in WGSL).
 * Elsewhere `log`(1 + x), accurate there. (tfjs cpu's Log1p is Math.log1p: cpu.ts.)
 */
export function log1pSeries(x: tf.Tensor, log: (x: tf.Tensor) => tf.Tensor = tf.log): tf.Tensor {
  const z = tf.div(x, tf.add(x, tf.scalar(2)));
  const z2 = tf.mul(z, z);
  let series = tf.scalar(1 / 17);
  for (let k = 15; k >= 1; k -= 2) series = tf.add(tf.mul(series, z2), tf.scalar(1 / k));
  const near = tf.logicalAnd(tf.greaterEqual(x, tf.scalar(-0.5)), tf.lessEqual(x, tf.scalar(1)));
  return tf.where(near, tf.mul(tf.mul(z, series), tf.scalar(2)), log(tf.add(x, tf.scalar(1))));
}

/** -x; for int32 as 0 - x: tfjs wasm's int32 Neg rounds through float32 (-2147483647 gave -2147483648). */
function negKernel(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'int32' ? tf.sub(tf.zerosLike(x), x) : tf.neg(x);
}

/**
 * |x|; for int32 without going through float32 (tfjs's Abs gave -2147483648 for
 * -2147483647): x where x >= 0, else -x.
 */
function absKernel(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'int32') return tf.abs(x);
  return tf.where(tf.less(x, tf.scalar(0, 'int32')), negKernel(x), x);
}

/**
 * Division; for int32, floor division (as tfjs's div), with x // 0 = 0 on every backend:
 * NumPy's result for an integer division by zero (XLA leaves it implementation-defined,
 * and tfjs gave 0 on cpu, -2147483648 on wasm; wasm.ts computes it exactly on the host).
 */
function divKernel(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'int32') return tf.div(x, y);
  const nonzero = tf.notEqual(y, tf.scalar(0, 'int32'));
  return tf.mul(tf.div(x, tf.where(nonzero, y, tf.onesLike(y))), tf.cast(nonzero, 'int32'));
}

const same: PrimKernel<unknown> = ([x]) => tf.clone(x);
const either: PrimKernel<unknown> = ([x, y]) => tf.logicalOr(x, y);
const both: PrimKernel<unknown> = ([x, y]) => tf.logicalAnd(x, y);
/** The arithmetic primitives on bool operands: the logical operations they are on {0, 1} (x - y mod 2 is xor). */
const BOOL_ARITHMETIC: Partial<Record<Prim, PrimKernel<unknown>>> = { neg: same, abs: same, sign: same, add: either, max: either, mul: both, min: both, sub: ([x, y]) => tf.notEqual(x, y) };

/**
 * `k`, with bool operands of an arithmetic primitive taken logically, as jax.numpy keeps them
 * bool: tfjs's kernels stored true + true as 2 and false - true as 255 in bool tensors on cpu,
 * reject bool on wasm (Abs, Neg, Sign left their output unwritten), and make Maximum/Minimum int32.
 */
export function boolLogical(p: Prim, k: PrimKernel<unknown>): PrimKernel<unknown> {
  const logical = BOOL_ARITHMETIC[p];
  return logical ? (args, params) => (args[0]!.dtype === 'bool' ? logical(args, params) : k(args, params)) : k;
}

/** x reshaped to the rank of `shape` (size-1 dims where it broadcasts), as broadcast_in_dim places it. */
export function expandForBroadcast(x: tf.Tensor, { shape, dims }: { shape: number[]; dims: number[] }): tf.Tensor {
  return tf.reshape(x, shape.map((_, i) => (dims.includes(i) ? x.shape[dims.indexOf(i)]! : 1)));
}

/** An empty sum is 0 (tfjs's wasm Sum leaves its output unwritten then: uninitialised heap). */
export function sumKernel(x: tf.Tensor, axes: number[], sum: (x: tf.Tensor, axes: number[]) => tf.Tensor = tf.sum): tf.Tensor {
  return x.size === 0 ? tf.zeros(x.shape.filter((_, i) => !axes.includes(i)), x.dtype) : sum(x, axes);
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Updates summed into `size` rows at `indices` along `axis`, by tfjs's scatterND. */
function scatterAddKernel([u, i]: tf.Tensor[], { axis, size }: { axis: number; size: number }): tf.Tensor {
  const ni = i.shape.length;
  const r = u.shape.length;
  const perm = [...range(axis, axis + ni), ...range(0, axis), ...range(axis + ni, r)];
  const rest = [...u.shape.slice(0, axis), ...u.shape.slice(axis + ni)];
  const m = i.size;
  // Index dims flattened to one ([m, 1] indices, [m, ...rest] updates): scatterND needs
  // updates of rank >= 1, which scalar indices with scalar slices would not give.
  const out = m === 0 ? tf.zeros([size, ...rest], u.dtype) : tf.scatterND(tf.reshape(i, [m, 1]), tf.reshape(tf.transpose(u, perm), [m, ...rest]), [size, ...rest]);
  return tf.transpose(out, [...range(1, axis + 1), 0, ...range(axis + 1, rest.length + 1)]);
}

/** The bias of a fused product as a vector of the output channels. */
export function biasVector(bias: tf.Tensor | undefined): tf.Tensor | undefined {
  return bias && tf.reshape(bias, [bias.shape[bias.rank - 1]!]);
}

/** tfjs's fused conv2d (bias and ReLU in the same kernel), given the bias as a vector. */
export function fusedConvKernel([x, w]: tf.Tensor[], p: FusedParams['fused_conv'], bias: tf.Tensor | undefined): tf.Tensor {
  return tf.fused.conv2d({
    x: x as tf.Tensor4D,
    filter: w as tf.Tensor4D,
    strides: p.strides as [number, number],
    pad: explicitPad(p),
    dilations: p.dilation as [number, number],
    bias,
    activation: p.activation,
  });
}

export const defaultLowering: DefaultLowering = {
  neg: boolLogical('neg', unary(negKernel)),
  exp: unary(tf.exp),
  log: unary(tf.log),
  log1p: unary((x) => log1pSeries(x)),
  expm1: unary(tf.expm1),
  sqrt: unary(tf.sqrt),
  rsqrt: unary(tf.rsqrt),
  tanh: unary(tf.tanh),
  logistic: unary(tf.sigmoid),
  relu: unary(tf.relu),
  abs: boolLogical('abs', unary(absKernel)),
  sign: boolLogical('sign', unary(signKernel)),
  sin: unary(tf.sin),
  cos: unary(tf.cos),
  tan: unary(tf.tan),
  erf: unary(erfComposite),
  atan: unary(tf.atan),
  floor: unary(tf.floor),
  round: unary(tf.round),
  not: unary(tf.logicalNot),
  is_finite: unary(tf.isFinite),
  add: boolLogical('add', binary(tf.add)),
  sub: boolLogical('sub', binary(tf.sub)),
  mul: boolLogical('mul', binary(tf.mul)),
  div: binary(divKernel),
  pow: binary(tf.pow),
  max: boolLogical('max', binary(tf.maximum)),
  min: boolLogical('min', binary(tf.minimum)),
  eq: binary(tf.equal),
  ne: binary(tf.notEqual),
  lt: binary(tf.less),
  le: binary(tf.lessEqual),
  gt: binary(tf.greater),
  ge: binary(tf.greaterEqual),
  and: binary(tf.logicalAnd),
  or: binary(tf.logicalOr),
  select: ([p, a, b]) => selectKernel(p, a, b, broadcastShapes('select', [p.shape, a.shape, b.shape])),
  // To bool is "not zero", computed as a comparison: wasm's Cast kernel truncates floats
  // (0.3 -> false) and leaves ints unnormalised (3 -> 3, -1 -> 255) when casting to bool.
  cast: ([x], { dtype }) => (dtype === 'bool' ? tf.notEqual(x, tf.scalar(0, x.dtype)) : tf.cast(x, dtype)),
  stop_gradient: ([x]) => tf.clone(x),
  reduce_sum: ([x], { axes }) => sumKernel(x, axes),
  reduce_max: ([x], { axes }) => tf.max(x, axes),
  reduce_logsumexp: ([x], { axes }) => logSumExpKernel(x, axes, (v, a) => logSumExpComposite(v, a, { sum: (u, b) => sumKernel(u, b), log: tf.log })),
  reduce_min: ([x], { axes }) => tf.min(x, axes),
  argmax: ([x], { axis }) => argmaxKernel(x, axis),
  argsort: ([x], { descending }) => argsortKernel(x, descending),
  reshape: ([x], { shape }) => tf.reshape(x, shape),
  transpose: ([x], { perm }) => transposeKernel(x, perm),
  broadcast_in_dim: ([x], p) => broadcastKernel(expandForBroadcast(x, p), p.shape),
  slice: ([x], { start, limit, strides }) => sliceKernel(x, start, limit, strides),
  // A bool pad value is its truth (tfjs cpu stored a pad of 3 as 3 in a bool tensor).
  pad: ([x], { low, high, interior, value }) => padKernel(x, low, high, interior, x.dtype === 'bool' ? Number(value !== 0) : value),
  concatenate: (xs, { axis }) => tf.concat(xs, axis),
  gather: ([x, i], { axis }) => tf.gather(x, i, axis),
  scatter_add: scatterAddKernel,
  scatter: ([o, i, u]) => (i.size === 0 ? tf.clone(o) : tf.tensorScatterUpdate(o, tf.reshape(i, [i.size, 1]), u)),
  dot: ([a, b], { transposeA, transposeB }) => emptyProduct(a, b, transposeA, transposeB) ?? tf.matMul(a, b, transposeA, transposeB),
  conv: ([x, w], p) => convKernel(x as tf.Tensor4D, w as tf.Tensor4D, p),
  conv_bp_input: ([dy, w], p) => bpInputKernel(dy as tf.Tensor4D, w as tf.Tensor4D, p),
  conv_bp_filter: ([x, dy], p) => bpFilterKernel(x as tf.Tensor4D, dy as tf.Tensor4D, p),
  ...randomKernels,
  ...collectiveKernels,
  fused_matmul([a, b, bias], p) {
    const empty = emptyProduct(a, b, p.transposeA, p.transposeB);
    if (!empty) return tf.fused.matMul({ a, b, transposeA: p.transposeA, transposeB: p.transposeB, bias: biasVector(bias), activation: p.activation });
    const y = bias ? tf.add(empty, biasVector(bias)!) : empty;
    return p.activation === 'relu' ? tf.relu(y) : y;
  },
  fused_conv: (args, p) => fusedConvKernel(args, p, biasVector(args[2])),
};
