/**
 * jax.lax.custom_root and jax.lax.custom_linear_solve: solutions differentiated implicitly.
 * The solution itself is not differentiated (its solver may be any loop); a correction term
 * whose value is exactly zero carries the derivative: for a root of f(x, params),
 * -tangentSolve(L, f(x*) - stopGradient(f(x*))) with L the Jacobian of f in x at x*, whose
 * derivative is the implicit function theorem's -L^-1 df/dparams (the residual's own
 * derivative is multiplied by a zero). Closed-over parameters of f and matvec are
 * differentiated, as JAX's closure conversion does.
 */
import { jvp, linearTranspose, stopGradient } from '../core/api.js';
import { customJvp, customVjp } from '../core/custom-rules.js';
import { closureConvert } from '../core/host.js';
import type { NdArray } from '../core/trace.js';
import * as tree from '../tree/index.js';
import { add, sub } from './math.js';

/** A pytree of arrays (an array, or arrays in lists and objects). */
type Tree = unknown;
/** A user function of pytrees (typed loosely, as customVjp's functions: users write their own types). */
type TreeFn = (x: any) => any;

const mapTree = (f: (...xs: NdArray[]) => NdArray, ...ts: Tree[]): Tree => tree.map((...xs: NdArray[]) => f(...xs), ts[0], ...ts.slice(1));
/** r - stopGradient(r) leafwise: zero, with r's derivative. */
const zeroWithDerivative = (r: Tree): Tree => mapTree((v) => sub(v, stopGradient(v)), r);

/** A solver's output split into [solution, aux] (aux null without hasAux); a hasAux solver must return a pair. */
function splitAux(op: string, out: unknown, hasAux: boolean): [Tree, unknown] {
  if (!hasAux) return [out, null];
  if (!Array.isArray(out) || out.length !== 2) throw new Error(`lax.${op}: with hasAux the solver must return [solution, aux]`);
  return [out[0], tree.map((a: NdArray) => stopGradient(a), out[1])];
}

/**
 * jax.lax.custom_root: `solve(f, initialGuess)` (a root of f), differentiated by the implicit
 * function theorem instead of through the solver: `tangentSolve(g, y)` must solve the linear
 * g(x) = y (g is f's Jacobian at the root; for scalars `(g, y) => np.divide(y, g(1))`).
 * f's closed-over arrays get their derivatives. With `hasAux`, solve returns [root, aux] and
 * [root, aux] comes back (aux not differentiated).
 * @example const sqrtOf = (a) => lax.customRoot((x) => np.sub(np.square(x), a), np.array(1), newton, (g, y) => np.divide(y, g(np.array(1))));
 */
export function customRoot(f: TreeFn, initialGuess: Tree, solve: (f: TreeFn, x0: any) => any, tangentSolve: (g: TreeFn, y: any) => any, hasAux = false): any {
  const [raw, aux] = splitAux('customRoot', solve(f, initialGuess), hasAux);
  const root = mapTree((v) => stopGradient(v), raw);
  const jacobian = (v: Tree) => jvp(f, [root], [v])[1] as Tree;
  const step = tangentSolve(jacobian, zeroWithDerivative(f(root)));
  const out = mapTree((x, h) => sub(x, h), root, step);
  return hasAux ? [out, aux] : out;
}

/** A linear solver without aux: (matvec, rhs) -> solution. */
type Solver = (matvec: (x: any) => Tree, b: Tree) => Tree;

/**
 * z -> solve(matvec, z), linear in z, whose transpose (reverse mode) is transposeSolve(vecmat, .).
 * Both solvers are closure-converted, their closed-over arrays passed as arguments (residuals of
 * the custom rules, with zero cotangents: at the zero-valued z the solve's derivative in them is zero).
 */
function linearSolveMap(matvec: (x: any) => Tree, solve: Solver, transposeSolve: Solver | null, at: Tree): (z: Tree) => Tree {
  const forward = (z: Tree) => solve(matvec, z);
  if (!transposeSolve) return forward;
  const vecmat = (y: Tree) => linearTranspose(matvec, at)(y)[0] as Tree;
  const [solveC, solveConsts] = closureConvert(forward, at);
  const [transposeC, transposeConsts] = closureConvert((y: Tree) => transposeSolve(vecmat, y), at);
  const n = solveConsts.length;
  const run = (z: Tree, cs: NdArray[]) => solveC(z, ...cs.slice(0, n)) as Tree;
  const transposed = customVjp((z: Tree, ...cs: NdArray[]) => run(z, cs), {
    fwd: (z: Tree, ...cs: NdArray[]) => [run(z, cs), cs],
    bwd: (cs: NdArray[], ct: Tree) => [transposeC(ct, ...cs.slice(n)), ...cs.map(() => null)],
  });
  // Forward mode through customJvp (a customVjp alone has none); its tangent map's transpose is transposeSolve.
  const withJvp = customJvp((z: Tree, ...cs: NdArray[]) => run(z, cs), ([z, ...cs]: any[], [dz]: any[]) => [run(z, cs), transposed(dz, ...cs)]);
  return (z: Tree) => withJvp(z, ...solveConsts, ...transposeConsts) as Tree;
}

/**
 * jax.lax.custom_linear_solve: x = `solve(matvec, b)` for the linear `matvec`, differentiated
 * implicitly: the derivative solves A dx = db - dA x with `solve`, and reverse mode transposes
 * it with `transposeSolve(vecmat, ct)` (vecmat = matvec's transpose), or `solve` itself when
 * `symmetric`; without either, reverse mode differentiates through `solve`. matvec's
 * closed-over arrays get their derivatives. With `hasAux`, solve returns [x, aux].
 * @example lax.customLinearSolve((x) => np.matmul(A, x), b, (mv, r) => np.linalg.solve(A, r), null, true)
 */
export function customLinearSolve(
  matvec: TreeFn,
  b: Tree,
  solve: (matvec: TreeFn, b: any) => any,
  transposeSolve: ((vecmat: TreeFn, b: any) => any) | null = null,
  symmetric = false,
  hasAux = false,
): any {
  const [raw, aux] = splitAux('customLinearSolve', solve(matvec, b), hasAux);
  const x = mapTree((v) => stopGradient(v), raw);
  const solutionOf = (s: (m: (x: any) => Tree, b: any) => unknown): Solver => (m, z) => splitAux('customLinearSolve', s(m, z), hasAux)[0];
  const map = linearSolveMap(matvec, solutionOf(solve), transposeSolve ? solutionOf(transposeSolve) : symmetric ? solutionOf(solve) : null, x);
  const correction = map(zeroWithDerivative(mapTree((bi, ai) => sub(bi, ai), b, matvec(x))));
  const out = mapTree((xi, ci) => add(xi, ci), x, correction);
  return hasAux ? [out, aux] : out;
}
