/**
 * The implicit reparameterization gradient of Gamma(a, 1) samples (Figurnov, Mohamed & Mnih,
 * 2018; jax.random.gamma's `random_gamma_grad`): at fixed CDF u = P(a, x),
 * dx/da = -(dP/da) / (dP/dx). Computed as XLA's RandomGammaGrad does, by the power series of
 * P(a, x) where x <= max(1, a) and the continued fraction of Q(a, x) = 1 - P above, each
 * carried together with its derivative in `a` and iterated until every element's derivative
 * has converged (a whileLoop of at most MAX_ITERS rounds). The factor x^a e^-x / Gamma(a)
 * common to dP/da and the density cancels, so nothing underflows; the result here is
 * d(log x)/da (so loggamma, beta and dirichlet need no exp of their log samples).
 */
import { type NdArray, lax } from '../core/index.js';
import * as np from '../ops/index.js';
import { digamma } from '../ops/lax-elementwise.js';

/** float32's machine epsilon: a sum stops once its derivative's last term changes it by less. */
const EPS = 2 ** -23;
/** XLA's cap on the iterations of the series and the fraction. */
const MAX_ITERS = 2000;

/** Runs `step` over the carry while any element is enabled (carry[0], bool) and fewer than MAX_ITERS rounds ran. */
function iterate(step: (c: NdArray[]) => NdArray[], init: NdArray[]): NdArray[] {
  const [, ...out] = lax.whileLoop(
    ([i, enabled]: NdArray[]) => np.logicalAnd(np.any(enabled), np.less(i, MAX_ITERS)),
    ([i, ...c]: NdArray[]) => {
      const next = step(c);
      // An element that has converged keeps its values (XLA's selects).
      return [np.add(i, 1), next[0]!, ...next.slice(1).map((v, k) => np.where(c[0]!, v, c[k + 1]!))];
    },
    [np.array(0, 'int32'), ...init],
  );
  return out;
}

/**
 * d(log x)/da from P's series: P = x^a e^-x / Gamma(a + 1) * ans with ans = sum_n c_n,
 * c_n = x^n / ((a + 1) ... (a + n)); d(log x)/da = -(dans/da + ans (log x - psi(a + 1))) / a.
 */
function seriesGrad(a: NdArray, x: NdArray, logx: NdArray, enabled: NdArray): NdArray {
  const one = np.onesLike(x);
  const zero = np.zerosLike(x);
  const [, , , ans, , dansDa] = iterate(([on, r0, c0, ans0, dc0, dans0]) => {
    const r = np.add(r0!, 1);
    const dc = np.add(np.mul(dc0!, np.div(x, r)), np.div(np.neg(np.mul(c0!, x)), np.square(r)));
    const dans = np.add(dans0!, dc);
    const c = np.mul(c0!, np.div(x, r));
    return [np.logicalAnd(on!, np.greater(np.abs(np.div(dc, dans)), EPS)), r, c, np.add(ans0!, c), dc, dans];
  }, [enabled, a, one, one, zero, zero]);
  return np.neg(np.div(np.add(dansDa!, np.mul(ans!, np.sub(logx, digamma(np.add(a, 1))))), a));
}

/**
 * d(log x)/da from Q's continued fraction (Q = x^a e^-x / Gamma(a) * ans, the fraction's value
 * ans carried with its derivative): d(log x)/da = ans (log x - psi(a)) + dans/da. The
 * convergents' numerators and denominators are rescaled together when they grow past 1/eps.
 */
function fractionGrad(a: NdArray, x: NdArray, logx: NdArray, enabled: NdArray): NdArray {
  const zero = np.zerosLike(x);
  const y0 = np.sub(1, a);
  const z0 = np.add(np.add(x, y0), 1);
  const [pkm1, qkm1] = [np.add(x, 1), np.mul(z0, x)];
  const ans0 = np.div(pkm1, qkm1);
  const dqkm1 = np.neg(x);
  const dans0 = np.div(np.neg(np.mul(ans0, dqkm1)), qkm1);
  const out = iterate((c) => {
    const [on, ans, y0_, z0_, c0, p1, q1, p2, q2, dp2, dq2, dp1, dq1, dans] = c;
    const cc = np.add(c0!, 1);
    const y = np.add(y0_!, 1);
    const z = np.add(z0_!, 2);
    const yc = np.mul(y, cc);
    const pk = np.sub(np.mul(p1!, z), np.mul(p2!, yc));
    const qk = np.sub(np.mul(q1!, z), np.mul(q2!, yc));
    const nonzero = np.notEqual(qk, 0);
    const safeQ = np.where(nonzero, qk, 1);
    const ansNew = np.where(nonzero, np.div(pk, safeQ), ans!);
    const dpk = np.add(np.sub(np.sub(np.mul(dp1!, z), p1!), np.mul(dp2!, yc)), np.mul(p2!, cc));
    const dqk = np.add(np.sub(np.sub(np.mul(dq1!, z), q1!), np.mul(dq2!, yc)), np.mul(q2!, cc));
    const dansNew = np.where(nonzero, np.div(np.sub(dpk, np.mul(ansNew, dqk)), safeQ), dans!);
    const moved = np.where(nonzero, np.abs(np.sub(dansNew, dans!)), 1);
    // Rescale every convergent term together once the numerator grows large.
    const big = np.greater(np.abs(pk), 1 / EPS);
    const scale = (v: NdArray) => np.where(big, np.mul(v, EPS), v);
    return [np.logicalAnd(on!, np.greater(moved, EPS)), ansNew, y, z, cc, scale(pk), scale(qk), scale(p1!), scale(q1!), scale(dp1!), scale(dq1!), scale(dpk), scale(dqk), dansNew];
  }, [enabled, ans0, y0, z0, zero, pkm1, qkm1, np.onesLike(x), x, zero, zero, zero, dqkm1, dans0]);
  const [ans, dansDa] = [out[1]!, out[13]!];
  return np.add(np.mul(ans, np.sub(logx, digamma(a))), dansDa);
}

/**
 * d(log x)/da for x ~ Gamma(a, 1) given a and log x (broadcast to one shape), at fixed CDF:
 * the implicit reparameterization gradient. NaN where a <= 0 or log x is NaN.
 * @example np.mul(logGammaSampleGrad(a, logx), np.exp(logx)) // dx/da
 */
export function logGammaSampleGrad(a: NdArray, logx: NdArray): NdArray {
  const x = np.exp(logx);
  const valid = np.logicalAnd(np.greater(a, 0), np.logicalNot(np.isnan(logx)));
  const useFraction = np.logicalAnd(np.greater(x, 1), np.greater(x, a));
  // Each method iterates only over the elements it serves; the others see harmless values.
  const safeA = np.where(valid, a, 1);
  const series = seriesGrad(safeA, np.where(useFraction, 0.5, x), logx, np.logicalAnd(valid, np.logicalNot(useFraction)));
  const fraction = fractionGrad(safeA, np.where(useFraction, x, np.add(safeA, 2)), logx, np.logicalAnd(valid, useFraction));
  return np.where(valid, np.where(useFraction, fraction, series), NaN);
}
