/**
 * Sinkhorn's normalisations carried out on `log Q` with max-shifted log-sum-exps: finite and
 * correct for any finite scores and any epsilon > 0 (tested down to 0.001), at the price of
 * an exponential per element for every normalisation. `sinkhorn` uses it where the scaling
 * solver (sinkhorn-scaling.ts) could lose precision, and for the reference's NaN cases.
 *
 * The reference's first step, `Q /= sum(Q)`, multiplies Q by a constant that the first
 * per-prototype normalisation (or, without iterations, the per-sample one) divides out again:
 * in the log domain it is redundant for finite totals, and left out. What it does do in the
 * reference is make every code NaN when the total is not finite (a NaN or +inf score, or
 * every score -inf): `0 * log(total)` (NaN exactly then, else 0) is added to the first
 * normaliser so that the codes are NaN in the same cases. Its log is that of the
 * per-prototype log-sum-exps already computed (a [K] reduction), or without iterations one
 * more pass.
 *
 * The last step divides each sample by its own sum in the linear domain,
 * `exp(log Q - max) / sum`, so that each sample's codes sum to 1 up to float32 rounding
 * whatever the magnitude of `log Q` (an `exp(log Q - logsumexp)` is off by the rounding of
 * `log Q` itself: 2e-5 at epsilon 0.001).
 */
import { type NdArray, lax } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';
import { type Collective, type SinkhornProblem, identity } from './sinkhorn-problem.js';

/** What a masked-out sample adds to its log-codes: exp of it is exactly 0 in float32. */
const MASKED = -1e30;

/**
 * log(sum(exp(x))) over `axis` with kept dims: the fused reduce_logsumexp on this device
 * (one SIMD pass on wasm), combined over devices as m + log(sum(exp(l - m))) with m the max
 * of the devices' results l, so that no exponential overflows.
 */
function logSumExp(x: NdArray, axis: number, sumOver: Collective, maxOver: Collective): NdArray {
  const l = np.reshape(lax.reduceLogSumExp(x, [axis]), shapeOf(x).map((d, i) => (i === axis ? 1 : d)));
  if (sumOver === identity && maxOver === identity) return l;
  const m = maxOver(l);
  return np.add(np.log(sumOver(np.exp(np.sub(l, m)))), m);
}

/** The codes [B, K] of a Sinkhorn problem, every step on `log Q` (see the module notes). */
export function logDomainCodes({ scores, epsilon, keep, logB, iterations, sumOver, maxOver }: SinkhornProblem): NdArray {
  const k = shapeOf(scores)[1]!;
  const maskAdd = keep === null ? null : np.mul(np.sub(1, keep), MASKED);
  const masked = (x: NdArray) => (maskAdd === null ? x : np.add(x, maskAdd));
  const local = identity;
  let logQ = masked(np.div(scores, epsilon));
  const logK = Math.log(k);
  if (iterations === 0) logQ = np.add(logQ, nanUnlessFinite(logSumExp(logSumExp(logQ, 1, local, local), 0, sumOver, maxOver)));
  for (let i = 0; i < iterations; i++) {
    // Each prototype sums to 1/K over the (global) batch (the first time, NaN if the total is not finite).
    const perPrototype = logSumExp(logQ, 0, sumOver, maxOver);
    const normaliser = i === 0 ? np.add(perPrototype, nanUnlessFinite(lax.reduceLogSumExp(perPrototype, [1]))) : perPrototype;
    logQ = np.sub(np.sub(logQ, normaliser), logK);
    // Each sample sums to 1/B, except in the last round: the final step below takes it to 1 (`Q *= B`).
    if (i < iterations - 1) logQ = masked(np.sub(np.sub(logQ, logSumExp(logQ, 1, local, local)), logB!));
  }
  const e = np.exp(np.sub(logQ, np.max(logQ, 1, true)));
  const q = np.div(e, np.sum(e, 1, true));
  return keep === null ? q : np.mul(q, keep);
}

/**
 * `0 * logTotal`: 0 where the log of the reference's total `sum(exp(scores / epsilon))` is finite,
 * NaN where it is NaN or +-inf, so that adding it makes every code NaN exactly when the
 * reference's `Q /= sum(Q)` does.
 */
function nanUnlessFinite(logTotal: NdArray): NdArray {
  return np.mul(logTotal, 0);
}
