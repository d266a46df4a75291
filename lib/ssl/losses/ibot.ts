/**
 * DINOv2 / iBOT pieces:
 * - `ibotPatchLoss(studentPatchLogits [..., K], teacherPatchProbs [..., K], { studentTemperature = 0.1 })` -> scalar;
 * - `sinkhornKnopp(teacherLogits [..., K], temperature, { iterations = 3, axisName? })` -> teacher
 *   probabilities of the same shape, without gradient (the centring-free DINOv2/v3 teacher).
 *
 * Sources: stable-pretraining `losses/dino.py` `iBOTPatchLoss` (and `cross_entropy_loss`),
 * `losses/utils.py` `sinkhorn_knopp` (used by `DINOv1Loss.sinkhorn_knopp_teacher` and
 * `iBOTPatchLoss.sinkhorn_knopp_teacher`):
 * ```
 * ibotPatchLoss = mean over rows of -sum_k t[k] log_softmax(s / studentTemperature)[k]
 * sinkhornKnopp: Q = exp(logits / temperature)^T  [K, R]  (R = every row of [..., K])
 *                Q /= sum(Q); 3 times: rows (prototypes) sum to 1/K, columns (samples) to 1/R
 *                return (R Q)^T: each row a distribution over the K prototypes
 * ```
 * The seed's `num_samples` only rescales columns that the next step normalises again: the result
 * is the same for any value, so it is not an argument here. The codes are computed in the log
 * domain (`swav.sinkhorn` with `epsilon = temperature`): finite where the seed's `exp` overflows
 * (temperature 0.04 and logits above 3.5). With `axisName` the sums over samples are the whole
 * batch's (the seed's `all_reduce` of the row sums under DDP).
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';
import { sinkhorn } from '../swav/sinkhorn.js';
import { positiveTemperature } from './checks.js';

export interface IbotPatchLossOptions {
  /** The student's softmax temperature; the seed's default 0.1. */
  readonly studentTemperature?: number | NdArray;
}

export interface SinkhornKnoppOptions {
  /** Normalisation rounds; the seed's default 3. */
  readonly iterations?: number;
  /** The rows are sharded over this named axis: the normalisations are the whole batch's. */
  readonly axisName?: string;
}

/**
 * Mean cross-entropy of the student's (masked) patch logits against the teacher's patch probabilities.
 * @example const loss = ibotPatchLoss(studentPatches, sinkhornKnopp(teacherPatches, 0.07));
 */
export function ibotPatchLoss(studentPatchLogits: NdArray, teacherPatchProbs: NdArray, { studentTemperature = 0.1 }: IbotPatchLossOptions = {}): NdArray {
  const s = shapeOf(studentPatchLogits);
  const t = shapeOf(teacherPatchProbs);
  if (s.length < 1 || shapeStr(s) !== shapeStr(t)) throw new Error(`ibotPatchLoss: studentPatchLogits ${shapeStr(s)} and teacherPatchProbs ${shapeStr(t)} must have one shape [..., K]`);
  const logProbs = np.logSoftmax(np.div(studentPatchLogits, positiveTemperature(studentTemperature, 'ibotPatchLoss', 'studentTemperature')), -1);
  return np.neg(np.mean(np.sum(np.mul(teacherPatchProbs, logProbs), -1)));
}

/**
 * The seed's Sinkhorn-Knopp teacher: balanced assignments of every row of `teacherLogits` [..., K] to the K prototypes.
 * `temperature` may be a scalar array (DINOv2's teacher-temperature warm-up under `jit`).
 * @example const probs = sinkhornKnopp(teacherLogits, 0.04); // [views, batch, K], each row sums to 1
 */
export function sinkhornKnopp(teacherLogits: NdArray, temperature: number | NdArray, { iterations = 3, axisName }: SinkhornKnoppOptions = {}): NdArray {
  const shape = shapeOf(teacherLogits);
  if (shape.length < 1) throw new Error(`sinkhornKnopp: teacherLogits must be [..., K], got ${shapeStr(shape)}`);
  positiveTemperature(temperature, 'sinkhornKnopp');
  // With no round the seed returns num_samples * Q^T unnormalised per row: only >= 1 round is a distribution.
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error(`sinkhornKnopp: iterations must be an integer >= 1, got ${iterations}`);
  const k = shape[shape.length - 1];
  const rows = np.reshape(teacherLogits, [-1, k]);
  return np.reshape(sinkhorn(np.stopGradient(rows), { epsilon: temperature, iterations, axisName }), shape);
}
