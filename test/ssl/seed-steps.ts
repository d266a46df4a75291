/**
 * Replaying a fixture's training run of a method against the seed (tools/ssl_methods_session15.py,
 * tools/ssl_methods_session16.py): the seed's state dict loaded with `fromTorch`, a few plain SGD
 * steps through `ssl.trainStep` (jitted: one trace), each step's metrics checked, then the state
 * dict after. Shared by the session-15 and session-16 method tests.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import type { Key } from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { maxAbs } from './fixtures.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

/** An array as the generators write it. */
export interface Arr {
  data: number[];
  shape: number[];
}

/** One method's run: its state dicts before and after, each step's views and reference metrics. */
export interface SeedCase<Step extends { views: Arr[]; loss: number } = { views: Arr[]; loss: number }> {
  initial_state: Record<string, Arr>;
  state_after: Record<string, Arr>;
  steps: Step[];
  config: Record<string, unknown>;
}

export const tensorOf = (a: Arr) => tf.tensor(a.data, a.shape);

/** The generators' backbone: `fc` Linear 6->8, `bn` BatchNorm1d(8), ReLU. */
export function seedBackbone(name: string) {
  const body = nn.composite(name, { fc: nn.linear({ in: 6, out: 8 }), bn: nn.batchNorm({ features: 8 }) }, (call, x) => np.relu(call('bn', call('fc', x))));
  return { ...body, embeddingDim: 8 };
}

/** A bias whose gradient is mathematically zero (before a BatchNorm) holds round-off: its floor is its weight's scale. */
export function biasFloor(k: string, entries: Record<string, Arr>): number | undefined {
  if (!k.endsWith('.bias')) return undefined;
  const w = entries[k.replace(/bias$/, 'weight')];
  return w === undefined ? undefined : maxAbs(w.data);
}

type Check = (what: string, actual: tf.Tensor | ssl.StepResult<any, any, any>['metrics'][string], expected: unknown, label: string, floor?: number) => Promise<void>;

export interface SeedRun<Step extends { views: Arr[]; loss: number }> {
  readonly name: string;
  readonly method: ssl.Method<any, any, any>;
  readonly seedCase: SeedCase<Step>;
  /** The state dict to load (the fixture's initial state, possibly completed). */
  readonly dict: Record<string, tf.Tensor>;
  readonly lr: number;
  readonly useJit: boolean;
  readonly check: Check;
  /** Step s's batch from its views. */
  readonly batchOf: (views: tf.Tensor[]) => ssl.ViewsBatch;
  /** Step s's key, if the method takes one. */
  readonly keyOf?: (s: number) => Key;
  /** Checks beyond the loss on a step's result. */
  readonly checkStep?: (r: ssl.StepResult<any, any, any>, ref: Step, label: string) => Promise<void>;
  /** The floor of a state entry's relative error (default: none). */
  readonly floorOf?: (k: string, entries: Record<string, Arr>) => number | undefined;
}

/** Trains the case from its initial state (jitted or eager), checking each step; returns the state dict after. */
export async function runSeedCase<Step extends { views: Arr[]; loss: number }>(run: SeedRun<Step>): Promise<Record<string, tf.Tensor>> {
  const { name, method, seedCase: c, useJit, check } = run;
  let { params, state } = method.fromTorch(run.dict);
  tf.dispose(Object.values(run.dict));
  const opt = optim.sgd({ learningRate: run.lr });
  let optState = opt.init(params);
  const raw = ssl.trainStep(method, opt);
  const step = useJit ? jit(raw) : raw;
  for (let s = 0; s < c.steps.length; s++) {
    const ref = c.steps[s];
    const label = `${name} ${useJit ? 'jit' : 'eager'} step ${s + 1}`;
    const views = ref.views.map(tensorOf);
    const key = run.keyOf?.(s);
    const r = step(params, state, optState, run.batchOf(views), key);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    await check('loss', r.metrics.loss, ref.loss, label);
    await run.checkStep?.(r, ref, label);
    tf.dispose([...views, ...tensorsIn([key, r.metrics])]);
  }
  const after = method.toTorch(params, state);
  for (const [k, v] of Object.entries(c.state_after)) {
    assert.ok(after[k], `${name}: state entry ${k}`);
    await check(`after ${k}`, after[k], v.data, `${name} after ${c.steps.length} steps`, run.floorOf?.(k, c.state_after));
  }
  if (useJit) assert.is((step as ReturnType<typeof jit>).cacheSize(), 1, `${name}: one trace for every step`);
  tf.dispose(tensorsIn([params, state, optState]));
  return after;
}

/**
 * The suite that trains each named case jitted and eagerly ({@link runSeedCase} checking both against the
 * fixture) and compares the two state dicts: two float32 evaluation orders of one trajectory, as close as
 * each is to PyTorch's.
 */
export function seedStepsSuite(title: string, names: readonly string[], runCase: (name: string, useJit: boolean) => Promise<Record<string, tf.Tensor>>, check: Check, floorOf: (name: string, k: string) => number | undefined): void {
  const Seed = suite(title);
  for (const name of names) {
    Seed(`${name}: 3 SGD steps from the seed's state dict: losses and state as the seed's; jit = eager`, async () => {
      const jitted = await runCase(name, true);
      const eager = await runCase(name, false);
      assert.equal(Object.keys(eager).sort(), Object.keys(jitted).sort());
      for (const k of Object.keys(jitted)) await check('jit vs eager', jitted[k], Array.from(await eager[k].data()), `${name}: ${k}`, floorOf(name, k));
      tf.dispose([...Object.values(jitted), ...Object.values(eager)]);
    });
  }
  Seed.run();
}
