/**
 * Kernels of the wasm lowering (wasm.ts): our SIMD loops on tfjs's wasm heap
 * (lib/backend/wasm-*.ts) where they apply, and tfjs's kernels called the way that is fast
 * on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulWasm, packPanelsWasm } from '../../backend/wasm-batch-matmul.js';
import { type ElementwiseOp, SUM_BLOCK, elementwiseWasm, elementwiseWasmApplies } from '../../backend/wasm-elementwise.js';
import { heapKernelsAvailable } from '../../backend/wasm-heap.js';
import { padWasm } from '../../backend/wasm-pad.js';
import { sliceRowsViewOf, sliceRowsWasm } from '../../backend/wasm-slice.js';
import { swapViewOf, swapWasm } from '../../backend/wasm-transpose.js';
import { sizeOf } from '../aval.js';
import { inputKindOf } from '../jit/ir.js';
import type { DotParams } from '../prim-params.js';
import type { Epilogue } from '../jit/ir.js';
import { loopConstantForm } from './loop-constants.js';
import { biasVector } from './tfjs.js';
import { MAX_KERNEL_RANK, broadcastKernel, emptyProduct, mergeTransposeAxes, sliceKernel, transposeKernel } from './tfjs-kernels.js';
import { transposeSteps } from './transpose-steps.js';
import { matmulInt } from './wasm-int.js';

/**
 * A transpose: a swap of two axis blocks by our SIMD kernel where it is one, else tfjs's;
 * where more than four axes remain after merging (tfjs's loop for those is ~100x slower
 * than its rank-4 kernel), as a few rank-4 moves (transpose-steps.ts).
 */
export function transposeWasm(x: tf.Tensor, perm: readonly number[]): tf.Tensor {
  const outShape = perm.map((p) => x.shape[p]!);
  const view = swapViewOf(x, perm);
  if (view) return swapWasm(x, view, outShape);
  if (x.size === 0 || mergeTransposeAxes(x.shape, perm).perm.length <= MAX_KERNEL_RANK) return transposeKernel(x, perm);
  return tf.tidy(() => tf.reshape(transposeSteps(x.shape, perm).reduce((y, s) => transposeWasm(tf.reshape(y, [...s.shape]), s.perm), x), outShape));
}

/**
 * x[start:limit:strides]: runs of contiguous rows by our copy kernel (wasm-slice.ts), other
 * slices by tfjs's. tfjs wasm's StridedSlice returns int32 and bool data as float32 (the
 * int32 [0, 1, 2, 3, 4][::2] came back as the floats whose bits are 0, 2 and 4), so those
 * dtypes take a unit-stride slice and then a gather along each strided axis.
 */
export function sliceWasm(x: tf.Tensor, start: readonly number[], limit: readonly number[], strides: readonly number[]): tf.Tensor {
  const unit = strides.every((s) => s === 1);
  const view = unit ? sliceRowsViewOf(x, start, limit) : null;
  if (view) return sliceRowsWasm(x, view);
  if (unit || x.dtype === 'float32') return sliceKernel(x, start, limit, strides);
  // No entries: tfjs wasm's GatherV2 on an empty array returns its rank-4 view ([1, 1, 0, 3]).
  const shape = limit.map((l, i) => Math.ceil((l - start[i]!) / strides[i]!));
  if (sizeOf(shape) === 0) return tf.zeros(shape, x.dtype);
  return tf.tidy(() =>
    strides.reduce(
      (y, s, ax) => (s === 1 ? y : tf.gather(y, tf.range(0, y.shape[ax]!, s, 'int32'), ax)),
      tf.slice(x, [...start], limit.map((l, i) => l - start[i]!)),
    ),
  );
}

/** Swaps the last two axes. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const r = t.rank;
  return transposeWasm(t, [...Array(r - 2).keys(), r - 1, r - 2]);
}

/**
 * tfjs's wasm broadcastTo is its generic Tile kernel, 10-20x slower than a broadcasting
 * add (eager BatchNorm's backward materialises big broadcasts): float32 and int32 are
 * copied by our loop where the broadcast is one it reads (rows, channels, a scalar), else
 * taken by an add of zeros; bool goes through as 0/1 floats (a [64, 1] mask to [64, 3000]:
 * 7.6 ms by Tile, 11.7 by a broadcasting LogicalOr).
 */
export function broadcastWasm(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (x.dtype === 'bool') return tf.tidy(() => tf.cast(broadcastWasm(tf.cast(x, 'float32'), shape), 'bool'));
  const copy = (x.dtype === 'float32' || x.dtype === 'int32') && !tf.util.arraysEqual(x.shape, [...shape]) ? loopOf(null, [x], shape) : null;
  return copy ?? broadcastKernel(x, shape, true);
}

/**
 * A matrix product, with jit's fused bias and activation when `p` has them. tfjs's wasm
 * matMul runs 10-20x slower with transpose flags than an explicit transpose followed by a
 * plain product, so the flags are lowered; it takes float32 only, so int32 products are
 * computed exactly on the host.
 */
export function matmulWasm([a, b, bias]: tf.Tensor[], p: DotParams & Partial<Epilogue>): tf.Tensor {
  // A^T B (a weight gradient, x^T dy) whose B is too large for our kernel but A is not: as (B^T A)^T.
  if (p.transposeA && !p.transposeB && !p.activation && a.rank === 2 && b.rank === 2 && a.dtype === 'float32' && b.size > MAX_OWN_B && a.size <= MAX_OWN_B)
    return tf.tidy(() => swapLast(matmulWasm([b, a], { transposeA: true, transposeB: false })));
  const x = p.transposeA ? swapLast(a) : a;
  if (a.dtype === 'int32') return matmulInt(x, p.transposeB ? swapLast(b) : b);
  const own = productWasm(x, b, p.transposeB) ?? emptyProduct(x, b, false, p.transposeB);
  if (own) return p.activation ? tf.tidy(() => epilogueWasm(own, biasVector(bias), p.activation!)) : own;
  const y = p.transposeB ? swapLast(b) : b;
  if (!p.activation) return tf.matMul(x, y);
  return withReluWasm(tf.fused.matMul({ a: x, b: y, bias: ownBuffer(biasVector(bias)), activation: 'linear' }), p.activation);
}

/**
 * A fused product's bias and activation after our product, in one pass of our loop (where
 * heap kernels run; else tfjs's add and our ReLU). Our product beats XNNPACK's fused one on the MLP's shapes (22 against 32 ms for
 * [512, 1024] x [1024, 1024], one thread) and splits between kernel threads.
 */
function epilogueWasm(y: tf.Tensor, bias: tf.Tensor | undefined, activation: Epilogue['activation']): tf.Tensor {
  const inputs = bias ? [y, bias] : [y];
  const ops: { op: ElementwiseOp; args: number[] }[] = bias ? [{ op: 'add', args: [0, 1] }] : [];
  if (activation === 'relu') ops.push({ op: 'relu', args: [inputs.length + ops.length - 1] });
  if (ops.length === 0) return y;
  if (elementwiseWasmApplies(y.shape)) return elementwiseWasm(inputs, { shape: y.shape, inputs: bias ? ['full', 'channel'] : ['full'], ops });
  return withReluWasm(bias ? tf.add(y, bias) : y, activation);
}

/** Below this many multiply-adds an unbatched product stays with tfjs (our kernel is compiled per shape). */
const MIN_OWN_PRODUCT = 1 << 18;
/** Above this many floats in B an unbatched product stays with tfjs (ours re-reads B for every 4 rows of A). */
const MAX_OWN_B = 1 << 20;

/**
 * A float32 product (batch axes, if any, equal on both sides) by our kernel, B packed in
 * panels of 8 columns (from B^T in the same pass where `transposedB`: y is then [..., n, k]);
 * null where tfjs's kernel is used. tfjs runs batched products in a
 * scalar loop (~2 GFLOP/s) and unbatched ones in XNNPACK, which ours beat by 1.1-1.6x in CPU
 * time on the ViT's and the MLP's shapes with B up to 2^20 floats, and lost to by up to 1.2x
 * on larger B ([192, 4160] x [4160, 768]: docs/wasm-kernels.md), so those stay with tfjs.
 */
function productWasm(x: tf.Tensor, y: tf.Tensor, transposedB = false): tf.Tensor | null {
  const lead = x.shape.slice(0, -2);
  if (x.rank < 2 || x.dtype !== 'float32' || !tf.util.arraysEqual(lead, y.shape.slice(0, -2)) || !heapKernelsAvailable()) return null;
  const [batch, m, k] = [sizeOf(lead), x.shape[x.rank - 2]!, x.shape[x.rank - 1]!];
  const n = y.shape[transposedB ? y.rank - 2 : y.rank - 1]!;
  if (m * k * n === 0 || (batch === 1 && (m * k * n < MIN_OWN_PRODUCT || k * n > MAX_OWN_B))) return null;
  return tf.tidy(() => {
    // A loop's weight is packed once per loop (loop-constants.ts).
    // Our kernels take the operands' leading axes as they are: no reshapes (each a kernel launch).
    const pack = () => packPanelsWasm(y, { batch, k, n, transposed: transposedB });
    const panels = loopConstantForm(y, `panels ${batch} ${k} ${n} ${transposedB}`, pack);
    return batchMatMulWasm(x, panels, { batch, m, k, n });
  });
}

/**
 * A fused kernel's activation: tfjs wasm's fused ReLU maps a NaN whose sign bit is set to
 * 0, as its Relu kernel does (a NaN row of a product came out as 0), so the ReLU is our
 * NaN-keeping loop after a linear fused kernel.
 */
export const withReluWasm = (y: tf.Tensor, activation: Epilogue['activation']): tf.Tensor => (activation === 'relu' ? reluWasm(y) : y);

/**
 * A copy of a fused kernel's bias vector in a buffer of its own: tfjs's wasm fused kernels
 * take the bias's rank from its backing buffer, which a reshape leaves as it was (a [1, n]
 * array viewed as [n] is refused as "rank 2").
 */
export const ownBuffer = (v: tf.Tensor | undefined) => v && tf.add(v, tf.scalar(0, v.dtype));

/**
 * tfjs's wasm kernels for max/min and comparisons are 5-10x slower when an operand
 * broadcasts than on equal shapes: operands are first brought to the result's shape by
 * {@link broadcastWasm}.
 */
export function sameShape(kernel: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) {
  return (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
    if (x.dtype === 'bool' || tf.util.arraysEqual(x.shape, y.shape)) return kernel(x, y);
    const shape = tf.backend_util.assertAndGetBroadcastShape(x.shape, y.shape);
    const fit = (t: tf.Tensor) => (tf.util.arraysEqual(t.shape, shape) ? t : broadcastWasm(t, shape));
    return kernel(fit(x), fit(y));
  };
}

/**
 * One operation of float32 operands as our loop (`op` null: a copy of the one operand, float32
 * or int32, broadcast to `shape`), where the result's shape and the operands' broadcasts fit
 * it; else null.
 */
function loopOf(op: ElementwiseOp | null, xs: tf.Tensor[], shape: readonly number[] = tf.backend_util.assertAndGetBroadcastShape(xs[0]!.shape, xs[1]?.shape ?? [])): tf.Tensor | null {
  const kinds = xs.map((x) => inputKindOf(x.shape, shape));
  if (sizeOf(shape) === 0 || !elementwiseWasmApplies(shape) || kinds.some((k) => k === null)) return null;
  return elementwiseWasm(xs, { shape, inputs: kinds.map((k) => k!), ops: op ? [{ op, args: xs.map((_, i) => i) }] : [] });
}

/**
 * float32 add, sub, mul and div where an operand is a vector of fewer than 256 channels
 * broadcast along the last axis (BatchNorm's scale and shift): our loop, 1.6-2.3x faster than
 * XNNPACK's on [256, 28, 28, 32] + [32] in either build (`npx tsx bench/broadcast.ts`,
 * docs/benchmarks.md, session 15). Other operands stay with tfjs: as fast or faster on a quiet
 * machine (rows of Sinkhorn's [512, 3000] split over XNNPACK's two threads better than ours).
 */
export function arithmeticWasm(op: 'add' | 'sub' | 'mul' | 'div', kernel: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) {
  return (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
    const shape = x.dtype === 'float32' && y.dtype === 'float32' ? shortChannelsShape(x.shape, y.shape) : null;
    return (shape && loopOf(op, [x, y], shape)) || kernel(x, y);
  };
}

/** Below this many result elements tfjs's kernel stays (ours costs 1-2 us more per call: a [512, 10] + [10]). */
const MIN_OWN_BROADCAST = 1 << 16;

/** The result's shape where one operand is a channel vector of fewer than 256 broadcast over a large other (see {@link arithmeticWasm}); else null. */
function shortChannelsShape(a: readonly number[], b: readonly number[]): number[] | null {
  if (tf.util.arraysEqual([...a], [...b])) return null;
  const shape = tf.backend_util.assertAndGetBroadcastShape([...a], [...b]);
  return shape[shape.length - 1]! < 256 && sizeOf(shape) >= MIN_OWN_BROADCAST && [a, b].some((s) => inputKindOf(s, shape) === 'channel') ? shape : null;
}

/**
 * NumPy's maximum/minimum: NaN where either operand is NaN. tfjs wasm's Maximum/Minimum
 * return the first operand where only the second is NaN (maximum(1, NaN) gave 1): float32
 * operands are our loop's f32x4.max/min, which propagate NaN, as jit's fused chains do
 * (a scalar or per-channel operand read as such: max(x, 0) is one pass); where that does
 * not apply, NaN is put back with a select.
 */
export function extremumWasm(op: 'max' | 'min') {
  const kernel = op === 'max' ? tf.maximum : tf.minimum;
  const fallback = sameShape((x: tf.Tensor, y: tf.Tensor) => {
    if (x.dtype !== 'float32') return kernel(x, y);
    return tf.where(tf.logicalOr(tf.isNaN(x), tf.isNaN(y)), tf.add(x, y), kernel(x, y));
  });
  return (x: tf.Tensor, y: tf.Tensor): tf.Tensor => (x.dtype === 'float32' && loopOf(op, [x, y])) || fallback(x, y);
}

/** erf: our SIMD loop where it applies (within 2 ulp, wasm-math.ts), else tfjs wasm's Erf (the C library's erff). */
export function erfWasm(x: tf.Tensor): tf.Tensor {
  return loopOf('erf', [x]) ?? tf.erf(x);
}

/** tanh: our SIMD loop where it applies (within 2 ulp, wasm-math.ts), else tfjs wasm's Tanh (the C library's tanhf, per element: 8x slower on an RNN's [32, 256]). */
export function tanhWasm(x: tf.Tensor): tf.Tensor {
  return (x.dtype === 'float32' && loopOf('tanh', [x])) || tf.tanh(x);
}

/** ReLU that keeps NaN, as PyTorch's and jax.nn.relu: tfjs wasm's Relu maps a NaN whose sign bit is set to 0. */
export function reluWasm(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32') return tf.relu(x);
  return loopOf('relu', [x]) ?? tf.where(tf.isNaN(x), x, tf.relu(x));
}

/**
 * tfjs's wasm Sign kernel is a slow scalar loop (about 35x its Step kernel), and sign is
 * ReLU's derivative: float32 sign(x) = step(x) - step(-x) (NaN stays NaN, 0 stays 0).
 */
export function signWasm(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32') return tf.sign(x);
  return tf.sub(tf.step(x), tf.step(tf.neg(x)));
}

/**
 * tfjs's wasm Max reduces innermost axes only and transposes its input first otherwise,
 * which is slow on big arrays (Sinkhorn's per-prototype max over the batch: 5-10x the time
 * of the arithmetic). A float32 maximum over one contiguous block of axes followed by kept
 * axes holding a multiple of 4 elements is our wasm loop instead ([A, R, C] -> [A, C],
 * lib/backend/wasm-elementwise.ts), which also keeps NaN (XNNPACK's pools, used here
 * before, turned a NaN into -Infinity). Returns null where this does not apply.
 */
export function blockMax(x: tf.Tensor, axes: readonly number[]): tf.Tensor | null {
  if (x.dtype !== 'float32' || axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  const [first, last] = [sorted[0], sorted[sorted.length - 1]];
  if (last - first !== sorted.length - 1 || last === x.rank - 1) return null;
  const s = x.shape;
  const [a, r, c] = [sizeOf(s.slice(0, first)), sizeOf(s.slice(first, last + 1)), sizeOf(s.slice(last + 1))];
  if (r <= 1 || a * r * c === 0 || !elementwiseWasmApplies([a, r, c], { reduces: true })) return null;
  const y = elementwiseWasm([x], { shape: [a, r, c], inputs: ['full'], ops: [], reduce: { op: 'max', groups: a } });
  return tf.reshape(y, s.filter((_, i) => i < first || i > last));
}

/**
 * Every float32 sum on wasm is our blocked, compensated reduction (lib/backend/wasm-elementwise.ts).
 * tfjs's wasm Sum is not used: it adds sequentially (np.sum(np.ones([2**25])) stopped at 2**24,
 * 1e5 values near 1000 were off by 4e-4) and transposes first unless the axes are innermost.
 * x is viewed as [A, R, C] (R the reduced elements; a transpose first when the axes are not one
 * block), the kept C padded with zeros to a multiple of 4 lanes; an innermost reduction (C = 1)
 * sums [A, R/4, 4] (R padded to a multiple of 4) and then its 4 lanes. Null where our kernels
 * cannot run (other backends, a browser's main thread: there tfjs's Sum remains), and for
 * innermost sums of at most SUM_BLOCK terms, which tfjs's Sum adds as our loop adds one block.
 */
export function sumWasm(x: tf.Tensor, axes: readonly number[]): tf.Tensor | null {
  if (x.dtype !== 'float32' || !heapKernelsAvailable()) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const oneBlock = sorted[sorted.length - 1]! - sorted[0]! === sorted.length - 1;
  const [r, c] = [sizeOf(sorted.map((i) => x.shape[i]!)), oneBlock ? sizeOf(x.shape.slice(sorted[sorted.length - 1]! + 1)) : 1];
  const lanes = c === 1;
  if (lanes && r <= SUM_BLOCK) return null;
  const v = oneBlock ? x : transposeWasm(x, [...kept, ...sorted]);
  const a = x.size / (r * c);
  const [rows, width] = lanes ? [Math.ceil(r / 4), 4] : [r, Math.ceil(c / 4) * 4];
  // Rows of `r` (lanes) or `c` values, padded with zeros by our pad kernel (tfjs's PadV2 took 0.27 ms for the MLP's [512, 10] in the SIMD build, 1-5 ms in the threaded one on a loaded machine).
  const [n, length, extra] = lanes ? [a, r, rows * 4 - r] : [a * r, c, width - c];
  const m = extra === 0 ? v : padWasm(tf.reshape(v, [n, 1, length, 1]) as tf.Tensor4D, { rows: [0, 0], cols: [0, extra] });
  const y = elementwiseWasm([tf.reshape(m, [a, rows, width])], { shape: [a, rows, width], inputs: ['full'], ops: [], reduce: { op: 'sum', groups: a } });
  // The 4 lanes' totals by tfjs's Sum (sequential, but over 4 terms).
  const z = lanes ? tf.sum(y, 1) : width !== c ? tf.slice(y, [0, 0], [a, c]) : y;
  return tf.reshape(z, x.shape.filter((_, i) => !axes.includes(i)));
}

