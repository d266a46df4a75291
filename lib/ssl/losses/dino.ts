/**
 * DINO self-distillation, with its centre as explicit state:
 * - `dino(studentLogits [S, B, K], teacherProbs [T, B, K], { studentTemperature = 0.1 })` -> scalar;
 * - `teacherProbs(teacherLogits [..., K], center [1, K] | null, temperature)` -> probabilities (no gradient);
 * - `batchCenter(teacherLogits [T, B, K], axisName?)` -> [1, K];
 * - `updateCenter(center, teacherLogits, momentum, axisName?)` -> the next centre [1, K] (no gradient).
 *
 * Source: stable-pretraining `losses/dino.py` `DINOv1Loss`:
 * ```
 * m[s, t] = -sum_{b,k} teacherProbs[t, b, k] * log_softmax(studentLogits[s] / studentTemperature)[b, k]
 * loss    = sum_{s != t} m[s, t] / ((S T - min(S, T)) * B)      (pairs s == t are one view: dropped)
 * teacherProbs = softmax((teacherLogits - center) / teacherTemperature)
 * batchCenter  = sum_t mean_b teacherLogits[t] / T
 * updateCenter = momentum * center + (1 - momentum) * batchCenter   (the seed's center_momentum 0.9)
 * ```
 * The seed centres step t with the centre updated from step t - 1's teacher logits, and copies the
 * first batch centre: start from `center = zeros` (no centring) and pass `momentum = 0` on the first
 * update (e.g. `np.where(isFirst, 0, 0.9)`: momentum may be an array).
 *
 * With `axisName` (the batch sharded over a named axis) the batch centre is the whole batch's
 * (`pmean` of the members' centres, as the seed all-reduces it under DDP), so every member
 * holds the same centre. The loss itself needs no axis: it is a mean over the local rows, and
 * the mean over the members of their losses is the loss of one process on the whole batch.
 */
import { type NdArray, pmean, shapeStr } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';
import { positiveTemperature } from './checks.js';

export interface DinoOptions {
  /** The student's softmax temperature; the seed's default 0.1. */
  readonly studentTemperature?: number | NdArray;
}

function views(x: NdArray, what: string): [number, number, number] {
  const s = shapeOf(x);
  if (s.length !== 3) throw new Error(`dino: ${what} must be [views, batch, K], got ${shapeStr(s)}`);
  return [s[0], s[1], s[2]];
}

/**
 * Cross-entropy of every student view against every other teacher view (same-index pairs dropped).
 * @example const loss = dino(studentLogits, teacherProbs(teacherLogits, center, 0.04));
 */
export function dino(studentLogits: NdArray, teacherProbs: NdArray, { studentTemperature = 0.1 }: DinoOptions = {}): NdArray {
  const [s, b, k] = views(studentLogits, 'studentLogits');
  const [t, bt, kt] = views(teacherProbs, 'teacherProbs');
  if (b !== bt || k !== kt) throw new Error(`dino: studentLogits [${s}, ${b}, ${k}] and teacherProbs [${t}, ${bt}, ${kt}] must agree in batch and K`);
  const terms = s * t - Math.min(s, t);
  if (terms === 0) throw new Error(`dino: needs two views on one side (got ${s} student and ${t} teacher view(s): every pair is one view)`);
  const logProbs = np.logSoftmax(np.div(studentLogits, positiveTemperature(studentTemperature, 'dino', 'studentTemperature')), -1);
  // m[s, t] = -sum_{b,k} p[t] log q[s]: one [S, B K] x [B K, T] product.
  const cross = np.matmul(np.reshape(logProbs, [s, b * k]), np.transpose(np.reshape(teacherProbs, [t, b * k])));
  const otherView = np.sub(1, np.array(Array.from({ length: s }, (_, i) => Array.from({ length: t }, (_, j) => (i === j ? 1 : 0)))));
  return np.div(np.neg(np.sum(np.mul(cross, otherView))), terms * b);
}

/**
 * The teacher's targets: `softmax((logits - center) / temperature)` over the last axis, without gradient.
 * `center` null means no centring; `temperature` may be an array (DINO's warm-up schedule under `jit`).
 * @example const targets = teacherProbs(teacherLogits, state.center, 0.04);
 */
export function teacherProbs(teacherLogits: NdArray, center: NdArray | null, temperature: number | NdArray): NdArray {
  const t = positiveTemperature(temperature, 'teacherProbs');
  const centred = center === null ? teacherLogits : np.sub(teacherLogits, center);
  return np.stopGradient(np.softmax(np.div(centred, t), -1));
}

/** The mean teacher logit of one step: the mean over views of the per-view batch means, [1, K] (over the whole batch with `axisName`). */
export function batchCenter(teacherLogits: NdArray, axisName?: string): NdArray {
  const [t, , k] = views(teacherLogits, 'teacherLogits');
  const local = np.reshape(np.div(np.sum(np.mean(teacherLogits, 1), 0), t), [1, k]);
  return axisName === undefined ? local : pmean(local, axisName);
}

/**
 * The centre after one step: `momentum * center + (1 - momentum) * batchCenter(teacherLogits, axisName)`, no gradient.
 * @example center = updateCenter(center, teacherLogits, 0.9);
 */
export function updateCenter(center: NdArray, teacherLogits: NdArray, momentum: number | NdArray, axisName?: string): NdArray {
  if (typeof momentum === 'number' && !(momentum >= 0 && momentum <= 1)) throw new Error(`updateCenter: momentum must be in [0, 1], got ${momentum}`);
  const fresh = batchCenter(teacherLogits, axisName);
  if (shapeStr(shapeOf(center)) !== shapeStr(shapeOf(fresh))) throw new Error(`updateCenter: center must be ${shapeStr(shapeOf(fresh))}, got ${shapeStr(shapeOf(center))}`);
  const keep = typeof momentum === 'number' ? 1 - momentum : np.sub(1, momentum);
  return np.stopGradient(np.add(np.mul(center, momentum), np.mul(fresh, keep)));
}
