/**
 * Replaying a fixture's training run of a method against the seed: the seed's state dict loaded with
 * `fromTorch`, the fixture's SGD steps through `ssl.trainStep` (jitted and eagerly), each step's
 * metrics (and state, where the fixture has it) checked, then the state dict after, and the two runs
 * against each other ({@link replaySteps}, {@link checkReplay}). Shared by the session-15, 16 and 18
 * method tests.
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

/** The fixtures' relative-error check (`relErrChecker(tol).check`). */
export type Check = (what: string, actual: tf.Tensor | ssl.StepResult<any, any, any>['metrics'][string], expected: unknown, label: string, floor?: number) => Promise<void>;

/** Reference state-dict entries: arrays, flat values, or (for large entries) a test's own summaries. */
export type Entries<W = Arr | number[]> = Record<string, W>;
type Vars = { params: any; state: any };

/** Each entry of `want` present in `dict` and within the checker's tolerance (`floorOf` its floor), named `what` + its key. */
export async function checkEntries(check: Check, dict: Record<string, tf.Tensor>, want: Entries, what: string, label: string, floorOf?: (k: string) => number | undefined): Promise<void> {
  for (const [k, v] of Object.entries(want)) {
    assert.ok(dict[k], `${label}: state entry ${k}`);
    await check(`${what}${k}`, dict[k], Array.isArray(v) ? v : v.data, label, floorOf?.(k));
  }
}

/** The shapes of a fixture's state-dict entries (a {@link Replay}'s `layout`). */
export const layoutOf = (entries: Record<string, Arr>): Record<string, number[]> => Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.shape]));

/** One method's replay of a fixture's steps against the seed: what differs per method. */
export interface Replay<B, W = Arr | number[]> {
  /** The run's name in messages. */
  readonly label: string;
  readonly method: ssl.Method<any, any, any>;
  /** The state dict to start from (fresh tensors, disposed by the run; one tensor may stand under two names). */
  readonly initialDict: () => Record<string, tf.Tensor>;
  readonly opt: optim.GradientTransformation;
  readonly check: Check;
  /** Each step's reference record: its metrics by name. */
  readonly steps: readonly object[];
  /** The metrics checked at each step against its record's. */
  readonly metrics: readonly string[];
  /** Step s's batch (fresh tensors, disposed by the run). */
  readonly batchOf: (s: number) => B;
  /** Step s's key, if the method takes one. */
  readonly keyOf?: (s: number) => Key;
  /** The state-dict entries checked after step s, if any. */
  readonly stateAfterStep?: (s: number) => Entries<W> | undefined;
  /** The state-dict entries checked after the last step. */
  readonly stateAfter: Entries<W>;
  /** Checks a state dict against reference entries (default {@link checkEntries} with `floorOf`). */
  readonly checkDict?: (dict: Record<string, tf.Tensor>, want: Entries<W>, what: string, label: string) => Promise<void>;
  /** The floor of an entry's relative error (default checker only). */
  readonly floorOf?: (k: string) => number | undefined;
  /** The state dict's names and shapes after the steps, where the test knows them all. */
  readonly layout?: Record<string, number[]>;
  /** The evaluation embedding after the steps: of these images, as the seed's. */
  readonly embedding?: { images: () => tf.Tensor; expected: number[] };
  /** The jitted step's traces over the run (default 1). */
  readonly traces?: number;
  /** Checks on the variables before step s (after its batch is made). */
  readonly beforeStep?: (v: Vars, batch: B, s: number, label: string, useJit: boolean) => Promise<void>;
  /** Checks on step s's result beyond its metrics. */
  readonly afterStep?: (r: ssl.StepResult<any, any, any>, s: number, label: string) => Promise<void>;
}

/** The state dict of the variables, checked against `want` by the run's checker (then disposed). */
async function checkVars<B, W>(run: Replay<B, W>, v: Vars, want: Entries<W>, what: string, label: string): Promise<void> {
  const dict = run.method.toTorch(v.params, v.state);
  await checkDictOf(run, dict, want, what, label);
  tf.dispose(Object.values(dict));
}

const checkDictOf = <B, W>(run: Replay<B, W>, dict: Record<string, tf.Tensor>, want: Entries<W>, what: string, label: string): Promise<void> =>
  run.checkDict ? run.checkDict(dict, want, what, label) : checkEntries(run.check, dict, want as Entries, what, label, run.floorOf);

/** The state dict after the steps: its layout, its entries, and the embedding, as the seed's. */
async function checkFinal<B, W>(run: Replay<B, W>, after: Record<string, tf.Tensor>, v: Vars, label: string): Promise<void> {
  if (run.layout) {
    assert.equal(Object.keys(after).sort(), Object.keys(run.layout).sort(), `${label}: the seed's state-dict names`);
    for (const [k, shape] of Object.entries(run.layout)) assert.equal(after[k].shape, shape, `${label}: ${k} shape`);
  }
  await checkDictOf(run, after, run.stateAfter, 'state after: ', label);
  if (!run.embedding) return;
  const images = run.embedding.images();
  const e = run.method.embed(v.params, v.state, images) as tf.Tensor;
  await run.check('embedding', e, run.embedding.expected, `${label} embed`);
  tf.dispose([images, e]);
}

/**
 * Trains the fixture's steps from the seed's state dict with `ssl.trainStep` (jitted or eager), checking
 * each step's metrics and state, that the tensor count stays flat and the jitted step's traces; then the
 * state dict after. Returns that state dict.
 */
export async function replaySteps<B, W>(run: Replay<B, W>, useJit: boolean): Promise<Record<string, tf.Tensor>> {
  const { method, check } = run;
  const mode = `${run.label} ${useJit ? 'jit' : 'eager'}`;
  const dict = run.initialDict();
  let { params, state } = method.fromTorch(dict);
  tf.dispose([...new Set(Object.values(dict))]);
  let optState = run.opt.init(params);
  const raw = ssl.trainStep(method, run.opt);
  const step = useJit ? jit(raw) : raw;
  const counts: number[] = [];
  for (let s = 0; s < run.steps.length; s++) {
    const ref = run.steps[s] as Record<string, unknown>;
    const label = `${mode} step ${s + 1}`;
    const batch = run.batchOf(s);
    await run.beforeStep?.({ params, state }, batch, s, label, useJit);
    const key = run.keyOf?.(s);
    const r = step(params, state, optState, batch as ssl.ViewsBatch, key);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    for (const m of run.metrics) await check(m, r.metrics[m], ref[m], label);
    await run.afterStep?.(r, s, label);
    const want = run.stateAfterStep?.(s);
    if (want) await checkVars(run, { params, state }, want, 'after step: ', label);
    tf.dispose(tensorsIn([batch, key, r.metrics]));
    counts.push(tf.memory().numTensors);
  }
  // Each new trace keeps its constants: the count is flat eagerly or over one trace.
  if (!useJit || (run.traces ?? 1) === 1) assert.ok(counts.every((c) => c === counts[0]), `${mode}: tensor count flat across steps: ${counts.join(', ')}`);
  if (useJit) {
    const jitted = step as ReturnType<typeof jit>;
    assert.is(jitted.cacheSize(), run.traces ?? 1, `${mode}: the jitted step's traces`);
    jitted.clearCache(); // frees the traces' constants
  }
  const after = method.toTorch(params, state);
  await checkFinal(run, after, { params, state }, `${mode} after ${run.steps.length} steps`);
  tf.dispose(tensorsIn([params, state, optState]));
  return after;
}

/**
 * Runs `train` jitted then eagerly (each checked against the fixture) and checks the two state dicts agree
 * within the checker's tolerance (two float32 evaluation orders of one trajectory, each as close to
 * PyTorch's) and that the two runs leave no tensor behind.
 */
export async function checkJitMatchesEager(train: (useJit: boolean) => Promise<Record<string, tf.Tensor>>, check: Check, label: string, floorOf?: (k: string) => number | undefined): Promise<void> {
  const before = tf.memory().numTensors;
  const jitted = await train(true);
  const eager = await train(false);
  assert.equal(Object.keys(eager).sort(), Object.keys(jitted).sort(), `${label}: jit and eager state-dict names`);
  for (const k of Object.keys(jitted)) await check('jit vs eager', jitted[k], Array.from(await eager[k].data()), `${label}: ${k}`, floorOf?.(k));
  tf.dispose([...Object.values(jitted), ...Object.values(eager)]);
  assert.is(tf.memory().numTensors, before, `${label}: the jitted and eager runs leave no tensor behind`);
}

/** {@link checkJitMatchesEager} of a {@link Replay} (its `floorOf` the floor of the comparison). */
export const checkReplay = <B, W>(run: Replay<B, W>): Promise<void> => checkJitMatchesEager((useJit) => replaySteps(run, useJit), run.check, run.label, run.floorOf);

/** A fixture whose step records each hold state-dict entries after the step (`after`), and the whole state dict after the last. */
export interface StepsFixture<S> {
  steps: readonly (S & { after: Record<string, Arr> })[];
  state_after: Record<string, Arr>;
}

/** The {@link Replay} of a {@link StepsFixture}: step s's batch from its record, its `after` entries checked after it, the whole state dict (names and shapes too) after the last. */
export function fixtureReplay<S, B>(fixture: StepsFixture<S>, batchOf: (step: S) => B, rest: Omit<Replay<B>, 'steps' | 'batchOf' | 'stateAfterStep' | 'stateAfter' | 'layout'>): Replay<B> {
  const { steps } = fixture;
  return { ...rest, steps, batchOf: (s) => batchOf(steps[s]), stateAfterStep: (s) => steps[s].after, stateAfter: fixture.state_after, layout: layoutOf(fixture.state_after) };
}

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

/** Trains the case from its initial state (jitted or eager) through {@link replaySteps}; returns the state dict after. */
export function runSeedCase<Step extends { views: Arr[]; loss: number }>(run: SeedRun<Step>, useJit = run.useJit): Promise<Record<string, tf.Tensor>> {
  const c = run.seedCase;
  return replaySteps(
    {
      label: run.name,
      method: run.method,
      initialDict: () => run.dict,
      opt: optim.sgd({ learningRate: run.lr }),
      check: run.check,
      steps: c.steps,
      metrics: ['loss'],
      batchOf: (s) => run.batchOf(c.steps[s].views.map(tensorOf)),
      keyOf: run.keyOf,
      afterStep: run.checkStep && ((r, s, label) => run.checkStep!(r, c.steps[s], label)),
      stateAfter: c.state_after,
      floorOf: run.floorOf && ((k) => run.floorOf!(k, c.state_after)),
    },
    useJit,
  );
}

/** The suite that checks each named case jitted and eagerly, and the two against each other ({@link checkJitMatchesEager}). */
export function seedStepsSuite(title: string, names: readonly string[], runCase: (name: string, useJit: boolean) => Promise<Record<string, tf.Tensor>>, check: Check, floorOf: (name: string, k: string) => number | undefined): void {
  const Seed = suite(title);
  for (const name of names) {
    Seed(`${name}: 3 SGD steps from the seed's state dict: losses and state as the seed's; jit = eager`, () => checkJitMatchesEager((useJit) => runCase(name, useJit), check, name, (k) => floorOf(name, k)));
  }
  Seed.run();
}
