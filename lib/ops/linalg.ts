/**
 * Linear algebra by composition: products (dot, inner, outer, tensordot, matvec, einsum,
 * all lowered to transposes, reshapes and the batched `dot` primitive), triangles and
 * diagonals (constant masks and gathers), and a small Cholesky factorisation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, normAxes, normAxis, shapeStr, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, isArray, shapeOf } from '../core/trace.js';
import { add, div, greater, inProductDType, logicalNot, logicalOr, matmul, mul, sqrt, sub, sum, toFloat, where } from './math.js';
import { moveaxis, ravel, swapaxes } from './manipulation.js';
import { sliceAxis, squeeze } from './shape.js';

/**
 * Sum of products over `axes` of a and b: `axes = n` contracts a's last n axes with b's
 * first n; `[axesA, axesB]` pairs them explicitly (numpy's tensordot). The result has a's
 * free axes, then b's.
 * @example np.tensordot(a, b, [[1], [0]]) // matmul of 2-D a and b
 */
export function tensordot(a: NdArray, b: NdArray, axes: TensordotAxes = 2): NdArray {
  return inProductDType([a, b], (x, y) => sameDTypeTensordot(x, y, axes));
}

/** tensordot's `axes`: a count, or a pair of axes (one each, or lists of them). */
export type TensordotAxes = number | readonly [number | readonly number[], number | readonly number[]];

function sameDTypeTensordot(a: NdArray, b: NdArray, axes: TensordotAxes): NdArray {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  const list = (v: number | readonly number[]) => (typeof v === 'number' ? [v] : v);
  const [ca, cb] =
    typeof axes === 'number'
      ? [[...Array(axes).keys()].map((i) => sa.length - axes + i), [...Array(axes).keys()]]
      : [normAxes(list(axes[0]), sa.length, 'tensordot'), normAxes(list(axes[1]), sb.length, 'tensordot')];
  if (ca.length !== cb.length || ca.some((x, i) => sa[x] !== sb[cb[i]]))
    throw new Error(`tensordot: axes [${ca}] of ${shapeStr(sa)} and [${cb}] of ${shapeStr(sb)} do not match`);
  const fa = [...sa.keys()].filter((i) => !ca.includes(i));
  const fb = [...sb.keys()].filter((i) => !cb.includes(i));
  const k = sizeOf(ca.map((i) => sa[i]));
  const a2 = lax.reshape(lax.transpose(a, [...fa, ...ca]), [sizeOf(fa.map((i) => sa[i])), k]);
  const b2 = lax.reshape(lax.transpose(b, [...cb, ...fb]), [k, sizeOf(fb.map((i) => sb[i]))]);
  return lax.reshape(lax.dot(a2, b2), [...fa.map((i) => sa[i]), ...fb.map((i) => sb[i])]);
}

/**
 * numpy's dot: products of scalars, inner product of vectors, matrix product of 2-D
 * arrays, and for N-D a sum over a's last axis and b's second-to-last.
 */
export function dot(a: NdArray, b: NdArray): NdArray {
  const ra = shapeOf(a).length;
  const rb = shapeOf(b).length;
  if (ra === 0 || rb === 0) return mul(a, b);
  return tensordot(a, b, [[ra - 1], [Math.max(rb - 2, 0)]]);
}

/** Sum of products over the last axes of a and b (numpy's inner). */
export function inner(a: NdArray, b: NdArray): NdArray {
  const ra = shapeOf(a).length;
  const rb = shapeOf(b).length;
  if (ra === 0 || rb === 0) return mul(a, b);
  return tensordot(a, b, [[ra - 1], [rb - 1]]);
}

/** Sum of the products of the flattened a and b, which need one size (numpy's vdot, for real arrays). */
export function vdot(a: NdArray, b: NdArray): NdArray {
  const [fa, fb] = [ravel(a), ravel(b)];
  if (shapeOf(fa)[0] !== shapeOf(fb)[0]) throw new Error(`vdot: a ${shapeStr(shapeOf(a))} and b ${shapeStr(shapeOf(b))} have different sizes`);
  return dot(fa, fb);
}

/** out[i, j] = a.flat[i] * b.flat[j]. */
export function outer(a: NdArray, b: NdArray): NdArray {
  const fa = ravel(a);
  const fb = ravel(b);
  return mul(lax.reshape(fa, [shapeOf(fa)[0], 1]), lax.reshape(fb, [1, shapeOf(fb)[0]]));
}

/**
 * Dot products of the vectors along `axis` of x1 and x2, the other axes broadcasting
 * (jax.numpy.vecdot, also np.linalg.vecdot; real arrays, so no conjugation).
 * @example np.vecdot(np.array([[1, 2], [3, 4]]), np.array([1, 1])) // [3, 7]
 */
export function vecdot(x1: NdArray, x2: NdArray, { axis = -1 }: { readonly axis?: number } = {}): NdArray {
  const [s1, s2] = [shapeOf(x1), shapeOf(x2)];
  const [a1, a2] = [normAxis(axis, s1.length, 'vecdot'), normAxis(axis, s2.length, 'vecdot')];
  if (s1[a1] !== s2[a2]) throw new Error(`vecdot: x1 ${shapeStr(s1)} and x2 ${shapeStr(s2)} have different sizes along axis ${axis}`);
  return sum(mul(moveaxis(x1, a1, -1), moveaxis(x2, a2, -1)), -1);
}

/** x with its last two axes swapped (jax.numpy.matrix_transpose, also np.linalg.matrixTranspose). */
export function matrixTranspose(x: NdArray): NdArray {
  const s = shapeOf(x);
  if (s.length < 2) throw new Error(`matrixTranspose: x must have at least 2 dimensions, got ${shapeStr(s)}`);
  return swapaxes(x, -1, -2);
}

/** Matrix-vector products with broadcast leading dims: [..., m, n] x [..., n] -> [..., m] (jax.numpy's matvec). */
export function matvec(m: NdArray, v: NdArray): NdArray {
  if (shapeOf(m).length < 2 || shapeOf(v).length < 1) throw new Error(`matvec: need a matrix [..., m, n] and a vector [..., n], got ${shapeStr(shapeOf(m))} and ${shapeStr(shapeOf(v))}`);
  const col = lax.expandDims(v, shapeOf(v).length);
  const out = matmul(m, col);
  return squeeze(out, -1);
}

/** Vector-matrix products with broadcast leading dims: [..., n] x [..., n, m] -> [..., m] (jax.numpy's vecmat, real arrays). */
export function vecmat(v: NdArray, m: NdArray): NdArray {
  if (shapeOf(m).length < 2 || shapeOf(v).length < 1) throw new Error(`vecmat: need a vector [..., n] and a matrix [..., n, m], got ${shapeStr(shapeOf(v))} and ${shapeStr(shapeOf(m))}`);
  const row = lax.expandDims(v, shapeOf(v).length - 1);
  return squeeze(matmul(row, m), -2);
}

// ---- einsum ----

interface Term {
  x: NdArray;
  labels: string[];
}

/** Parses one operand's subscripts, expanding '...' into labels for the broadcast dims (right-aligned). */
function parseTerm(spec: string, rank: number, ellipsisLabels: string[], op: string): string[] {
  const labels = spec.replace('...', '.').split('');
  const dots = labels.indexOf('.');
  if (labels.some((l) => l !== '.' && !/[a-zA-Z]/.test(l))) throw new Error(`${op}: subscripts may only hold letters and '...', got '${spec}'`);
  if (dots < 0) {
    if (labels.length !== rank) throw new Error(`${op}: '${spec}' names ${labels.length} axes for an operand of rank ${rank}`);
    return labels;
  }
  const n = rank - (labels.length - 1);
  if (n < 0) throw new Error(`${op}: '${spec}' names more axes than an operand of rank ${rank} has`);
  return [...labels.slice(0, dots), ...ellipsisLabels.slice(ellipsisLabels.length - n), ...labels.slice(dots + 1)];
}

/** Collapses an operand's repeated labels to their diagonal (a gather from the flattened pair of axes). */
function takeDiagonals(t: Term): Term {
  let { x, labels } = t;
  for (;;) {
    const i = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (i < 0) return { x, labels };
    const first = labels.indexOf(labels[i]);
    x = diagonal(x, 0, first, i);
    labels = [...labels.filter((_, k) => k !== first && k !== i), labels[i]];
  }
}

/** Sums away labels that no other operand and not the output need. */
function sumUnneeded(t: Term, needed: Set<string>): Term {
  const axes = t.labels.map((l, i) => (needed.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (axes.length === 0) return t;
  return { x: lax.reduceSum(t.x, axes), labels: t.labels.filter((l) => needed.has(l)) };
}

/** Contracts two operands: shared labels still needed are batch dims, the other shared ones are summed. */
function contract(a: Term, b: Term, needed: Set<string>, sizes: Map<string, number>): Term {
  const shared = a.labels.filter((l) => b.labels.includes(l));
  const batch = shared.filter((l) => needed.has(l));
  const summed = shared.filter((l) => !needed.has(l));
  const fa = a.labels.filter((l) => !shared.includes(l));
  const fb = b.labels.filter((l) => !shared.includes(l));
  const arrange = (t: Term, order: string[], groups: string[][]) => {
    const moved = lax.transpose(t.x, order.map((l) => t.labels.indexOf(l)));
    // Size-1 dims against a larger size in the other operand broadcast.
    const full = lax.broadcastTo(moved, order.map((l) => sizes.get(l)!));
    return lax.reshape(full, groups.map((g, i) => (i < batch.length ? sizes.get(g[0])! : sizeOf(g.map((l) => sizes.get(l)!)))));
  };
  const g = (ls: string[]) => ls.map((l) => [l]);
  const a3 = arrange(a, [...batch, ...fa, ...summed], [...g(batch), fa, summed]);
  const b3 = arrange(b, [...batch, ...summed, ...fb], [...g(batch), summed, fb]);
  const out = lax.dot(a3, b3);
  const labels = [...batch, ...fa, ...fb];
  return { x: lax.reshape(out, labels.map((l) => sizes.get(l)!)), labels };
}

/** jax.numpy.einsum's keyword arguments, as an options object after the operands. */
export interface EinsumOptions {
  /** Accepted for compatibility (JAX's contraction-path choice: true, false, 'auto', 'greedy', 'optimal', a path); operands are contracted left to right. */
  readonly optimize?: boolean | string | readonly unknown[];
  /** Accepted for compatibility (JAX's matmul precision); products are float32 throughout. */
  readonly precision?: unknown;
  /** The dtype the products are computed in and returned (JAX's preferred_element_type). */
  readonly preferredElementType?: DType;
}

/**
 * Einstein summation (numpy's einsum): explicit ('ij,jk->ik') or implicit ('ij,jk', output
 * labels in alphabetical order) outputs, repeated labels in one operand for diagonals and
 * traces ('ii->i', 'ii'), '...' for broadcast leading dims. Operands are contracted left
 * to right, each pair as one batched matrix product. An options object may follow the
 * operands ({@link EinsumOptions}: JAX's optimize, precision, preferred_element_type).
 * @example np.einsum('bij,bjk->bik', a, b); np.einsum('ii', m) // trace
 * @example np.einsum('ij,jk->ik', a, b, { optimize: 'optimal' })
 */
export function einsum(subscripts: string, ...args: (NdArray | EinsumOptions)[]): NdArray {
  const last = args[args.length - 1];
  const options: EinsumOptions = last !== undefined && !isArray(last) ? last : {};
  const operands = (options === last ? args.slice(0, -1) : args) as NdArray[];
  if (!operands.every(isArray)) throw new Error('einsum: operands must be arrays, with at most one options object after them');
  const { preferredElementType: dtype } = options;
  return inProductDType(dtype === undefined ? operands : operands.map((x) => lax.cast(x, dtype)), (...xs) => sameDTypeEinsum(subscripts, xs));
}

function sameDTypeEinsum(subscripts: string, operands: readonly NdArray[]): NdArray {
  const op = 'einsum';
  const spec = subscripts.replace(/\s+/g, '');
  const [lhs, rhs] = spec.includes('->') ? spec.split('->') : [spec, undefined];
  const inputs = lhs.split(',');
  if (inputs.length !== operands.length) throw new Error(`${op}: '${subscripts}' names ${inputs.length} operands, got ${operands.length}`);
  const ellipsisRank = Math.max(0, ...inputs.map((s, i) => (s.includes('...') ? shapeOf(operands[i]).length - (s.length - 3) : 0)));
  // Labels for '...' dims: characters that cannot clash with letters.
  const ell = Array.from({ length: ellipsisRank }, (_, i) => String.fromCharCode(0x100 + i));
  let terms: Term[] = inputs.map((s, i) => ({ x: operands[i], labels: parseTerm(s, shapeOf(operands[i]).length, ell, op) }));
  const sizes = new Map<string, number>();
  for (const t of terms)
    t.labels.forEach((l, i) => {
      const d = shapeOf(t.x)[i];
      const prev = sizes.get(l);
      if (prev !== undefined && prev !== d && prev !== 1 && d !== 1) throw new Error(`${op}: label '${l}' has sizes ${prev} and ${d} in '${subscripts}'`);
      sizes.set(l, prev === undefined || prev === 1 ? d : prev);
    });
  let output: string[];
  if (rhs === undefined) {
    const counts = new Map<string, number>();
    terms.forEach((t) => t.labels.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1)));
    output = [...ell.filter((l) => sizes.has(l)), ...[...counts].filter(([l, c]) => c === 1 && !ell.includes(l)).map(([l]) => l).sort()];
  } else {
    output = parseTerm(rhs, rhs.includes('...') ? rhs.length - 3 + ellipsisRank : rhs.length, ell, op);
    for (const l of output) if (!sizes.has(l)) throw new Error(`${op}: output label '${l}' of '${subscripts}' is in no operand`);
    if (new Set(output).size !== output.length) throw new Error(`${op}: output '${rhs}' repeats a label`);
  }
  const neededAfter = (i: number) => new Set([...output, ...terms.slice(i + 1).flatMap((t) => t.labels)]);
  terms = terms.map(takeDiagonals);
  let acc = sumUnneeded(terms[0], neededAfter(0));
  for (let i = 1; i < terms.length; i++) {
    const needed = neededAfter(i);
    const next = sumUnneeded(terms[i], new Set([...needed, ...acc.labels]));
    acc = sumUnneeded(contract(acc, next, needed, sizes), needed);
  }
  const x = lax.transpose(acc.x, output.map((l) => acc.labels.indexOf(l)));
  return lax.broadcastTo(x, output.map((l) => sizes.get(l)!));
}

// ---- triangles and diagonals ----

/** A constant bool [n, m] mask, true where j - i <= k. */
function lowerMask(n: number, m: number, k: number): tf.Tensor {
  return tf.tidy(() => tf.lessEqual(tf.reshape(tf.range(-k, m - k, 1, 'int32'), [1, m]), tf.reshape(tf.range(0, n, 1, 'int32'), [n, 1])));
}

/** Ones at and below the k-th diagonal of an [n, m] array (numpy's tri). */
export function tri(n: number, m = n, k = 0, dtype: DType = 'float32'): tf.Tensor {
  return tf.tidy(() => tf.cast(lowerMask(n, m, k), dtype));
}

function triangle(x: NdArray, k: number, lower: boolean, op: string): NdArray {
  const s = shapeOf(x);
  if (s.length < 2) throw new Error(`${op}: need an array of rank >= 2, got ${shapeStr(s)}`);
  const [n, m] = s.slice(-2);
  const mask = lower ? lowerMask(n, m, k) : tf.tidy(() => tf.logicalNot(lowerMask(n, m, k - 1)));
  // Zeros of x's dtype, not the literal 0 (which made a bool x int32; jax.numpy keeps bool).
  return where(mask, x, lax.full([], 0, avalOf(x).dtype));
}

/** x with the entries above the k-th diagonal zeroed (over the last two axes). */
export const tril = (x: NdArray, k = 0) => triangle(x, k, true, 'tril');
/** x with the entries below the k-th diagonal zeroed (over the last two axes). */
export const triu = (x: NdArray, k = 0) => triangle(x, k, false, 'triu');

/**
 * The `offset`-th diagonal of the (axis1, axis2) planes, as a new last axis (numpy's
 * diagonal). A gather from the flattened pair of axes.
 */
export function diagonal(x: NdArray, offset = 0, axis1 = 0, axis2 = 1): NdArray {
  const s = shapeOf(x);
  const a = normAxis(axis1, s.length, 'diagonal');
  const b = normAxis(axis2, s.length, 'diagonal');
  if (a === b) throw new Error(`diagonal: axis1 and axis2 are both ${a}`);
  const moved = moveaxis(x, [a, b], [-2, -1]);
  const ms = shapeOf(moved);
  const [n, m] = ms.slice(-2);
  const len = Math.max(0, Math.min(n + Math.min(offset, 0), m - Math.max(offset, 0)));
  const idx = Array.from({ length: len }, (_, i) => (i - Math.min(offset, 0)) * m + i + Math.max(offset, 0));
  const flat = lax.reshape(moved, [...ms.slice(0, -2), n * m]);
  return lax.gather(flat, tf.tensor1d(idx, 'int32'), ms.length - 2);
}

/**
 * numpy's diag: of a 1-D v, the square matrix with v on its k-th diagonal; of a 2-D
 * array, its k-th diagonal.
 */
export function diag(v: NdArray, k = 0): NdArray {
  const s = shapeOf(v);
  if (s.length === 2) return diagonal(v, k);
  if (s.length !== 1) throw new Error(`diag: need a 1-D or 2-D array, got ${shapeStr(s)}`);
  const n = s[0] + Math.abs(k);
  // Every matrix entry gathers from [v, 0]: its element of v on the diagonal, else the 0.
  const idx = Array.from({ length: n * n }, (_, p) => {
    const i = Math.floor(p / n);
    const j = p % n;
    return j - i === k ? Math.min(i, j) : s[0];
  });
  const padded = lax.pad(v, [0], [1]);
  return lax.reshape(lax.gather(padded, tf.tensor1d(idx, 'int32'), 0), [n, n]);
}

/** Sum of the `offset`-th diagonal (numpy's trace). */
export function trace(x: NdArray, offset = 0, axis1 = 0, axis2 = 1): NdArray {
  return sum(diagonal(x, offset, axis1, axis2), -1);
}

/**
 * The Cholesky factor of symmetric positive-definite matrices [..., n, n]
 * (jax.numpy.linalg.cholesky): lower L with A = L L^T, or upper U = L^T with A = U^T U for
 * `upper`. As JAX, A is first symmetrised, (A + A^T) / 2 (better derivatives; both triangles
 * are read); with symmetrizeInput false only the lower triangle is read (NumPy's behaviour).
 * Column by column (Cholesky–Banachiewicz) from slices and products, so it batches and
 * differentiates through its operations; n static, about 5n small ops. A matrix that is not
 * positive definite (a pivot <= 0 or NaN, where LAPACK's potrf fails) gives a factor that is
 * NaN everywhere, as JAX's.
 * @example np.linalg.cholesky(np.array([[4, 2], [2, 5]])) // [[2, 0], [1, 2]]
 */
export function cholesky(a: NdArray, upper = false, symmetrizeInput = true): NdArray {
  const s = shapeOf(a);
  const n = s[s.length - 1];
  if (s.length < 2 || s[s.length - 2] !== n) throw new Error(`cholesky: need square matrices [..., n, n], got ${shapeStr(s)}`);
  const fa = toFloat(a);
  if (n === 0) return fa; // empty matrices: their (empty) factor, as NumPy
  const l = lowerCholesky(symmetrizeInput ? mul(0.5, add(fa, swapaxes(fa, -1, -2))) : fa);
  return upper ? swapaxes(l, -1, -2) : l;
}

/** The lower factor reading a's lower triangle; NaN everywhere in a matrix with a pivot that is not > 0. */
function lowerCholesky(a: NdArray): NdArray {
  const s = shapeOf(a);
  const n = s[s.length - 1];
  const r = s.length;
  const cols: NdArray[] = [];
  let failed: NdArray | null = null; // [..., 1]: some pivot so far was not > 0
  for (let j = 0; j < n; j++) {
    let v = squeeze(sliceAxis(a, r - 1, j, j + 1), r - 1); // A[..., :, j]
    for (const c of cols) v = sub(v, mul(c, sliceAxis(c, r - 2, j, j + 1)));
    const pivot = sliceAxis(v, r - 2, j, j + 1);
    const bad = logicalNot(greater(pivot, 0));
    failed = failed === null ? bad : logicalOr(failed, bad);
    const d = sqrt(where(bad, 1, pivot)); // the untaken sqrt of a pivot <= 0 kept out of derivatives
    cols.push(where(tf.tidy(() => tf.greaterEqual(tf.range(0, n, 1, 'int32'), j)), div(v, d), 0));
  }
  const l = lax.concatenate(cols.map((c) => lax.expandDims(c, r - 1)), r - 1);
  return failed === null ? l : where(lax.expandDims(failed, r - 1), NaN, l);
}
