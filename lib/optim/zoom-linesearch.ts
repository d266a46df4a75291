/**
 * Zoom line search (optax `scale_by_zoom_linesearch` / `zoom_linesearch`, `_src/linesearch.py`):
 * a step satisfying the strong Wolfe conditions, found by Nocedal & Wright's interval search
 * (algorithm 3.5) and zoom by cubic / quadratic interpolation or bisection (algorithm 3.6), with
 * Hager & Zhang's approximate decrease criterion near a minimum. One `lax.whileLoop` whose body
 * branches with `lax.cond`, so it runs under `jit`; every trial point costs one value and gradient.
 */
import { lax, type NdArray, valueAndGrad } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { violation } from './backtracking-linesearch.js';
import { linesearchArgs } from './linesearch-args.js';
import type { Hyper } from './moments.js';
import { treeAddScale, treeScale, treeVdot, treeZerosLike } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { initCount, requireParams } from './util.js';

export interface ZoomLinesearchOptions {
  /** The most trial points (optax's required `max_linesearch_steps`). */
  readonly maxLinesearchSteps: number;
  /** The largest step (default none). */
  readonly maxLearningRate?: number | null;
  /** Tolerance on both criteria (default 0). */
  readonly tol?: Hyper;
  /** Growth of the trial step while searching an interval (default 2). */
  readonly increaseFactor?: Hyper;
  /** `c1` of the sufficient decrease (default 1e-4). */
  readonly slopeRtol?: Hyper;
  /** `c2` of the curvature criterion (default 0.9; Infinity drops it). */
  readonly curvRtol?: Hyper;
  /** `c3` of the approximate decrease criterion (default 1e-6; null: Armijo's only). */
  readonly approxDecRtol?: Hyper | null;
  /** Below this interval length a step with sufficient decrease is accepted (default 1e-5). */
  readonly stepsizePrecision?: Hyper;
  /** First trial step: 'keep' the last accepted one (default) or 'one'. */
  readonly initialGuessStrategy?: 'keep' | 'one';
}

/** The state of {@link scaleByZoomLinesearch} (optax's `ScaleByZoomLinesearchState`). */
export interface ZoomLinesearchState {
  /** float32 []: the accepted step (starts at 1). */
  readonly learningRate: NdArray;
  /** float32 []: the value at the accepted point (+inf before the first step). */
  readonly value: NdArray;
  /** The gradient at the accepted point. */
  readonly grad: unknown;
  readonly info: { readonly numLinesearchSteps: NdArray; readonly decreaseError: NdArray; readonly curvatureError: NdArray };
}

/** The loop's changing part (optax's `ZoomLinesearchState` less the fixed fields). */
interface Search {
  count: NdArray;
  stepsize: NdArray;
  value: NdArray;
  grad: unknown;
  slope: NdArray;
  decreaseError: NdArray;
  curvatureError: NdArray;
  intervalFound: NdArray;
  done: NdArray;
  failed: NdArray;
  low: NdArray;
  valueLow: NdArray;
  slopeLow: NdArray;
  high: NdArray;
  valueHigh: NdArray;
  slopeHigh: NdArray;
  cubicRef: NdArray;
  valueCubicRef: NdArray;
  safeStepsize: NdArray;
  safeValue: NdArray;
  safeGrad: unknown;
}

const sel = (c: NdArray, a: NdArray, b: NdArray): NdArray => np.where(c, a, b);
const selTree = <T>(c: NdArray, a: T, b: T): T => tree.map<T>((x: NdArray, y: NdArray) => np.where(c, x, y), a, b);

/** The critical point of the cubic through (a, fa), (b, fb), (c, fc) with slope fpa at a; NaN when there is none. */
function cubicmin(a: NdArray, fa: NdArray, fpa: NdArray, b: NdArray, fb: NdArray, c: NdArray, fc: NdArray): NdArray {
  const db = np.sub(b, a);
  const dc = np.sub(c, a);
  const denom = np.mul(np.square(np.mul(db, dc)), np.sub(db, dc));
  const x = np.sub(np.sub(fb, fa), np.mul(fpa, db));
  const y = np.sub(np.sub(fc, fa), np.mul(fpa, dc));
  const A = np.div(np.sub(np.mul(np.square(dc), x), np.mul(np.square(db), y)), denom);
  const B = np.div(np.add(np.neg(np.mul(np.pow(dc, 3), x)), np.mul(np.pow(db, 3), y)), denom);
  const radical = np.sub(np.square(B), np.mul(np.mul(3, A), fpa));
  return np.add(a, np.div(np.add(np.neg(B), np.sqrt(radical)), np.mul(3, A)));
}

/** The critical point of the quadratic through (a, fa), (b, fb) with slope fpa at a. */
function quadmin(a: NdArray, fa: NdArray, fpa: NdArray, b: NdArray, fb: NdArray): NdArray {
  const db = np.sub(b, a);
  const B = np.div(np.sub(np.sub(fb, fa), np.mul(fpa, db)), np.square(db));
  return np.sub(a, np.div(fpa, np.mul(2, B)));
}

/**
 * Scales the updates (a descent direction) by a step satisfying the strong Wolfe conditions
 * (optax's `scale_by_zoom_linesearch`): sufficient decrease `f(w + η u) ≤ f(w) + c1 η <u, ∇f(w)>`
 * (or Hager–Zhang's approximate form near a minimum) and small curvature
 * `|<∇f(w + η u), u>| ≤ c2 |<∇f(w), u>|`. `update` needs the parameters and the extra arguments
 * `{ value, grad, valueFn }` (the other extra arguments are passed to `valueFn`). When the search
 * fails it falls back to the best step with sufficient decrease found, if any.
 * @example const opt = chain(sgd({ learningRate: 1 }), scaleByZoomLinesearch({ maxLinesearchSteps: 15 }));
 */
export function scaleByZoomLinesearch({
  maxLinesearchSteps,
  maxLearningRate = null,
  tol = 0,
  increaseFactor = 2,
  slopeRtol = 1e-4,
  curvRtol = 0.9,
  approxDecRtol = 1e-6,
  stepsizePrecision = 1e-5,
  initialGuessStrategy = 'keep',
}: ZoomLinesearchOptions): GradientTransformation<ZoomLinesearchState> {
  if (!Number.isInteger(maxLinesearchSteps) || maxLinesearchSteps < 1) throw new Error(`scaleByZoomLinesearch: maxLinesearchSteps must be an integer >= 1, got ${maxLinesearchSteps}`);
  if (initialGuessStrategy !== 'keep' && initialGuessStrategy !== 'one') throw new Error(`scaleByZoomLinesearch: initialGuessStrategy must be 'keep' or 'one', got ${String(initialGuessStrategy)}`);

  const decreaseErrorOf = (stepsize: NdArray, value: NdArray, slope: NdArray, value0: NdArray, slope0: NdArray): NdArray => {
    let err = np.sub(np.sub(value, value0), np.mul(np.mul(slopeRtol, stepsize), slope0));
    if (approxDecRtol !== null) {
      const approx = np.sub(slope, np.mul(np.sub(np.mul(2, slopeRtol), 1), slope0));
      const delta = np.sub(np.sub(value, value0), np.mul(approxDecRtol, np.abs(value0)));
      err = np.minimum(np.maximum(approx, delta), err);
    }
    return violation(err);
  };
  const curvatureErrorOf = (slope: NdArray, slope0: NdArray): NdArray => violation(np.sub(np.abs(slope), np.mul(curvRtol, np.abs(slope0))));

  return {
    init: (params) => ({
      learningRate: np.array(1),
      value: np.array(Infinity),
      grad: treeZerosLike(params),
      info: { numLinesearchSteps: initCount(), decreaseError: np.array(Infinity), curvatureError: np.array(Infinity) },
    }),
    update(updates, state, params, extra) {
      const p = requireParams(params, 'scaleByZoomLinesearch');
      const { value: value0, grad: grad0, objective } = linesearchArgs(extra, 'scaleByZoomLinesearch');
      const slope0 = treeVdot(updates, grad0);
      const guess = initialGuessStrategy === 'one' ? np.array(1) : state.learningRate;
      const onLine = (stepsize: NdArray): [NdArray, unknown, NdArray] => {
        const [v, g] = valueAndGrad(objective)(treeAddScale(p, stepsize, updates));
        return [np.asarray(v as NdArray, 'float32'), g, treeVdot(g, updates)];
      };
      const errors = (stepsize: NdArray, value: NdArray, slope: NdArray) => {
        const decreaseError = decreaseErrorOf(stepsize, value, slope, value0, slope0);
        const curvatureError = curvatureErrorOf(slope, slope0);
        return { decreaseError, curvatureError, error: np.maximum(decreaseError, curvatureError) };
      };

      /** Algorithm 3.5: grow the step until an interval holding a good step is found. */
      const searchInterval = (s: Search): Search => {
        let stepsize = sel(np.equal(s.count, 0), guess, np.mul(increaseFactor, s.stepsize));
        let maxReached: NdArray = np.array(false);
        if (maxLearningRate !== null) {
          maxReached = np.greaterEqual(stepsize, maxLearningRate);
          stepsize = np.minimum(stepsize, maxLearningRate);
        }
        const [value, grad, slope] = onLine(stepsize);
        const { decreaseError, curvatureError, error } = errors(stepsize, value, slope);
        const safe = np.lessEqual(decreaseError, tol);
        const setHighToNew = np.logicalOr(np.greater(decreaseError, 0), np.logicalAnd(np.greaterEqual(value, s.value), np.greater(s.count, 0)));
        const setLowToNew = np.logicalAnd(np.greaterEqual(slope, 0), np.logicalNot(setHighToNew));
        const good = np.lessEqual(error, tol);
        const intervalFound = np.logicalOr(np.logicalOr(setHighToNew, setLowToNew), good);
        const done = np.logicalOr(good, np.logicalAnd(maxReached, np.logicalNot(intervalFound)));
        const low = sel(setLowToNew, stepsize, s.stepsize);
        const valueLow = sel(setLowToNew, value, s.value);
        return {
          count: np.add(s.count, 1),
          stepsize, value, grad, slope, decreaseError, curvatureError, intervalFound, done,
          failed: np.logicalAnd(np.greaterEqual(np.add(s.count, 1), maxLinesearchSteps), np.logicalNot(done)),
          low, valueLow,
          slopeLow: sel(setLowToNew, slope, s.slope),
          high: sel(setLowToNew, s.stepsize, stepsize),
          valueHigh: sel(setLowToNew, s.value, value),
          slopeHigh: sel(setLowToNew, s.slope, slope),
          cubicRef: low,
          valueCubicRef: valueLow,
          safeStepsize: sel(safe, stepsize, s.safeStepsize),
          safeValue: sel(safe, value, s.safeValue),
          safeGrad: selTree(safe, grad, s.safeGrad),
        };
      };

      /** Algorithm 3.6: shrink the interval by interpolation until a good step is found. */
      const zoomIntoInterval = (s: Search): Search => {
        const delta = np.abs(np.sub(s.high, s.low));
        const left = np.minimum(s.high, s.low);
        const right = np.maximum(s.high, s.low);
        const inside = (x: NdArray, margin: NdArray) => np.logicalAnd(np.greater(x, np.add(left, margin)), np.less(x, np.sub(right, margin)));
        const cubic = cubicmin(s.low, s.valueLow, s.slopeLow, s.high, s.valueHigh, s.cubicRef, s.valueCubicRef);
        const useCubic = inside(cubic, np.mul(0.2, delta));
        const quad = quadmin(s.low, s.valueLow, s.slopeLow, s.high, s.valueHigh);
        const useQuad = np.logicalAnd(np.logicalNot(useCubic), inside(quad, np.mul(0.1, delta)));
        const useBisection = np.logicalAnd(np.logicalNot(useCubic), np.logicalNot(useQuad));
        let middle = sel(useCubic, cubic, s.cubicRef);
        middle = sel(useQuad, quad, middle);
        middle = sel(useBisection, np.div(np.add(s.low, s.high), 2), middle);
        const [value, grad, slope] = onLine(middle);
        const { decreaseError, curvatureError, error } = errors(middle, value, slope);
        const updateSafe = np.logicalAnd(np.lessEqual(decreaseError, tol), np.less(value, s.safeValue));
        const safeStepsize = sel(updateSafe, middle, s.safeStepsize);
        const done = np.lessEqual(error, tol);
        const setHighToMiddle = np.logicalOr(np.greater(decreaseError, 0), np.greaterEqual(value, s.valueLow));
        const setHighToLow = np.logicalAnd(np.greaterEqual(np.mul(slope, np.sub(s.high, s.low)), 0), np.logicalNot(setHighToMiddle));
        const setLowToMiddle = np.logicalNot(setHighToMiddle);
        const highChanged = np.logicalOr(setHighToMiddle, setHighToLow);
        const pick = (a: NdArray, b: NdArray, c: NdArray) => sel(setHighToLow, c, sel(setHighToMiddle, a, b));
        const presumablyFailed = np.logicalOr(np.greaterEqual(np.add(s.count, 1), maxLinesearchSteps), np.logicalAnd(np.lessEqual(delta, stepsizePrecision), np.greater(safeStepsize, 0)));
        return {
          count: np.add(s.count, 1),
          stepsize: middle, value, grad, slope, decreaseError, curvatureError,
          intervalFound: s.intervalFound,
          done,
          failed: np.logicalAnd(presumablyFailed, np.logicalNot(done)),
          low: sel(setLowToMiddle, middle, s.low),
          valueLow: sel(setLowToMiddle, value, s.valueLow),
          slopeLow: sel(setLowToMiddle, slope, s.slopeLow),
          high: pick(middle, s.high, s.low),
          valueHigh: pick(value, s.valueHigh, s.valueLow),
          slopeHigh: pick(slope, s.slopeHigh, s.slopeLow),
          cubicRef: sel(highChanged, s.high, s.low),
          valueCubicRef: sel(highChanged, s.valueHigh, s.valueLow),
          safeStepsize,
          safeValue: sel(updateSafe, value, s.safeValue),
          safeGrad: selTree(updateSafe, grad, s.safeGrad),
        };
      };

      /** On failure: the best step with sufficient decrease, if any (or when not even finite). */
      const trySafeStep = (s: Search): Search => {
        const useSafe = np.logicalAnd(s.failed, np.logicalOr(np.greater(s.safeStepsize, 0), np.isinf(s.decreaseError)));
        return { ...s, stepsize: sel(useSafe, s.safeStepsize, s.stepsize), value: sel(useSafe, s.safeValue, s.value), grad: selTree(useSafe, s.safeGrad, s.grad) };
      };

      const zero = np.array(0);
      const inf = np.array(Infinity);
      const no = np.array(false);
      const init: Search = {
        count: initCount(), stepsize: zero, value: value0, grad: grad0, slope: slope0,
        decreaseError: inf, curvatureError: inf, intervalFound: no, done: no, failed: no,
        low: zero, valueLow: value0, slopeLow: slope0, high: zero, valueHigh: value0, slopeHigh: slope0,
        cubicRef: zero, valueCubicRef: value0, safeStepsize: zero, safeValue: value0, safeGrad: grad0,
      };
      const step = (s: Search): Search => trySafeStep(lax.cond(s.intervalFound, zoomIntoInterval, searchInterval, s) as Search);
      const last = lax.whileLoop((s: Search) => np.logicalNot(np.logicalOr(s.done, s.failed)), step, init);
      return [
        treeScale(last.stepsize, updates),
        { learningRate: last.stepsize, value: last.value, grad: last.grad, info: { numLinesearchSteps: last.count, decreaseError: last.decreaseError, curvatureError: last.curvatureError } },
      ];
    },
  };
}
