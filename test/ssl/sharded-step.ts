/**
 * Training steps sharded over an axis against one process (the method tests against the seed): each
 * step under vmap over 2 shards with `axisName` must give the state dict that one process gives on the
 * whole batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { vmap } from '../../lib/core/index.js';
import type * as optim from '../../lib/optim/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose } from '../helpers/assert.js';
import { maxAbs } from './fixtures.js';
import { tensorsIn } from './tiny-swav.js';

type Batch = Record<string, tf.Tensor | tf.Tensor[]>;

/** Splits every array of a batch (nested in lists) into 2 shards along its first axis. */
export function shardBatch<B extends Batch>(batch: B): B {
  const shard = (x: tf.Tensor) => tf.reshape(x, [2, x.shape[0] / 2, ...x.shape.slice(1)]);
  return Object.fromEntries(Object.entries(batch).map(([k, v]) => [k, Array.isArray(v) ? v.map(shard) : shard(v)])) as B;
}

/** One SGD step of `method` from `dict` on `batch` (one process, or vmap over 2 shards with `axisName`): the state dict after. */
export function oneStep(method: ssl.Method, dict: Record<string, tf.Tensor>, batch: Batch, opt: optim.GradientTransformation, sharded: boolean): Record<string, tf.Tensor> {
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

/** What the sharded steps run: the method, its starting state dict, each step's batch and optimiser (fresh each call). */
export interface ShardedRun {
  readonly method: () => ssl.Method<any, any, any>;
  readonly initialDict: () => Record<string, tf.Tensor>;
  readonly batchOf: (s: number) => Batch;
  readonly opt: () => optim.GradientTransformation;
  /** How many steps (default 1): a later step uses the state the earlier ones left. */
  readonly steps?: number;
  /** A floor of an entry's scale (default none: its largest value). */
  readonly floorOf?: (k: string) => number | undefined;
}

/** The state dict after the run's steps, each one process or sharded. */
function stepsFrom(run: ShardedRun, sharded: boolean): Record<string, tf.Tensor> {
  const method = run.method();
  let dict = run.initialDict();
  for (let s = 0; s < (run.steps ?? 1); s++) {
    const batch = run.batchOf(s);
    const after = oneStep(method, dict, batch, run.opt(), sharded);
    tf.dispose([...Object.values(dict), ...tensorsIn(batch)]);
    dict = after;
  }
  return dict;
}

/** Checks that the steps under vmap over 2 shards with `axisName` give one process's state dict, each entry within 1e-5 of its scale. */
export async function checkShardedMatchesOne(run: ShardedRun): Promise<void> {
  const one = stepsFrom(run, false);
  const two = stepsFrom(run, true);
  for (const k of Object.keys(one)) {
    const want = Array.from(await one[k].data());
    const scale = Math.max(1e-6, maxAbs(want), run.floorOf?.(k) ?? 0);
    allClose(Array.from(await two[k].data()), want, { rtol: 0, atol: 1e-5 * scale }, k);
  }
  tf.dispose([...Object.values(one), ...Object.values(two)]);
}
