/**
 * The wasm backend's lowering: where it runs a primitive differently from the default
 * (tfjs.ts), and the fused primitives only it has (`fused_elementwise`: our generated
 * SIMD loop, lib/backend/wasm-elementwise.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { elementwiseWasmApplies, elementwiseWasmOutputs } from '../../backend/wasm-elementwise.js';
import { type TrigFunction, trigWasm, trigWasmApplies } from '../../backend/wasm-trig.js';
import { broadcastShapes } from '../prims/elementwise.js';
import type { Lowering } from './kernel.js';
import { elementwiseAtLowRank } from './low-rank.js';
import { biasVector, expandForBroadcast, fusedConvKernel, sumKernel } from './tfjs.js';
import { selectKernel } from './tfjs-kernels.js';
import { bpFilterWasm, bpInputWasm, convByWasmPasses, convWasm, usesWasmConv } from './wasm-conv.js';
import { floorDivInt } from './wasm-int.js';
import { logSumExpKernel } from './logsumexp.js';
import { logSumExpWasmKernel } from './wasm-logsumexp.js';
import { arithmeticWasm, blockMax, broadcastWasm, erfWasm, extremumWasm, matmulWasm, ownBuffer, reluWasm, sameShape, signWasm, sliceWasm, sumWasm, tanhWasm, transposeWasm, withReluWasm } from './wasm-kernels.js';

const binary = (k: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => ([x, y]: tf.Tensor[]) => k(x, y);
const compare = (k: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => binary(sameShape(k));

/** Our blocked, compensated sum where it applies (tfjs's wasm Sum is sequential). */
const wasmSum = (x: tf.Tensor, axes: number[]) => sumKernel(x, axes, (v, a) => sumWasm(v, a) ?? tf.sum(v, a));

/** sin, cos and tan in double precision (wasm-trig.ts): tfjs wasm's Sin, Cos and Tan are only accurate to ~2.5e-7 absolute. */
const trig = (fn: TrigFunction, fallback: (x: tf.Tensor) => tf.Tensor) => ([x]: tf.Tensor[]) => (trigWasmApplies(x!) ? trigWasm(x!, fn) : fallback(x!));

const ownLowering: Lowering = {
  sin: trig('sin', tf.sin),
  cos: trig('cos', tf.cos),
  tan: trig('tan', tf.tan),
  relu: ([x]) => reluWasm(x),
  sign: ([x]) => signWasm(x),
  erf: ([x]) => erfWasm(x),
  tanh: ([x]) => tanhWasm(x),
  max: binary(extremumWasm('max')),
  min: binary(extremumWasm('min')),
  // int32: tfjs wasm's division goes through float32, so it is computed exactly on the host (wasm-int.ts).
  add: binary(arithmeticWasm('add', tf.add)),
  sub: binary(arithmeticWasm('sub', tf.sub)),
  mul: binary(arithmeticWasm('mul', tf.mul)),
  div: binary((x, y) => (x.dtype === 'int32' ? sameShape(floorDivInt)(x, y) : arithmeticWasm('div', tf.div)(x, y))),
  eq: compare(tf.equal),
  ne: compare(tf.notEqual),
  lt: compare(tf.less),
  le: compare(tf.lessEqual),
  gt: compare(tf.greater),
  ge: compare(tf.greaterEqual),
  // tfjs wasm's Select reads and writes its branches as float32 words: bool branches (a byte
  // per entry) came out wrong and were written past the output's end. Bool is (p & a) | (!p & b).
  select: ([p, a, b]) =>
    a.dtype === 'bool'
      ? tf.tidy(() => tf.logicalOr(tf.logicalAnd(p, a), tf.logicalAnd(tf.logicalNot(p), b)))
      : selectKernel(p, a, b, broadcastShapes('select', [p.shape, a.shape, b.shape]), broadcastWasm),
  reduce_sum: ([x], { axes }) => wasmSum(x, axes),
  reduce_max: ([x], { axes }) => blockMax(x, axes) ?? tf.max(x, axes),
  reduce_logsumexp: ([x], { axes }) => logSumExpKernel(x, axes, (v, a) => logSumExpWasmKernel(v, a, { sum: wasmSum, log: tf.log })),
  transpose: ([x], { perm }) => transposeWasm(x, perm),
  slice: ([x], { start, limit, strides }) => sliceWasm(x, start, limit, strides),
  broadcast_in_dim: ([x], p) => broadcastWasm(expandForBroadcast(x, p), p.shape),
  dot: matmulWasm,
  conv: ([x, w], p) => convWasm(x as tf.Tensor4D, w as tf.Tensor4D, p),
  conv_bp_input: ([dy, w], p) => bpInputWasm(dy as tf.Tensor4D, w as tf.Tensor4D, p),
  conv_bp_filter: ([x, dy], p) => bpFilterWasm(x as tf.Tensor4D, dy as tf.Tensor4D, p),
  fused_matmul: matmulWasm,
  fused_conv([x, w, bias], p) {
    if (usesWasmConv(p, w.shape[3]!)) return convByWasmPasses(x as tf.Tensor4D, w as tf.Tensor4D, p, { bias, relu: p.activation === 'relu' });
    return withReluWasm(fusedConvKernel([x, w], { ...p, activation: 'linear' }, ownBuffer(biasVector(bias))), p.activation);
  },
  fused_elementwise(args, { program, outShape }) {
    return elementwiseWasmOutputs(args, program, outShape);
  },
  // An empty x: tfjs wasm's GatherV2 then returns its internal rank-4 view ([1, 1, 0, 3]).
  gather: ([x, i], { axis }) => (x.size === 0 ? tf.zeros([...x.shape.slice(0, axis), ...i.shape, ...x.shape.slice(axis + 1)], x.dtype) : tf.gather(x, i, axis)),
};

/**
 * tfjs wasm's float32 add, sub, mul and div run in XNNPACK, which takes at most 6 dims: at
 * rank 7 (vmap of rank-6 code, sort's pairwise comparisons of rank-6 arrays) it left the
 * output unwritten, also inside composite kernels (log1p's series, sign, NaN-keeping max).
 */
export const wasmLowering: Lowering = { ...ownLowering, ...elementwiseAtLowRank(ownLowering) };

/** Whether `fused_elementwise` runs a loop of this shape here (one that `reduces` over rows or keeps sums: the last dimension a multiple of 4). */
export const wasmLoopApplies = (shape: readonly number[], options: { reduces?: boolean } = {}): boolean => elementwiseWasmApplies(shape, options);
