/**
 * One SwAV training step as a pure function ready for `jit`: SwAV's {@link Method}
 * (lib/ssl/methods/swav.ts) on the generic step (lib/ssl/train-step.ts), under SwAV's
 * names:
 *
 * ```
 * step(params, modelState, optState, batch, key) -> { params, modelState, optState, metrics }
 * ```
 *
 * What it does, as the seed's training step does:
 * 1. the forward pass (`apply` in training mode), whose scores use the renormalised
 *    prototypes and whose gradient with respect to the prototypes is the gradient with
 *    respect to the renormalised ones;
 * 2. writes the renormalised prototypes back into the parameters;
 * 3. the optimiser update from those parameters (so weight decay and momentum see the
 *    renormalised prototypes, as PyTorch's in-place renormalisation makes them see);
 * 4. while `step < freezePrototypesSteps` (facebookresearch/swav's
 *    `freeze_prototypes_niters`, where the prototypes' gradient is set to None): the
 *    prototypes keep their renormalised value, and every optimiser-state leaf under a
 *    `prototypes` key keeps its value (so no momentum builds up for them).
 *
 * Called eagerly it frees every temporary (only the returned trees survive); the caller
 * disposes the inputs it no longer needs. Nothing in it depends on JS values that change across steps: the step counter lives
 * in `modelState.step`, the queue in `modelState.queue`, and the optimiser's count in
 * its state, so `jit(trainStep(config, opt))` traces once.
 */
import type { NdArray } from '../../core/index.js';
import type { GradientTransformation } from '../../optim/index.js';
import { swavMethod } from '../methods/swav.js';
import { trainStep as genericStep } from '../train-step.js';
import type { SwavConfig, SwavConfigInput } from './config.js';
import { type SwavInput, type SwavParams, type SwavState, resolveConfig } from './model.js';

export interface SwavMetrics {
  /** The loss of the step (before the update). */
  readonly loss: NdArray;
  /**
   * Mean over the assignment views of the entropy of the mean code (in nats): ln(K) when
   * the prototypes are used equally, near 0 when everything collapses onto one.
   */
  readonly codeEntropy: NdArray;
}

export interface SwavStepResult<O = unknown> {
  readonly params: SwavParams;
  readonly modelState: SwavState;
  readonly optState: O;
  readonly metrics: SwavMetrics;
}

export interface TrainStepOptions {
  /** Replaces Sinkhorn (see `SwavApplyOptions.assign`), e.g. hard assignments. */
  readonly assign?: (scores: NdArray) => NdArray;
  /**
   * The batch is sharded over this named axis: SyncBN and distributed Sinkhorn (see
   * `SwavApplyOptions.axisName`), and the gradients, loss and metrics averaged over the
   * members: the synchronised data-parallel step (`ssl.trainStep`'s `axisName`).
   */
  readonly axisName?: string;
}

export type SwavTrainStep<O = any> = (params: SwavParams, modelState: SwavState, optState: O, batch: SwavInput, key?: NdArray) => SwavStepResult<O>;

/**
 * A pure SwAV training step for `config` and an optax-style optimiser.
 * @example
 * const opt = optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
 * const step = jit(swav.trainStep(config, opt));
 * let optState = opt.init(params);
 * ({ params, modelState, optState, metrics } = step(params, modelState, optState, { view1, view2 }, key));
 */
export function trainStep<O = any>(config: SwavConfigInput | SwavConfig | undefined, optimizer: GradientTransformation<O>, opts: TrainStepOptions = {}): SwavTrainStep<O> {
  const step = genericStep(swavMethod(resolveConfig(config), { assign: opts.assign }), optimizer, { axisName: opts.axisName });
  return (params, modelState, optState, batch, key) => {
    const r = step(params, modelState, optState, batch, key);
    return { params: r.params, modelState: r.state, optState: r.optState, metrics: { loss: r.metrics.loss, codeEntropy: r.metrics.codeEntropy } };
  };
}
