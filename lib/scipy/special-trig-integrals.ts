/**
 * jax.scipy.special's sici (sine and cosine integrals) and fresnel (Fresnel integrals) for real
 * arguments, and Owen's T function (owensT, by quadrature): power series near 0, complex continued fractions (modified Lentz, carried as real and
 * imaginary parts) beyond. float32 throughout; the fractions' cos / sin of x (sici) or pi x^2 / 2
 * (fresnel) carry float32's rounding of that argument, as JAX's float32 does.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { ndtr } from './special-ndtr.js';
import { type Operand, asFloat } from './util.js';

const EULER = 0.5772156649015329;
const TINY = 1e-30;

/** A complex number as its real and imaginary parts. */
type Complex = readonly [NdArray, NdArray];

const cmul = ([a, b]: Complex, [c, d]: Complex): Complex => [np.sub(np.mul(a, c), np.mul(b, d)), np.add(np.mul(a, d), np.mul(b, c))];
function cinv([a, b]: Complex): Complex {
  const den = np.add(np.mul(a, a), np.mul(b, b));
  return [np.div(a, den), np.div(np.neg(b), den)];
}
const cadd = ([a, b]: Complex, [c, d]: Complex): Complex => [np.add(a, c), np.add(b, d)];
const cscale = ([a, b]: Complex, s: number): Complex => [np.mul(a, s), np.mul(b, s)];

/**
 * The continued fraction 1 / (b0 + a1 / (b0 + step + a2 / (b0 + 2 step + ...))) with real
 * partial numerators a(i) and complex b0 advancing by the real `step` (modified Lentz, fixed steps).
 */
function complexFraction(b0: Complex, step: number, numerator: (i: number) => number, steps: number): Complex {
  let b = b0;
  let c: Complex = [np.fullLike(b0[0], 1 / TINY), np.zerosLike(b0[0])];
  let d = cinv(b);
  let h = d;
  for (let i = 1; i <= steps; i++) {
    const a = numerator(i);
    b = [np.add(b[0], step), b[1]];
    d = cinv(cadd(cscale(d, a), b));
    c = cadd(b, cscale(cinv(c), a));
    h = cmul(h, cmul(c, d));
  }
  return h;
}

/** sici's series up to this |x|, its fraction beyond. */
const SICI_SERIES_TO = 4;
const SICI_SERIES_TERMS = 16;
const SICI_FRACTION_STEPS = 40;

/**
 * [Si(x), Ci(x)]: Si = int_0^x sin t / t dt (odd, ±pi/2 at ±inf), Ci = gamma + log|x| +
 * int_0^x (cos t - 1) / t dt (-inf at 0, 0 at inf); for x < 0 Ci is Ci(|x|), the real part of
 * the complex value (Cephes', as SciPy's), NaN at -inf.
 */
export function sici(x: Operand): [NdArray, NdArray] {
  const v = asFloat(x);
  const a = np.abs(v);
  const low = np.lessEqual(a, SICI_SERIES_TO);
  const xs = np.where(low, a, 1);
  const x2 = np.mul(xs, xs);
  let [termS, termC] = [xs, np.mul(x2, -0.5)]; // x^(2k+1)/(2k+1)! (-1)^k and (-1)^k x^(2k)/(2k)!, k = 1 for C
  let [si, ci] = [xs, np.div(termC, 2)];
  for (let k = 1; k < SICI_SERIES_TERMS; k++) {
    termS = np.div(np.mul(termS, np.neg(x2)), (2 * k) * (2 * k + 1));
    si = np.add(si, np.div(termS, 2 * k + 1));
    termC = np.div(np.mul(termC, np.neg(x2)), (2 * k + 1) * (2 * k + 2));
    ci = np.add(ci, np.div(termC, 2 * k + 2));
  }
  ci = np.add(np.add(EULER, np.log(xs)), ci);
  // E1(i x) = e^(-i x) / (1 + i x + ...): h = CF, times (cos x - i sin x); Ci = -Re h, Si = pi/2 + Im h.
  const xl = np.where(np.logicalOr(low, np.equal(a, Infinity)), SICI_SERIES_TO + 1, a);
  const h = cmul(complexFraction([np.onesLike(xl), xl], 2, (i) => -(i * i), SICI_FRACTION_STEPS), [np.cos(xl), np.neg(np.sin(xl))]);
  const siFar = np.where(np.equal(a, Infinity), Math.PI / 2, np.add(Math.PI / 2, h[1]));
  const ciFar = np.where(np.equal(a, Infinity), 0, np.neg(h[0]));
  const siAbs = np.where(low, si, siFar);
  const ciAbs = np.where(np.equal(a, 0), -Infinity, np.where(low, ci, ciFar));
  return [np.mul(np.sign(v), siAbs), np.where(np.equal(v, -Infinity), NaN, ciAbs)];
}

/** fresnel's series up to this |x|, its fraction beyond. */
const FRESNEL_SERIES_TO = 1.8;
const FRESNEL_SERIES_TERMS = 14;
const FRESNEL_FRACTION_STEPS = 40;

/**
 * [S(x), C(x)] = [int_0^x sin(pi t^2 / 2) dt, int_0^x cos(pi t^2 / 2) dt] (jax.scipy.special.fresnel's
 * order, as SciPy's); both odd, ±1/2 at ±inf.
 */
export function fresnel(x: Operand): [NdArray, NdArray] {
  const v = asFloat(x);
  const a = np.abs(v);
  const low = np.lessEqual(a, FRESNEL_SERIES_TO);
  const xs = np.where(low, a, 1);
  const t = np.mul(np.mul(xs, xs), Math.PI / 2); // pi x^2 / 2
  const t2 = np.mul(t, t);
  // C = x sum (-1)^k t^(2k) / ((2k)! (4k + 1)), S = x sum (-1)^k t^(2k+1) / ((2k+1)! (4k + 3)).
  let [termC, termS] = [np.onesLike(xs), t];
  let [c, s] = [termC, np.div(t, 3)];
  for (let k = 1; k < FRESNEL_SERIES_TERMS; k++) {
    termC = np.div(np.mul(termC, np.neg(t2)), (2 * k - 1) * (2 * k));
    c = np.add(c, np.div(termC, 4 * k + 1));
    termS = np.div(np.mul(termS, np.neg(t2)), (2 * k) * (2 * k + 1));
    s = np.add(s, np.div(termS, 4 * k + 3));
  }
  [c, s] = [np.mul(c, xs), np.mul(s, xs)];
  // erfc-type fraction: h = 1 / (b + a1 / (b + 4 + ...)), b = 1 - i pi x^2, a_k = -(2k - 1)(2k);
  // (C + i S) = (1 + i)/2 (1 - (cos + i sin)(pi x^2 / 2) (x - i x) h).
  const xl = np.where(np.logicalOr(low, np.equal(a, Infinity)), FRESNEL_SERIES_TO + 1, a);
  const tl = np.mul(np.mul(xl, xl), Math.PI / 2);
  const h = cmul(complexFraction([np.onesLike(xl), np.mul(tl, -2)], 4, (k) => -(2 * k - 1) * (2 * k), FRESNEL_FRACTION_STEPS), [xl, np.neg(xl)]);
  const w = cmul([np.cos(tl), np.sin(tl)], h);
  const [re, im] = [np.sub(1, w[0]), np.neg(w[1])];
  const cFar = np.where(np.equal(a, Infinity), 0.5, np.mul(0.5, np.sub(re, im)));
  const sFar = np.where(np.equal(a, Infinity), 0.5, np.mul(0.5, np.add(re, im)));
  const sign = np.sign(v);
  return [np.mul(sign, np.where(low, s, sFar)), np.mul(sign, np.where(low, c, cFar))];
}

/** Gauss-Legendre nodes and weights on [0, 1], computed once on the host in float64 (Newton on P_n). */
function gaussLegendre01(n: number): [number[], number[]] {
  const [nodes, weights] = [[] as number[], [] as number[]];
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let dp = 1;
    for (let iter = 0; iter < 100; iter++) {
      let [p0, p1] = [1, x];
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes.push((1 + x) / 2);
    weights.push(1 / ((1 - x * x) * dp * dp));
  }
  return [nodes, weights];
}

const [OWENS_NODES, OWENS_WEIGHTS] = gaussLegendre01(32);

/** T(h, a) for 0 <= a <= 1 by Gauss-Legendre quadrature of (1/2pi) int_0^a e^(-h^2 (1 + x^2) / 2) / (1 + x^2) dx. */
function owensQuadrature(h: NdArray, a: NdArray): NdArray {
  const h2 = np.mul(np.mul(h, h), -0.5);
  let sum: NdArray = np.zerosLike(np.add(h, a));
  OWENS_NODES.forEach((t, i) => {
    const x = np.mul(a, t);
    const q = np.add(1, np.mul(x, x));
    sum = np.add(sum, np.mul(OWENS_WEIGHTS[i]!, np.div(np.exp(np.mul(h2, q)), q)));
  });
  return np.mul(sum, np.div(a, 2 * Math.PI));
}

/**
 * Owen's T function T(h, a) = (1/2pi) int_0^a e^(-h^2 (1 + x^2) / 2) / (1 + x^2) dx (SciPy's owens_t):
 * even in h, odd in a; 32-point Gauss-Legendre quadrature for |a| <= 1, and for |a| > 1 the
 * reflection T(h, a) = Q(h)/2 + Q(ah)/2 - Q(h) Q(ah) - T(ah, 1/a) (Q the normal upper tail, so no
 * cancellation of probabilities near 1); T(h, ±inf) = ±Q(|h|)/2.
 */
export function owensT(h: Operand, a: Operand): NdArray {
  const [hv, av] = np.broadcastArrays(asFloat(h), asFloat(a));
  const [ah, aa] = [np.abs(hv!), np.abs(av!)];
  const small = np.lessEqual(aa, 1);
  const inner = owensQuadrature(ah, np.where(small, av!, 1)); // odd in a as it stands, so d/da at 0 is right
  const big = np.where(small, 2, aa);
  const upper = (z: NdArray) => ndtr(np.neg(z));
  const [qh, qah] = [upper(ah), upper(np.mul(ah, big))];
  const reflected = np.sub(np.sub(np.mul(0.5, np.add(qh, qah)), np.mul(qh, qah)), owensQuadrature(np.mul(ah, big), np.div(1, big)));
  return np.where(small, inner, np.mul(np.sign(av!), np.where(np.equal(aa, Infinity), np.mul(0.5, qh), reflected)));
}
