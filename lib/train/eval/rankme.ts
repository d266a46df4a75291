/**
 * Collapse signals of embeddings, for any method (as stable-pretraining's callbacks):
 *
 * - **RankMe** (Garrido et al. 2023): the effective rank `exp(H(p))` of the singular values
 *   `s` of the embeddings [N, D], `p = s / sum(s) + 1e-7` (the seed's epsilon). From 1 (all
 *   embeddings on one line) to min(N, D). The singular values are the square roots of the
 *   eigenvalues of the Gram matrix (the smaller of `Z^T Z` and `Z Z^T`), found by Jacobi.
 * - **embedding std**: the per-dimension standard deviation over the samples of the
 *   L2-normalised embeddings, averaged over dimensions (SimSiam's collapse signal): 0 when
 *   every sample maps to one point, about `1 / sqrt(D)` for spread embeddings.
 */
import { symmetricEigenvalues } from '../../util/jacobi.js';

const EPS = 1e-7;

/** The singular values (descending) of the row-major [n, d] matrix `z`. */
export function singularValues(z: ArrayLike<number>, n: number, d: number): Float64Array {
  if (z.length !== n * d) throw new Error(`singularValues: expected ${n}x${d} = ${n * d} values, got ${z.length}`);
  const k = Math.min(n, d);
  const g = new Float64Array(k * k);
  // Gram of the smaller side: Z^T Z [d, d] when d <= n, else Z Z^T [n, n].
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      let s = 0;
      if (d <= n) for (let r = 0; r < n; r++) s += z[r * d + i]! * z[r * d + j]!;
      else for (let c = 0; c < d; c++) s += z[i * d + c]! * z[j * d + c]!;
      g[i * k + j] = s;
      g[j * k + i] = s;
    }
  }
  return symmetricEigenvalues(g, k).map((e) => Math.sqrt(Math.max(e, 0)));
}

/**
 * RankMe of the embeddings [n, d] (row-major).
 * @example rankMe(embeddings, 256, 128) // e.g. 57.3
 */
export function rankMe(z: ArrayLike<number>, n: number, d: number): number {
  const s = singularValues(z, n, d);
  const sum = s.reduce((a, b) => a + b, 0);
  if (sum === 0) return 1;
  let h = 0;
  for (const v of s) {
    const p = v / sum + EPS;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/** The mean over dimensions of the std over samples of the L2-normalised embeddings [n, d]. */
export function embeddingStd(z: ArrayLike<number>, n: number, d: number): number {
  if (z.length !== n * d) throw new Error(`embeddingStd: expected ${n}x${d} = ${n * d} values, got ${z.length}`);
  if (n < 2) throw new Error(`embeddingStd: needs at least 2 samples, got ${n}`);
  const unit = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let c = 0; c < d; c++) norm += z[r * d + c]! * z[r * d + c]!;
    norm = Math.max(Math.sqrt(norm), 1e-12);
    for (let c = 0; c < d; c++) unit[r * d + c] = z[r * d + c]! / norm;
  }
  let total = 0;
  for (let c = 0; c < d; c++) {
    let mean = 0;
    for (let r = 0; r < n; r++) mean += unit[r * d + c]!;
    mean /= n;
    let v = 0;
    for (let r = 0; r < n; r++) v += (unit[r * d + c]! - mean) ** 2;
    total += Math.sqrt(v / (n - 1));
  }
  return total / d;
}
