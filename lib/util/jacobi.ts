/**
 * Eigenvalues of a small symmetric matrix on the host, by the cyclic Jacobi method: plane
 * rotations zero the off-diagonal entries one by one until their norm is negligible against
 * the matrix's. Accurate to a few ulps of the largest eigenvalue, for matrices up to a few
 * hundred rows (O(n^3) per sweep, usually under 10 sweeps). Used for the spectrum of
 * embedding covariances (RankMe), where tfjs has no eigen-solver.
 */

/**
 * The eigenvalues (in descending order) of the symmetric `n x n` matrix `a` (row-major;
 * only read, never changed). Throws for a non-square or non-finite input.
 * @example symmetricEigenvalues([2, 1, 1, 2], 2) // [3, 1] (to rounding)
 */
export function symmetricEigenvalues(a: ArrayLike<number>, n: number, maxSweeps = 100): Float64Array {
  if (a.length !== n * n) throw new Error(`symmetricEigenvalues: expected ${n}x${n} = ${n * n} entries, got ${a.length}`);
  const m = Float64Array.from(a);
  for (let i = 0; i < m.length; i++) if (!Number.isFinite(m[i]!)) throw new Error(`symmetricEigenvalues: entry ${i} is ${m[i]} (the matrix must be finite)`);
  let total = 0;
  for (let i = 0; i < m.length; i++) total += m[i]! * m[i]!;
  const tolerance = Number.EPSILON * Number.EPSILON * total;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * m[p * n + q]! * m[p * n + q]!;
    if (off <= tolerance) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // The rotation angle that zeroes a[p][q] (Golub & Van Loan, Algorithm 8.4.1), in its stable form.
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const eig = new Float64Array(n);
  for (let i = 0; i < n; i++) eig[i] = m[i * n + i]!;
  return eig.sort().reverse();
}
