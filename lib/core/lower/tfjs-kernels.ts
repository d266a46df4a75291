/**
 * tfjs kernels made safe for every rank, on every backend. tfjs's webgpu kernels for Pad
 * (rank 5, 6: an invalid shader, the output is left as zeros), StridedSlice (rank 6: the
 * same), Tile/broadcastTo (rank >= 5: falls back to a synchronous read, which fails in
 * Node) and Select/where (rank >= 5: throws) only work up to rank 4, and arrays of rank 5
 * and 6 are common under vmap. These helpers keep each kernel call at rank 4 or less by
 * merging axes that can be merged, or by working one axis at a time on a rank-3 view.
 * Where a backend needs more (webgpu's i32 storage, wasm's slow kernels), its lowering
 * (webgpu.ts, wasm.ts) passes its own kernel in.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The highest rank at which every tfjs kernel we call works on every backend. */
export const MAX_KERNEL_RANK = 4;

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * Merges adjacent axes of an elementwise broadcast: axes of size 1 in the output are dropped,
 * and neighbours merge when every operand is either full-size on both or 1 on both.
 * Returns the operands' and the output's merged shapes.
 */
export function mergeBroadcastAxes(shapes: readonly (readonly number[])[], out: readonly number[]): [number[][], number[]] {
  const axes = out.map((_, i) => i).filter((i) => out[i] !== 1);
  const ins: number[][] = shapes.map(() => []);
  const res: number[] = [];
  let prev = -1;
  for (const i of axes) {
    const full = shapes.map((s) => s[i] !== 1);
    const canMerge = prev >= 0 && shapes.every((s, k) => (s[prev] !== 1) === full[k]);
    if (canMerge) {
      res[res.length - 1] *= out[i];
      shapes.forEach((s, k) => (ins[k][ins[k].length - 1] *= s[i]));
    } else {
      res.push(out[i]);
      shapes.forEach((s, k) => ins[k].push(s[i]));
    }
    prev = i;
  }
  return [ins, res];
}

/**
 * x (same rank as `shape`, size-1 dims where it broadcasts) materialised at `shape`;
 * `viaAdd`: by a broadcasting add instead of tfjs's broadcastTo (for backends where that is faster).
 */
export function broadcastKernel(x: tf.Tensor, shape: readonly number[], viaAdd = false): tf.Tensor {
  if (prod(shape) === 0) return tf.zeros([...shape], x.dtype); // tfjs cpu's broadcastTo to an empty shape keeps one element
  const [[xs], os] = mergeBroadcastAxes([x.shape], shape);
  const v = tf.reshape(x, xs);
  let y: tf.Tensor;
  if (os.length <= MAX_KERNEL_RANK && !viaAdd) y = tf.broadcastTo(v, os);
  // Alternating broadcast patterns can stay above rank 4: elementwise ops broadcast at any rank.
  else if (x.dtype === 'bool') y = tf.logicalOr(v, tf.zeros(os, 'bool'));
  // x + (-0) is x for every x, -0 included (x + 0 turned -0 into +0).
  else y = tf.add(v, tf.fill(os, x.dtype === 'float32' ? -0 : 0, x.dtype));
  return tf.reshape(y, [...shape]);
}

/**
 * The zeros of a matrix product whose inner size is 0 (an empty sum), or null where it is
 * not 0: tfjs's wasm and webgpu kernels leave that output unwritten.
 */
export function emptyProduct(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor | null {
  if (a.rank < 2 || b.rank < 2 || a.shape[transposeA ? a.rank - 2 : a.rank - 1] !== 0) return null;
  const lead = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  return tf.zeros([...lead, a.shape[transposeA ? a.rank - 1 : a.rank - 2]!, b.shape[transposeB ? b.rank - 2 : b.rank - 1]!], a.dtype);
}

/** How a kernel materialises a broadcast (see {@link broadcastKernel}). */
export type Broadcast = (x: tf.Tensor, shape: readonly number[]) => tf.Tensor;

/** tf.where(p, a, b) with broadcasting, at any rank. */
export function selectKernel(p: tf.Tensor, a: tf.Tensor, b: tf.Tensor, shape: readonly number[], broadcast: Broadcast = broadcastKernel): tf.Tensor {
  // Operands broadcast by the backend's own broadcast first: tf.where would use tfjs's broadcastTo (on wasm, Tile: element by element).
  const full = (t: tf.Tensor) => (tf.util.arraysEqual(t.shape, [...shape]) ? t : broadcast(t, shape));
  if (shape.length <= MAX_KERNEL_RANK) return tf.where(full(p), full(a), full(b));
  const [ins, os] = mergeBroadcastAxes([p.shape, a.shape, b.shape], shape);
  const [pv, av, bv] = [p, a, b].map((t, k) => tf.reshape(t, ins[k]));
  if (os.length <= MAX_KERNEL_RANK) return tf.reshape(tf.where(pv, av, bv), [...shape]);
  const flat = [pv, av, bv].map((t) => tf.reshape(broadcast(t, os), [prod(os)]));
  return tf.reshape(tf.where(flat[0], flat[1], flat[2]), [...shape]);
}

/** Views x as [before axis, axis, after axis] (rank 3), applies f, restores the other dims. */
function alongAxis(x: tf.Tensor, axis: number, f: (v: tf.Tensor) => tf.Tensor): tf.Tensor {
  const s: number[] = x.shape;
  const y = f(tf.reshape(x, [prod(s.slice(0, axis)), s[axis], prod(s.slice(axis + 1))]));
  const n = (y.shape as number[])[1];
  return tf.reshape(y, [...s.slice(0, axis), n, ...s.slice(axis + 1)]);
}

/** Inserts `k` copies of `value` between neighbours along `axis` (interior padding), at any rank. */
export function interleave(x: tf.Tensor, axis: number, k: number, value: number): tf.Tensor {
  const n = x.shape[axis];
  if (k === 0 || n <= 1) return x;
  return alongAxis(x, axis, (v) => {
    const [a, , c] = v.shape;
    const spread = tf.pad(tf.reshape(v, [a, n, 1, c]), [[0, 0], [0, 0], [0, k], [0, 0]], value);
    return tf.slice(tf.reshape(spread, [a, n * (k + 1), c]), [0, 0, 0], [a, n * (k + 1) - k, c]);
  });
}

/** Constant padding: interior padding, then low/high edges, with every kernel at rank <= 4. */
export function padKernel(x: tf.Tensor, low: readonly number[], high: readonly number[], interior: readonly number[], value: number): tf.Tensor {
  let y = x;
  interior.forEach((k, ax) => (y = interleave(y, ax, k, value)));
  if (y.rank <= MAX_KERNEL_RANK) return tf.pad(y, low.map((l, i): [number, number] => [l, high[i]]), value);
  low.forEach((l, ax) => {
    if (l !== 0 || high[ax] !== 0) y = alongAxis(y, ax, (v) => tf.pad(v, [[0, 0], [l, high[ax]], [0, 0]], value));
  });
  return y;
}

/** x[start:limit:strides] (strides >= 1, limit >= start), at any rank. */
export function sliceKernel(x: tf.Tensor, start: readonly number[], limit: readonly number[], strides: readonly number[]): tf.Tensor {
  const unit = strides.every((s) => s === 1);
  if (!unit && x.rank <= MAX_KERNEL_RANK) return tf.stridedSlice(x, [...start], [...limit], [...strides]);
  const cut = tf.slice(x, [...start], limit.map((l, i) => l - start[i]));
  if (unit) return cut;
  let y = cut;
  strides.forEach((s, ax) => {
    if (s !== 1) y = alongAxis(y, ax, (v) => tf.stridedSlice(v, [0, 0, 0], v.shape, [1, s, 1]));
  });
  return y;
}

/**
 * The same permutation on fewer axes: size-1 axes dropped, and axes that stay next to each
 * other in order merged into one.
 */
export function mergeTransposeAxes(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  const kept = perm.filter((a) => shape[a] !== 1);
  const groups: number[][] = [];
  for (const a of kept) {
    const last = groups.at(-1);
    if (last && last.at(-1)! + 1 === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0]! - h[0]!);
  return {
    shape: byInput.map((g) => g.reduce((n, a) => n * shape[a]!, 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/** The highest rank tfjs's webgpu transpose compiles ("GPU for rank 7 is not yet supported"; vmap adds an axis). */
const MAX_TFJS_TRANSPOSE_RANK = 6;

/** A transpose kernel: tf.transpose, or a backend's own. */
export type Transpose = (x: tf.Tensor, perm: number[]) => tf.Tensor;

/** tf.transpose (or `run`) at any rank: above rank 6, on fewer axes where they merge. */
export function transposeKernel(x: tf.Tensor, perm: readonly number[], run: Transpose = tf.transpose): tf.Tensor {
  const outShape = perm.map((p) => x.shape[p]!);
  // Above that rank, the same data movement on fewer axes where it merges (moving size-1 axes is a reshape).
  const merged = perm.length > MAX_TFJS_TRANSPOSE_RANK ? mergeTransposeAxes(x.shape, perm) : null;
  if (!merged || merged.perm.length > MAX_TFJS_TRANSPOSE_RANK) return run(x, [...perm]);
  return tf.tidy(() => tf.reshape(run(tf.reshape(x, merged.shape), merged.perm), outShape));
}

/**
 * The stable order of x's last axis, by tf.topk (O(n log n); "largest first, ties: lower index
 * first" on every backend): ascending sorts the order-reversed keys (-x; for int32 -1 - x, which
 * cannot overflow). NaN goes last (descending: first) by a second, stable pass on the NaN flags of
 * the first pass's order, NaN having sorted as the far end's infinity; where the backend reads back
 * synchronously (`readsBack`: not webgpu) that pass is left out when x has no NaN. `floatStorage` as
 * argmaxKernel's.
 */
export function argsortKernel(x: tf.Tensor, descending: boolean, floatStorage: (t: tf.Tensor) => tf.Tensor = (t) => t, readsBack = true): tf.Tensor {
  const n = x.shape[x.shape.length - 1]!;
  return tf.tidy(() => {
    const order = (keys: tf.Tensor) => tf.topk(floatStorage(keys), n).indices;
    // t[..., idx[..., k]] as one flat gather (tfjs-backend-wasm's gather with batchDims mixes rows up).
    const rows = x.size / n;
    const offsets = tf.reshape(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(n, 'int32')), [rows, 1]);
    const along = (t: tf.Tensor, idx: tf.Tensor) => tf.reshape(tf.gather(tf.reshape(t, [x.size]), tf.reshape(tf.add(tf.reshape(idx, [rows, n]), offsets), [x.size])), x.shape);
    if (x.size === 0) return tf.zeros(x.shape, 'int32');
    if (x.dtype !== 'float32') {
      const v = x.dtype === 'bool' ? tf.cast(x, 'int32') : x;
      return order(descending ? v : tf.sub(tf.scalar(-1, 'int32'), v));
    }
    const nan = tf.isNaN(x);
    const filled = tf.where(nan, tf.fill(x.shape, descending ? -Infinity : Infinity), x);
    const first = order(descending ? filled : tf.neg(filled));
    if (readsBack && tf.any(nan).dataSync()[0] === 0) return first;
    const flags = along(tf.cast(nan, 'float32'), first);
    return along(first, order(descending ? flags : tf.neg(flags)));
  });
}

/**
 * tf.argMax with the reduced shape (webgpu gives [1] for a vector). A slice holding NaN
 * gives its first NaN's index, as NumPy (tfjs's kernels skip NaN, or not, depending on the
 * backend): the argmax of the NaN mask there. `floatStorage` prepares argMax's inputs
 * (webgpu.ts: float32 storage).
 */
export function argmaxKernel(x: tf.Tensor, axis: number, floatStorage: (t: tf.Tensor) => tf.Tensor = (t) => t): tf.Tensor {
  const i = tf.argMax(floatStorage(x), axis);
  const shape = x.shape.filter((_, d) => d !== axis);
  if (x.dtype !== 'float32' || x.size === 0) return tf.reshape(i, shape);
  const nan = floatStorage(tf.cast(tf.isNaN(x), 'float32'));
  const firstNaN = tf.argMax(nan, axis);
  return tf.reshape(tf.where(tf.greater(tf.max(nan, axis), tf.scalar(0)), firstNaN, i), shape);
}
