/**
 * scipy.linalg's special matrices beyond toeplitz / circulant / hilbert (linalg.ts): those built
 * from array arguments (hankel, companion, convolutionMatrix, fiedler, fiedlerCompanion, leslie)
 * are gathers of np operations, so they trace under jit and differentiate; those of a size only
 * (hadamard, helmert, invhilbert, pascal, invpascal) are computed on the host, integer ones in
 * exact BigInt arithmetic and given as int32 where SciPy gives integers.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Operand, asFloat } from './util.js';

/** A 1-D float32 array from a JS number or an array of at most one dimension (SciPy's atleast_1d and ndim check). */
function vector(x: Operand, op: string, name: string): NdArray {
  const v = np.atleast1d(asFloat(x)) as NdArray;
  if (np.shape(v).length !== 1) throw new Error(`${op}: ${name} must be 1-D, got shape ${shapeStr(np.shape(v))}`);
  return v;
}

/** The matrix whose entry (i, j) is values[idx[i][j]] (idx a host-side pattern over a 1-D value table). */
function pattern(values: NdArray, idx: number[][]): NdArray {
  if (idx.length === 0 || idx[0]!.length === 0) return np.zeros([idx.length, idx[0]?.length ?? 0]);
  return np.take(values, np.array(idx, 'int32'), 0);
}

/** An m x n table of f(i, j). */
function table<T>(m: number, n: number, f: (i: number, j: number) => T): T[][] {
  return Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => f(i, j)));
}

function checkSize(n: number, op: string, min = 0): void {
  if (!Number.isInteger(n) || n < min) throw new Error(`${op}: n must be an integer >= ${min}, got ${n}`);
}

/**
 * The Hankel matrix [len(c), len(r)] with first column c and last row r (r[0] ignored; r
 * defaults to zeros): entry (i, j) is c[i + j], or r[i + j - len(c) + 1] past c's end (scipy.linalg.hankel).
 * @example scipy.linalg.hankel(np.array([1, 2, 3])) // [[1, 2, 3], [2, 3, 0], [3, 0, 0]]
 */
export function hankel(c: Operand, r: Operand | null = null): NdArray {
  const fc = np.ravel(asFloat(c));
  const fr = r === null ? np.zerosLike(fc) : np.ravel(asFloat(r));
  const [m, n] = [np.shape(fc)[0]!, np.shape(fr)[0]!];
  return pattern(np.concatenate([fc, np.sliceAxis(fr, 0, 1, null)], 0), table(m, n, (i, j) => i + j));
}

/**
 * The companion matrix of the polynomial a[0] x^(n-1) + ... + a[n-1]: first row -a[1:] / a[0],
 * ones below the diagonal (scipy.linalg.companion). a[0] = 0 gives inf / NaN entries (not checked, so it traces).
 */
export function companion(a: Operand): NdArray {
  const v = vector(a, 'companion', 'a');
  const n = np.shape(v)[0]!;
  if (n < 2) throw new Error(`companion: a must have at least 2 coefficients, got ${n}`);
  const row = np.neg(np.div(np.sliceAxis(v, 0, 1, null), np.sliceAxis(v, 0, 0, 1)));
  // Table [0, 1, -a1/a0, ...]: index 0 is a zero, 1 a one, 2 + j the first row's entry j.
  return pattern(np.concatenate([np.array([0, 1]), row], 0), table(n - 1, n - 1, (i, j) => (i === 0 ? 2 + j : i === j + 1 ? 1 : 0)));
}

/**
 * The matrix of the discrete convolution with a (len m) on vectors of length n: A @ v equals
 * np.convolve(a, v, mode) for 'full' [m + n - 1, n], 'same' [max(m, n), n] and 'valid'
 * [max(m, n) - min(m, n) + 1, n] (scipy.linalg.convolution_matrix).
 */
export function convolutionMatrix(a: Operand, n: number, mode: 'full' | 'same' | 'valid' = 'full'): NdArray {
  checkSize(n, 'convolutionMatrix', 1);
  const v = vector(a, 'convolutionMatrix', 'a');
  const m = np.shape(v)[0]!;
  if (m === 0) throw new Error('convolutionMatrix: a must have at least one element');
  const trim = Math.min(n, m) - 1;
  const offsets = { full: [0, 0], same: [trim >> 1, trim - (trim >> 1)], valid: [trim, trim] } as const;
  const offset = offsets[mode];
  if (!offset) throw new Error(`convolutionMatrix: mode must be 'full', 'same' or 'valid', got ${String(mode)}`);
  const rows = m + n - 1 - offset[0] - offset[1];
  // Entry (i, j) of the full matrix is a[i - j] (0 outside a); the table is [0, a...].
  const idx = table(rows, n, (i, j) => {
    const k = i + offset[0] - j;
    return k >= 0 && k < m ? k + 1 : 0;
  });
  return pattern(np.concatenate([np.array([0]), v], 0), idx);
}

/** The symmetric Fiedler matrix |a_i - a_j| (scipy.linalg.fiedler; an empty a gives an empty [0] array, SciPy's). */
export function fiedler(a: Operand): NdArray {
  const v = vector(a, 'fiedler', 'a');
  if (np.shape(v)[0] === 0) return np.zeros([0]);
  return np.abs(np.sub(np.expandDims(v, 1), np.expandDims(v, 0)));
}

/**
 * Fiedler's pentadiagonal companion matrix of the polynomial with coefficients a (highest first),
 * [len(a) - 1, len(a) - 1] (scipy.linalg.fiedler_companion); a of length 2 gives [[-a1 / a0]],
 * shorter an empty [0] array.
 */
export function fiedlerCompanion(a: Operand): NdArray {
  const v = vector(a, 'fiedlerCompanion', 'a');
  const len = np.shape(v)[0]!;
  if (len < 2) return np.zeros([0]);
  const neg = np.neg(np.div(np.sliceAxis(v, 0, 1, null), np.sliceAxis(v, 0, 0, 1)));
  const n = len - 1;
  // Table [0, 1, -a1, -a2, ...]: coefficient k (>= 1) at index k + 1.
  const idx = table(n, n, () => 0);
  const put = (i: number, j: number, k: number) => {
    if (i < n && j < n) idx[i]![j] = k;
  };
  for (let i = 3, j = 1; i < n; i += 2, j += 2) put(i, j, 1);
  for (let i = 2, j = 1, k = 3; i < n; i += 2, j += 2, k += 2) put(i, j, k + 1);
  for (let i = 0, j = 2; i < n - 2; i += 2, j += 2) put(i, j, 1);
  for (let i = 0, j = 1, k = 2; i < n - 1; i += 2, j += 2, k += 2) put(i, j, k + 1);
  put(0, 0, 2);
  if (n > 1) put(1, 0, 1);
  return pattern(np.concatenate([np.array([0, 1]), neg], 0), idx);
}

/** The Leslie matrix: fecundities f [n] in the first row, survival rates s [n - 1] below the diagonal (scipy.linalg.leslie). */
export function leslie(f: Operand, s: Operand): NdArray {
  const [fv, sv] = [vector(f, 'leslie', 'f'), vector(s, 'leslie', 's')];
  const [n, k] = [np.shape(fv)[0]!, np.shape(sv)[0]!];
  if (n !== k + 1) throw new Error(`leslie: s must have one element fewer than f, got lengths ${n} and ${k}`);
  if (k === 0) throw new Error('leslie: s must have at least one element');
  return pattern(np.concatenate([np.array([0]), fv, sv], 0), table(n, n, (i, j) => (i === 0 ? 1 + j : i === j + 1 ? 1 + n + j : 0)));
}

/** The n x n Hadamard matrix of Sylvester's construction, int32 (scipy.linalg.hadamard); n a power of 2. */
export function hadamard(n: number): NdArray {
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) throw new Error(`hadamard: n must be a positive power of 2, got ${n}`);
  // Entry (i, j) is (-1)^popcount(i & j).
  const sign = (x: number): number => {
    let p = 0;
    for (let b = x; b; b &= b - 1) p ^= 1;
    return p ? -1 : 1;
  };
  return np.array(table(n, n, (i, j) => sign(i & j)), 'int32');
}

/** The Helmert matrix [n, n] (full) or its last n - 1 rows (scipy.linalg.helmert). */
export function helmert(n: number, full = false): NdArray {
  checkSize(n, 'helmert');
  const h = table(n, n, (i, j) => {
    if (i === 0) return 1 / Math.sqrt(n);
    const d = Math.sqrt(i * (i + 1));
    return j < i ? 1 / d : j === i ? -i / d : 0;
  });
  const rows = full ? h : h.slice(1);
  return np.reshape(np.array(rows.flat(), 'float32'), [rows.length, n]);
}

/** The binomial coefficient C(n, k) as a BigInt (0 outside 0 <= k <= n). */
function binom(n: number, k: number): bigint {
  if (k < 0 || k > n) return 0n;
  let c = 1n;
  for (let i = 0; i < Math.min(k, n - k); i++) c = (c * BigInt(n - i)) / BigInt(i + 1);
  return c;
}

const INT32_MAX = 2n ** 31n - 1n;

/** Exact entries as int32 (an error naming the size past int32's range) or float32. */
function integerMatrix(entries: bigint[][], exact: boolean, op: string): NdArray {
  const n = entries.length;
  const flat = entries.flat().map(Number);
  if (!exact) return np.reshape(np.array(flat, 'float32'), [n, n]);
  if (entries.some((row) => row.some((x) => x > INT32_MAX || -x > INT32_MAX))) {
    throw new Error(`${op}: entries of size ${n} exceed int32's range; pass exact = false for float32`);
  }
  return np.reshape(np.array(flat, 'int32'), [n, n]);
}

/** The inverse of the n x n Hilbert matrix (scipy.linalg.invhilbert): float32, or exact int32 (exact = true, n up to 7). */
export function invhilbert(n: number, exact = false): NdArray {
  checkSize(n, 'invhilbert');
  const entry = (i: number, j: number): bigint => {
    const s = i + j;
    const c = binom(s, i);
    return (s % 2 ? -1n : 1n) * BigInt(s + 1) * binom(n + i, n - j - 1) * binom(n + j, n - i - 1) * c * c;
  };
  return integerMatrix(table(n, n, entry), exact, 'invhilbert');
}

type PascalKind = 'symmetric' | 'lower' | 'upper';

function checkKind(kind: PascalKind, op: string): void {
  if (!['symmetric', 'lower', 'upper'].includes(kind)) throw new Error(`${op}: kind must be 'symmetric', 'lower' or 'upper', got ${String(kind)}`);
}

/**
 * The n x n Pascal matrix (scipy.linalg.pascal): 'symmetric' C(i + j, i), 'lower' C(i, j),
 * 'upper' its transpose; exact int32 (SciPy: uint64; symmetric n up to 17) or float32 (exact = false).
 */
export function pascal(n: number, kind: PascalKind = 'symmetric', exact = true): NdArray {
  checkSize(n, 'pascal');
  checkKind(kind, 'pascal');
  const entry = { symmetric: (i: number, j: number) => binom(i + j, i), lower: (i: number, j: number) => binom(i, j), upper: (i: number, j: number) => binom(j, i) }[kind];
  return integerMatrix(table(n, n, entry), exact, 'pascal');
}

/**
 * The inverse of pascal(n, kind) (scipy.linalg.invpascal): exact int32 (SciPy: int64) or float32.
 * Symmetric: (-1)^(i-j) sum_k C(i + k, k) C(i + k, i + k - j); lower / upper: pascal's with alternating signs.
 */
export function invpascal(n: number, kind: PascalKind = 'symmetric', exact = true): NdArray {
  checkSize(n, 'invpascal');
  checkKind(kind, 'invpascal');
  const sym = (i: number, j: number): bigint => {
    const [a, b] = i >= j ? [i, j] : [j, i];
    let v = 0n;
    for (let k = 0; k < n - a; k++) v += binom(a + k, k) * binom(a + k, a + k - b);
    return (a - b) % 2 ? -v : v;
  };
  const signed = (c: bigint, i: number, j: number): bigint => ((i - j) % 2 ? -c : c);
  const entry = {
    symmetric: sym,
    lower: (i: number, j: number) => signed(binom(i, j), i, j),
    upper: (i: number, j: number) => signed(binom(j, i), i, j),
  }[kind];
  return integerMatrix(table(n, n, entry), exact, 'invpascal');
}
