/**
 * jax.numpy.linalg.eigh and eigvalsh for real symmetric matrices by cyclic Jacobi rotations in
 * parallel (round-robin) order: each of the n - 1 (n even; n for odd n) rounds of a sweep
 * rotates n/2 disjoint index pairs at once as one product J^T A J, so a sweep is about n
 * rounds of 2 matrix products and 20 small ops; `jacobiSweeps(n)` = log2(n) + 3 sweeps
 * (quadratic convergence) make O(n^4 log n) flops in all, for small matrices (n up to about 64).
 * The derivative is the analytic one (a customJvp): dw = diag(V^T dA V), dV = V (F * V^T dA V)
 * with F_ij = 1 / (w_j - w_i); repeated eigenvalues make it inf/NaN, as JAX's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customJvp } from '../core/custom-rules.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { abs, add, cast, div, equal, greaterEqual, less, matmul, mul, neg, sqrt, square, sub, sum, where } from './math.js';
import { diagonal, tril, triu } from './linalg.js';
import { eyeBatch, matrices, mT } from './linalg-util.js';

/**
 * The static number of Jacobi sweeps for n x n matrices: log2(n) + 3 (n = 2: one rotation is
 * exact). Measured on random normal A + A^T in float32, the residual |A v - w v| / |w| stopped
 * falling (about 4e-7 to 3e-6) after 4 sweeps at n = 8, 5 at 16 and 6 at 32 and 64, so this
 * leaves 2 to 3 sweeps of margin for slower (clustered) spectra; extra sweeps cost time only.
 */
function jacobiSweeps(n: number): number {
  return n <= 1 ? 0 : n === 2 ? 1 : Math.ceil(Math.log2(n)) + 3;
}

/** Round-robin rounds over n indices (a bye for odd n): each a list of disjoint pairs [p, q], p < q, covering every pair once per sweep. */
export function roundRobin(n: number): [number, number][][] {
  const m = n % 2 === 0 ? n : n + 1;
  const players = [...Array(m).keys()];
  const rounds: [number, number][][] = [];
  for (let r = 0; r < m - 1; r++) {
    const pairs: [number, number][] = [];
    for (let i = 0; i < m / 2; i++) {
      const [x, y] = [players[i], players[m - 1 - i]];
      if (x < n && y < n) pairs.push([Math.min(x, y), Math.max(x, y)]);
    }
    rounds.push(pairs);
    players.splice(1, 0, players.pop()!); // keep player 0, rotate the rest
  }
  return rounds;
}

/**
 * (c, s) with [[c, s], [-s, c]]^T [[app, apq], [apq, aqq]] [[c, s], [-s, c]] diagonal (Golub
 * and Van Loan's symmetric Schur step), for the smaller rotation; apq = 0 gives (1, 0). The
 * untaken branch is computed on safe values so that derivatives stay finite.
 */
function jacobiRotation(app: NdArray, aqq: NdArray, apq: NdArray): [NdArray, NdArray] {
  const zero = equal(apq, 0);
  const tau = div(sub(aqq, app), mul(2, where(zero, 1, apq)));
  const t = div(where(greaterEqual(tau, 0), 1, -1), add(abs(tau), sqrt(add(1, square(tau)))));
  const c = div(1, sqrt(add(1, square(t))));
  return [where(zero, 1, c), where(zero, 0, mul(t, c))];
}

/**
 * The rotations [..., n, n] that are the identity but for [[c, s], [-s, c]] in the rows and
 * columns of each pair, c and s [..., h] for h pairs: one gather from [c, s, -s, 1, 0].
 */
function rotations(c: NdArray, s: NdArray, pairs: readonly (readonly [number, number])[], n: number): NdArray {
  const h = pairs.length;
  const idx = Array.from({ length: n * n }, (_, e) => (Math.floor(e / n) === e % n ? 3 * h : 3 * h + 1));
  pairs.forEach(([p, q], i) => {
    idx[p * n + p] = i;
    idx[q * n + q] = i;
    idx[p * n + q] = h + i;
    idx[q * n + p] = 2 * h + i;
  });
  const b = shapeOf(c).slice(0, -1);
  const fixed = lax.broadcastTo(tf.tidy(() => tf.tensor1d([1, 0])), [...b, 2]);
  const vals = lax.concatenate([c, s, neg(s), fixed], b.length);
  return lax.reshape(lax.gather(vals, tf.tidy(() => tf.tensor1d(idx, 'int32')), b.length), [...b, n, n]);
}

/** Entries (p_i, q_i) of stacked matrices [..., n, n], as [..., h]: a gather from the flattened matrices. */
function pairEntries(a: NdArray, pairs: readonly (readonly [number, number])[], which: (pq: readonly [number, number]) => [number, number]): NdArray {
  const s = shapeOf(a);
  const n = s[s.length - 1];
  const flat = lax.reshape(a, [...s.slice(0, -2), n * n]);
  const idx = pairs.map((pq) => {
    const [i, j] = which(pq);
    return i * n + j;
  });
  return lax.gather(flat, tf.tidy(() => tf.tensor1d(idx, 'int32')), s.length - 2);
}

/**
 * w [..., n] sorted ascending, with the columns of each of `vs` ([..., m, n]) in the same order:
 * each entry's rank (ties by index) as a one-hot permutation matrix, applied by products (exact).
 */
export function sortAscending(w: NdArray, ...vs: NdArray[]): NdArray[] {
  const r = shapeOf(w).length;
  const n = shapeOf(w)[r - 1];
  const wi = lax.expandDims(w, r); // [..., n, 1]: w_i
  const wj = lax.expandDims(w, r - 1); // [..., 1, n]: w_j
  const before = tf.tidy(() => tf.greater(tf.reshape(tf.range(0, n, 1, 'int32'), [n, 1]), tf.range(0, n, 1, 'int32'))); // j < i
  const rank = sum(cast(where(before, greaterEqual(wi, wj), less(wj, wi)), 'float32'), -1); // [..., n]: rank of w_i
  const perm = cast(equal(lax.expandDims(rank, r - 1), lax.expandDims(tf.tidy(() => tf.range(0, n, 1, 'float32')), 1)), 'float32'); // [k, i]: rank_i = k
  return [lax.reshape(matmul(perm, lax.expandDims(w, r)), shapeOf(w)), ...vs.map((v) => matmul(v, mT(perm)))];
}

/**
 * Cyclic Jacobi sweeps over matrices [...lead, n, n]: each round rotates the pairs that zero
 * the off-diagonal entries of `gram()` (read before the round), applies the rotation with
 * `rotate`, and accumulates it; returns the rotations' product.
 */
export function jacobiSweep(n: number, lead: readonly number[], gram: () => NdArray, rotate: (j: NdArray) => void): NdArray {
  let v = eyeBatch(n, lead);
  const rounds = roundRobin(n);
  for (let sweep = 0; sweep < jacobiSweeps(n); sweep++)
    for (const pairs of rounds) {
      const g = gram();
      const [c, sn] = jacobiRotation(pairEntries(g, pairs, ([p]) => [p, p]), pairEntries(g, pairs, ([, q]) => [q, q]), pairEntries(g, pairs, ([p, q]) => [p, q]));
      const j = rotations(c, sn, pairs, n);
      rotate(j);
      v = matmul(v, j);
    }
  return v;
}

/** Jacobi eigenvalues (unsorted) and eigenvectors of symmetric a [..., n, n]. */
function jacobi(a: NdArray): [NdArray, NdArray] {
  const s = shapeOf(a);
  const v = jacobiSweep(s[s.length - 1], s.slice(0, -2), () => a, (j) => (a = matmul(mT(j), matmul(a, j))));
  return [diagonal(a, 0, -2, -1), v];
}

const eighCore = customJvp(
  (a: NdArray) => sortAscending(...jacobi(a)) as [NdArray, NdArray],
  ([a]: NdArray[], [da]: NdArray[]) => {
    const [w, v] = sortAscending(...jacobi(a));
    const r = shapeOf(w).length;
    const n = shapeOf(w)[r - 1];
    const m = matmul(mT(v), matmul(da, v));
    const eye = eyeBatch(n, []);
    // F_ij = 1 / (w_j - w_i) off the diagonal, 0 on it (JAX's Fmat).
    const f = sub(div(1, add(eye, sub(lax.expandDims(w, r - 1), lax.expandDims(w, r)))), eye);
    return [
      [w, v],
      [diagonal(m, 0, -2, -1), matmul(v, mul(f, m))],
    ];
  },
) as (a: NdArray) => [NdArray, NdArray];

/** Which triangle of the input `eigh` reads when it does not symmetrise: 'L' lower, 'U' upper. */
export type Uplo = 'L' | 'U';

/**
 * [eigenvalues, eigenvectors] of real symmetric matrices a [..., n, n] (jax.numpy.linalg.eigh):
 * w [..., n] ascending and v [..., n, n] orthonormal with a v[:, i] = w[i] v[:, i] (columns; a
 * column's sign is not fixed, as in NumPy). As JAX, a is first symmetrised, (a + a^T) / 2;
 * with symmetrizeInput false only the UPLO triangle is read (NumPy's behaviour).
 * @example const [w, v] = np.linalg.eigh(np.array([[2, 1], [1, 2]])) // w = [1, 3]
 */
export function eigh(a: NdArray, UPLO: Uplo = 'L', symmetrizeInput = true): [NdArray, NdArray] {
  if (UPLO !== 'L' && UPLO !== 'U') throw new Error(`eigh: UPLO must be 'L' or 'U', got '${String(UPLO)}'`);
  const fa = matrices(a, 'eigh', true);
  const sym = symmetrizeInput
    ? mul(0.5, add(fa, mT(fa)))
    : UPLO === 'L'
      ? add(tril(fa), mT(tril(fa, -1)))
      : add(triu(fa), mT(triu(fa, 1)));
  return eighCore(sym);
}

/**
 * The eigenvalues [..., n] of real symmetric matrices, ascending (jax.numpy.linalg.eigvalsh):
 * eigh's w, with eigh's `symmetrizeInput` (false: only the UPLO triangle is read).
 * @example np.linalg.eigvalsh(np.array([[2, 1], [1, 2]])) // [1, 3]
 */
export function eigvalsh(a: NdArray, UPLO: Uplo = 'L', symmetrizeInput = true): NdArray {
  if (UPLO !== 'L' && UPLO !== 'U') throw new Error(`eigvalsh: UPLO must be 'L' or 'U', got '${String(UPLO)}'`);
  return eigh(matrices(a, 'eigvalsh', true), UPLO, symmetrizeInput)[0];
}
