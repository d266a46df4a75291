/**
 * An EMA teacher as explicit state (BYOL, MoCo, DINO):
 * - `initTeacher(student)` -> a copy of the student tree (the seed's `warm_init`), without gradient;
 * - `ema(teacher, student, m)` -> `m * teacher + (1 - m) * student` over every floating leaf of the
 *   trees: parameters AND BatchNorm running statistics (pass `{ params, state }` trees); integer and
 *   boolean leaves (counters) stay the teacher's. No gradient flows into the result. `m` may be an
 *   array (a schedule's value inside `jit`);
 * - `emaCoefficientSchedule({ base = 0.996, final = 1, totalSteps })` -> the seed's cosine schedule
 *   `final - 0.5 (final - base)(1 + cos(pi t / T))` as an optim {@link Schedule}: `schedule(t)` for a
 *   (traced) step array, `schedule.at(t)` for the exact float64 value.
 *
 * Source: stable-pretraining `backbone/utils.py` `TeacherStudentWrapper.update_teacher` (parameters
 * and buffers) and `update_ema_coefficient`. The seed steps the schedule per epoch; give `totalSteps`
 * in whatever unit `t` counts. Past `totalSteps` the value stays `final`.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { emaUpdate } from '../optim/ema.js';
import type { Schedule } from '../optim/schedule.js';
import { cosineDecay } from '../optim/schedules.js';
import * as tree from '../tree/index.js';

/**
 * The teacher at the start of training: a copy of the student tree (no gradient).
 * @example let teacher = initTeacher({ params: student.params, state: student.state });
 */
export function initTeacher<T>(student: T): T {
  // stopGradient makes a new array (a copy when eager), so the caller may dispose the student.
  return tree.map<T>((x: NdArray) => np.stopGradient(x), student);
}

/**
 * One EMA step of the teacher towards the student: `m * teacher + (1 - m) * student` on floating leaves.
 * @example teacher = ema(teacher, { params, state }, schedule(step));
 */
export function ema<T>(teacher: T, student: T, m: number | NdArray): T {
  if (typeof m === 'number' && !(m >= 0 && m <= 1)) throw new Error(`ssl.ema: the coefficient m must be in [0, 1], got ${m}`);
  const [t, def] = tree.flatten<NdArray>(teacher);
  const [s, sdef] = tree.flatten<NdArray>(student);
  const mismatch = tree.firstMismatch(def, sdef);
  if (mismatch) throw new Error(`ssl.ema: the teacher and the student differ ${mismatch}`);
  const at = tree.paths(teacher);
  t.forEach((x, i) => {
    if (shapeStr(x.shape) !== shapeStr(s[i].shape)) throw new Error(`ssl.ema: at ${at[i]} the teacher is ${shapeStr(x.shape)} but the student ${shapeStr(s[i].shape)}`);
  });
  const floating = t.map((x) => x.dtype === 'float32');
  const pick = (xs: NdArray[]) => xs.filter((_, i) => floating[i]).map((x) => np.stopGradient(x));
  const averaged = emaUpdate(pick(t), pick(s), m);
  let next = 0;
  return tree.unflatten<T>(def, t.map((x, i) => (floating[i] ? averaged[next++] : x)));
}

export interface EmaCoefficientOptions {
  /** The coefficient at step 0 (the seed's `base_ema_coefficient`, 0.996). */
  readonly base?: number;
  /** The coefficient at `totalSteps` (the seed's `final_ema_coefficient`, 1). */
  readonly final?: number;
  /** Where the cosine ends (the seed: the number of epochs). */
  readonly totalSteps: number;
}

/**
 * The seed's teacher coefficient schedule: from `base` at t = 0 up to `final` at `totalSteps`, by half a cosine.
 * @example const m = emaCoefficientSchedule({ totalSteps: 100 }); teacher = ema(teacher, student, m(step));
 */
export function emaCoefficientSchedule({ base = 0.996, final = 1, totalSteps }: EmaCoefficientOptions): Schedule {
  for (const [k, v] of [['base', base], ['final', final]] as const)
    if (!(v >= 0 && v <= 1)) throw new Error(`emaCoefficientSchedule: ${k} must be in [0, 1], got ${v}`);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new Error(`emaCoefficientSchedule: totalSteps must be an integer >= 1, got ${totalSteps}`);
  // cosineDecay's `end + 0.5 (init - end)(1 + cos(pi t / T))` is the seed's formula with init = base, end = final.
  return cosineDecay({ init: base, end: final, decaySteps: totalSteps });
}
