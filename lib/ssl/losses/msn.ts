/**
 * MSN: `msn(studentLogits [N, K], teacherProbs [N, K], { studentTemperature = 0.1, meMaxWeight = 1, axisName? })`
 * -> `{ loss, crossEntropy, meMax }`.
 *
 * Source: stable-pretraining `methods/msn.py` (`MSN.forward`): the student's prototype logits
 * against the teacher's Sinkhorn-Knopp probabilities (`sinkhornKnopp`), plus the mean-entropy
 * maximisation of the average student prediction:
 * ```
 * crossEntropy = mean_n -sum_k t[n, k] log_softmax(s / studentTemperature)[n, k]     (= ibotPatchLoss)
 * pbar         = mean_n softmax(s / studentTemperature)[n]                          [K]
 * meMax        = sum_k pbar[k] log(max(pbar[k], 1e-8))                              (minus the entropy of pbar)
 * loss         = crossEntropy + meMaxWeight * meMax
 * ```
 * With `axisName` (the rows sharded over a named axis) `pbar` is the whole batch's (`pmean`, the MSN
 * paper's all-reduce), so the mean over the members of their losses is the loss of one process on
 * the whole batch; the seed on several ranks averages each rank's own rows.
 */
import { type NdArray, pmean, shapeStr } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { positiveTemperature } from './checks.js';
import { ibotPatchLoss } from './ibot.js';

export interface MsnOptions {
  /** The student's softmax temperature; the seed's default 0.1. */
  readonly studentTemperature?: number;
  /** The weight of the mean-entropy term; the seed's default 1. */
  readonly meMaxWeight?: number;
  /** The rows are sharded over this named axis: the average prediction is the whole batch's. */
  readonly axisName?: string;
}

export interface MsnResult {
  readonly loss: NdArray;
  /** The cross-entropy to the teacher's probabilities. */
  readonly crossEntropy: NdArray;
  /** `sum pbar log pbar` (before the weight `meMaxWeight`). */
  readonly meMax: NdArray;
}

/**
 * MSN's loss of the student's prototype logits against the teacher's probabilities.
 * @example const { loss } = msn(studentLogits, sinkhornKnopp(teacherLogits, 0.025));
 */
export function msn(studentLogits: NdArray, teacherProbs: NdArray, { studentTemperature = 0.1, meMaxWeight = 1, axisName }: MsnOptions = {}): MsnResult {
  const s = np.shape(studentLogits);
  if (s.length !== 2 || shapeStr(s) !== shapeStr(np.shape(teacherProbs))) throw new Error(`msn: studentLogits ${shapeStr(s)} and teacherProbs ${shapeStr(np.shape(teacherProbs))} must have one shape [N, K]`);
  if (!Number.isFinite(meMaxWeight)) throw new Error(`msn: meMaxWeight must be a finite number, got ${meMaxWeight}`);
  positiveTemperature(studentTemperature, 'msn', 'studentTemperature');
  const crossEntropy = ibotPatchLoss(studentLogits, teacherProbs, { studentTemperature });
  const local = np.mean(np.softmax(np.div(studentLogits, studentTemperature), -1), 0);
  const pbar = axisName === undefined ? local : pmean(local, axisName);
  const meMax = np.sum(np.mul(pbar, np.log(np.maximum(pbar, 1e-8))));
  return { loss: np.add(crossEntropy, np.mul(meMaxWeight, meMax)), crossEntropy, meMax };
}
