/**
 * Shared by the masked-ViT method tests against the seed (dinov2, ibot, msn, data2vec-session18):
 * the seed's state dict at the start of a fixture (the student's entries, the teacher their warm
 * copy, the EMA buffers), and the gradients of the mask token and the position embedding.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ssl from '../../lib/ssl/index.js';
import { type Arr, type Check, tensorOf } from './seed-steps.js';
import { disposeExcept } from './tiny-swav.js';


/** A step of the iBOT fixtures (tools/ssl_ibot_session18.py; MIM-Refiner's reuses its writer). */
export interface IbotStep {
  globalViews: Arr[];
  masks: Arr[];
  loss: number;
  clsLoss: number;
  patchLoss: number;
  teacherTemperature: number;
  center: Arr;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}

/** An iBOT fixture, its config extended by `C`. */
export interface IbotFixture<C = object> {
  config: { lr: number; momentum: number; weightDecay: number; ema: number; warmupTeacherTemperature: number; teacherTemperature: number; warmupTeacherSteps: number } & C;
  initial_student: Record<string, Arr>;
  steps: IbotStep[];
  state_after: Record<string, Arr>;
}
/** The seed's state dict at the start: the student's entries, each wrapper's teacher their copy (warm init), the EMA buffers (final coefficient `final`). */
export function initialDict(student: Record<string, Arr>, wrappers: readonly string[], ema: number, final = 1): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(student)) {
    out[k] = tensorOf(v);
    if (k.includes('.student.')) out[k.replace('.student.', '.teacher.')] = tensorOf(v);
  }
  for (const w of wrappers) {
    out[`${w}.base_ema_coefficient`] = tf.scalar(ema);
    out[`${w}.final_ema_coefficient`] = tf.scalar(final);
    out[`${w}.ema_coefficient`] = tf.scalar(ema);
  }
  return out;
}

/** The gradients of the mask token and the position embedding (the seed's `backbone.student.pos_embed`) at (params, state) on a batch, against the seed's. */
export async function checkVitGrads<B>(check: Check, method: ssl.Method<any, any, B>, v: { params: any; state: any }, batch: B, ref: Record<string, Arr>, label: string): Promise<void> {
  const { loss, grads, aux } = ssl.lossAndGrad(method, v.params, v.state, batch);
  await check('grad mask_token', grads.mask_token, ref.mask_token.data, label);
  await check('grad pos_embed', grads.encoder.pos_embed, ref['backbone.student.pos_embed'].data, label);
  disposeExcept({ loss, grads, aux }, v.params, v.state);
}
