/**
 * jax.lax's special functions with lax's strict rules (float operands of one dtype): igamma,
 * igammac, betainc, zeta, polygamma, bessel_i0e/i1e, run by this layer's SciPy algorithms.
 */
import type { NdArray } from '../core/index.js';
import { type LaxOperand, checkDType, strictBinary, strictOperands, strictUnary } from '../ops/lax-operands.js';
import { betainc as scipyBetainc } from './special-betainc.js';
import { i0e, i1e } from './special-bessel.js';
import { polygamma as scipyPolygamma, zeta as scipyZeta } from './special-gamma.js';
import { gammainc, gammaincc } from './special-gammainc.js';

/** Regularized lower incomplete gamma P(a, x) (jax.lax.igamma). */
export const igamma = strictBinary('igamma', 'float', (a, x) => gammainc(a, x));
/** Regularized upper incomplete gamma Q(a, x) = 1 - P(a, x) (jax.lax.igammac). */
export const igammac = strictBinary('igammac', 'float', (a, x) => gammaincc(a, x));
/** Hurwitz zeta(x, q) (jax.lax.zeta). */
export const zeta = strictBinary('zeta', 'float', (x, q) => scipyZeta(x, q));
/** The m-th derivative of digamma (jax.lax.polygamma; m a float array of integral values). */
export const polygamma = strictBinary('polygamma', 'float', (m, x) => scipyPolygamma(m, x));
/** exp(-|x|) I0(x) (jax.lax.bessel_i0e). */
export const besselI0e = strictUnary('besselI0e', 'float', (x) => i0e(x));
/** exp(-|x|) I1(x) (jax.lax.bessel_i1e). */
export const besselI1e = strictUnary('besselI1e', 'float', (x) => i1e(x));

/** Regularized incomplete beta I_x(a, b) (jax.lax.betainc): three float operands of one dtype. */
export function betainc(a: LaxOperand, b: LaxOperand, x: LaxOperand): NdArray {
  const [aa, bb, xx] = strictOperands('betainc', [a, b, x]);
  checkDType('betainc', aa, 'float');
  return scipyBetainc(aa, bb, xx);
}
