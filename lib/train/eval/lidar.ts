/**
 * **LiDAR** (Thilak et al. 2023), as stable-pretraining's `jax/callbacks/lidar.py` computes it:
 * the effective rank `exp(H(p))` of the Linear Discriminant Analysis spectrum of labelled
 * embeddings, where each label is a (surrogate) class: the eigenvalues `lambda` of
 * `Sw^-1/2 Sb Sw^-1/2` with
 *
 * - `Sb`: the scatter of the class means around their mean, over `C - 1`;
 * - `Sw`: the scatter of the samples around their class mean, over `max(N - C, 1)`, plus
 *   `delta I` (the ridge, 1e-4 by default);
 *
 * clipped at 0, `p = lambda / sum(lambda) + 1e-12`, renormalised. From 1 to min(D, C - 1);
 * NaN with fewer than two classes; 1 when every class mean is the same point.
 *
 * The spectrum is taken without an eigenvector solver: with `Sw = L L^T` (Cholesky) and `A =
 * Mc L^-T / sqrt(C - 1)` (`Mc` the centred class means, [C, D]), `L^-1 Sb L^-T = A^T A` is
 * `Sw^-1/2 Sb Sw^-1/2` turned by the orthogonal `Sw^-1/2 L`, so their eigenvalues agree; they
 * are the squared singular values of `A` (RankMe's solver on the smaller of its Gram
 * matrices, at most C x C), and zeros up to D. In float64 on the host, as RankMe.
 */
import { singularValues } from './rankme.js';

export interface LidarOptions {
  /** The ridge added to the within-class scatter (default 1e-4, the seed's). */
  readonly delta?: number;
}

/**
 * LiDAR of the embeddings [n, d] (row-major) with one integer label per row.
 * @example lidar(embeddings, labels, 256, 128) // e.g. 8.4 for 10 well separated classes
 */
export function lidar(z: ArrayLike<number>, labels: ArrayLike<number>, n: number, d: number, opts: LidarOptions = {}): number {
  const delta = opts.delta ?? 1e-4;
  if (z.length !== n * d) throw new Error(`lidar: expected ${n}x${d} = ${n * d} embedding values, got ${z.length}`);
  if (labels.length !== n) throw new Error(`lidar: expected ${n} labels (one per embedding), got ${labels.length}`);
  if (!(delta > 0)) throw new Error(`lidar: delta must be > 0 (the within-class scatter's ridge), got ${delta}`);
  for (let i = 0; i < z.length; i++) if (!Number.isFinite(z[i]!)) throw new Error(`lidar: embedding value ${i} is ${z[i]} (row ${Math.floor(i / d)}); the embeddings must be finite`);
  const classes = classIndices(labels);
  const c = classes.count;
  if (c < 2) return NaN;
  const means = classMeans(z, classes, n, d);
  const sw = withinClassScatter(z, classes.of, means, n, d);
  const scale = 1 / Math.max(n - c, 1);
  for (let i = 0; i < d * d; i++) sw[i]! *= scale;
  for (let i = 0; i < d; i++) sw[i * d + i]! += delta;
  const a = whitenedMeans(centredMeans(means, c, d), cholesky(sw, d), c, d);
  // The seed's spectrum has D eigenvalues: the C - 1 or fewer of the class means, zeros for the rest.
  const eig = new Float64Array(d);
  singularValues(a, c, d).forEach((s, i) => (eig[i] = s * s));
  const total = eig.reduce((a, b) => a + b, 0);
  if (total <= 0) return 1;
  const p = eig.map((e) => e / total + 1e-12);
  const sum = p.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const v of p) h -= (v / sum) * Math.log(v / sum);
  return Math.exp(h);
}

/** Each row's class as an index 0..count-1 (classes in order of first appearance). */
function classIndices(labels: ArrayLike<number>): { of: Int32Array; count: number } {
  const index = new Map<number, number>();
  const of = new Int32Array(labels.length);
  for (let r = 0; r < labels.length; r++) {
    const label = labels[r]!;
    if (!Number.isInteger(label)) throw new Error(`lidar: label ${r} is ${label}; labels must be integers`);
    let k = index.get(label);
    if (k === undefined) index.set(label, (k = index.size));
    of[r] = k;
  }
  return { of, count: index.size };
}

function classMeans(z: ArrayLike<number>, classes: { of: Int32Array; count: number }, n: number, d: number): Float64Array {
  const means = new Float64Array(classes.count * d);
  const sizes = new Float64Array(classes.count);
  for (let r = 0; r < n; r++) {
    const k = classes.of[r]!;
    sizes[k]! += 1;
    for (let j = 0; j < d; j++) means[k * d + j]! += z[r * d + j]!;
  }
  for (let k = 0; k < classes.count; k++) for (let j = 0; j < d; j++) means[k * d + j]! /= sizes[k]!;
  return means;
}

/** The class means minus their (unweighted) mean. */
function centredMeans(means: Float64Array, c: number, d: number): Float64Array {
  const grand = new Float64Array(d);
  for (let k = 0; k < c; k++) for (let j = 0; j < d; j++) grand[j]! += means[k * d + j]! / c;
  return means.map((v, i) => v - grand[i % d]!);
}

function withinClassScatter(z: ArrayLike<number>, of: Int32Array, means: Float64Array, n: number, d: number): Float64Array {
  const centred = new Float64Array(n * d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) centred[r * d + j] = z[r * d + j]! - means[of[r]! * d + j]!;
  return gram(centred, n, d);
}

/** `X^T X` of the row-major [rows, d] matrix `x`. */
function gram(x: Float64Array, rows: number, d: number): Float64Array {
  const g = new Float64Array(d * d);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < d; i++) {
      const xi = x[r * d + i]!;
      if (xi === 0) continue;
      for (let j = i; j < d; j++) g[i * d + j]! += xi * x[r * d + j]!;
    }
  }
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) g[j * d + i] = g[i * d + j]!;
  return g;
}

/** The lower Cholesky factor of the symmetric positive definite [d, d] matrix `a`. */
function cholesky(a: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let diag = a[j * d + j]!;
    for (let k = 0; k < j; k++) diag -= l[j * d + k]! ** 2;
    if (!(diag > 0)) throw new Error(`lidar: the within-class scatter is not positive definite (pivot ${j} is ${diag}); raise delta`);
    const ljj = Math.sqrt(diag);
    l[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      l[i * d + j] = s / ljj;
    }
  }
  return l;
}

/** `Mc L^-T / sqrt(C - 1)` for the centred means `Mc` [C, D]: each row solved against `L` (forward substitution). */
function whitenedMeans(mc: Float64Array, l: Float64Array, c: number, d: number): Float64Array {
  const a = new Float64Array(c * d);
  const norm = 1 / Math.sqrt(c - 1);
  for (let k = 0; k < c; k++) {
    for (let i = 0; i < d; i++) {
      let s = mc[k * d + i]!;
      for (let j = 0; j < i; j++) s -= l[i * d + j]! * a[k * d + j]!;
      a[k * d + i] = s / l[i * d + i]!;
    }
  }
  return a.map((v) => v * norm);
}
