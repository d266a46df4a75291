/**
 * SwAV's training step (lib/ssl/swav/train-step.ts) as a {@link DataParallelProgram}:
 * the same maths, cut at the gradient.
 *
 * - `grads`: the training forward pass and its gradient on the replica's shard; the
 *   metrics (loss, code entropy); the new BatchNorm state; the renormalised prototypes
 *   (carried to the update: they are the same on every replica).
 * - `update`: writes the renormalised prototypes into the parameters, applies the
 *   optimiser to the averaged gradient, and holds prototypes and their optimiser state
 *   while `step < freezePrototypesSteps`, exactly as `swav.trainStep` does.
 *
 * With one replica this is `swav.trainStep` (the test suite checks it step for step).
 * With several, each replica's Sinkhorn and BatchNorm see its shard only (DDP without
 * SyncBatchNorm, and facebookresearch/swav's `distributed_sinkhorn` without the
 * all-reduce): the averaged gradient is the mean of the shards' gradients of their own
 * SwAV losses. BatchNorm running statistics are averaged over replicas after each step;
 * a queue (`queueLength > 0`) stays per replica (each holds its shard's embeddings).
 * Stochastic encoders get no PRNG key here (convnet_small and the ResNets need none).
 */
import { type NdArray, valueAndGrad } from '../core/index.js';
import * as np from '../ops/index.js';
import { type GradientTransformation, applyUpdates } from '../optim/index.js';
import type { SwavConfig, SwavConfigInput } from '../ssl/swav/config.js';
import { type SwavInput, type SwavOutput, type SwavParams, type SwavState, apply, init as swavInit, resolveConfig } from '../ssl/swav/model.js';
import * as random from '../random/index.js';
import * as tree from '../tree/index.js';
import type { DataParallelProgram } from './program.js';

export interface SwavProgramOptions<O> {
  readonly config?: SwavConfigInput | SwavConfig;
  readonly optimizer: GradientTransformation<O>;
  /** Seed of `swav.init` (rank 0's initial values are broadcast). Default 0. */
  readonly seed?: number;
  /** Replaces Sinkhorn (see `SwavApplyOptions.assign`). */
  readonly assign?: (scores: NdArray) => NdArray;
}

/** Entropy of the mean of codes [B, K] (as in swav.trainStep). */
function meanCodeEntropy(codes: NdArray): NdArray {
  const m = np.mean(codes, 0);
  return np.neg(np.sum(np.mul(m, np.log(np.maximum(m, 1e-30)))));
}

const underPrototypes = (path: string) => /(^|\.)prototypes(\.|\[|$)/.test(path);

/**
 * The SwAV step as a data-parallel program (see the module notes for the semantics).
 * @example
 * export default parallel.defineReplica(() => parallel.swavProgram({ config, optimizer: optim.sgd({ learningRate: 0.1 }) }));
 */
export function swavProgram<O>(opts: SwavProgramOptions<O>): DataParallelProgram<SwavParams, SwavState, O, SwavInput> {
  const c = resolveConfig(opts.config);
  const optimizer = opts.optimizer;
  return {
    init() {
      const key = random.key(opts.seed ?? 0);
      const { params, state } = swavInit(key, c);
      key.dispose();
      return { params, state, optState: optimizer.init(params) };
    },
    grads(params, modelState, batch) {
      const forward = (p: SwavParams): [NdArray, [SwavOutput, SwavState]] => {
        const [out, state] = apply(p, modelState, batch, { train: true, config: c, assign: opts.assign });
        return [out.loss, [out, state]];
      };
      const [[loss, [out, state]], grads] = valueAndGrad(forward, { hasAux: true })(params) as [[NdArray, [SwavOutput, SwavState]], SwavParams];
      if (!out.prototypes) throw new Error('parallel.swavProgram: the batch must hold views ({ view1, view2 } or { globalViews, localViews }), not { images }');
      const assigned = (out.codes ?? []).filter((q): q is NdArray => q !== null);
      const codeEntropy = np.div(assigned.map(meanCodeEntropy).reduce((a, b) => np.add(a, b)), assigned.length);
      return { grads, state, metrics: { loss, codeEntropy }, carry: { prototypes: out.prototypes } };
    },
    update(params, optState, grads, modelState, carry: { prototypes: NdArray }) {
      const used: SwavParams = { ...params, prototypes: { weight: carry.prototypes } };
      const [updates, nextOpt] = optimizer.update(grads, optState, used);
      let newParams = applyUpdates(used, updates) as SwavParams;
      let newOpt = nextOpt;
      if (c.freezePrototypesSteps > 0) {
        const frozen = np.less(modelState.step, c.freezePrototypesSteps);
        newParams = { ...newParams, prototypes: { weight: np.where(frozen, carry.prototypes, newParams.prototypes.weight) } };
        const paths = tree.paths(nextOpt);
        const [oldLeaves] = tree.flatten<NdArray>(optState);
        const [newLeaves, def] = tree.flatten<NdArray>(nextOpt);
        if (oldLeaves.length !== newLeaves.length) throw new Error('parallel.swavProgram: the optimiser state changed structure in an update; freezePrototypesSteps needs a fixed structure');
        newOpt = tree.unflatten<O>(def, newLeaves.map((leaf, i) => (underPrototypes(paths[i]) ? np.where(frozen, oldLeaves[i], leaf) : leaf)));
      }
      return { params: newParams, optState: newOpt };
    },
    // BatchNorm running statistics: averaged. The queue's embeddings: each replica's own.
    reduceState: (path) => (/^\.queue(\.|$)/.test(path) ? 'local' : 'mean'),
  };
}
