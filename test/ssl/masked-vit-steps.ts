/**
 * Shared by the masked-ViT method tests against the seed (ibot-session18, msn-session18): the
 * seed's state dict at the start of a fixture (the student's entries, the teacher their warm copy,
 * the EMA buffers) and one training step on one process or sharded over an axis (vmap over 2
 * shards with `axisName`), as the state dict after.
 */
import * as tf from '@tensorflow/tfjs-core';
import { vmap } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { type Arr, tensorOf } from './seed-steps.js';
import { tensorsIn } from './tiny-swav.js';

/** The seed's state dict at the start: the student's entries, each wrapper's teacher their copy (warm init), the EMA buffers. */
export function initialDict(student: Record<string, Arr>, wrappers: readonly string[], ema: number): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(student)) {
    out[k] = tensorOf(v);
    if (k.includes('.student.')) out[k.replace('.student.', '.teacher.')] = tensorOf(v);
  }
  for (const w of wrappers) {
    out[`${w}.base_ema_coefficient`] = tf.scalar(ema);
    out[`${w}.final_ema_coefficient`] = tf.scalar(1);
    out[`${w}.ema_coefficient`] = tf.scalar(ema);
  }
  return out;
}

/** Splits every array of a batch (nested in lists) into 2 shards along its first axis. */
function shardBatch(batch: Record<string, tf.Tensor | tf.Tensor[]>): Record<string, tf.Tensor | tf.Tensor[]> {
  const shard = (x: tf.Tensor) => tf.reshape(x, [2, x.shape[0] / 2, ...x.shape.slice(1)]);
  return Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, Array.isArray(v) ? v.map(shard) : shard(v)]));
}

/** One SGD step of `method` from `dict` on `batch` (one process, or vmap over 2 shards with `axisName`): the state dict after. */
export function oneStep(method: ssl.Method, dict: Record<string, tf.Tensor>, batch: Record<string, tf.Tensor | tf.Tensor[]>, opt: optim.GradientTransformation, sharded: boolean): Record<string, tf.Tensor> {
  const AXIS = 'batch';
  const v = method.fromTorch(dict);
  const optState = opt.init(v.params);
  const step = ssl.trainStep(method, opt, sharded ? { axisName: AXIS } : {});
  const input = sharded ? shardBatch(batch) : batch;
  const call = (p: unknown, s: unknown, os: unknown, bt: unknown) => step(p as never, s as never, os as never, bt as never);
  const run = sharded ? vmap(call, { inAxes: [null, null, null, 0], outAxes: null, axisName: AXIS }) : call;
  const r = run(v.params, v.state, optState, input) as ssl.StepResult<unknown, unknown, unknown>;
  const after = method.toTorch(r.params, r.state);
  tf.dispose(tensorsIn([v, optState, r, sharded ? input : []]));
  return after;
}
