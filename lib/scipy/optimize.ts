/**
 * `scipy.optimize.minimize` with method 'BFGS', as jax.scipy.optimize.minimize: JAX's BFGS
 * (inverse-Hessian updates, stopping when the gradient's max-norm is below gtol) and its
 * strong-Wolfe line search with zoom (cubic / quadratic interpolation), step for step. Each
 * iteration evaluates `fun` and its gradient through valueAndGrad; the search's bookkeeping is
 * on the host in float64, so minimize runs eagerly (not under jit or vmap, unlike JAX's
 * while_loop version).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, isTracer, valueAndGrad } from '../core/index.js';
import * as np from '../ops/index.js';

/** What minimize returns (JAX's OptimizeResults; x, fun, jac and hessInv are float32 arrays). */
export interface OptimizeResults {
  readonly x: NdArray;
  /** converged and the last line search did not fail */
  readonly success: boolean;
  /** 0 converged, 1 maxiter reached, 2 + the line search's status (1 zoom failed, 3 its maxiter) when it failed */
  readonly status: number;
  readonly fun: NdArray;
  readonly jac: NdArray;
  readonly hessInv: NdArray;
  readonly nfev: number;
  readonly njev: number;
  readonly nit: number;
}

/** BFGS's options (JAX's minimize_bfgs keywords). */
export interface BfgsOptions {
  /** iterations, default 200 x size(x0) */
  readonly maxiter?: number;
  /** stop when max |gradient| < gtol (default 1e-5) */
  readonly gtol?: number;
  /** the line search's iterations (default 10) */
  readonly lineSearchMaxiter?: number;
}

type Vec = Float64Array;
const dot = (a: Vec, b: Vec) => a.reduce((s, v, i) => s + v * b[i]!, 0);
const axpy = (x: Vec, t: number, p: Vec) => x.map((v, i) => v + t * p[i]!);

/** f and its gradient at a host vector, counted. */
class Objective {
  nfev = 0;
  constructor(private readonly vg: (x: NdArray) => [NdArray, NdArray]) {}
  at(x: Vec): { f: number; g: Vec } {
    this.nfev++;
    const [f, g] = this.vg(np.array(Array.from(x)));
    return { f: (f as tf.Tensor).dataSync()[0]!, g: Float64Array.from((g as tf.Tensor).dataSync()) };
  }
}

interface Point { a: number; phi: number; dphi: number }
interface Star extends Point { g: Vec }

/** JAX's _cubicmin: the minimiser of the cubic through (a, fa) with slope fpa, (b, fb) and (c, fc). */
function cubicmin(a: number, fa: number, fpa: number, b: number, fb: number, c: number, fc: number): number {
  const [db, dc] = [b - a, c - a];
  const denom = (db * dc) ** 2 * (db - dc);
  const [d0, d1] = [fb - fa - fpa * db, fc - fa - fpa * dc];
  const A = (dc ** 2 * d0 - db ** 2 * d1) / denom;
  const B = (-(dc ** 3) * d0 + db ** 3 * d1) / denom;
  return a + (-B + Math.sqrt(B * B - 3 * A * fpa)) / (3 * A);
}

/** JAX's _quadmin: the minimiser of the parabola through (a, fa) with slope fpa and (b, fb). */
function quadmin(a: number, fa: number, fpa: number, b: number, fb: number): number {
  const db = b - a;
  const B = (fb - fa - fpa * db) / (db * db);
  return a - fpa / (2 * B);
}

/** JAX's _zoom: shrinks [lo, hi] until a step meets both Wolfe conditions (30 tries, or the bracket narrower than 1e-5: failed). */
function zoom(phiAt: (a: number) => Star, wolfeOne: (a: number, phi: number) => boolean, wolfeTwo: (dphi: number) => boolean, lo: Point, hi: Point, g0: Vec): { star: Star; failed: boolean } {
  let rec = { a: (lo.a + hi.a) / 2, phi: (lo.phi + hi.phi) / 2 };
  let star: Star = { a: 1, phi: lo.phi, dphi: lo.dphi, g: g0 };
  let [done, failed] = [false, false];
  for (let j = 0; !done && !failed; ) {
    const dalpha = hi.a - lo.a;
    const [a, b] = [Math.min(hi.a, lo.a), Math.max(hi.a, lo.a)];
    // JAX's float32 threshold on the bracket's width; JAX compares the signed a_hi - a_lo, which fails every zoom entered with a_hi < a_lo (its second call).
    failed = Math.abs(dalpha) <= 1e-5;
    const cubic = cubicmin(lo.a, lo.phi, lo.dphi, hi.a, hi.phi, rec.a, rec.phi);
    const useCubic = j > 0 && cubic > a + 0.2 * dalpha && cubic < b - 0.2 * dalpha;
    const quad = quadmin(lo.a, lo.phi, lo.dphi, hi.a, hi.phi);
    const useQuad = !useCubic && quad > a + 0.1 * dalpha && quad < b - 0.1 * dalpha;
    const aj = useCubic ? cubic : useQuad ? quad : (lo.a + hi.a) / 2;
    const pj = phiAt(aj);
    const hiToJ = wolfeOne(aj, pj.phi) || pj.phi >= lo.phi;
    const starToJ = wolfeTwo(pj.dphi) && !hiToJ;
    const hiToLo = pj.dphi * (hi.a - lo.a) >= 0 && !hiToJ && !starToJ;
    const loToJ = !hiToJ && !starToJ;
    if (hiToJ) [rec, hi] = [{ a: hi.a, phi: hi.phi }, pj];
    if (starToJ) [done, star] = [true, pj];
    if (hiToLo) [rec, hi] = [{ a: hi.a, phi: hi.phi }, lo];
    else if (loToJ) rec = { a: lo.a, phi: lo.phi };
    if (loToJ) lo = pj;
    j++;
    failed ||= j >= 30;
  }
  return { star, failed };
}

/** JAX's line_search (strong Wolfe, c1 = 1e-4, c2 = 0.9) along p from x: the step, its value and gradient, and status. */
function lineSearch(obj: Objective, x: Vec, p: Vec, f0: number, fOld: number, g0: Vec, maxiter: number): { star: Star; failed: boolean; status: number } {
  const phiAt = (a: number): Star => {
    const { f, g } = obj.at(axpy(x, a, p));
    return { a, phi: f, dphi: dot(g, p), g };
  };
  const dphi0 = dot(g0, p);
  const candidate = (1.01 * 2 * (f0 - fOld)) / dphi0;
  const start = candidate > 1 ? 1 : candidate;
  const wolfeOne = (a: number, phi: number) => phi > f0 + 1e-4 * a * dphi0;
  const wolfeTwo = (dphi: number) => Math.abs(dphi) <= -0.9 * dphi0;
  let prev: Point = { a: 0, phi: f0, dphi: dphi0 };
  let star: Star = { ...prev, g: g0 };
  let [done, failed, i] = [false, false, 1];
  for (; !done && i <= maxiter && !failed; i++) {
    const pi = phiAt(i === 1 ? start : prev.a * 2);
    if (wolfeOne(pi.a, pi.phi) || (pi.phi >= prev.phi && i > 1)) ({ star, failed } = zoom(phiAt, wolfeOne, wolfeTwo, prev, pi, g0));
    else if (wolfeTwo(pi.dphi)) star = pi;
    else if (pi.dphi >= 0) ({ star, failed } = zoom(phiAt, wolfeOne, wolfeTwo, pi, prev, g0));
    else {
      prev = pi;
      continue;
    }
    done = true;
  }
  const status = failed ? 1 : i > maxiter ? 3 : 0;
  // JAX: float32 steps below 1e-8 are raised to 1e-8.
  const a = Math.abs(star.a) < 1e-8 ? Math.sign(star.a) * 1e-8 : star.a;
  return { star: { ...star, a }, failed: failed || !done, status };
}

/** The BFGS update of the inverse Hessian H with step s and gradient change y (kept where 1 / (y s) is not finite). */
function updateInverseHessian(H: readonly Vec[], s: Vec, y: Vec): Vec[] {
  if (!Number.isFinite(1 / dot(y, s))) return [...H];
  const rho = 1 / dot(y, s);
  // (I - rho s y^T) H (I - rho y s^T) + rho s s^T
  const Hy = Float64Array.from(H, (row) => dot(row, y));
  const yHy = dot(y, Hy);
  return H.map((row, i) => row.map((v, j) => v - rho * (s[i]! * Hy[j]! + Hy[i]! * s[j]!) + (rho * rho * yHy + rho) * s[i]! * s[j]!));
}

const maxAbs = (g: Vec) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * Minimises fun(x, ...args) over a 1-D float32 x from x0 (jax.scipy.optimize.minimize):
 * method 'BFGS' only; `tol` is accepted and, as in JAX, unused (use options.gtol).
 * @example minimize((x) => np.sum(np.square(x)), np.array([1, 2]), [], { method: 'BFGS' }).x
 */
export function minimize(fun: (x: NdArray, ...args: NdArray[]) => NdArray, x0: NdArray, args: readonly NdArray[] = [], opts: { method: string; tol?: number; options?: BfgsOptions }): OptimizeResults {
  if (opts.method.toLowerCase() !== 'bfgs') throw new Error(`minimize: method must be 'BFGS', got '${opts.method}'`);
  if (x0.shape.length !== 1) throw new Error(`minimize: x0 must be 1-D, got shape [${x0.shape}]`);
  if (isTracer(x0) || args.some(isTracer)) throw new Error('minimize: runs eagerly (its loop reads values back to the host); call it outside jit and vmap');
  const n = x0.shape[0]!;
  const { maxiter = 200 * n, gtol = 1e-5, lineSearchMaxiter = 10 } = opts.options ?? {};
  const obj = new Objective(valueAndGrad((x: NdArray) => fun(x, ...args)) as (x: NdArray) => [NdArray, NdArray]);
  let x = Float64Array.from((np.toFloat(x0) as tf.Tensor).dataSync());
  let { f, g } = obj.at(x);
  let H: Vec[] = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let fOld = f + Math.sqrt(dot(g, g)) / 2;
  let [converged, failed, k, lsStatus] = [maxAbs(g) < gtol, false, 0, 0];
  while (!converged && !failed && k < maxiter) {
    const p = Float64Array.from(H, (row) => -dot(row, g));
    const ls = lineSearch(obj, x, p, f, fOld, g, lineSearchMaxiter);
    [failed, lsStatus] = [ls.failed, ls.status];
    const s = p.map((v) => v * ls.star.a);
    const y = ls.star.g.map((v, i) => v - g[i]!);
    H = updateInverseHessian(H, s, y);
    [x, fOld, f, g] = [axpy(x, 1, s), f, ls.star.phi, ls.star.g];
    converged = maxAbs(g) < gtol;
    k++;
  }
  const status = converged ? 0 : k === maxiter ? 1 : failed ? 2 + lsStatus : -1;
  return {
    x: np.array(Array.from(x)),
    success: converged && !failed,
    status,
    fun: np.array(f),
    jac: np.array(Array.from(g)),
    hessInv: np.array(H.map((row) => Array.from(row))),
    nfev: obj.nfev,
    njev: obj.nfev,
    nit: k,
  };
}
