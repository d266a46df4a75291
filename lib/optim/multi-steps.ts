/**
 * Gradient accumulation (optax's `MultiSteps`, `transforms/_accumulation.py`): `multiSteps(inner,
 * everyK)` accumulates the incoming updates (their running mean, or their sum) and runs `inner` on
 * them at every `everyK`-th call; in between it returns zero updates and leaves `inner`'s state
 * alone. `everyK` may be a schedule of the gradient step; a `shouldSkipUpdateFn` (optax's
 * {@link skipNotFinite}, {@link skipLargeUpdates}) can reject a call as if it never happened.
 * The decisions are made on arrays (both outcomes computed, one selected): one trace under `jit`.
 */
import type { DType, NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { treeNorm, treeSum } from './tree-utils.js';
import type { ExtraArgs, GradientTransformation } from './types.js';
import { incrementCount, initCount } from './util.js';

/**
 * optax's `ShouldSkipUpdateFunction`: from the incoming updates, the gradient step and the
 * parameters, a bool scalar array (true: ignore this call) and a tree of diagnostics kept in
 * {@link MultiStepsState.skipState}.
 */
export type ShouldSkipUpdateFn = (updates: unknown, gradientStep: NdArray, params: unknown) => [NdArray, unknown];

/** The number of calls accumulated per inner step: a constant, or a function of the gradient step (int32 []). */
export type EveryKSchedule = number | ((gradientStep: NdArray) => NdArray | number);

export interface MultiStepsOptions {
  /** Accumulated updates are averaged (true, optax's default; a running mean) or summed (false). */
  readonly useGradMean?: boolean;
  /** Rejects a call when it returns true (see {@link skipNotFinite}, {@link skipLargeUpdates}); default never. */
  readonly shouldSkipUpdateFn?: ShouldSkipUpdateFn;
}

/** optax's `MultiStepsState`. */
export interface MultiStepsState<S> {
  /** int32 []: calls accumulated since the last inner step. */
  readonly miniStep: NdArray;
  /** int32 []: inner steps taken. */
  readonly gradientStep: NdArray;
  /** The inner transformation's state. */
  readonly innerOptState: S;
  /** The accumulated updates (float32, shaped like the parameters): their mean or sum so far. */
  readonly accGrads: unknown;
  /** What `shouldSkipUpdateFn` returned last as its second value (`{}` without one). */
  readonly skipState: unknown;
}

/** The transformation {@link multiSteps} returns, with optax `MultiSteps`'s extras. */
export interface MultiStepsTransformation<S> extends GradientTransformation<MultiStepsState<S>> {
  /** bool []: whether the last call ran the inner optimiser (optax's `has_updated`). */
  hasUpdated(state: Pick<MultiStepsState<S>, 'miniStep' | 'gradientStep'>): NdArray;
  /** The wrapped transformation (optax's `inner_opt`). */
  readonly innerOpt: GradientTransformation<S>;
  /** The plain `{init, update}` pair (optax's `gradient_transformation()`). */
  gradientTransformation(): GradientTransformation<MultiStepsState<S>>;
}

/**
 * optax's `skip_not_finite`: skip when any update holds a NaN or an infinity; diagnostics
 * `{shouldSkip, numNotFinite}` (int32 count of non-finite elements).
 */
export function skipNotFinite(updates: unknown, _gradientStep?: NdArray, _params?: unknown): [NdArray, { shouldSkip: NdArray; numNotFinite: NdArray }] {
  const numNotFinite = np.cast(treeSum(tree.map((x: NdArray) => np.sum(np.cast(np.logicalNot(np.isfinite(x)), 'int32')), updates)), 'int32');
  const shouldSkip = np.greater(numNotFinite, 0);
  return [shouldSkip, { shouldSkip, numNotFinite }];
}

/**
 * optax's `skip_large_updates`: skip unless the squared global norm of the updates is below
 * `maxSquaredNorm` (so a NaN norm skips too); diagnostics `{shouldSkip, normSquared}`.
 * `skipLargeUpdates(m)` returns the function for `shouldSkipUpdateFn` (optax's `functools.partial`).
 */
export function skipLargeUpdates(maxSquaredNorm: number | NdArray): ShouldSkipUpdateFn;
export function skipLargeUpdates(updates: unknown, gradientStep: NdArray | undefined, params: unknown, maxSquaredNorm: number | NdArray): [NdArray, { shouldSkip: NdArray; normSquared: NdArray }];
export function skipLargeUpdates(...args: unknown[]): ShouldSkipUpdateFn | [NdArray, { shouldSkip: NdArray; normSquared: NdArray }] {
  if (args.length === 1) {
    const max = args[0] as number | NdArray;
    return (updates) => skipLargeUpdates(updates, undefined, undefined, max);
  }
  if (args.length !== 4) throw new Error(`skipLargeUpdates: expected (maxSquaredNorm) or (updates, gradientStep, params, maxSquaredNorm), got ${args.length} arguments`);
  const normSquared = treeNorm(args[0], 2, true);
  const shouldSkip = np.logicalNot(np.less(normSquared, args[3] as number | NdArray));
  return [shouldSkip, { shouldSkip, normSquared }];
}

const neverSkip: ShouldSkipUpdateFn = () => [np.array(false, 'bool'), {}];

/** The schedule as a function of the gradient step giving an int32 scalar. */
function everyKFn(everyK: EveryKSchedule): (step: NdArray) => NdArray {
  if (typeof everyK === 'number') {
    if (!Number.isInteger(everyK) || everyK < 1) throw new Error(`multiSteps: everyK must be an integer >= 1, got ${everyK}`);
    return () => np.array(everyK, 'int32');
  }
  if (typeof everyK !== 'function') throw new Error(`multiSteps: everyK must be an integer >= 1 or a schedule of the gradient step, got ${typeof everyK}`);
  return (step) => {
    const k = everyK(step);
    return typeof k === 'number' ? np.array(k, 'int32') : np.cast(np.round(k), 'int32');
  };
}

function checkSkipFlag(flag: NdArray): void {
  if (flag.dtype !== 'bool' || flag.shape.length !== 0)
    throw new Error(`multiSteps: shouldSkipUpdateFn must return a bool scalar array, got dtype ${flag.dtype} and shape [${flag.shape.join(', ')}]`);
}

/** The arguments of {@link multiSteps}: `(inner, everyK, options?)` or `(inner, {everyKSchedule, ...options})`. */
export interface MultiStepsConfig extends MultiStepsOptions {
  readonly everyKSchedule: EveryKSchedule;
}

/**
 * Runs `inner` once per `everyK` calls on the mean (or, with `useGradMean: false`, the sum) of
 * their updates: a batch `everyK` times larger than fits in memory, with the same optimiser.
 * Non-emitting calls return zeros (optax multiplies by the emit flag, so a NaN inner update
 * still shows). A call rejected by `shouldSkipUpdateFn` returns zeros and changes only `skipState`.
 * @example
 * const opt = multiSteps(adam({ learningRate: 1e-3 }), 4); // one Adam step per 4 micro-batches
 * const safe = multiSteps(adam({ learningRate: 1e-3 }), 4, { shouldSkipUpdateFn: skipNotFinite });
 */
export function multiSteps<S>(inner: GradientTransformation<S>, everyK: EveryKSchedule | MultiStepsConfig, options: MultiStepsOptions = {}): MultiStepsTransformation<S> {
  const config: MultiStepsConfig = typeof everyK === 'object' && everyK !== null ? everyK : { everyKSchedule: everyK, ...options };
  const kOf = everyKFn(config.everyKSchedule);
  const useGradMean = config.useGradMean ?? true;
  const shouldSkip = config.shouldSkipUpdateFn ?? neverSkip;

  const init = (params: unknown): MultiStepsState<S> => {
    const gradientStep = initCount();
    const [, skipState] = shouldSkip(tree.map((x: NdArray) => np.zerosLike(x), params), gradientStep, params);
    const accGrads = tree.map((x: NdArray) => np.zerosLike(x, 'float32'), params);
    return { miniStep: initCount(), gradientStep, innerOptState: inner.init(params), accGrads, skipState };
  };

  function update<U>(updates: U, state: MultiStepsState<S>, params?: U, extra?: ExtraArgs): [U, MultiStepsState<S>] {
    const k = kOf(state.gradientStep);
    const [skip, skipState] = shouldSkip(updates, state.gradientStep, params);
    checkSkipFlag(skip);
    const n = np.cast(state.miniStep, 'float32');
    const acc = tree.map<U>(
      (u: NdArray, a: NdArray) => (useGradMean ? np.add(a, np.div(np.sub(u, a), np.add(n, 1))) : np.add(u, a)),
      updates,
      state.accGrads,
    );
    const accLike = tree.map<U>((a: NdArray, u: NdArray) => np.cast(a, u.dtype as DType), acc, updates);
    const [stepped, newInner] = inner.update(accLike, state.innerOptState, params, extra);
    const emit = np.equal(state.miniStep, np.sub(k, 1));
    const emitF = np.cast(emit, 'float32');
    const keep = np.logicalNot(skip);
    const apply = np.logicalAnd(emit, keep);
    const out = tree.map<U>((u: NdArray) => np.where(skip, np.zerosLike(u), np.cast(np.mul(emitF, u), u.dtype as DType)), stepped);
    const next: MultiStepsState<S> = {
      miniStep: np.where(keep, np.remainder(incrementCount(state.miniStep), k), state.miniStep),
      gradientStep: np.where(apply, incrementCount(state.gradientStep), state.gradientStep),
      innerOptState: tree.map<S>((fresh: NdArray, old: NdArray) => np.cast(np.where(apply, fresh, old), old.dtype as DType), newInner, state.innerOptState),
      accGrads: tree.map((a: NdArray, old: NdArray) => np.where(skip, old, np.mul(np.sub(1, emitF), a)), acc, state.accGrads),
      skipState,
    };
    return [out, next];
  }

  const transformation: GradientTransformation<MultiStepsState<S>> = { init, update };
  return {
    init,
    update,
    innerOpt: inner,
    hasUpdated: (state) => np.logicalAnd(np.equal(state.miniStep, 0), np.greater(state.gradientStep, 0)),
    gradientTransformation: () => transformation,
  };
}
