/**
 * The Sinkhorn tests' reference: an independent float64 Sinkhorn in the log domain (plain JS loops), the reference's
 * algorithm: global normalisation, then per iteration prototypes to 1/K and samples to
 * 1/B, and finally *B (for 0 iterations: a per-sample softmax, the seed's final division).
 */
export function sinkhorn64(scores: number[][], epsilon: number, iterations: number): number[][] {
  const B = scores.length;
  const K = scores[0].length;
  const L = scores.map((r) => r.map((s) => s / epsilon));
  const lse = (xs: number[]) => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
  };
  const total = lse(L.flat());
  for (const r of L) for (let k = 0; k < K; k++) r[k] -= total;
  for (let it = 0; it < iterations; it++) {
    for (let k = 0; k < K; k++) {
      const c = lse(L.map((r) => r[k])) + Math.log(K);
      for (const r of L) r[k] -= c;
    }
    for (const r of L) {
      const c = lse(r) + Math.log(B);
      for (let k = 0; k < K; k++) r[k] -= c;
    }
  }
  if (iterations === 0) {
    for (const r of L) {
      const c = lse(r);
      for (let k = 0; k < K; k++) r[k] -= c;
    }
    return L.map((r) => r.map(Math.exp));
  }
  return L.map((r) => r.map((x) => Math.exp(x) * B));
}
