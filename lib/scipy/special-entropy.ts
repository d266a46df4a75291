/**
 * jax.scipy.special's logistic and entropy functions: expit, logit, xlogy, xlog1py, entr,
 * rel_entr, kl_div. xlogy and xlog1py carry JAX's custom derivative rules.
 */
import { type NdArray, customJvp } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Operand, asFloat } from './util.js';

/** The logistic sigmoid 1 / (1 + exp(-x)). */
export function expit(x: Operand): NdArray {
  return np.sigmoid(asFloat(x));
}

/**
 * log(p / (1 - p)): -inf at 0, inf at 1, NaN outside [0, 1]. Near 1/2 as log1p((2p - 1) / (1 - p)),
 * whose numerator is exact (SciPy's scheme), so logit(0.5 + d) keeps its relative digits.
 */
export function logit(p: Operand): NdArray {
  const x = asFloat(p);
  const middle = np.logicalAnd(np.greaterEqual(x, 0.3), np.lessEqual(x, 0.7));
  const oneMinus = np.sub(1, x);
  return np.where(middle, np.log1p(np.div(np.sub(np.mul(x, 2), 1), oneMinus)), np.log(np.div(x, oneMinus)));
}

/** `f(x, y)` where x != 0, 0 where x = 0 (whatever y is), each branch on safe inputs. */
function zeroAtZero(x: NdArray, y: NdArray, f: (x: NdArray, y: NdArray) => NdArray): NdArray {
  const ok = np.notEqual(x, 0);
  return np.where(ok, f(np.where(ok, x, 1), np.where(ok, y, 1)), 0);
}

/** zeroAtZero, but a NaN y gives NaN even at x = 0 (JAX's xlogy and xlog1py, as SciPy). */
function zeroAtZeroNanY(x: NdArray, y: NdArray, f: (x: NdArray, y: NdArray) => NdArray): NdArray {
  return np.where(np.isnan(y), NaN, zeroAtZero(x, y, f));
}

const xlogyPlain = (x: NdArray, y: NdArray) => zeroAtZeroNanY(x, y, (a, b) => np.mul(a, np.log(b)));
const xlogyRule = customJvp(
  xlogyPlain,
  ([x, y]: NdArray[], [dx, dy]: NdArray[]) => [xlogyPlain(x!, y!), np.add(np.mul(dx!, np.log(y!)), np.div(np.mul(dy!, x!), y!))],
) as (x: NdArray, y: NdArray) => NdArray;

const xlog1pyPlain = (x: NdArray, y: NdArray) => zeroAtZeroNanY(x, y, (a, b) => np.mul(a, np.log1p(b)));
const xlog1pyRule = customJvp(
  xlog1pyPlain,
  ([x, y]: NdArray[], [dx, dy]: NdArray[]) => [xlog1pyPlain(x!, y!), np.add(np.mul(dx!, np.log1p(y!)), np.div(np.mul(dy!, x!), np.add(y!, 1)))],
) as (x: NdArray, y: NdArray) => NdArray;

/**
 * x * log(y), 0 where x = 0 even if log(y) is -inf; NaN where y is NaN, x = 0 included (JAX
 * and SciPy). JAX's derivative rule: d/dx = log(y), d/dy = x / y (so d/dx at x = 0, y = 0 is -inf).
 */
export function xlogy(x: Operand, y: Operand): NdArray {
  return xlogyRule(asFloat(x), asFloat(y));
}

/** x * log1p(y), 0 where x = 0 (NaN where y is NaN); JAX's derivative rule: d/dx = log1p(y), d/dy = x / (1 + y). */
export function xlog1py(x: Operand, y: Operand): NdArray {
  return xlog1pyRule(asFloat(x), asFloat(y));
}

/** x log x with 0 at 0 and JAX's derivative log(x) + 1 (-inf at 0). */
const xlogxPlain = (x: NdArray) => zeroAtZero(x, x, (a) => np.mul(a, np.log(a)));
const xlogx = customJvp(
  xlogxPlain,
  ([x]: NdArray[], [dx]: NdArray[]) => [xlogxPlain(x!), np.mul(dx!, np.add(np.log(x!), 1))],
) as (x: NdArray) => NdArray;

/** The elementwise entropy -x log x: 0 at 0, -inf for x < 0, NaN for NaN. */
export function entr(x: Operand): NdArray {
  const v = asFloat(x);
  return np.where(np.less(v, 0), -Infinity, np.neg(xlogx(v)));
}

/** `value` where p > 0 and q > 0 (computed on safe inputs), `zeroCase` where p = 0 and q >= 0, inf elsewhere, NaN where p or q is. */
function divergence(p: Operand, q: Operand, value: (p: NdArray, q: NdArray) => NdArray, zeroCase: (q: NdArray) => NdArray | number): NdArray {
  const [a, b] = np.broadcastArrays(asFloat(p), asFloat(q));
  const both = np.logicalAnd(np.greater(a, 0), np.greater(b, 0));
  const edge = np.logicalAnd(np.equal(a, 0), np.greaterEqual(b, 0));
  const inside = value(np.where(both, a, 1), np.where(both, b, 1));
  const out = np.where(both, inside, np.where(edge, zeroCase(b), Infinity));
  return np.where(np.logicalOr(np.isnan(a), np.isnan(b)), NaN, out);
}

/** The relative entropy p log(p / q) elementwise (jax.scipy.special.rel_entr): 0 at p = 0 <= q, inf where p > 0 >= q or either is negative. */
export function relEntr(p: Operand, q: Operand): NdArray {
  return divergence(p, q, (a, b) => np.sub(xlogx(a), xlogy(a, b)), () => 0);
}

/** p log(p / q) - p + q elementwise (jax.scipy.special.kl_div): q at p = 0 <= q, inf where p > 0 >= q or either is negative. */
export function klDiv(p: Operand, q: Operand): NdArray {
  return divergence(p, q, (a, b) => np.sub(np.add(np.sub(xlogx(a), xlogy(a, b)), b), a), (b) => b);
}
