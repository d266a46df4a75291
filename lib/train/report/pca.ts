/**
 * A 2-D principal-component projection on host data: the top two eigenvectors of the
 * covariance by power iteration, the second after deflating the first. Enough for a
 * scatter plot of a thousand embeddings of a few hundred dimensions.
 */

export interface Pca2 {
  /** [n * 2]: each row's coordinates on the two components. */
  readonly points: Float64Array;
  /** The two components' variances (eigenvalues), largest first. */
  readonly variances: readonly [number, number];
  /** The fraction of the total variance each explains. */
  readonly explained: readonly [number, number];
}

/** The covariance matrix [d * d] of the rows of `x` ([n * d], row-major) and their mean. */
function covariance(x: ArrayLike<number>, n: number, d: number): { cov: Float64Array; mean: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = x[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b]! += ra * row[b]!;
    }
  }
  const denom = Math.max(1, n - 1);
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      cov[a * d + b]! /= denom;
      cov[b * d + a] = cov[a * d + b]!;
    }
  return { cov, mean };
}

/** The dominant eigenvector of the symmetric matrix `m` [d * d] and its eigenvalue. */
function powerIteration(m: Float64Array, d: number, iterations = 1000, tolerance = 1e-10): { vector: Float64Array; value: number } {
  // A fixed start with components in every direction (not all equal: that may be orthogonal to the answer).
  let v = Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  let value = 0;
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(d);
    for (let a = 0; a < d; a++) {
      let s = 0;
      for (let b = 0; b < d; b++) s += m[a * d + b]! * v[b]!;
      w[a] = s;
    }
    const norm = Math.hypot(...w);
    if (norm === 0) return { vector: v.map(() => 0), value: 0 };
    for (let a = 0; a < d; a++) w[a]! /= norm;
    const change = Math.hypot(...w.map((x, a) => x - v[a]!));
    v = w;
    value = norm;
    if (change < tolerance) break;
  }
  // A deterministic sign: the largest component positive.
  let big = 0;
  for (let a = 1; a < d; a++) if (Math.abs(v[a]!) > Math.abs(v[big]!)) big = a;
  if (v[big]! < 0) for (let a = 0; a < d; a++) v[a] = -v[a]!;
  return { vector: v, value };
}

/**
 * Projects the rows of `x` ([n * d], row-major) on their top two principal components.
 * @example const { points } = pca2(embeddings, 1000, 128); // points[2 * i], points[2 * i + 1]
 */
export function pca2(x: ArrayLike<number>, n: number, d: number): Pca2 {
  if (x.length !== n * d) throw new Error(`pca2: expected ${n} x ${d} = ${n * d} values, got ${x.length}`);
  const { cov, mean } = covariance(x, n, d);
  let total = 0;
  for (let a = 0; a < d; a++) total += cov[a * d + a]!;
  const first = powerIteration(cov, d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) cov[a * d + b]! -= first.value * first.vector[a]! * first.vector[b]!;
  const second = powerIteration(cov, d);
  const points = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    let p = 0;
    let q = 0;
    for (let j = 0; j < d; j++) {
      const c = x[i * d + j]! - mean[j]!;
      p += c * first.vector[j]!;
      q += c * second.vector[j]!;
    }
    points[2 * i] = p;
    points[2 * i + 1] = q;
  }
  const frac = (v: number) => (total > 0 ? v / total : 0);
  return { points, variances: [first.value, second.value], explained: [frac(first.value), frac(second.value)] };
}
