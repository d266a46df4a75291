/**
 * Any self-supervised {@link Method} (lib/ssl) on the generic step as a
 * {@link DataParallelProgram}: `ssl.trainStep` cut at the gradient.
 *
 * - `grads`: the method's training loss and its gradient on the replica's shard; the
 *   metrics; the new state (BatchNorm statistics, teacher, queue, centre); the parameters
 *   as the forward used them (`aux.params`, e.g. SwAV's renormalised prototypes, the same
 *   on every replica), carried to the update.
 * - `update`: the optimiser on the averaged gradient, then the method's `afterUpdate`
 *   (teacher EMA, prototype freezing) on the state after the all-reduce: it returns the
 *   state, so a teacher moves with the averaged student on every replica alike.
 *
 * With one replica this is `ssl.trainStep` without a PRNG key. With several and an
 * `axisName`, the method's loss runs synchronised over the replicas (`LossContext.axisName`:
 * SyncBN, gathered negatives, all-reduced statistics and centre, distributed Sinkhorn), so
 * the step is the one-process step on the whole batch (a queue aside). Without one, each
 * replica's forward sees its shard only (BatchNorm, Sinkhorn, a contrastive loss's
 * negatives: PyTorch's DDP without SyncBatchNorm or gathered negatives). Float state is
 * averaged over replicas after each step (BatchNorm running statistics, the teacher's
 * statistics, DINO's centre: already equal when synchronised), except a queue
 * (`state.queue`), which each replica keeps for its shard's embeddings, as the seed's
 * queues under DDP. Stochastic encoders get no PRNG key here.
 */
import type { GradientTransformation } from '../optim/index.js';
import * as random from '../random/index.js';
import type { Method } from '../ssl/method.js';
import { applyStep, lossAndGrad } from '../ssl/train-step.js';
import type { DataParallelProgram } from './program.js';

/**
 * The key of a method's state that each replica keeps for itself (`state.queue`: the rows of
 * its own shards); the rest of the float state is averaged after each step.
 */
export const REPLICA_STATE_KEY = 'queue';
const replicaOwn = new RegExp(`^\\.${REPLICA_STATE_KEY}(\\.|$)`);

export interface MethodProgramOptions {
  /** Seed of `method.init` (rank 0's initial values are broadcast). Default 0. */
  readonly seed?: number;
  /**
   * The axis name bound to the replicas and given to the method's loss (`LossContext.axisName`):
   * the synchronised step. Without it each replica sees its shard only.
   */
  readonly axisName?: string;
}

/**
 * `method`'s training step with `optimizer` as a data-parallel program (see the module notes).
 * @example
 * export default parallel.defineReplica(() => parallel.methodProgram(ssl.methods.byol(config), optim.adamw({ learningRate: 1e-3 })));
 */
export function methodProgram<P, S, B, O>(method: Method<P, S, B>, optimizer: GradientTransformation<O>, opts: MethodProgramOptions = {}): DataParallelProgram<P, S, O, B> {
  return {
    init() {
      const key = random.key(opts.seed ?? 0);
      const { params, state } = method.init(key);
      key.dispose();
      return { params, state, optState: optimizer.init(params) };
    },
    grads(params, state, batch) {
      const { loss, grads, aux } = lossAndGrad(method, params, state, batch, { axisName: opts.axisName });
      return { grads, state: aux.state, metrics: { ...aux.metrics, loss }, carry: aux.params ?? {} };
    },
    update(params, optState, grads, state, carry: Partial<P>, next, metrics) {
      // The averaged loss, as ssl.trainStep gives it (reduceOnPlateau, polyakSgd read it).
      return applyStep(method, optimizer, { params, state, optState }, grads, { state: next, metrics: {}, params: carry }, { value: metrics['loss'] });
    },
    // Float state is averaged, except a queue of the replica's own embeddings.
    reduceState: (path) => (replicaOwn.test(path) ? 'local' : 'mean'),
    ...(opts.axisName === undefined ? {} : { axisName: opts.axisName }),
  };
}
