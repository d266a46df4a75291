/**
 * optax's monitoring transformations (`transforms/_monitoring.py`): record measurements of the
 * updates in the state, under a name `treeUtils.treeGet(state, name)` finds, and pass the updates
 * through unchanged.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { stateless } from './base.js';
import { chain } from './chain.js';
import { ema } from './ema.js';
import type { ExtraArgs, GradientTransformation } from './types.js';

/** A function of the updates (or, at `init`, of the parameters) giving a tree of arrays. */
export type Measure = (updates: unknown) => unknown;

/** The state of {@link snapshot}: `{measurement: {[name]: value}}` (optax's `SnapshotState`). */
export interface SnapshotState {
  readonly measurement: Readonly<Record<string, unknown>>;
}

/**
 * Stores `measure(updates)` in the state under `measureName` (`measure(params)` at `init`) and
 * passes the updates through (optax's `snapshot`).
 * @example chain(sgd({learningRate: 0.1}), snapshot('norm', treeUtils.treeNorm), clipByGlobalNorm(1))
 */
export function snapshot(measureName: string, measure: Measure): GradientTransformation<SnapshotState> {
  return {
    init: (params) => ({ measurement: { [measureName]: measure(params) } }),
    update: (updates, _state) => [updates, { measurement: { [measureName]: measure(updates) } }],
  };
}

/** The state of {@link monitor}: the latest measurements by name, and each measure's own state (optax's `MonitorState`). */
export interface MonitorState {
  readonly measurements: Readonly<Record<string, unknown>>;
  readonly measureStates: readonly unknown[];
}

/** A measure for {@link monitor}: a function of the updates, or a transformation whose output is the measurement. */
export type MonitorMeasure = Measure | GradientTransformation<unknown>;

const asTransformation = (m: MonitorMeasure): GradientTransformation<unknown> =>
  typeof m === 'function' ? (stateless(<U>(u: U) => m(u) as U) as GradientTransformation<unknown>) : m;

/**
 * Records several measurements of the updates, each a function or a stateful transformation such
 * as {@link measureWithEma}, in `measurements` (empty after `init`, as optax's) and passes the
 * updates through (optax's `monitor`).
 */
export function monitor(measures: Readonly<Record<string, MonitorMeasure>>): GradientTransformation<MonitorState> {
  const names = Object.keys(measures);
  const ts = names.map((n) => asTransformation(measures[n]));
  return {
    init: (params) => ({ measurements: {}, measureStates: ts.map((t) => t.init(params)) }),
    update(updates, state, params, extra?: ExtraArgs) {
      const measurements: Record<string, unknown> = {};
      const measureStates = ts.map((t, i) => {
        const [value, s] = t.update(updates, state.measureStates[i], params, extra);
        measurements[names[i]] = value;
        return s;
      });
      return [updates, { measurements, measureStates }];
    },
  };
}

/** Boolean leaves as float32 (what JAX's promotion makes of them in the average). */
const asFloat = (t: unknown): unknown => tree.map((x: NdArray) => (x.dtype === 'bool' ? np.cast(x, 'float32') : x), t);

/**
 * A measurement's exponential moving average (optax's `measure_with_ema`): `chain(stateless(measure),
 * ema(decay, {debias}))`, its average started from zeros shaped like `measure(params)`. Use it as a
 * {@link monitor} entry; its output is the (debiased) average.
 */
export function measureWithEma(measure: Measure, decay: number, debias = true): GradientTransformation<unknown> {
  const average = ema(decay, { debias });
  const measured = chain(
    stateless(<U>(u: U) => asFloat(measure(u)) as U),
    { init: (params: unknown) => average.init(asFloat(measure(params))), update: average.update },
  );
  return measured as GradientTransformation<unknown>;
}
