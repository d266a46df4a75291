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
import { scope } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import type { relErrChecker } from './fixtures.js';
import { type Arr, type Replay, checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { tensorsIn } from './tiny-swav.js';

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

/** The run as a {@link Replay}: every loss (and the listed metrics), the watched parameters after each step, the state dict and the embedding after. */
export function mimReplay(run: MimRun): Replay<ReturnType<typeof mimBatch>> {
  const { fixture } = run;
  return fixtureReplay(fixture, mimBatch, {
    label: run.label,
    method: run.method,
    initialDict: run.initialDict,
    opt: mimOpt(fixture),
    check: run.check,
    metrics: ['loss', ...(run.metrics ?? [])],
    embedding: { images: () => tensorOf(fixture.steps[0].images), expected: fixture.embedding.data },
  });
}

/** The first step's loss and gradients from the fixture's start, the gradients in the seed's layout (`toTorch` of the gradient tree). */
export async function checkFirstGradients(run: MimRun, batchOf: (s: MimStep) => unknown = mimBatch): Promise<void> {
  const { method, fixture, check } = run;
  const ref = fixture.steps[0];
  const dict = run.initialDict();
  const v = method.fromTorch(dict);
  const batch = batchOf(ref);
  const { loss, grads, aux } = ssl.lossAndGrad(method, v.params, v.state, batch);
  await check('loss', loss, ref.loss, `${run.label} lossAndGrad`);
  const g = method.toTorch(grads, v.state);
  for (const [k, want] of Object.entries(ref.grads!)) await check(`grad ${k}`, g[k], want.data, `${run.label} lossAndGrad`);
  tf.dispose([...Object.values(dict), ...Object.values(g), ...tensorsIn([v, batch, loss, grads, aux])]);
}

/** The three steps jitted and eagerly, each against the fixture, and the two against each other ({@link checkJitMatchesEager}). */
export const checkMimSteps = (run: MimRun): Promise<void> => checkReplay(mimReplay(run));

/** A batch of 8x8 grey images with nothing masked has loss 0 (the seed's sum / max(sum(mask), 1), not NaN). */
export async function checkNothingMasked(method: ssl.Method<any, any, any>): Promise<void> {
  const v = scope(() => method.init(random.key(3)));
  const images = scope(() => random.uniform(random.key(4), [2, 8, 8, 1]));
  const masks = tf.zeros([2, 16]);
  const [loss, aux] = scope(() => method.loss(v.params, v.state, { images, masks }));
  assert.equal(Array.from(await (loss as tf.Tensor).data()), [0]);
  tf.dispose(tensorsIn([v, images, masks, loss, aux]));
}
