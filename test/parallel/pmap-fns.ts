/**
 * Functions for test/parallel/pmap.test.ts (not a test file itself): pmap's workers import
 * this module and run its exports; the suite runs the same functions in one process too.
 */
import { workerData } from 'node:worker_threads';
import { type NdArray, allGather, axisIndex, grad, pmax, pmean, pmin, ppermute, psum, psumScatter, stopGradient, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import type { GradientTransformation } from '../../lib/optim/index.js';
import type { Method } from '../../lib/ssl/method.js';
import * as swav from '../../lib/ssl/swav/index.js';
import { resolveConfig } from '../../lib/ssl/swav/model.js';
import { swavMethod } from '../../lib/ssl/methods/swav.js';
import { applyStep, lossAndGrad } from '../../lib/ssl/train-step.js';
import * as tree from '../../lib/tree/index.js';
import { tinyConfig } from '../ssl/tiny-swav.js';

export const AXIS = 'workers';

/** Every collective of one member's x [k]. */
export function collectives(x: NdArray) {
  return {
    sum: psum(x, AXIS),
    mean: pmean(x, AXIS),
    max: pmax(x, AXIS),
    min: pmin(x, AXIS),
    gathered: allGather(x, AXIS),
    tiled: allGather(x, AXIS, { tiled: true }),
    index: np.add(axisIndex(AXIS), np.zeros([], 'int32')),
    intSum: psum(np.cast(np.mul(x, 4), 'int32'), AXIS),
    positive: allGather(np.greater(x, 0), AXIS),
    swapped: ppermute(x, AXIS, [[0, 1], [1, 0]]),
    toSecond: ppermute(np.cast(x, 'int32'), AXIS, [[0, 1]]),
    scattered: psumScatter(np.stack([x, np.mul(x, 2)]), AXIS),
    scatteredTiled: psumScatter(np.concatenate([x, np.neg(x)]), AXIS, { tiled: true }),
  };
}

/** grad of a member's loss with a psum inside, and of an allGather: JAX's transposes. */
export function gradients(x: NdArray, w: NdArray) {
  return {
    psum: grad((v: NdArray) => psum(np.sum(np.square(v)), AXIS))(x),
    gather: grad((v: NdArray) => np.sum(np.mul(allGather(v, AXIS), w)))(x),
    loss: valueAndGrad((v: NdArray) => pmean(np.sum(np.sin(v)), AXIS))(x)[0],
    permute: grad((v: NdArray) => np.sum(np.mul(ppermute(v, AXIS, [[0, 1]]), w)))(x),
    scatter: grad((v: NdArray) => np.sum(np.mul(psumScatter(np.stack([v, np.square(v)]), AXIS), w)))(x),
  };
}

/** This worker's rank, read from what pmap hands the worker (for the fault tests only). */
const rank = () => (workerData as { rank: number }).rank;

/** Worker 1 throws while worker 0 waits in the psum. */
export function throwsOnSecond(x: NdArray) {
  if (rank() === 1) throw new Error('worker 1 gave up before its psum');
  return psum(x, AXIS);
}

/** Worker 1's thread ends (as if killed) while worker 0 waits in the psum. */
export function exitsOnSecond(x: NdArray) {
  if (rank() === 1) process.exit(7);
  return psum(x, AXIS);
}

// ---------------------------------------------------------------- SwAV, synchronised

export const swavConfig = tinyConfig();
export const swavOptimizer = optim.sgd({ learningRate: 0.5, momentum: 0.9 });

/**
 * One step of `method` on a batch sharded over `axisName` (none: the whole batch in one
 * process): the method's loss synchronised over the axis (SyncBN, gathered negatives,
 * distributed Sinkhorn, ...), the loss and gradients averaged over the members (their shards
 * are equal), and the same update everywhere: `ssl.trainStep(method, opt, { axisName })`
 * with the averaged gradients returned too.
 */
export function methodStep<P, S, B, O>(method: Method<P, S, B>, optimizer: GradientTransformation<O>, params: P, state: S, optState: O, batch: B, axisName?: string) {
  const overAll = <T>(t: T): T => (axisName === undefined ? t : tree.map((l: NdArray) => pmean(l, axisName), t));
  const { loss, grads, aux } = lossAndGrad(method, params, state, batch, { axisName });
  const averaged = overAll(grads);
  const next = applyStep(method, optimizer, { params, state, optState }, averaged, aux);
  return { loss: overAll(loss), grads: stopGradient(averaged), params: next.params, optState: next.optState, state: next.state };
}

/** {@link methodStep} of SwAV's tiny ConvNet: SyncBN and distributed Sinkhorn over `axisName`. */
export function swavStep(params: swav.SwavParams, state: swav.SwavState, optState: unknown, batch: swav.SwavInput, axisName?: string) {
  return methodStep(swavMethod(resolveConfig(swavConfig)), swavOptimizer as GradientTransformation<unknown>, params, state, optState, batch, axisName);
}

/** {@link swavStep} with the workers' axis (what pmap runs). */
export const swavStepOverWorkers = (params: swav.SwavParams, state: swav.SwavState, optState: unknown, batch: swav.SwavInput) => swavStep(params, state, optState, batch, AXIS);
