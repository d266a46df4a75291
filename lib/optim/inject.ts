/**
 * optax's `inject_hyperparams`: an optimiser whose numeric hyperparameters live in its state, so
 * they can be read (for logging), changed between steps without a new trace, or scheduled.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, evalShape, isTracer } from '../core/index.js';
import * as np from '../ops/index.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import type { ExtraArgs, GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount } from './util.js';
import { showValue } from '../util/show-value.js';

export interface InjectHyperparamsState<S = unknown> {
  /** int32 []: updates done so far (scheduled hyperparameters are evaluated at it). */
  readonly count: NdArray;
  /**
   * The injected hyperparameters, float32 scalars by name. After a step, the values that step
   * used. Replace a value (`{ ...state, hyperparams: { ...state.hyperparams, b1: np.array(0.8) } }`)
   * to change it from the next step on; a scheduled one is recomputed every step (overriding it does nothing).
   */
  readonly hyperparams: Readonly<Record<string, NdArray>>;
  /** The state of the optimiser the factory builds. */
  readonly innerState: S;
}

/** The state of {@link injectStatefulHyperparams} (optax's `InjectStatefulHyperparamsState`). */
export interface InjectStatefulHyperparamsState<S = unknown> extends InjectHyperparamsState<S> {
  /** The state of each scheduled hyperparameter's schedule, by name (`{count}` for a plain schedule). */
  readonly hyperparamsStates: Readonly<Record<string, unknown>>;
}

/**
 * optax's `StatefulSchedule`: a hyperparameter whose value depends on a state of its own (which
 * may follow the extra arguments of `update`, e.g. the loss): called as `schedule(state, extra)`
 * for the value, `init()` for the first state and `update(state, extra)` for the next one.
 */
export interface StatefulSchedule<T = unknown> {
  (state: T, extra?: ExtraArgs): NdArray | number;
  init(): T;
  update(state: T, extra?: ExtraArgs): T;
}

/** Whether `x` is a {@link StatefulSchedule} (a function with `init` and `update` methods). */
export function isStatefulSchedule(x: unknown): x is StatefulSchedule {
  return typeof x === 'function' && typeof (x as Partial<StatefulSchedule>).init === 'function' && typeof (x as Partial<StatefulSchedule>).update === 'function';
}

/** optax's `WrappedSchedule`: a plain schedule as a stateful one, its state `{count}` (int32, from 0). */
export function wrappedSchedule(schedule: ScheduleLike): StatefulSchedule<{ readonly count: NdArray }> {
  const s = toSchedule(schedule);
  const call = (state: { readonly count: NdArray }) => s(state.count);
  return Object.assign(call, { init: () => ({ count: initCount() }), update: (state: { readonly count: NdArray }) => ({ count: incrementCount(state.count) }) });
}

export interface InjectHyperparamsOptions<O, S extends keyof O = never> {
  /** Options passed to the factory as given and never injected (optax's `static_args`): number options the factory cannot take as arrays, a function that is not a schedule. */
  readonly staticArgs?: readonly S[];
  /**
   * Injected options the factory takes as a schedule (`ScheduleLike`): they reach it as a function
   * returning the current value (so `scaleByLearningRate` and every alias accept them). The other
   * injected options reach it as float32 scalar arrays. Default `['learningRate']`.
   */
  readonly scheduleArgs?: readonly (keyof O & string)[];
}

/** The options of O that may be injected: those typed to accept a scalar array (`Hyper`) or a schedule. */
export type InjectableKeys<O> = {
  [K in keyof O]-?: NdArray extends NonNullable<O[K]> ? K : ((step: NdArray) => NdArray) extends NonNullable<O[K]> ? K : never;
}[keyof O];

/**
 * What the wrapped factory accepts: its own options, where the injectable ones may also be a
 * schedule. A number option that cannot take an array (adam's `b1: number`) must be listed in
 * `staticArgs` to be given: injected, it would reach the factory as an array it cannot use.
 */
export type InjectableOptions<O, S extends keyof O = never> = {
  readonly [K in keyof O]: K extends S ? O[K] : K extends InjectableKeys<O> ? O[K] | ScheduleLike : NonNullable<O[K]> extends number ? never : O[K];
};

const isArray = (x: unknown): x is NdArray => x instanceof tf.Tensor || isTracer(x);

/** A float32 array of a hyperparameter, never the caller's own tensor (the state may be freed). */
function toFloat32(v: number | NdArray): NdArray {
  if (typeof v === 'number') return np.full([], v, 'float32');
  return v instanceof tf.Tensor && v.dtype === 'float32' ? tf.clone(v) : np.cast(v, 'float32');
}

/**
 * A schedule's value, checked to be a number or an array. A function option that returns anything
 * else is not a schedule (a mask function called with the step count): a one-line error saying to
 * name it in `staticArgs`, instead of its result (`false`) silently reaching the factory.
 */
function scheduledValue<V>(name: string, v: V): V & (number | NdArray) {
  if (typeof v === 'number' || isArray(v)) return v;
  throw new Error(
    `injectHyperparams: option '${name}' is a function, so it is taken as a schedule of the step count (as in optax), but it returned ${showValue(v)}, not a number or an array; if it is not a schedule (a mask function), pass it in staticArgs: injectHyperparams(f, { staticArgs: ['${name}'] })`,
  );
}

/**
 * optax.inject_hyperparams. `injectHyperparams(factory)(options)` is `factory(options)` with
 * every numeric option (a number or a scalar array, booleans and `staticArgs` excepted) kept in
 * `state.hyperparams` and every function option (a schedule) evaluated at `state.count` before
 * each update. Options the caller leaves out keep the factory's defaults and are not injected.
 * The factory is called again at every `init` and `update` with the current values, so it must be
 * pure (every optimiser of this module is). JS numbers become float32 arrays (integers too).
 * Injected options reach the factory as float32 scalar arrays (`scheduleArgs`, by default
 * `learningRate`, as a function returning one), so the factory must take arrays there: the
 * `Hyper`-typed options of amsgrad, adabelief, yogi, adadelta, novograd, sm3 and noisySgd do;
 * number-typed ones (adam's b1) go in `staticArgs` (the types insist). A {@link StatefulSchedule}
 * option (optax's `StatefulSchedule`) makes the state {@link injectStatefulHyperparams}'s.
 * @example
 * const opt = optim.injectHyperparams((o: optim.AdamOptimizerOptions) => optim.adam(o))({ learningRate: 1e-3 });
 * let state = opt.init(params);
 * state = { ...state, hyperparams: { ...state.hyperparams, learningRate: np.array(1e-4) } }; // from the next step on
 * const withB1 = optim.injectHyperparams((o: optim.AdamOptimizerOptions) => optim.adam(o), { staticArgs: ['b1'] })({ learningRate: 1e-3, b1: 0.8 });
 */
export function injectHyperparams<O extends object, const S extends keyof O = never>(
  factory: (options: O) => GradientTransformation<any>,
  options: InjectHyperparamsOptions<O, S> = {},
): (options: InjectableOptions<O, S>) => GradientTransformation<InjectHyperparamsState> {
  return inject(factory, options, false);
}

/**
 * optax.inject_stateful_hyperparams (deprecated in optax for `inject_hyperparams`, which takes
 * stateful schedules too): {@link injectHyperparams} whose state also keeps each schedule's own
 * state, `hyperparamsStates` (a plain schedule becomes optax's `WrappedSchedule`, state `{count}`;
 * a {@link StatefulSchedule} keeps its own and sees `update`'s extra arguments).
 * @example
 * const opt = optim.injectStatefulHyperparams((o: optim.AdamOptimizerOptions) => optim.adam(o))({ learningRate: optim.cosineDecay({ init: 1e-3, decaySteps: 100 }) });
 */
export function injectStatefulHyperparams<O extends object, const S extends keyof O = never>(
  factory: (options: O) => GradientTransformation<any>,
  options: InjectHyperparamsOptions<O, S> = {},
): (options: InjectableOptions<O, S> | { readonly [K in keyof O]?: StatefulSchedule }) => GradientTransformation<InjectStatefulHyperparamsState> {
  return inject(factory, options, true) as (options: InjectableOptions<O, S> | { readonly [K in keyof O]?: StatefulSchedule }) => GradientTransformation<InjectStatefulHyperparamsState>;
}

/** The injected hyperparameters kept with the states of their (stateful) schedules. */
function injectStateful(
  numeric: Readonly<Record<string, number | NdArray>>,
  schedules: Readonly<Record<string, StatefulSchedule>>,
  build: (hyperparams: Readonly<Record<string, NdArray>>) => GradientTransformation<any>,
  checkReads: (hyperparams: Readonly<Record<string, NdArray>>, params: unknown) => void,
): GradientTransformation<InjectStatefulHyperparamsState> {
  const evaluate = (states: Readonly<Record<string, unknown>>, base: Readonly<Record<string, NdArray>>, extra?: ExtraArgs) => {
    const out = { ...base };
    for (const [name, s] of Object.entries(schedules)) out[name] = toFloat32(scheduledValue(name, s(states[name], extra)));
    return out;
  };
  return {
    init(params) {
      const base: Record<string, NdArray> = {};
      for (const [name, v] of Object.entries(numeric)) base[name] = toFloat32(v);
      const hyperparamsStates = Object.fromEntries(Object.entries(schedules).map(([name, s]) => [name, s.init()]));
      const hyperparams = evaluate(hyperparamsStates, base);
      checkReads(hyperparams, params);
      return { count: initCount(), hyperparams, hyperparamsStates, innerState: build(hyperparams).init(params) };
    },
    update(updates, state, params, extra) {
      const hyperparams = evaluate(state.hyperparamsStates, copyTree(state.hyperparams), extra);
      const hyperparamsStates = Object.fromEntries(Object.entries(schedules).map(([name, s]) => [name, s.update(state.hyperparamsStates[name], extra)]));
      const [out, innerState] = build(hyperparams).update(updates, state.innerState, params, extra);
      return [out, { count: incrementCount(state.count), hyperparams, hyperparamsStates, innerState }];
    },
  };
}

/** The one-line error for a factory that reads an injected (array) option as a JS number. */
function readsAsNumber(injected: readonly string[], e: unknown): unknown {
  if (!(e instanceof Error) || !/has no concrete value/.test(e.message) || e.message.startsWith('injectHyperparams:')) return e;
  return new Error(`injectHyperparams: the factory reads one of the injected options [${injected.join(', ')}] as a JS number, which an array cannot give; pass it in staticArgs (injectHyperparams(f, { staticArgs: ['${injected[0] ?? 'name'}'] })) (${e.message.split('\n')[0]})`);
}

function inject<O extends object, S extends keyof O>(
  factory: (options: O) => GradientTransformation<any>,
  { staticArgs = [], scheduleArgs = ['learningRate' as keyof O & string] }: InjectHyperparamsOptions<O, S>,
  stateful: boolean,
): (options: InjectableOptions<O, S>) => GradientTransformation<InjectHyperparamsState> {
  if (typeof factory !== 'function') throw new Error(`injectHyperparams: factory must be a function, got ${typeof factory}`);
  return (options) => {
    if (options === null || typeof options !== 'object') throw new Error(`injectHyperparams: options must be an object, got ${options === null ? 'null' : typeof options}`);
    const fixed: Record<string, unknown> = {};
    const numeric: Record<string, number | NdArray> = {};
    const scheduled: Record<string, ReturnType<typeof toSchedule>> = {};
    const statefulScheduled: Record<string, StatefulSchedule> = {};
    for (const [name, value] of Object.entries(options)) {
      if ((staticArgs as readonly PropertyKey[]).includes(name) || typeof value === 'boolean') fixed[name] = value;
      else if (isStatefulSchedule(value)) statefulScheduled[name] = value;
      else if (typeof value === 'function') scheduled[name] = toSchedule(value as ScheduleLike);
      else if (typeof value === 'number' || isArray(value)) {
        // The factory sees an array, past its own number checks: a NaN would train to NaN silently.
        if (Number.isNaN(value)) throw new Error(`injectHyperparams: option '${name}' is NaN`);
        numeric[name] = value;
      }
      else fixed[name] = value;
    }
    const asSchedule = new Set<string>(scheduleArgs);
    const build = (hyperparams: Readonly<Record<string, NdArray>>) => {
      const passed: Record<string, unknown> = { ...fixed };
      for (const [name, v] of Object.entries(hyperparams)) passed[name] = asSchedule.has(name) ? (_step: NdArray) => v : v;
      try {
        return factory(passed as O);
      } catch (e) {
        // A factory that branches on an option (sgd's `momentum > 0`) cannot take it as a traced array.
        throw readsAsNumber(Object.keys(hyperparams).filter((n) => !asSchedule.has(n)), e);
      }
    };
    // Eagerly, a factory reading an injected array as a JS number (`momentum > 0`, `b1 ** t`) gets
    // NaN and silently builds the wrong optimiser (sgd without momentum, adam's NaN steps); traced,
    // the read throws. So `init` first builds and runs one update on abstract hyperparameters.
    const checkReads = (hyperparams: Readonly<Record<string, NdArray>>, params: unknown): void => {
      const names = Object.keys(hyperparams).filter((n) => !asSchedule.has(n));
      if (names.length === 0) return;
      try {
        evalShape((hp: Record<string, NdArray>) => {
          const t = build(hp);
          return t.update(params, t.init(params), params)[0];
        }, hyperparams);
      } catch (e) {
        // Other failures (an update needing extra arguments) are left to the real calls.
        if (e instanceof Error && /has no concrete value/.test(e.message)) throw readsAsNumber(names, e);
      }
    };
    if (stateful || Object.keys(statefulScheduled).length > 0) {
      for (const [name, sc] of Object.entries(scheduled)) statefulScheduled[name] = wrappedSchedule(sc) as StatefulSchedule;
      return injectStateful(numeric, statefulScheduled, build, checkReads);
    }
    const evaluate = (count: NdArray, base: Readonly<Record<string, NdArray>>): Record<string, NdArray> => {
      const out = { ...base };
      for (const [name, s] of Object.entries(scheduled)) out[name] = scheduledValue(name, s(count));
      return out;
    };
    return {
      init(params) {
        const count = initCount();
        const base: Record<string, NdArray> = {};
        for (const [name, v] of Object.entries(numeric)) base[name] = toFloat32(v);
        const hyperparams = evaluate(count, base);
        checkReads(hyperparams, params);
        return { count, hyperparams, innerState: build(hyperparams).init(params) };
      },
      update(updates, state, params, extra) {
        // Copies (free of cost in tfjs), so the next state shares no tensor with this one.
        const hyperparams = evaluate(state.count, copyTree(state.hyperparams));
        const [out, innerState] = build(hyperparams).update(updates, state.innerState, params, extra);
        return [out, { count: incrementCount(state.count), hyperparams, innerState }];
      },
    };
  };
}
