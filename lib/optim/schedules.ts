/**
 * The schedules: constant-to-end interpolations (linear, polynomial, cosine, exponential,
 * piecewise), their joins, swav's warmup + cosine, and optax's warmup, one-cycle and restart
 * schedules. Each is one formula over `ScheduleMath` (schedule.ts).
 */
import { type Formula, type Schedule, type ScheduleLike, type Val, constant, makeSchedule, toSchedule } from './schedule.js';

function checkSteps(n: number, what: string, allowZero = false): void {
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`${what} must be an integer >= ${allowZero ? 0 : 1}, got ${n}`);
}

/** A schedule's values (init, peak, end, ...) must be finite: a NaN one makes every learning rate NaN. */
function checkValues(what: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) if (!Number.isFinite(v)) throw new Error(`${what}: ${name} must be a finite number, got ${v}`);
}

export interface LinearOptions {
  /** Value at step `begin` and before. */
  readonly init: number;
  /** Value at step `begin + steps` and after. */
  readonly end: number;
  /** Length of the transition, in steps (>= 1). */
  readonly steps: number;
  /** Step where the transition starts (default 0). */
  readonly begin?: number;
}

/**
 * Linear interpolation from `init` to `end` over `steps` steps starting at `begin`, constant
 * outside (optax's `linear_schedule`): `(init - end) * (1 - t / steps) + end`, t = clip(step - begin, 0, steps).
 */
export function linear(options: LinearOptions): Schedule {
  return polynomial({ ...options, power: 1 }, 'linear');
}

export interface PolynomialOptions extends LinearOptions {
  /** The power of the transition (1: linear). */
  readonly power: number;
}

/**
 * optax's `polynomial_schedule`: `(init - end) * (1 - t / steps) ** power + end`,
 * t = clip(step - begin, 0, steps); `init` throughout when `steps <= 0`, and a negative
 * `begin` counts as 0 (optax's fallbacks).
 * @example polynomial({ init: 1, end: 0.01, power: 2, steps: 100, begin: 5 }).at(6) // 0.9803
 */
export function polynomial({ init, end, steps, begin: beginOption = 0, power }: PolynomialOptions, what = 'polynomial'): Schedule {
  checkValues(what, { init, end });
  if (!Number.isFinite(steps)) throw new Error(`${what}: steps must be a finite number, got ${steps}`);
  if (!Number.isFinite(beginOption)) throw new Error(`${what}: begin must be a finite number, got ${beginOption}`);
  // As optax: no transition (steps <= 0) holds `init`; a negative begin counts from 0.
  if (steps <= 0) return constant(init);
  const begin = Math.max(beginOption, 0);
  return makeSchedule((m, step) => {
    const t = m.min(m.max(m.sub(step, begin), 0), steps);
    const frac = m.sub(1, m.div(t, steps));
    return m.add(m.mul(init - end, power === 1 ? frac : m.pow(frac, power)), end);
  });
}

export interface CosineDecayOptions {
  /** Value at step 0. */
  readonly init: number;
  /** Steps over which the value falls from `init` to `end` (>= 1); constant `end` after. */
  readonly decaySteps: number;
  /** Value at `decaySteps` and after (default 0; optax's `alpha` is `end / init`). */
  readonly end?: number;
  /** optax's `exponent`: the cosine factor `0.5 (1 + cos(pi t / T))` is raised to it (default 1). */
  readonly exponent?: number;
}

/**
 * Half a cosine from `init` to `end` over `decaySteps`:
 * `end + 0.5 * (init - end) * (1 + cos(pi * t / decaySteps))`, t = min(step, decaySteps),
 * in the operation order of facebookresearch/swav (so the float64 path matches it bit for bit).
 */
export function cosineDecay({ init, decaySteps, end = 0, exponent = 1 }: CosineDecayOptions): Schedule {
  checkValues('cosineDecay', { init, end });
  checkSteps(decaySteps, 'cosineDecay: decaySteps');
  const half = 0.5 * (init - end);
  return makeSchedule((m, step) => {
    const t = m.min(step, decaySteps);
    const cos = m.cos(m.div(m.mul(Math.PI, t), decaySteps));
    if (exponent === 1) return m.add(end, m.mul(half, m.add(1, cos)));
    return m.add(end, m.mul(init - end, m.pow(m.mul(0.5, m.add(1, cos)), exponent)));
  });
}

export interface ExponentialDecayOptions {
  /** Value up to step `transitionBegin`. */
  readonly init: number;
  /** Steps over which the value is multiplied by `decayRate` once (<= 0: `init` throughout, as optax). */
  readonly transitionSteps: number;
  /** The factor per `transitionSteps` steps (0: `init` throughout, as optax). */
  readonly decayRate: number;
  /** Steps at `init` before the decay starts (default 0). */
  readonly transitionBegin?: number;
  /** Decay in whole `transitionSteps` periods (default false: continuously). */
  readonly staircase?: boolean;
  /** A bound the value does not pass (a floor when decaying, a ceiling when `decayRate > 1`). */
  readonly end?: number;
}

/**
 * optax's `exponential_decay`: `init * decayRate ** ((step - transitionBegin) / transitionSteps)`
 * after `transitionBegin` (the exponent floored with `staircase`), `init` before, bounded by `end`.
 * @example exponentialDecay({ init: 0.1, transitionSteps: 1000, decayRate: 0.5 }).at(2000) // 0.025
 */
export function exponentialDecay({ init, transitionSteps, decayRate, transitionBegin = 0, staircase = false, end }: ExponentialDecayOptions): Schedule {
  if (!Number.isFinite(transitionSteps)) throw new Error(`exponentialDecay: transitionSteps must be a finite number, got ${transitionSteps}`);
  if (!(decayRate >= 0)) throw new Error(`exponentialDecay: decayRate must be >= 0, got ${decayRate}`);
  if (!Number.isFinite(transitionBegin)) throw new Error(`exponentialDecay: transitionBegin must be a finite number, got ${transitionBegin}`);
  // As optax: transitionSteps <= 0 or decayRate 0 hold `init`; a negative transitionBegin counts from 0.
  if (transitionSteps <= 0 || decayRate === 0) return constant(init);
  const begin = Math.max(transitionBegin, 0);
  return makeSchedule((m, step) => {
    const since = m.sub(step, begin);
    const periods = m.div(since, transitionSteps);
    const decayed = m.ifLess(0, since, m.mul(init, m.pow(decayRate, staircase ? m.floor(periods) : periods)), init);
    if (end === undefined) return decayed;
    return decayRate < 1 ? m.max(decayed, end) : m.min(decayed, end);
  });
}

/**
 * optax's `piecewise_constant_schedule`: `init`, multiplied by each pair's scale from its
 * boundary step on (a step equal to the boundary is already scaled).
 * @example piecewiseConstant(0.1, [[30_000, 0.1], [60_000, 0.1]]).at(45_000) // 0.01
 */
export function piecewiseConstant(init: number, boundariesAndScales: readonly (readonly [number, number])[]): Schedule {
  boundariesAndScales.forEach(([b, s]) => {
    if (!Number.isFinite(b) || !Number.isFinite(s)) throw new Error(`piecewiseConstant: boundaries and scales must be finite numbers, got [${b}, ${s}]`);
    if (s < 0) throw new Error(`piecewiseConstant: scales must be >= 0 (as optax), got [${b}, ${s}]`);
  });
  const sorted = [...boundariesAndScales].sort((x, y) => x[0] - y[0]);
  return makeSchedule((m, step) => sorted.reduce<Val<typeof step>>((v, [boundary, s]) => m.ifLess(step, boundary, v, m.mul(v, s)), init));
}

/**
 * `schedules[0]` until `boundaries[0]`, then `schedules[1]` (given `step - boundaries[0]`),
 * and so on (optax's `join_schedules`). Needs one boundary fewer than schedules.
 */
export function joinSchedules(schedules: readonly ScheduleLike[], boundaries: readonly number[]): Schedule {
  if (schedules.length === 0) throw new Error('joinSchedules: needs at least one schedule');
  if (boundaries.length !== schedules.length - 1)
    throw new Error(`joinSchedules: ${schedules.length} schedule(s) need ${schedules.length - 1} boundary(ies), got ${boundaries.length}`);
  boundaries.forEach((b, i) => {
    if (!Number.isFinite(b) || (i > 0 && b < boundaries[i - 1])) throw new Error(`joinSchedules: boundaries must be finite and non-decreasing, got [${boundaries.join(', ')}]`);
  });
  const ss = schedules.map(toSchedule);
  return makeSchedule((m, step) => {
    let out = ss[0].formula(m, step);
    boundaries.forEach((b, i) => {
      out = m.ifLess(step, b, out, ss[i + 1].formula(m, m.sub(step, b)));
    });
    return out;
  });
}

/**
 * `num` evenly spaced values from `start` to `stop`, one per step (the last repeats after).
 * `'float32'` is torch.linspace in float32 (step and values rounded to float32, the second
 * half counted back from `stop`); `'float64'` is numpy's np.linspace.
 */
export function linspace(start: number, stop: number, num: number, precision: 'float32' | 'float64' = 'float32'): Schedule {
  checkSteps(num, 'linspace: num');
  if (num === 1) return constant(precision === 'float32' ? Math.fround(start) : start);
  const last = num - 1;
  if (precision === 'float64') {
    const delta = (stop - start) / last;
    return makeSchedule((m, step) => {
      const i = m.min(m.max(step, 0), last);
      return m.ifLess(i, last, m.add(m.mul(i, delta), start), stop);
    });
  }
  const s = Math.fround(start);
  const e = Math.fround(stop);
  const delta = Math.fround(Math.fround(e - s) / last);
  const halfway = Math.floor(num / 2);
  return makeSchedule((m, step) => {
    const i = m.min(m.max(step, 0), last);
    const up = m.f32(m.add(s, m.f32(m.mul(delta, i))));
    const down = m.f32(m.sub(e, m.f32(m.mul(delta, m.sub(last, i)))));
    return m.ifLess(i, halfway, up, down);
  });
}

export interface WarmupCosineOptions {
  /** First warmup value (swav's `start_warmup`). */
  readonly start: number;
  /** Value at the end of the warmup and the start of the cosine (swav's `base_lr`). */
  readonly base: number;
  /** Value the cosine reaches at `totalSteps` (swav's `final_lr`); constant after. */
  readonly final: number;
  /** Warmup steps (swav: `warmup_epochs * iters_per_epoch`); 0 for none. */
  readonly warmupSteps: number;
  /** All steps, warmup included (swav: `epochs * iters_per_epoch`). */
  readonly totalSteps: number;
  /**
   * How the warmup's linspace is computed: `'float32'` (default) as torch.linspace in
   * float32, which is what the reference fixture records; `'float64'` as np.linspace in
   * facebookresearch/swav's main_swav.py. They differ by at most ~2.4e-7 at lr 4.8.
   */
  readonly linspace?: 'float32' | 'float64';
}

/**
 * The swav learning-rate recipe: `linspace(start, base, warmupSteps)` for the first
 * `warmupSteps` steps, then a per-step cosine from `base` to `final` over the remaining
 * `totalSteps - warmupSteps` steps.
 * @example warmupCosine({ start: 0.3, base: 4.8, final: 0.0048, warmupSteps: 10, totalSteps: 30 })
 */
export function warmupCosine({ start, base, final, warmupSteps, totalSteps, linspace: precision = 'float32' }: WarmupCosineOptions): Schedule {
  checkValues('warmupCosine', { start, base, final });
  checkSteps(warmupSteps, 'warmupCosine: warmupSteps', true);
  checkSteps(totalSteps, 'warmupCosine: totalSteps');
  if (totalSteps <= warmupSteps) throw new Error(`warmupCosine: totalSteps (${totalSteps}) must exceed warmupSteps (${warmupSteps})`);
  const cosine = cosineDecay({ init: base, end: final, decaySteps: totalSteps - warmupSteps });
  if (warmupSteps === 0) return cosine;
  return joinSchedules([linspace(start, base, warmupSteps, precision), cosine], [warmupSteps]);
}

export interface WarmupCosineDecayOptions {
  /** Value at step 0. */
  readonly init: number;
  /** Value at the end of the warmup. */
  readonly peak: number;
  /** Steps of linear warmup from `init` to `peak` (0: none). */
  readonly warmupSteps: number;
  /** All steps, warmup included: the cosine runs over `decaySteps - warmupSteps`. */
  readonly decaySteps: number;
  /** Value at `decaySteps` and after (default 0). */
  readonly end?: number;
  /** The cosine factor's exponent (default 1). */
  readonly exponent?: number;
}

/**
 * optax's `warmup_cosine_decay_schedule`: linear from `init` to `peak` over `warmupSteps`,
 * then a cosine from `peak` to `end` until `decaySteps`.
 * @example warmupCosineDecay({ init: 0, peak: 1e-3, warmupSteps: 500, decaySteps: 10_000 })
 */
export function warmupCosineDecay({ init, peak, warmupSteps, decaySteps, end = 0, exponent = 1 }: WarmupCosineDecayOptions): Schedule {
  checkValues('warmupCosineDecay', { init, peak, end });
  checkSteps(warmupSteps, 'warmupCosineDecay: warmupSteps', true);
  if (!(decaySteps > warmupSteps)) throw new Error(`warmupCosineDecay: decaySteps (${decaySteps}) must exceed warmupSteps (${warmupSteps})`);
  // optax: alpha = end / peak, and 0 when peak is 0 (so `end` is then ignored).
  const cosine = cosineDecay({ init: peak, decaySteps: decaySteps - warmupSteps, end: peak === 0 ? 0 : end, exponent });
  return warmupThen(init, peak, warmupSteps, cosine);
}

/**
 * optax's `warmup_constant_schedule`: linear from `init` to `peak` over `warmupSteps`, then `peak`
 * (optax's `linear_schedule`, so `warmupSteps` 0 is the constant `init`, as there).
 * @example warmupConstant({ init: 0, peak: 1e-3, warmupSteps: 100 }).at(50) // 5e-4
 */
export function warmupConstant({ init, peak, warmupSteps }: { readonly init: number; readonly peak: number; readonly warmupSteps: number }): Schedule {
  return linear({ init, end: peak, steps: warmupSteps });
}

/** A linear warmup from `init` to `peak` over `warmupSteps` (none when 0), then `after`. */
function warmupThen(init: number, peak: number, warmupSteps: number, after: Schedule): Schedule {
  if (warmupSteps === 0) return after;
  return joinSchedules([linear({ init, end: peak, steps: warmupSteps }), after], [warmupSteps]);
}

export interface WarmupExponentialDecayOptions extends Omit<ExponentialDecayOptions, 'init'> {
  readonly init: number;
  readonly peak: number;
  readonly warmupSteps: number;
}

/** optax's `warmup_exponential_decay_schedule`: linear warmup to `peak`, then `exponentialDecay` from `peak`. */
export function warmupExponentialDecay({ init, peak, warmupSteps, ...decay }: WarmupExponentialDecayOptions): Schedule {
  checkSteps(warmupSteps, 'warmupExponentialDecay: warmupSteps', true);
  return warmupThen(init, peak, warmupSteps, exponentialDecay({ ...decay, init: peak }));
}

/**
 * optax's `piecewise_interpolate_schedule`: the value is `init` at step 0 and `init` times
 * every scale up to boundary b_i at b_i, interpolated linearly or by a half cosine in between;
 * after the last boundary it stays at the last value.
 */
export function piecewiseInterpolate(kind: 'linear' | 'cosine', init: number, boundariesAndScales: readonly (readonly [number, number])[]): Schedule {
  if (kind !== 'linear' && kind !== 'cosine') throw new Error(`piecewiseInterpolate: kind must be 'linear' or 'cosine', got ${String(kind)}`);
  const sorted = [...boundariesAndScales].sort((x, y) => x[0] - y[0]);
  sorted.forEach(([b, sc], i) => {
    if (!Number.isFinite(b) || (i === 0 ? b < 0 : b <= sorted[i - 1][0]) || !(sc >= 0))
      throw new Error(`piecewiseInterpolate: boundaries must be increasing and >= 0 and scales >= 0, got [${b}, ${sc}]`);
  });
  const values = sorted.reduce((vs, [, sc]) => [...vs, vs[vs.length - 1] * sc], [init]);
  const knots = [0, ...sorted.map(([b]) => b)].map((b, i): [number, number] => [b, values[i]]);
  return makeSchedule(interpolateKnots(kind, knots, { minSpan: 1 })); // optax's floor of 1 for a boundary at 0
}

/** How {@link interpolateKnots} joins its pieces. */
export interface KnotOptions {
  /** A step equal to a knot belongs to the piece ending there (torch's `<=`; default false: optax's `<`). */
  readonly closed?: boolean;
  /** After the last knot the last piece goes on (torch's OneCycleLR); default false: the last value holds. */
  readonly extrapolate?: boolean;
  /** The smallest denominator of a piece's fraction (optax: 1; torch: none, 0). */
  readonly minSpan?: number;
}

/**
 * The formula through knots `[step, value]`, linear (`(b - a) pct + a`) or a half cosine
 * (`b + (a - b) / 2 (cos(pi pct) + 1)`) between neighbours, pct the fraction of the piece done:
 * the annealing of optax's piecewise interpolation and of torch's OneCycleLR. Steps before the
 * second knot use the first piece.
 */
export function interpolateKnots(kind: 'linear' | 'cosine', knots: readonly (readonly [number, number])[], { closed = false, extrapolate = false, minSpan = 0 }: KnotOptions = {}): Formula {
  const last = knots.length - 1;
  return (m, step) => {
    const piece = (i: number) => {
      const [[s0, a], [s1, b]] = [knots[i], knots[i + 1]];
      const pct = m.div(m.sub(step, s0), Math.max(s1 - s0, minSpan));
      return kind === 'linear' ? m.add(m.mul(b - a, pct), a) : m.add(b, m.mul((a - b) / 2, m.add(m.cos(m.mul(Math.PI, pct)), 1)));
    };
    let out = extrapolate ? piece(last - 1) : knots[last][1];
    for (let i = extrapolate ? last - 2 : last - 1; i >= 0; i--) {
      const end = knots[i + 1][0];
      out = closed ? m.ifLess(end, step, out, piece(i)) : m.ifLess(step, end, piece(i), out);
    }
    return out;
  };
}

export interface OnecycleOptions {
  /** Length of the cycle. */
  readonly transitionSteps: number;
  /** The highest value, reached at `pctStart` of the cycle. */
  readonly peak: number;
  /** Share of the cycle spent rising (default 0.3). */
  readonly pctStart?: number;
  /** The first value is `peak / divFactor` (default 25). */
  readonly divFactor?: number;
  /** The last value is `peak / divFactor / finalDivFactor` (default 1e4). */
  readonly finalDivFactor?: number;
}

/** optax's `cosine_onecycle_schedule` (Smith's one-cycle with cosine phases). */
export function cosineOnecycle({ transitionSteps, peak, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 }: OnecycleOptions): Schedule {
  checkSteps(transitionSteps, 'cosineOnecycle: transitionSteps');
  return piecewiseInterpolate('cosine', peak / divFactor, [
    [Math.trunc(pctStart * transitionSteps), divFactor],
    [transitionSteps, 1 / (divFactor * finalDivFactor)],
  ]);
}

/** optax's `linear_onecycle_schedule`: up to `peak` until `pctStart`, back to `peak / divFactor` at `pctFinal`, then down to its `1 / finalDivFactor`. */
export function linearOnecycle({ pctFinal = 0.85, ...o }: OnecycleOptions & { readonly pctFinal?: number }): Schedule {
  const { transitionSteps, peak, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 } = o;
  checkSteps(transitionSteps, 'linearOnecycle: transitionSteps');
  return piecewiseInterpolate('linear', peak / divFactor, [
    [Math.trunc(pctStart * transitionSteps), divFactor],
    [Math.trunc(pctFinal * transitionSteps), 1 / divFactor],
    [transitionSteps, 1 / finalDivFactor],
  ]);
}

/** optax's `sgdr_schedule`: warm restarts, one `warmupCosineDecay` cycle after another, each `decaySteps` long. */
export function sgdr(cycles: readonly WarmupCosineDecayOptions[]): Schedule {
  if (cycles.length === 0) throw new Error('sgdr: needs at least one cycle');
  const ends = cycles.reduce<number[]>((acc, c) => [...acc, (acc[acc.length - 1] ?? 0) + c.decaySteps], []);
  return joinSchedules(cycles.map(warmupCosineDecay), ends.slice(0, -1));
}
