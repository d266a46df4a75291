/**
 * The three-step check of a masked-image-modelling method against its fixture (SimMIM, data2vec:
 * tools/ssl_{simmim,data2vec}_session18.py): the seed's state dict loaded with `fromTorch`, each
 * step's images and masks replayed, three SGD steps through `ssl.trainStep` (jitted, one trace, or
 * eager): every loss, the watched parameters after each step and the state dict after the three
 * steps within the checker's tolerance; the first step's gradients (written in the seed's layout
 * through `toTorch`) too.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import * as ssl from '../../lib/ssl/index.js';
import type { relErrChecker } from './fixtures.js';
import { type Arr, tensorOf } from './seed-steps.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

export interface MimStep {
  images: Arr;
  masks: Arr;
  loss: number;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
  [metric: string]: unknown;
}
export interface MimFixture {
  config: { lr: number; momentum: number; weightDecay: number; [k: string]: unknown };
  steps: MimStep[];
  state_after: Record<string, Arr>;
  embedding: Arr;
}
export interface MimRun {
  readonly label: string;
  readonly method: ssl.Method<any, any, any>;
  /** The seed's initial state dict (fresh tensors the run disposes). */
  readonly initialDict: () => Record<string, tf.Tensor>;
  readonly fixture: MimFixture;
  readonly check: ReturnType<typeof relErrChecker>['check'];
  /** Metrics checked besides the loss (fixture keys of each step). */
  readonly metrics?: readonly string[];
}

export const mimBatch = (s: MimStep) => ({ images: tensorOf(s.images), masks: tensorOf(s.masks) });
export const mimOpt = (f: MimFixture) => optim.sgd({ learningRate: f.config.lr, momentum: f.config.momentum, weightDecay: f.config.weightDecay });

/** Trains the fixture's three steps (jitted or eager), checking each; returns the state dict after. */
export async function runMimSteps(run: MimRun, useJit: boolean): Promise<Record<string, tf.Tensor>> {
  const { method, fixture, check } = run;
  const dict = run.initialDict();
  let { params, state } = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const o = mimOpt(fixture);
  let optState = o.init(params);
  const raw = ssl.trainStep(method, o);
  const step = useJit ? jit(raw) : raw;
  const counts: number[] = [];
  for (let s = 0; s < fixture.steps.length; s++) {
    const ref = fixture.steps[s];
    const label = `${run.label} ${useJit ? 'jit' : 'eager'} step ${s + 1}`;
    const batch = mimBatch(ref);
    const r = step(params, state, optState, batch);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    for (const m of ['loss', ...(run.metrics ?? [])]) await check(m, r.metrics[m], ref[m], label);
    const now = method.toTorch(params, state);
    for (const [k, v] of Object.entries(ref.after)) await check(`after step: ${k}`, now[k], v.data, label);
    tf.dispose([...Object.values(now), ...tensorsIn([batch, r.metrics])]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat across steps: ${counts.join(', ')}`);
  if (useJit) assert.is((step as ReturnType<typeof jit>).cacheSize(), 1, 'one trace for every step');
  const after = method.toTorch(params, state);
  assert.equal(Object.keys(after).sort(), Object.keys(fixture.state_after).sort());
  for (const [k, v] of Object.entries(fixture.state_after)) await check(`state after: ${k}`, after[k], v.data, `${run.label} ${useJit ? 'jit' : 'eager'} after 3 steps`);
  const images = tensorOf(fixture.steps[0].images);
  const e = method.embed(params, state, images) as tf.Tensor;
  await check('embedding', e, fixture.embedding.data, `${run.label} embed after 3 steps`);
  tf.dispose([images, e, ...tensorsIn([params, state, optState])]);
  return after;
}

/** The first step's loss and gradients from the fixture's start, the gradients in the seed's layout (`toTorch` of the gradient tree). */
export async function checkFirstGradients(run: MimRun): Promise<void> {
  const { method, fixture, check } = run;
  const ref = fixture.steps[0];
  const dict = run.initialDict();
  const v = method.fromTorch(dict);
  const batch = mimBatch(ref);
  const { loss, grads, aux } = ssl.lossAndGrad(method, v.params, v.state, batch);
  await check('loss', loss, ref.loss, `${run.label} lossAndGrad`);
  const g = method.toTorch(grads, v.state);
  for (const [k, want] of Object.entries(ref.grads!)) await check(`grad ${k}`, g[k], want.data, `${run.label} lossAndGrad`);
  tf.dispose([...Object.values(dict), ...Object.values(g), ...tensorsIn([v, batch, loss, grads, aux])]);
}
