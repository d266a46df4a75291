/**
 * jax.numpy.linalg's solve, inv, det, slogdet and matrix_power on stacked square matrices,
 * from the composed LU factorisation of linalg-lu.ts (O(n^3) flops in about 25n small ops:
 * for n up to about 64). Derivatives are the analytic ones, by `customJvp` (one rule for
 * forward and reverse mode): d solve(A, b) = solve(A, db - dA x), d inv(A) = -A^-1 dA A^-1,
 * d det(A) = det(A) tr(A^-1 dA), d logabsdet(A) = tr(A^-1 dA). Singular matrices: det 0,
 * slogdet (0, -inf), solve and inv inf/NaN entries (no throw, as JAX); the derivatives of
 * det there are NaN (JAX's cofactor rule gives finite ones).
 */
import { shapeStr } from '../core/aval.js';
import { customJvp } from '../core/custom-rules.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { broadcastShapesFor } from './broadcast.js';
import { abs, log, matmul, mul, sign, sub, sum } from './math.js';
import { prod } from './reductions.js';
import { diagonal, trace } from './linalg.js';
import { type LuFactors, luFactor, luSolve } from './linalg-lu.js';
import { eyeBatch, matrices } from './linalg-util.js';

/** solve for a [..., n, n] and b [..., n, k] with the same batch dims; the derivative by the rule above. */
const solveCore = customJvp(
  (a: NdArray, b: NdArray) => luSolve(luFactor(a), b),
  ([a, b]: NdArray[], [da, db]: NdArray[]) => {
    const f = luFactor(a);
    const x = luSolve(f, b);
    return [x, luSolve(f, sub(db, matmul(da, x)))];
  },
) as (a: NdArray, b: NdArray) => NdArray;

/**
 * x with a x = b (jax.numpy.linalg.solve, NumPy 2 rules): a [..., n, n]; b [n] (one
 * right-hand side, for every matrix of a) or [..., n, k] (batch dims broadcast with a's).
 * LU with partial pivoting; a singular a gives inf/NaN entries.
 * @example np.linalg.solve(np.array([[3, 1], [1, 2]]), np.array([9, 8])) // [2, 3]
 */
export function solve(a: NdArray, b: NdArray): NdArray {
  const fa = matrices(a, 'solve', true);
  const sa = shapeOf(fa);
  const n = sa[sa.length - 1];
  const sb = shapeOf(b);
  const vector = sb.length === 1;
  if (vector ? sb[0] !== n : sb.length < 2 || sb[sb.length - 2] !== n)
    throw new Error(`solve: b must be [${n}] or [..., ${n}, k] for a of shape ${shapeStr(sa)}, got ${shapeStr(sb)}`);
  const fb = matrices(vector ? lax.reshape(b, [n, 1]) : b, 'solve', false, 'b');
  const k = shapeOf(fb)[shapeOf(fb).length - 1];
  const batch = broadcastShapesFor('solve', [sa.slice(0, -2), shapeOf(fb).slice(0, -2)]);
  const x = solveCore(lax.broadcastTo(fa, [...batch, n, n]), lax.broadcastTo(fb, [...batch, n, k]));
  return vector ? lax.reshape(x, [...batch, n]) : x;
}

/**
 * The inverses of stacked square matrices [..., n, n] (jax.numpy.linalg.inv): solve(a, I).
 * A singular matrix gives inf/NaN entries.
 * @example np.linalg.inv(np.array([[2, 0], [0, 4]])) // [[0.5, 0], [0, 0.25]]
 */
export function inv(a: NdArray): NdArray {
  const fa = matrices(a, 'inv', true);
  const s = shapeOf(fa);
  return solveCore(fa, eyeBatch(s[s.length - 1], s.slice(0, -2)));
}

/** det from the factors: the permutation's sign times U's diagonal product. */
const detOf = ({ lu, parity }: LuFactors) => mul(parity, prod(diagonal(lu, 0, -2, -1), -1));

/** tr(A^-1 dA) from A's factors. */
const traceSolve = (f: LuFactors, da: NdArray) => trace(luSolve(f, da), 0, -2, -1);

const detCore = customJvp(
  (a: NdArray) => detOf(luFactor(a)),
  ([a]: NdArray[], [da]: NdArray[]) => {
    const f = luFactor(a);
    const d = detOf(f);
    return [d, mul(d, traceSolve(f, da))];
  },
) as (a: NdArray) => NdArray;

/**
 * Determinants of stacked square matrices [..., n, n] -> [...] (jax.numpy.linalg.det): the
 * product of LU's pivots with the permutation's sign; exactly 0 where elimination meets an
 * exact zero column. Large n can overflow float32 where slogdet does not.
 * @example np.linalg.det(np.array([[1, 2], [3, 4]])) // -2
 */
export function det(a: NdArray): NdArray {
  return detCore(matrices(a, 'det', true));
}

/** [sign, log|det|] from the factors. */
function slogdetOf({ lu, parity }: LuFactors): [NdArray, NdArray] {
  const d = diagonal(lu, 0, -2, -1);
  return [mul(parity, prod(sign(d), -1)), sum(log(abs(d)), -1)];
}

const slogdetCore = customJvp(
  (a: NdArray) => slogdetOf(luFactor(a)),
  ([a]: NdArray[], [da]: NdArray[]) => {
    const f = luFactor(a);
    const [s, l] = slogdetOf(f);
    return [
      [s, l],
      [lax.zerosLike(s), traceSolve(f, da)],
    ];
  },
) as (a: NdArray) => [NdArray, NdArray];

/**
 * [sign, logabsdet] of stacked square matrices [..., n, n], each [...] (jax.numpy.linalg.slogdet):
 * det = sign * exp(logabsdet) without over- or underflow. Singular: sign 0, logabsdet -inf.
 * @example const [sign, logdet] = np.linalg.slogdet(np.array([[1, 2], [3, 4]])) // -1, log 2
 */
export function slogdet(a: NdArray): [NdArray, NdArray] {
  return slogdetCore(matrices(a, 'slogdet', true));
}

/**
 * a raised to the integer power n by repeated squaring (jax.numpy.linalg.matrix_power): about
 * 2 log2|n| products; n = 0 gives identities, n < 0 powers of inv(a). As JAX, an int32 (or
 * bool) a keeps its dtype for n >= 0; n < 0 is float32 (inv promotes).
 * @example np.linalg.matrixPower(np.array([[1, 1], [0, 1]]), 3) // [[1, 3], [0, 1]]
 */
export function matrixPower(a: NdArray, n: number): NdArray {
  const fa = matrices(a, 'matrixPower', true);
  if (!Number.isInteger(n)) throw new Error(`matrixPower: n must be an integer, got ${n}`);
  const s = shapeOf(fa);
  let base = n < 0 ? inv(fa) : a;
  let result: NdArray | null = null;
  for (let e = Math.abs(n); e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = result === null ? base : matmul(result, base);
    if (e > 1) base = matmul(base, base);
  }
  return result ?? lax.cast(eyeBatch(s[s.length - 1], s.slice(0, -2)), avalOf(base).dtype);
}
