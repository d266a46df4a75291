/**
 * The first two principal components of n points in D dimensions, by power iteration on the
 * D x D covariance (deflating after the first): enough for a 2-D scatter of embeddings.
 */

function topEigenvector(cov: Float64Array, d: number, seed: number): Float64Array {
  let v = Float64Array.from({ length: d }, (_, i) => Math.sin(seed + i * 12.9898) + 1e-3);
  for (let iter = 0; iter < 200; iter++) {
    const next = new Float64Array(d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) next[i]! += cov[i * d + j]! * v[j]!;
    const norm = Math.hypot(...next) || 1;
    for (let i = 0; i < d; i++) next[i]! /= norm;
    v = next;
  }
  return v;
}

/** Projects the rows of `x` ([n, d], row-major) onto their first two principal components: [n, 2]. */
export function pca2(x: Float32Array, n: number, d: number): Float32Array {
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j]! += x[r * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      const a = x[r * d + i]! - mean[i]!;
      for (let j = 0; j < d; j++) cov[i * d + j]! += (a * (x[r * d + j]! - mean[j]!)) / n;
    }
  }
  const pc1 = topEigenvector(cov, d, 1);
  // Deflate: remove pc1's share, so the next power iteration finds the second component.
  let lambda = 0;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) lambda += pc1[i]! * cov[i * d + j]! * pc1[j]!;
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j]! -= lambda * pc1[i]! * pc1[j]!;
  const pc2 = topEigenvector(cov, d, 2);
  const out = new Float32Array(n * 2);
  for (let r = 0; r < n; r++) {
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      const c = x[r * d + j]! - mean[j]!;
      a += c * pc1[j]!;
      b += c * pc2[j]!;
    }
    out[2 * r] = a;
    out[2 * r + 1] = b;
  }
  return out;
}
