/**
 * torch.optim.LBFGS as a host-driven loop: one `step(closure, params, state)` runs up to
 * `maxIter` L-BFGS iterations, as torch's `optimizer.step(closure)` does, with torch's
 * stopping tests, history and optional strong-Wolfe line search. Unlike optax's `lbfgs` (a
 * jit-safe transformation, see ./lbfgs.ts), its control flow depends on the values, so it runs
 * eagerly; the closure (loss and gradients) may itself be jitted.
 *
 * The parameters are handled as one flat float32 vector (every elementwise result rounded to
 * float32, as torch's); the scalars torch keeps as float32 tensors (dot products, `ys`,
 * `H_diag`) are rounded to float32 too.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope } from '../core/index.js';
import * as tree from '../tree/index.js';

const f32 = Math.fround;
type Vec = Float32Array;

const dot = (a: Vec, b: Vec): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return f32(s);
};
const absMax = (a: Vec): number => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
const absSum = (a: Vec): number => f32(a.reduce((m, x) => m + Math.abs(x), 0));
/** `a + alpha b`, elementwise in float32. */
const axpy = (a: Vec, alpha: number, b: Vec): Vec => a.map((x, i) => x + alpha * b[i]);
const scaled = (a: Vec, alpha: number): Vec => a.map((x) => x * alpha);

export interface TorchLbfgsOptions {
  /** torch's `lr`: the step along each direction (default 1). */
  readonly learningRate?: number;
  /** torch's `max_iter`: iterations per `step` (default 20). */
  readonly maxIter?: number;
  /** torch's `max_eval`: closure evaluations per `step` (default `floor(maxIter * 5 / 4)`). */
  readonly maxEval?: number;
  /** torch's `tolerance_grad`: stop when `max |g| <= toleranceGrad` (default 1e-7). */
  readonly toleranceGrad?: number;
  /** torch's `tolerance_change`: stop on smaller changes of the loss or the parameters (default 1e-9). */
  readonly toleranceChange?: number;
  /** torch's `history_size`: curvature pairs kept (default 100). */
  readonly historySize?: number;
  /** torch's `line_search_fn`: `null` (a fixed step, the default) or `'strong_wolfe'`. */
  readonly lineSearchFn?: null | 'strong_wolfe';
}

/** torch's LBFGS state (host values: this optimiser runs eagerly). */
export interface TorchLbfgsState {
  readonly funcEvals: number;
  readonly nIter: number;
  readonly d: Vec | null;
  readonly t: number;
  readonly oldDirs: readonly Vec[];
  readonly oldStps: readonly Vec[];
  readonly ro: readonly number[];
  readonly hDiag: number;
  readonly prevFlatGrad: Vec | null;
  readonly prevLoss: number;
}

/** The loss and its gradients at `params` (e.g. `valueAndGrad(loss)`, jitted or not). */
export type LbfgsClosure<P> = (params: P) => readonly [NdArray | number, P];

export interface TorchLbfgs {
  init(params: unknown): TorchLbfgsState;
  /**
   * torch's `optimizer.step(closure)`: new parameters (fresh tensors), the new state, and the
   * loss at the parameters it started from.
   */
  step<P>(closure: LbfgsClosure<P>, params: P, state: TorchLbfgsState): Promise<[P, TorchLbfgsState, number]>;
}

/**
 * torch's `_cubic_interpolate`: the minimiser of the cubic through two points and slopes, clamped
 * to the bounds. The slopes are float32 tensors in torch, so its arithmetic is float32: rounded
 * here after each operation (it matters where the loss is flat to float32 precision).
 */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = f32(f32(g1 + g2) - f32((3 * (f1 - f2)) / (x1 - x2)));
  const d2Square = f32(f32(d1 * d1) - f32(g1 * g2));
  if (d2Square < 0) return (lo + hi) / 2;
  const d2 = f32(Math.sqrt(d2Square));
  const ratio = x1 <= x2 ? f32(f32(f32(g2 + d2) - d1) / f32(f32(g2 - g1) + f32(2 * d2))) : f32(f32(f32(g1 + d2) - d1) / f32(f32(g1 - g2) + f32(2 * d2)));
  const minPos = x1 <= x2 ? f32(x2 - f32(f32(x2 - x1) * ratio)) : f32(x1 - f32(f32(x1 - x2) * ratio));
  return Math.min(Math.max(minPos, lo), hi);
}

type Evaluate = (t: number) => Promise<[number, Vec]>;

interface Point {
  t: number;
  f: number;
  g: Vec;
  gtd: number;
}

/** torch's `_strong_wolfe` (c1 1e-4, c2 0.9, 25 evaluations at most): the step, its loss and gradient, and the evaluations used. */
async function strongWolfe(evaluate: Evaluate, t0: number, d: Vec, f: number, g: Vec, gtd: number, toleranceChange: number): Promise<[number, Vec, number, number]> {
  const [c1, c2, maxLs] = [1e-4, 0.9, 25];
  const dNorm = absMax(d);
  // torch's tests compare against float32 tensors (gtd is one): the sufficient-decrease bound
  // and the curvature bound are rounded to float32, which decides ties where the loss is flat.
  const armijo = (tt: number) => f32(f + f32(f32(c1 * tt) * gtd));
  const curvature = f32(-c2 * gtd);
  let t = t0;
  let [fNew, gNew] = await evaluate(t);
  let evals = 1;
  let gtdNew = dot(gNew, d);
  let prev: Point = { t: 0, f, g, gtd };
  let bracket: Point[] = [];
  let done = false;
  let lsIter = 0;
  while (lsIter < maxLs) {
    const cur: Point = { t, f: fNew, g: gNew, gtd: gtdNew };
    if (fNew > armijo(t) || (lsIter > 1 && fNew >= prev.f)) {
      bracket = [prev, cur];
      break;
    }
    if (Math.abs(gtdNew) <= curvature) {
      bracket = [cur];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      bracket = [prev, cur];
      break;
    }
    t = cubicInterpolate(prev.t, prev.f, prev.gtd, t, fNew, gtdNew, [t + 0.01 * (t - prev.t), t * 10]);
    prev = cur;
    [fNew, gNew] = await evaluate(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) bracket = [{ t: 0, f, g, gtd }, { t, f: fNew, g: gNew, gtd: gtdNew }];
  if (bracket.length === 1) return [bracket[0].f, bracket[0].g, bracket[0].t, evals];
  let insufProgress = false;
  let [low, high] = bracket[0].f <= bracket[1].f ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    const [b0, b1] = bracket;
    if (Math.abs(b1.t - b0.t) * dNorm < toleranceChange) break;
    t = cubicInterpolate(b0.t, b0.f, b0.gtd, b1.t, b1.f, b1.gtd);
    const [bMax, bMin] = [Math.max(b0.t, b1.t), Math.min(b0.t, b1.t)];
    const eps = 0.1 * (bMax - bMin);
    if (Math.min(bMax - t, t - bMin) < eps) {
      if (insufProgress || t >= bMax || t <= bMin) {
        t = Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - eps : bMin + eps;
        insufProgress = false;
      } else insufProgress = true;
    } else insufProgress = false;
    [fNew, gNew] = await evaluate(t);
    evals++;
    gtdNew = dot(gNew, d);
    lsIter++;
    const cur: Point = { t, f: fNew, g: gNew, gtd: gtdNew };
    if (fNew > armijo(t) || fNew >= bracket[low].f) {
      bracket[high] = cur;
      [low, high] = bracket[0].f <= bracket[1].f ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= curvature) done = true;
      else if (gtdNew * (bracket[high].t - bracket[low].t) >= 0) bracket[high] = bracket[low];
      bracket[low] = cur;
    }
  }
  return [bracket[low].f, bracket[low].g, bracket[low].t, evals];
}

/** torch's two-loop recursion: the direction `-H g` from the history. */
function direction(g: Vec, dirs: readonly Vec[], stps: readonly Vec[], ro: readonly number[], hDiag: number): Vec {
  const al: number[] = new Array<number>(dirs.length);
  let q = scaled(g, -1);
  for (let i = dirs.length - 1; i >= 0; i--) {
    al[i] = f32(dot(stps[i], q) * ro[i]);
    q = axpy(q, -al[i], dirs[i]);
  }
  let r = scaled(q, hDiag);
  for (let i = 0; i < dirs.length; i++) {
    const be = f32(dot(dirs[i], r) * ro[i]);
    r = axpy(r, al[i] - be, stps[i]);
  }
  return r;
}

function checkOptions(o: Required<Omit<TorchLbfgsOptions, 'lineSearchFn'>>, lineSearchFn: unknown): void {
  for (const k of ['maxIter', 'maxEval', 'historySize'] as const) if (!Number.isInteger(o[k]) || o[k] < 1) throw new Error(`torchLbfgs: ${k} must be an integer >= 1, got ${o[k]}`);
  for (const k of ['learningRate', 'toleranceGrad', 'toleranceChange'] as const) if (!(Number.isFinite(o[k]) && o[k] >= 0)) throw new Error(`torchLbfgs: ${k} must be a finite number >= 0, got ${o[k]}`);
  if (lineSearchFn !== null && lineSearchFn !== 'strong_wolfe') throw new Error(`torchLbfgs: lineSearchFn must be null or 'strong_wolfe' (as torch), got ${String(lineSearchFn)}`);
}

/**
 * torch.optim.LBFGS(lr, max_iter, max_eval, tolerance_grad, tolerance_change, history_size,
 * line_search_fn). Host-driven (await each `step`); the parameter tree's leaves are float32.
 * @example
 * const opt = optim.torchLbfgs({ lineSearchFn: 'strong_wolfe' });
 * let state = opt.init(params);
 * for (let i = 0; i < 10; i++) [params, state] = await opt.step(valueAndGrad(loss), params, state);
 */
export function torchLbfgs({
  learningRate = 1,
  maxIter = 20,
  maxEval,
  toleranceGrad = 1e-7,
  toleranceChange = 1e-9,
  historySize = 100,
  lineSearchFn = null,
}: TorchLbfgsOptions = {}): TorchLbfgs {
  const lr = learningRate;
  const maxEvals = maxEval ?? Math.floor((maxIter * 5) / 4);
  checkOptions({ learningRate, maxIter, maxEval: maxEvals, toleranceGrad, toleranceChange, historySize }, lineSearchFn);
  return {
    init: () => ({ funcEvals: 0, nIter: 0, d: null, t: 0, oldDirs: [], oldStps: [], ro: [], hDiag: 1, prevFlatGrad: null, prevLoss: 0 }),
    async step<P>(closure: LbfgsClosure<P>, params: P, state: TorchLbfgsState): Promise<[P, TorchLbfgsState, number]> {
      const [leaves, def] = tree.flatten<tf.Tensor>(params);
      const shapes = leaves.map((l) => l.shape);
      const toTree = (v: Vec): P => {
        let offset = 0;
        return tree.unflatten<P>(def, shapes.map((s) => {
          const size = s.reduce((a, b) => a * b, 1);
          const leaf = tf.tensor(v.slice(offset, offset + size), s, 'float32');
          offset += size;
          return leaf;
        }));
      };
      const flat = async (t: P): Promise<Vec> => {
        const parts = await Promise.all(tree.leaves<tf.Tensor>(t).map((l) => l.data()));
        return Float32Array.from(parts.flatMap((p) => Array.from(p)));
      };
      /** The loss and flat gradient at the flat parameters `v`. */
      const lossAndGrad = async (v: Vec): Promise<[number, Vec]> => {
        const p = toTree(v);
        const [value, grads] = scope(() => closure(p));
        const loss = typeof value === 'number' ? value : (await value.data())[0];
        const g = await flat(grads);
        tree.leaves<tf.Tensor>([p, grads, value]).forEach((l) => l instanceof tf.Tensor && l.dispose());
        return [loss, g];
      };
      let x = await flat(params);
      let { funcEvals, nIter, d, t, hDiag, prevFlatGrad, prevLoss } = state;
      const [dirs, stps, ro] = [[...state.oldDirs], [...state.oldStps], [...state.ro]];
      const origLoss = await lossAndGrad(x);
      let [loss, g] = origLoss;
      let currentEvals = 1;
      funcEvals++;
      let optCond = absMax(g) <= toleranceGrad;
      for (let n = 1; !optCond && n <= maxIter; n++) {
        nIter++;
        if (nIter === 1) {
          d = scaled(g, -1);
          [dirs.length, stps.length, ro.length, hDiag] = [0, 0, 0, 1];
        } else {
          const y = axpy(g, -1, prevFlatGrad!);
          const s = scaled(d!, t);
          const ys = dot(y, s);
          if (ys > 1e-10) {
            if (dirs.length === historySize) [dirs.shift(), stps.shift(), ro.shift()];
            dirs.push(y);
            stps.push(s);
            ro.push(f32(1 / ys));
            hDiag = f32(ys / dot(y, y));
          }
          d = direction(g, dirs, stps, ro, hDiag);
        }
        prevFlatGrad = g;
        prevLoss = loss;
        const inverseNorm1 = f32(1 / absSum(g));
        t = nIter === 1 && inverseNorm1 < 1 ? f32(inverseNorm1 * lr) : lr;
        const gtd = dot(g, d!);
        if (gtd > -toleranceChange) break;
        let lsEvals = 0;
        if (lineSearchFn === 'strong_wolfe') {
          const dir = d!;
          [loss, g, t, lsEvals] = await strongWolfe((tt) => lossAndGrad(axpy(x, tt, dir)), t, dir, loss, g, gtd, toleranceChange);
          x = axpy(x, t, dir);
          optCond = absMax(g) <= toleranceGrad;
        } else {
          x = axpy(x, t, d!);
          if (n !== maxIter) {
            [loss, g] = await lossAndGrad(x);
            optCond = absMax(g) <= toleranceGrad;
            lsEvals = 1;
          }
        }
        currentEvals += lsEvals;
        funcEvals += lsEvals;
        if (n === maxIter || currentEvals >= maxEvals || optCond) break;
        if (absMax(scaled(d!, t)) <= toleranceChange || Math.abs(loss - prevLoss) < toleranceChange) break;
      }
      const next: TorchLbfgsState = { funcEvals, nIter, d, t, oldDirs: dirs, oldStps: stps, ro, hDiag, prevFlatGrad, prevLoss };
      return [toTree(x), next, origLoss[0]];
    },
  };
}
