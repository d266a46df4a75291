/**
 * The one training step of every self-supervised method, as a pure function ready for `jit`:
 *
 * ```
 * step(params, state, optState, batch, key) -> { params, state, optState, metrics }
 * ```
 *
 * 1. the loss and its gradient with respect to `params` (`valueAndGrad` with the method's
 *    new state and metrics as auxiliary output);
 * 2. the optimiser's update, applied to the parameters as the forward pass used them
 *    (`aux.params`, e.g. SwAV's renormalised prototypes; else the given ones), with the loss as
 *    optax's extra argument `value` (for `reduceOnPlateau`, `polyakSgd`);
 * 3. the method's `afterUpdate` (teacher EMA, centre, freezing), if any.
 *
 * Nothing depends on JS values that change across steps (counters live in the state, the
 * optimiser's count in its state), so `jit(ssl.trainStep(method, optimizer))` traces once.
 * Called eagerly it frees every temporary: only the returned trees survive.
 *
 * With `{ axisName }` it is the data-parallel step of JAX's `pmap` idiom, to run under
 * `vmap(step, { axisName })` or `pmap`, each member on its shard of the batch: the method's
 * loss synchronised over the axis (see `LossContext.axisName`), then the gradients, the loss
 * and the metrics averaged over the members (`pmean`), so every member applies the same
 * update, the update of one process on the whole batch.
 */
import { type NdArray, pmean, scope, valueAndGrad } from '../core/index.js';
import { type ExtraArgs, type GradientTransformation, applyUpdates } from '../optim/index.js';
import * as tree from '../tree/index.js';
import type { LossAux, LossContext, Method, StepVariables } from './method.js';

export interface StepResult<P, S, O> extends StepVariables<P, S, O> {
  /** `loss` and the method's metrics. */
  readonly metrics: Readonly<Record<string, NdArray>> & { readonly loss: NdArray };
}

export type TrainStep<P, S, B, O> = (params: P, state: S, optState: O, batch: B, key?: NdArray) => StepResult<P, S, O>;

export interface TrainStepOptions {
  /** The batch is sharded over this named axis: the synchronised data-parallel step (see the module notes). */
  readonly axisName?: string;
}

/** Step 1: the loss, its gradient and the auxiliary output (this member's, with `ctx.axisName`). */
export function lossAndGrad<P, S, B>(method: Method<P, S, B>, params: P, state: S, batch: B, ctx: LossContext = {}): { loss: NdArray; grads: P; aux: LossAux<P, S> } {
  const f = (p: P): [NdArray, LossAux<P, S>] => method.loss(p, state, batch, ctx);
  const [[loss, aux], grads] = valueAndGrad(f, { hasAux: true })(params) as [[NdArray, LossAux<P, S>], P];
  return { loss, grads, aux };
}

/**
 * Steps 2 and 3: the optimiser's update from the parameters the forward used, then `afterUpdate`.
 * `extra` reaches the optimiser's `update` (optax's extra arguments: `trainStep` passes
 * `{ value: loss }`, which `reduceOnPlateau` and `polyakSgd` read).
 */
export function applyStep<P, S, O>(
  method: Method<P, S, any>,
  optimizer: GradientTransformation<O>,
  before: StepVariables<P, S, O>,
  grads: P,
  aux: LossAux<P, S>,
  extra?: ExtraArgs,
): StepVariables<P, S, O> {
  const used: P = aux.params ? { ...before.params, ...aux.params } : before.params;
  const [updates, optState] = optimizer.update(grads, before.optState, used, extra);
  const after: StepVariables<P, S, O> = { params: applyUpdates(used, updates), state: aux.state, optState };
  return method.afterUpdate ? method.afterUpdate(after, { ...before, params: used }) : after;
}

/**
 * The pure training step of `method` with an optax-style `optimizer`.
 * @example
 * const method = ssl.methods.simclr({ encoder: 'convnet_small', projector: { dims: [256, 64] } });
 * const opt = optim.sgd({ learningRate: 0.05, momentum: 0.9 });
 * const step = jit(ssl.trainStep(method, opt));
 * let { params, state } = method.init(random.key(0));
 * let optState = opt.init(params);
 * ({ params, state, optState } = step(params, state, optState, { view1, view2 }, key));
 */
export function trainStep<P, S, B, O>(method: Method<P, S, B>, optimizer: GradientTransformation<O>, { axisName }: TrainStepOptions = {}): TrainStep<P, S, B, O> {
  const overAll = <T>(t: T): T => (axisName === undefined ? t : tree.map((l: NdArray) => pmean(l, axisName), t));
  return (params, state, optState, batch, key) =>
    scope(() => {
      const { loss, grads, aux } = lossAndGrad(method, params, state, batch, { key, axisName });
      const metrics = overAll({ ...aux.metrics, loss });
      const next = applyStep(method, optimizer, { params, state, optState }, overAll(grads), aux, { value: metrics.loss });
      return { ...next, metrics };
    });
}
