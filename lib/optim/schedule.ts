/**
 * What a schedule is: step -> value (learning rates, momentum, decay factors). The catalogue
 * of schedules is schedules.ts.
 *
 * A schedule's formula is written once, against {@link ScheduleMath}, and evaluated two ways:
 * - on arrays (`schedule(step)`, step an int32 or float32 scalar array): float32 np ops, so
 *   the step may be a traced value inside `jit` and the formula is staged, not baked in;
 * - on JS numbers (`schedule.at(n)`, or {@link evaluateSchedule}): exact float64 arithmetic,
 *   for logging and for comparing with reference values.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { scope } from '../core/index.js';

/** A value of a formula: an array, or a JS number (a constant, or every value on the number path). */
export type Val<T> = T | number;

/**
 * The arithmetic a schedule's formula is written in. `kind` says which evaluation runs;
 * formulas should not need it. On arrays, operations whose operands are all numbers are
 * computed in float64 JS (constants fold) and only meet float32 when they meet the step.
 */
export interface ScheduleMath<T> {
  readonly kind: 'number' | 'array';
  add(a: Val<T>, b: Val<T>): Val<T>;
  sub(a: Val<T>, b: Val<T>): Val<T>;
  mul(a: Val<T>, b: Val<T>): Val<T>;
  div(a: Val<T>, b: Val<T>): Val<T>;
  pow(a: Val<T>, b: Val<T>): Val<T>;
  min(a: Val<T>, b: Val<T>): Val<T>;
  max(a: Val<T>, b: Val<T>): Val<T>;
  cos(a: Val<T>): Val<T>;
  floor(a: Val<T>): Val<T>;
  /** `a < b ? x : y` (on arrays both branches are computed, then selected). */
  ifLess(a: Val<T>, b: Val<T>, x: Val<T>, y: Val<T>): Val<T>;
  /** Rounds to float32: `Math.fround` on numbers, nothing on arrays (already float32). */
  f32(a: Val<T>): Val<T>;
}

/** A formula over any {@link ScheduleMath}: the single definition of a schedule. */
export type Formula = <T>(m: ScheduleMath<T>, step: Val<T>) => Val<T>;

/**
 * A schedule. Call it with a scalar step array (int32 or float32) or a JS number (as optax's
 * schedules take a Python int) to get a float32 scalar array (jit-safe); `at(n)` gives the
 * float64 value at step `n` as a JS number.
 */
export interface Schedule {
  (step: NdArray | number): NdArray;
  at(step: number): number;
  readonly formula: Formula;
}

/** What the optimisers accept where a schedule goes: a constant, a {@link Schedule}, or any `(step) => array` function. */
export type ScheduleLike = number | Schedule | ((step: NdArray) => NdArray);

const numberMath: ScheduleMath<number> = {
  kind: 'number',
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
  cos: (a) => Math.cos(a),
  floor: (a) => Math.floor(a),
  ifLess: (a, b, x, y) => (a < b ? x : y),
  f32: (a) => Math.fround(a),
};

type A = Val<NdArray>;
const both = (a: A, b: A): [number, number] | null => (typeof a === 'number' && typeof b === 'number' ? [a, b] : null);
function arrayOp(js: (a: number, b: number) => number, op: (a: A, b: A) => NdArray) {
  return (a: A, b: A): A => {
    const n = both(a, b);
    return n ? js(n[0], n[1]) : op(a, b);
  };
}

const arrayMath: ScheduleMath<NdArray> = {
  kind: 'array',
  add: arrayOp(numberMath.add, np.add),
  sub: arrayOp(numberMath.sub, np.sub),
  mul: arrayOp(numberMath.mul, np.mul),
  div: arrayOp(numberMath.div, np.div),
  pow: arrayOp(numberMath.pow, np.pow),
  min: arrayOp(numberMath.min, np.minimum),
  max: arrayOp(numberMath.max, np.maximum),
  cos: (a) => (typeof a === 'number' ? Math.cos(a) : np.cos(a)),
  floor: (a) => (typeof a === 'number' ? Math.floor(a) : np.floor(a)),
  ifLess: (a, b, x, y) => {
    const n = both(a, b);
    if (n) return n[0] < n[1] ? x : y;
    return np.where(np.less(a, b), x, y);
  },
  f32: (a) => (typeof a === 'number' ? Math.fround(a) : a),
};

/** Builds a {@link Schedule} from its formula. */
export function makeSchedule(formula: Formula): Schedule {
  const fn = (step: NdArray | number): NdArray => {
    const s = typeof step === 'number' ? np.full([], step, 'float32') : np.cast(step, 'float32');
    const v = formula(arrayMath, s);
    return typeof v === 'number' ? np.full(s.shape, v) : v;
  };
  const at = (step: number): number => formula(numberMath, step) as number;
  return Object.assign(fn, { at, formula });
}

function isSchedule(x: unknown): x is Schedule {
  return typeof x === 'function' && typeof (x as Partial<Schedule>).formula === 'function' && typeof (x as Partial<Schedule>).at === 'function';
}

/**
 * A {@link Schedule} from a plain `(step: NdArray) => NdArray` function. Its number path runs
 * the function on a float32 scalar and reads the value back with `dataSync` (so it is float32,
 * not float64, and not available on webgpu, where `dataSync` fails).
 */
export function fromFunction(f: (step: NdArray) => NdArray): Schedule {
  const formula = (<T>(m: ScheduleMath<T>, step: Val<T>): Val<T> => {
    if (m.kind === 'array') return f(typeof step === 'number' ? np.full([], step) : (step as NdArray)) as Val<T>;
    return scope(() => f(np.full([], step as number)).dataSync()[0]) as Val<T>;
  }) as Formula;
  return makeSchedule(formula);
}

/** A number becomes {@link constant}, a plain function goes through {@link fromFunction}. */
export function toSchedule(s: ScheduleLike): Schedule {
  if (typeof s === 'number') return constant(s);
  if (isSchedule(s)) return s;
  if (typeof s === 'function') return fromFunction(s);
  throw new Error(`expected a number or a schedule, got ${s === null ? 'null' : typeof s}`);
}

/**
 * The value of a schedule at integer step `step`, as a JS number: exact float64 for the
 * schedules of this module (a plain function schedule is evaluated in float32). For logging.
 * @example evaluateSchedule(warmupCosine({...}), 10) // 4.8
 */
export function evaluateSchedule(schedule: ScheduleLike, step: number): number {
  if (typeof schedule === 'number') return schedule;
  return toSchedule(schedule).at(step);
}

/** The same value at every step. */
export function constant(value: number): Schedule {
  return makeSchedule(() => value);
}
