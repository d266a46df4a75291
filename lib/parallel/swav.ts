/**
 * SwAV's training step as a {@link DataParallelProgram}: `methodProgram` of SwAV's method
 * (lib/parallel/method.ts), cut at the gradient.
 *
 * - `grads`: the training forward pass and its gradient on the replica's shard; the
 *   metrics (loss, code entropy); the new BatchNorm state; the renormalised prototypes
 *   (carried to the update: they are the same on every replica).
 * - `update`: writes the renormalised prototypes into the parameters, applies the
 *   optimiser to the averaged gradient, and holds prototypes and their optimiser state
 *   while `step < freezePrototypesSteps`, exactly as `swav.trainStep` does.
 *
 * With one replica this is `swav.trainStep` (the test suite checks it step for step).
 * With `sync: true`, BatchNorm and Sinkhorn use the whole batch (SyncBN and the
 * distributed Sinkhorn over the replicas' axis): the step is the one-process step on the
 * whole batch. Otherwise (`sync: false`, the default for now) each replica's Sinkhorn
 * and BatchNorm see its shard only (DDP without SyncBatchNorm, and facebookresearch/swav's
 * `distributed_sinkhorn` without the all-reduce): the averaged gradient is the mean of the shards' gradients of their own
 * SwAV losses. BatchNorm running statistics are averaged over replicas after each step;
 * a queue (`queueLength > 0`) stays per replica (each holds its shard's embeddings).
 * Stochastic encoders get no PRNG key here (convnet_small and the ResNets need none).
 */
import type { NdArray } from '../core/index.js';
import type { GradientTransformation } from '../optim/index.js';
import { swavMethod } from '../ssl/methods/swav.js';
import type { SwavConfig, SwavConfigInput } from '../ssl/swav/config.js';
import { type SwavInput, type SwavParams, type SwavState, resolveConfig } from '../ssl/swav/model.js';
import { methodProgram } from './method.js';
import type { DataParallelProgram } from './program.js';

export interface SwavProgramOptions<O> {
  readonly config?: SwavConfigInput | SwavConfig;
  readonly optimizer: GradientTransformation<O>;
  /** Seed of `swav.init` (rank 0's initial values are broadcast). Default 0. */
  readonly seed?: number;
  /** Replaces Sinkhorn (see `SwavApplyOptions.assign`). */
  readonly assign?: (scores: NdArray) => NdArray;
  /** SyncBN and distributed Sinkhorn over the replicas (the whole batch's statistics and codes). Default false. */
  readonly sync?: boolean;
}

/** The axis name of the replicas in a synchronised program. */
const REPLICAS = 'replicas';

/**
 * The SwAV step as a data-parallel program (see the module notes for the semantics).
 * @example
 * export default parallel.defineReplica(() => parallel.swavProgram({ config, optimizer: optim.sgd({ learningRate: 0.1 }) }));
 */
export function swavProgram<O>(opts: SwavProgramOptions<O>): DataParallelProgram<SwavParams, SwavState, O, SwavInput> {
  const axisName = opts.sync ? REPLICAS : undefined;
  return methodProgram(swavMethod(resolveConfig(opts.config), { assign: opts.assign }), opts.optimizer, { seed: opts.seed, axisName });
}
