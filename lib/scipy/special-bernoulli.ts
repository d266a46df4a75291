/** jax.scipy.special.bernoulli: the Bernoulli numbers, computed on the host (n is static, as in JAX). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/** zeta(m) for m >= 4: 49 terms of its series and the Euler-Maclaurin tail from 50 (float64-exact). */
function zetaInt(m: number): number {
  const n = 50;
  let sum = n ** (1 - m) / (m - 1) + n ** -m / 2 + (m * n ** (-m - 1)) / 12;
  for (let k = 1; k < n; k++) sum += k ** -m;
  return sum;
}

/** B_m for even m >= 4: (-1)^(m/2 + 1) 2 m! zeta(m) / (2 pi)^m, in float64. */
function evenBernoulli(m: number): number {
  let scaled = 2;
  for (let j = 1; j <= m; j++) scaled *= j / (2 * Math.PI);
  const zeta = zetaInt(m);
  return (m / 2) % 2 === 1 ? scaled * zeta : -scaled * zeta;
}

/**
 * The Bernoulli numbers B_0 ... B_n (SciPy's convention B_1 = -1/2; odd ones beyond 1 are 0),
 * a float32 array of n + 1 entries (inf where they pass float32's range, from B_86 on).
 * @example special.bernoulli(4) // [1, -0.5, 0.1667, 0, -0.0333]
 */
export function bernoulli(n: number): NdArray {
  if (!Number.isInteger(n) || n < 0) throw new Error(`bernoulli: n must be a non-negative integer, got ${n}`);
  const values = Array.from({ length: n + 1 }, (_, m) => (m === 0 ? 1 : m === 1 ? -0.5 : m === 2 ? 1 / 6 : m % 2 === 1 ? 0 : evenBernoulli(m)));
  return np.array(values);
}
