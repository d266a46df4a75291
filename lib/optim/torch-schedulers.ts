/**
 * PyTorch's learning-rate schedulers (torch.optim.lr_scheduler) as schedules: step t gives the
 * lr that torch's optimiser uses at its t-th step (0-based) when `scheduler.step()` is called once
 * after every `optimizer.step()`. `learningRate` is the optimiser's lr (torch's `base_lr`).
 *
 * torch computes most of them recursively (`lr *= ratio(t)`); these are the closed forms, which
 * agree with torch's float64 recursion to ~1e-14 relative (test/fixtures/optim_session14.json).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Formula, type Schedule, type ScheduleMath, type Val, constant, makeSchedule } from './schedule.js';
import { interpolateKnots, joinSchedules, linear, piecewiseConstant, polynomial } from './schedules.js';

/** Torch schedulers whose step is `lr *= ratio(t)`: their schedule over a base of 1, for {@link chainedScheduler}. */
const multiplicative = new WeakMap<Schedule, { readonly base: number; readonly factor: Schedule; readonly name: string }>();

/** Registers `make(base)` as a multiplicative torch scheduler (chainable) and returns it. */
function chainable(name: string, base: number, make: (base: number) => Schedule): Schedule {
  const s = make(base);
  multiplicative.set(s, { base, factor: make(1), name });
  return s;
}

function checkFinite(what: string, values: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(values)) if (!Number.isFinite(v)) throw new Error(`${what}: ${k} must be a finite number, got ${v}`);
}

function checkInt(what: string, name: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new Error(`${what}: ${name} must be an integer >= ${min}, got ${n}`);
}

function checkUnit(what: string, name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new Error(`${what}: ${name} must be in [0, 1] (as torch), got ${v}`);
}

/** torch's `StepLR`: `learningRate · gamma^floor(t / stepSize)`. */
export function stepLR({ learningRate, stepSize, gamma = 0.1 }: { readonly learningRate: number; readonly stepSize: number; readonly gamma?: number }): Schedule {
  checkFinite('stepLR', { learningRate, gamma });
  checkInt('stepLR', 'stepSize', stepSize, 1);
  return chainable('stepLR', learningRate, (base) => makeSchedule((m, t) => m.mul(base, m.pow(gamma, m.floor(m.div(m.max(t, 0), stepSize))))));
}

/** torch's `MultiStepLR`: `learningRate` times `gamma` once per milestone reached (a repeated milestone counts twice). */
export function multiStepLR({ learningRate, milestones, gamma = 0.1 }: { readonly learningRate: number; readonly milestones: readonly number[]; readonly gamma?: number }): Schedule {
  checkFinite('multiStepLR', { learningRate, gamma });
  milestones.forEach((ms) => checkInt('multiStepLR', 'each milestone', ms, 0));
  return chainable('multiStepLR', learningRate, (base) => piecewiseConstant(base, milestones.map((ms): [number, number] => [ms, gamma])));
}

/** torch's `ExponentialLR`: `learningRate · gamma^t`. */
export function exponentialLR({ learningRate, gamma }: { readonly learningRate: number; readonly gamma: number }): Schedule {
  checkFinite('exponentialLR', { learningRate, gamma });
  return chainable('exponentialLR', learningRate, (base) => makeSchedule((m, t) => m.mul(base, m.pow(gamma, m.max(t, 0)))));
}

/** torch's `ConstantLR`: `learningRate · factor` for the first `totalIters` steps, then `learningRate`. */
export function constantLR({ learningRate, factor = 1 / 3, totalIters = 5 }: { readonly learningRate: number; readonly factor?: number; readonly totalIters?: number }): Schedule {
  checkFinite('constantLR', { learningRate });
  checkUnit('constantLR', 'factor', factor);
  checkInt('constantLR', 'totalIters', totalIters, 0);
  // totalIters 0: torch multiplies by factor at step 0 and never divides it back.
  if (totalIters === 0) return chainable('constantLR', learningRate, (base) => constant(base * factor));
  return chainable('constantLR', learningRate, (base) => makeSchedule((m, t) => m.ifLess(t, totalIters, base * factor, base)));
}

export interface LinearLROptions {
  readonly learningRate: number;
  /** The factor at step 0 (default 1/3). */
  readonly startFactor?: number;
  /** The factor from `totalIters` on (default 1). */
  readonly endFactor?: number;
  /** Steps of the linear change (default 5). */
  readonly totalIters?: number;
}

/** torch's `LinearLR`: `learningRate` times a factor going linearly from `startFactor` to `endFactor` over `totalIters` steps. */
export function linearLR({ learningRate, startFactor = 1 / 3, endFactor = 1, totalIters = 5 }: LinearLROptions): Schedule {
  checkFinite('linearLR', { learningRate });
  checkUnit('linearLR', 'startFactor', startFactor);
  checkUnit('linearLR', 'endFactor', endFactor);
  checkInt('linearLR', 'totalIters', totalIters, 0);
  return chainable('linearLR', learningRate, (base) => linear({ init: base * startFactor, end: base * endFactor, steps: totalIters }));
}

/** torch's `PolynomialLR`: `learningRate · (1 − min(t, totalIters) / totalIters)^power`. */
export function polynomialLR({ learningRate, totalIters = 5, power = 1 }: { readonly learningRate: number; readonly totalIters?: number; readonly power?: number }): Schedule {
  checkFinite('polynomialLR', { learningRate, power });
  checkInt('polynomialLR', 'totalIters', totalIters, 1);
  return chainable('polynomialLR', learningRate, (base) => polynomial({ init: base, end: 0, steps: totalIters, power }, 'polynomialLR'));
}

/** `etaMin + (base − etaMin)(1 + cos(π tCur / tI)) / 2`, in torch's operation order. */
function cosineAnneal<T>(m: ScheduleMath<T>, base: number, etaMin: number, tCur: Val<T>, tI: Val<T>): Val<T> {
  return m.add(etaMin, m.div(m.mul(base - etaMin, m.add(1, m.cos(m.div(m.mul(Math.PI, tCur), tI)))), 2));
}

/**
 * torch's `CosineAnnealingLR`: `etaMin + (learningRate − etaMin)(1 + cos(π t / tMax)) / 2`. As
 * torch's scheduler, it does not stop at `tMax`: past it the lr rises again (period `2 tMax`).
 */
export function cosineAnnealingLR({ learningRate, tMax, etaMin = 0 }: { readonly learningRate: number; readonly tMax: number; readonly etaMin?: number }): Schedule {
  checkFinite('cosineAnnealingLR', { learningRate, etaMin });
  checkInt('cosineAnnealingLR', 'tMax', tMax, 1);
  return makeSchedule((m, t) => cosineAnneal(m, learningRate, etaMin, t, tMax));
}

export interface WarmRestartsOptions {
  readonly learningRate: number;
  /** Length of the first cycle. */
  readonly t0: number;
  /** Each cycle is `tMult` times the previous (an integer >= 1, default 1). */
  readonly tMult?: number;
  /** The lowest lr (default 0). */
  readonly etaMin?: number;
}

/**
 * torch's `CosineAnnealingWarmRestarts` (SGDR): a cosine from `learningRate` to `etaMin` over
 * cycles of `t0`, `t0 · tMult`, ... steps, restarting at `learningRate`.
 */
export function cosineAnnealingWarmRestarts({ learningRate, t0, tMult = 1, etaMin = 0 }: WarmRestartsOptions): Schedule {
  checkFinite('cosineAnnealingWarmRestarts', { learningRate, etaMin });
  checkInt('cosineAnnealingWarmRestarts', 't0', t0, 1);
  checkInt('cosineAnnealingWarmRestarts', 'tMult', tMult, 1);
  if (tMult === 1) return makeSchedule((m, t) => cosineAnneal(m, learningRate, etaMin, m.sub(t, m.mul(t0, m.floor(m.div(t, t0)))), t0));
  // Cycle k starts at starts[k] and lasts t0 · tMult^k; the cycles starting below 2^31 cover every int32 step.
  const starts = [0];
  while (starts[starts.length - 1] < 2 ** 31) starts.push(starts[starts.length - 1] + t0 * tMult ** (starts.length - 1));
  const cycles = starts.length - 1;
  return makeSchedule((m, t) => {
    const piece = (k: number) => cosineAnneal(m, learningRate, etaMin, m.sub(t, starts[k]), t0 * tMult ** k);
    let out = piece(cycles - 1);
    for (let k = cycles - 2; k >= 0; k--) out = m.ifLess(t, starts[k + 1], piece(k), out);
    return out;
  });
}

export interface OneCycleLROptions {
  /** The peak lr. */
  readonly maxLr: number;
  /** Steps of the cycle (torch's `total_steps`, or `epochs · steps_per_epoch`). */
  readonly totalSteps: number;
  /** Share of the cycle spent rising (default 0.3). */
  readonly pctStart?: number;
  /** `'cos'` (default) or `'linear'`. */
  readonly annealStrategy?: 'cos' | 'linear';
  /** The first lr is `maxLr / divFactor` (default 25). */
  readonly divFactor?: number;
  /** The last lr is `maxLr / divFactor / finalDivFactor` (default 1e4). */
  readonly finalDivFactor?: number;
  /** Rise, fall back to the first lr symmetrically, then anneal to the last (default false). */
  readonly threePhase?: boolean;
}

/**
 * torch's `OneCycleLR` (the lr; cycle the momentum yourself if wanted): from `maxLr / divFactor` up
 * to `maxLr` at step `pctStart · totalSteps − 1`, then down to `maxLr / divFactor / finalDivFactor`
 * at `totalSteps − 1` (three-phase: back to the first lr at `2 pctStart · totalSteps − 2` first).
 * optax's `cosineOnecycle` differs: its phases end at whole steps.
 */
export function oneCycleLR({ maxLr, totalSteps, pctStart = 0.3, annealStrategy = 'cos', divFactor = 25, finalDivFactor = 1e4, threePhase = false }: OneCycleLROptions): Schedule {
  checkFinite('oneCycleLR', { maxLr, divFactor, finalDivFactor });
  checkInt('oneCycleLR', 'totalSteps', totalSteps, 1);
  checkUnit('oneCycleLR', 'pctStart', pctStart);
  if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new Error(`oneCycleLR: annealStrategy must be 'cos' or 'linear', got ${String(annealStrategy)}`);
  const rise = pctStart * totalSteps - 1;
  if (rise === 0) throw new Error(`oneCycleLR: pctStart · totalSteps must not be 1 (the first phase would have no length; torch divides by zero), got ${pctStart} · ${totalSteps}`);
  const initial = maxLr / divFactor;
  const knots: [number, number][] = threePhase
    ? [[0, initial], [rise, maxLr], [2 * pctStart * totalSteps - 2, initial], [totalSteps - 1, initial / finalDivFactor]]
    : [[0, initial], [rise, maxLr], [totalSteps - 1, initial / finalDivFactor]];
  return makeSchedule(interpolateKnots(annealStrategy === 'cos' ? 'cosine' : 'linear', knots, { closed: true, extrapolate: true }));
}

export interface CyclicLROptions {
  /** The lower lr of the cycle (torch sets the optimiser's lr to it). */
  readonly baseLr: number;
  /** The upper lr of the cycle. */
  readonly maxLr: number;
  /** Steps rising (default 2000). */
  readonly stepSizeUp?: number;
  /** Steps falling (default `stepSizeUp`). */
  readonly stepSizeDown?: number;
  /** `'triangular'` (default), `'triangular2'` (the amplitude halves every cycle) or `'exp_range'` (times `gamma^t`). */
  readonly mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** `'exp_range'`'s factor per step (default 1). */
  readonly gamma?: number;
}

/** torch's `CyclicLR` (the lr; cycle the momentum yourself if wanted): triangles between `baseLr` and `maxLr`. */
export function cyclicLR({ baseLr, maxLr, stepSizeUp = 2000, stepSizeDown = stepSizeUp, mode = 'triangular', gamma = 1 }: CyclicLROptions): Schedule {
  checkFinite('cyclicLR', { baseLr, maxLr, gamma });
  if (!(stepSizeUp > 0) || !(stepSizeDown >= 0) || !Number.isFinite(stepSizeUp + stepSizeDown)) throw new Error(`cyclicLR: stepSizeUp must be > 0 and stepSizeDown >= 0, got ${stepSizeUp} and ${stepSizeDown}`);
  if (mode !== 'triangular' && mode !== 'triangular2' && mode !== 'exp_range') throw new Error(`cyclicLR: mode must be 'triangular', 'triangular2' or 'exp_range', got ${String(mode)}`);
  const total = stepSizeUp + stepSizeDown;
  const ratio = stepSizeUp / total;
  return makeSchedule((m, t) => {
    const cycle = m.floor(m.add(1, m.div(t, total)));
    const x = m.sub(m.add(1, m.div(t, total)), cycle);
    const scale = m.ifLess(ratio, x, m.div(m.sub(x, 1), ratio - 1), m.div(x, ratio));
    const height = m.mul(maxLr - baseLr, scale);
    const amplitude = mode === 'triangular' ? 1 : mode === 'triangular2' ? m.div(1, m.pow(2, m.sub(cycle, 1))) : m.pow(gamma, t);
    return m.add(baseLr, m.mul(height, amplitude));
  });
}

/**
 * A formula through `exact(t)` on the number path and a float32 table of `exact(0 .. steps − 1)`
 * on arrays (gathered at the step, clipped to the table: the last value holds after it).
 */
function tabulated(exact: (t: number) => number, steps: number): Formula {
  const table = Array.from({ length: steps }, (_, t) => exact(t));
  const gather = (step: NdArray): NdArray => np.take(np.array(table, 'float32'), np.clip(np.cast(step, 'int32'), 0, steps - 1));
  return (<T>(m: ScheduleMath<T>, step: Val<T>): Val<T> => {
    if (typeof step === 'number') return exact(Math.min(Math.max(step, 0), m.kind === 'array' ? steps - 1 : Infinity));
    return gather(step as NdArray) as Val<T>;
  }) as Formula;
}

export interface LambdaLROptions {
  readonly learningRate: number;
  /** A JS function of the step (torch's `lr_lambda(epoch)`). */
  readonly lrLambda: (step: number) => number;
  /**
   * Steps for which the array path (the optimiser's, under `jit`) tabulates the function; the last
   * value holds after them. `schedule.at(t)` calls the function at any `t`.
   */
  readonly totalSteps: number;
}

function checkLambda(what: string, o: LambdaLROptions): void {
  checkFinite(what, { learningRate: o.learningRate });
  if (typeof o.lrLambda !== 'function') throw new Error(`${what}: lrLambda must be a function of the step, got ${typeof o.lrLambda}`);
  checkInt(what, 'totalSteps', o.totalSteps, 1);
}

/** torch's `LambdaLR`: `learningRate · lrLambda(t)`. */
export function lambdaLR(o: LambdaLROptions): Schedule {
  checkLambda('lambdaLR', o);
  return makeSchedule(tabulated((t) => o.learningRate * o.lrLambda(t), o.totalSteps));
}

/** torch's `MultiplicativeLR`: `learningRate` at step 0, then the previous lr times `lrLambda(t)`. */
export function multiplicativeLR(o: LambdaLROptions): Schedule {
  checkLambda('multiplicativeLR', o);
  const make = (base: number) => {
    const lrs = [base];
    const exact = (t: number) => {
      for (let i = lrs.length; i <= t; i++) lrs.push(lrs[i - 1] * o.lrLambda(i));
      return lrs[t];
    };
    return makeSchedule(tabulated(exact, o.totalSteps));
  };
  return chainable('multiplicativeLR', o.learningRate, make);
}

/**
 * torch's `SequentialLR`: `schedules[0]` until `milestones[0]`, then `schedules[1]` from its own
 * step 0, ... (as torch, which restarts each scheduler at its milestone; = `joinSchedules`).
 */
export function sequentialLR(schedules: readonly Schedule[], milestones: readonly number[]): Schedule {
  if (milestones.length !== schedules.length - 1) throw new Error(`sequentialLR: ${schedules.length} scheduler(s) need ${Math.max(schedules.length - 1, 0)} milestone(s), got ${milestones.length}`);
  milestones.forEach((ms) => checkInt('sequentialLR', 'each milestone', ms, 0));
  return joinSchedules(schedules, milestones);
}

/**
 * torch's `ChainedScheduler`: every scheduler steps the same lr, so their factors multiply:
 * `learningRate · Π factor_i(t)`. Only the multiplicative torch schedulers (stepLR, multiStepLR,
 * exponentialLR, constantLR, linearLR, polynomialLR, multiplicativeLR), all with one learningRate.
 */
export function chainedScheduler(schedules: readonly Schedule[]): Schedule {
  if (schedules.length === 0) throw new Error('chainedScheduler: needs at least one scheduler');
  const parts = schedules.map((s, i) => {
    const p = multiplicative.get(s);
    if (!p) throw new Error(`chainedScheduler: scheduler ${i} is not one of the multiplicative torch schedulers (stepLR, multiStepLR, exponentialLR, constantLR, linearLR, polynomialLR, multiplicativeLR)`);
    return p;
  });
  const base = parts[0].base;
  const other = parts.findIndex((p) => p.base !== base);
  if (other >= 0) throw new Error(`chainedScheduler: every scheduler must have the same learningRate (torch: the same optimizer), got ${base} and ${parts[other].base} (scheduler ${other})`);
  return makeSchedule((m, t) => parts.reduce<Val<typeof t>>((lr, p) => m.mul(lr, p.factor.formula(m, t)), base));
}
