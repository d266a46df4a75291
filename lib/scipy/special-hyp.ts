/**
 * jax.scipy.special's hypergeometric functions for real arguments: hyp1f1 (JAX's Taylor series for
 * |x| < 100, its asymptotic series beyond, Pearson, Olver and Porter 2014, with JAX's derivative
 * rules). Loops run a fixed number of terms and stop
 * adding once a term is below float32's eps relative to the sum, as JAX's while_loops stop.
 */
import { type NdArray, customJvp } from '../core/index.js';
import * as np from '../ops/index.js';
import { digamma, gammaln, gammasgn } from './special-gamma.js';
import { type Operand, asFloat } from './util.js';

const EPS = 2 ** -23;
const MAX_TERMS = 250;
const ASYMPTOTIC_FROM = 100;

/**
 * sum_k weight(k) t_k with t_0 = first, t_{k+1} = t_k ratio(k), added to init: JAX's while_loop
 * (k from 1 below 250), which stops before a term at most eps times the sum so far.
 */
function masked(first: NdArray, ratio: (k: number) => NdArray, weight: ((k: number) => NdArray) | null, init: NdArray): NdArray {
  let sum = init;
  let term = first;
  let live = np.greaterEqual(first, -Infinity); // all true but NaN
  for (let k = 1; k < MAX_TERMS; k++) {
    live = np.logicalAnd(live, np.greater(np.abs(term), np.mul(np.abs(sum), EPS)));
    sum = np.where(live, np.add(sum, weight ? np.mul(term, weight(k)) : term), sum);
    term = np.mul(term, ratio(k));
  }
  return sum;
}

/** e^shift 1F1(a; b; x) for x >= 0 by JAX's two series (the shift joins the asymptotic form's e^x, so e^-x e^x cannot overflow). */
function hyp1f1NonNegative(a: NdArray, b: NdArray, x: NdArray, shift: NdArray): NdArray {
  const near = np.less(np.abs(x), ASYMPTOTIC_FROM);
  const xs = np.where(near, x, 0);
  const xl = np.where(near, ASYMPTOTIC_FROM, x);
  // The Taylor sum scaled by e^(shift / 2) from its first terms and e^(shift / 2) after: Kummer's e^-|x| 1F1(..., |x|) then
  // neither overflows in the sum (up to e^99) nor underflows in the factor.
  const half = np.exp(np.mul(np.where(near, shift, 0), 0.5));
  const taylor = masked(np.div(np.mul(np.mul(a, xs), half), b), (k) => np.div(np.mul(np.div(np.add(a, k), np.add(b, k)), xs), k + 1), null, half);
  const tail = masked(
    np.div(np.mul(np.sub(b, a), np.sub(1, a)), xl),
    (k) => np.div(np.div(np.mul(np.add(np.sub(b, a), k), np.add(np.sub(1, a), k)), k + 1), xl),
    null,
    np.onesLike(xl),
  );
  // Gamma(b) / Gamma(a) e^(x + shift) x^(a - b) in log space, so that only a result past float32 overflows.
  const logScale = np.add(np.add(np.where(near, 0, shift), xl), np.sub(np.mul(np.sub(a, b), np.log(xl)), np.sub(gammaln(a), gammaln(b))));
  const asymptotic = np.mul(np.mul(np.mul(gammasgn(a), gammasgn(b)), np.exp(logScale)), tail);
  return np.where(near, np.mul(taylor, half), asymptotic);
}

/**
 * 1F1 without its derivative rule: for x < 0 Kummer's transformation e^x 1F1(b - a; b; -x) (JAX sums
 * the alternating series there, which cancels in float32 from x of about -15, and its asymptotic
 * form is wrong below -100); JAX's special cases (a = 0: 1; a = b: e^x; b = 0: inf).
 */
function hyp1f1Value(a: NdArray, b: NdArray, x: NdArray): NdArray {
  const negative = np.less(x, 0);
  const zero = np.zerosLike(x);
  const general = np.where(negative, hyp1f1NonNegative(np.sub(b, a), b, np.abs(x), np.minimum(x, 0)), hyp1f1NonNegative(a, b, np.abs(x), zero));
  return np.where(np.equal(a, 0), 1, np.where(np.equal(a, b), np.exp(x), np.where(np.equal(b, 0), Infinity, general)));
}

/** d/da (weights psi(a + k) - psi(a)) or d/db (psi(b) - psi(b + k)) of the Taylor series (JAX's rules). */
function hyp1f1Param(a: NdArray, b: NdArray, x: NdArray, wrt: 'a' | 'b'): NdArray {
  const weight = wrt === 'a' ? (k: number) => np.sub(digamma(np.add(a, k)), digamma(a)) : (k: number) => np.sub(digamma(b), digamma(np.add(b, k)));
  return masked(np.div(np.mul(a, x), b), (k) => np.div(np.mul(np.div(np.add(a, k), np.add(b, k)), x), k + 1), weight, np.zerosLike(x));
}

const hyp1f1Rule = customJvp(
  (a: NdArray, b: NdArray, x: NdArray) => hyp1f1Value(a, b, x),
  ([a, b, x]: NdArray[], [da, db, dx]: NdArray[]) => {
    const y = hyp1f1Value(a!, b!, x!);
    const ddx = np.mul(np.div(a!, b!), hyp1f1Value(np.add(a!, 1), np.add(b!, 1), x!));
    const t = np.add(np.add(np.mul(hyp1f1Param(a!, b!, x!, 'a'), da!), np.mul(hyp1f1Param(a!, b!, x!, 'b'), db!)), np.mul(ddx, dx!));
    return [y, t];
  },
) as (a: NdArray, b: NdArray, x: NdArray) => NdArray;

/**
 * The confluent hypergeometric function 1F1(a; b; x) = sum (a)_k / (b)_k x^k / k! for real
 * arguments (jax.scipy.special.hyp1f1): JAX's Taylor series for 0 <= x < 100, its asymptotic
 * series beyond, Kummer's transformation for x < 0 (SciPy's values; JAX's float32 series cancels
 * there); 1 at a = 0 (a = b = 0 too, JAX's convention; SciPy: inf), e^x at a = b, inf at b = 0. Derivatives: JAX's rules in
 * a, b (series with digamma weights) and x (a / b 1F1(a + 1; b + 1; x)).
 */
export function hyp1f1(a: Operand, b: Operand, x: Operand): NdArray {
  const [av, bv, xv] = np.broadcastArrays(asFloat(a), asFloat(b), asFloat(x));
  return hyp1f1Rule(av!, bv!, xv!);
}
