/**
 * One SwAV training step as a pure function, ready for `jit`:
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
import { type NdArray, scope, valueAndGrad } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type GradientTransformation, applyUpdates } from '../../optim/index.js';
import * as tree from '../../tree/index.js';
import type { SwavConfig, SwavConfigInput } from './config.js';
import { type SwavInput, type SwavOutput, type SwavParams, type SwavState, apply, resolveConfig } from './model.js';

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
  /** The batch is sharded over this named axis: synchronised BatchNorm and Sinkhorn (see `SwavApplyOptions.axisName`). */
  readonly axisName?: string;
}

export type SwavTrainStep<O = any> = (params: SwavParams, modelState: SwavState, optState: O, batch: SwavInput, key?: NdArray) => SwavStepResult<O>;

/** Entropy of the mean of codes [B, K]: -sum_k m_k log m_k. */
function meanCodeEntropy(codes: NdArray): NdArray {
  const m = np.mean(codes, 0);
  return np.neg(np.sum(np.mul(m, np.log(np.maximum(m, 1e-30)))));
}

/** The {@link SwavMetrics.codeEntropy} of a step's codes (views without codes skipped). */
export function codeEntropy(codes: readonly (NdArray | null)[]): NdArray {
  const assigned = codes.filter((q): q is NdArray => q !== null);
  return np.div(assigned.map(meanCodeEntropy).reduce((a, b) => np.add(a, b)), assigned.length);
}

/** Whether a tree path lies under a `prototypes` key. */
const underPrototypes = (path: string) => /(^|\.)prototypes(\.|\[|$)/.test(path);

/**
 * Step 1: the training forward pass and its gradient. Returns the loss, the gradients, the
 * output (codes, renormalised prototypes) and the new model state. `who` names the caller
 * in errors.
 */
export function swavGradients(
  c: SwavConfig,
  params: SwavParams,
  modelState: SwavState,
  batch: SwavInput,
  opts: TrainStepOptions & { readonly key?: NdArray; readonly who: string },
): { loss: NdArray; grads: SwavParams; out: SwavOutput & { prototypes: NdArray }; state: SwavState } {
  const forward = (p: SwavParams): [NdArray, [SwavOutput, SwavState]] => {
    const [out, state] = apply(p, modelState, batch, { train: true, key: opts.key, config: c, assign: opts.assign, axisName: opts.axisName });
    return [out.loss, [out, state]];
  };
  const [[loss, [out, state]], grads] = valueAndGrad(forward, { hasAux: true })(params) as [[NdArray, [SwavOutput, SwavState]], SwavParams];
  if (!out.prototypes) throw new Error(`${opts.who}: the batch must hold views ({ view1, view2 } or { globalViews, localViews }), not { images }`);
  return { loss, grads, out: out as SwavOutput & { prototypes: NdArray }, state };
}

/**
 * Steps 2-4: writes the renormalised `prototypes` back, applies the optimiser to `grads`,
 * and while `step < freezePrototypesSteps` holds the prototypes and their optimiser state.
 * `step` is the model state's step counter before this step.
 */
export function swavUpdate<O>(
  c: SwavConfig,
  optimizer: GradientTransformation<O>,
  params: SwavParams,
  optState: O,
  grads: SwavParams,
  prototypes: NdArray,
  step: NdArray,
  who: string,
): { params: SwavParams; optState: O } {
  const used: SwavParams = { ...params, prototypes: { weight: prototypes } };
  const [updates, nextOpt] = optimizer.update(grads, optState, used);
  const newParams = applyUpdates(used, updates) as SwavParams;
  if (c.freezePrototypesSteps <= 0) return { params: newParams, optState: nextOpt };
  const frozen = np.less(step, c.freezePrototypesSteps);
  const paths = tree.paths(nextOpt);
  const [oldLeaves] = tree.flatten<NdArray>(optState);
  const [newLeaves, def] = tree.flatten<NdArray>(nextOpt);
  if (oldLeaves.length !== newLeaves.length) throw new Error(`${who}: the optimiser state changed structure in an update; freezePrototypesSteps needs a fixed structure`);
  return {
    params: { ...newParams, prototypes: { weight: np.where(frozen, prototypes, newParams.prototypes.weight) } },
    optState: tree.unflatten<O>(def, newLeaves.map((leaf, i) => (underPrototypes(paths[i]) ? np.where(frozen, oldLeaves[i], leaf) : leaf))),
  };
}

/**
 * A pure SwAV training step for `config` and an optax-style optimiser.
 * @example
 * const opt = optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
 * const step = jit(swav.trainStep(config, opt));
 * let optState = opt.init(params);
 * ({ params, modelState, optState, metrics } = step(params, modelState, optState, { view1, view2 }, key));
 */
export function trainStep<O = any>(config: SwavConfigInput | SwavConfig | undefined, optimizer: GradientTransformation<O>, opts: TrainStepOptions = {}): SwavTrainStep<O> {
  const c = resolveConfig(config);
  const who = 'swav.trainStep';
  // `scope` frees the temporaries of an eager call; inside a transformation it does nothing.
  return (params, modelState, optState, batch, key) =>
    scope(() => {
      const { loss, grads, out, state } = swavGradients(c, params, modelState, batch, { ...opts, key, who });
      const next = swavUpdate(c, optimizer, params, optState, grads, out.prototypes, modelState.step, who);
      return { params: next.params, modelState: state, optState: next.optState, metrics: { loss, codeEntropy: codeEntropy(out.codes ?? []) } };
    });
}
