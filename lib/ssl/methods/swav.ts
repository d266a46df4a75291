/**
 * SwAV as a {@link Method}: `lib/ssl/swav` (views through encoder + projector, scores
 * against renormalised prototypes, Sinkhorn codes, swapped prediction, optional queue) on
 * the generic step. The forward pass renormalises the prototypes as the seed does in
 * place (`aux.params`), so the optimiser updates the renormalised ones; while
 * `step < freezePrototypesSteps` the prototypes and their optimiser state keep their
 * values (facebookresearch/swav's `freeze_prototypes_niters`).
 *
 * Batches: `{ view1, view2 }` or `{ globalViews, localViews }`. Metrics: `codeEntropy`.
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import * as optim from '../../optim/index.js';
import { DEFAULT_CONFIG, type SwavConfig, SwavConfigCodec, crossFieldProblem, swavConfig } from '../swav/config.js';
import { type SwavInput, type SwavParams, type SwavState, apply, fromTorch, init, toTorch } from '../swav/model.js';
import { type Method, type StepVariables, defineMethod } from '../method.js';

export interface SwavMethodOptions {
  /** Replaces Sinkhorn (see `SwavApplyOptions.assign`), e.g. hard assignments. */
  readonly assign?: (scores: NdArray) => NdArray;
}

/** Entropy of the mean of codes [B, K]: -sum_k m_k log m_k. */
function meanCodeEntropy(codes: NdArray): NdArray {
  const m = np.mean(codes, 0);
  return np.neg(np.sum(np.mul(m, np.log(np.maximum(m, 1e-30)))));
}

/**
 * Mean over the assignment views of the entropy of the mean code (in nats): ln(K) when the
 * prototypes are used equally, near 0 when everything collapses onto one.
 */
export function codeEntropy(codes: readonly (NdArray | null)[]): NdArray {
  const assigned = codes.filter((q): q is NdArray => q !== null);
  return np.div(assigned.map(meanCodeEntropy).reduce((a, b) => np.add(a, b)), assigned.length);
}

/** Holds the prototypes and their optimiser state while `step < freezePrototypesSteps` (`before` holds the renormalised ones). */
function freezePrototypes<O>(c: SwavConfig, after: StepVariables<SwavParams, SwavState, O>, before: StepVariables<SwavParams, SwavState, O>): StepVariables<SwavParams, SwavState, O> {
  const frozen = np.less(before.state.step, c.freezePrototypesSteps);
  return {
    ...after,
    params: { ...after.params, prototypes: { weight: np.where(frozen, before.params.prototypes.weight, after.params.prototypes.weight) } },
    optState: optim.holdSlots(after.optState, before.optState, after.params, { encoder: false, projector: false, prototypes: true }, frozen),
  };
}

/** The SwAV method for a decoded configuration (with options that are functions, not configuration). */
export function swavMethod(config: SwavConfig, opts: SwavMethodOptions = {}): Method<SwavParams, SwavState, SwavInput, SwavConfig> {
  const c = swavConfig(config);
  return {
    name: 'swav',
    config: c,
    init: (key) => init(key, c),
    loss(params, state, batch, ctx = {}) {
      // With ctx.axisName: SyncBN and the distributed Sinkhorn (see `SwavApplyOptions.axisName`).
      const [out, next] = apply(params, state, batch, { train: true, key: ctx.key, config: c, assign: opts.assign, axisName: ctx.axisName });
      if (!out.prototypes) throw new Error('swav: the batch must hold views ({ view1, view2 } or { globalViews, localViews }), not { images }');
      return [out.loss, { state: next, metrics: { codeEntropy: codeEntropy(out.codes ?? []) }, params: { prototypes: { weight: out.prototypes } } }];
    },
    ...(c.freezePrototypesSteps > 0 ? { afterUpdate: <O>(after: StepVariables<SwavParams, SwavState, O>, before: StepVariables<SwavParams, SwavState, O>) => freezePrototypes(c, after, before) } : {}),
    embed: (params, state, images) => scope(() => apply(params, state, { images }, { config: c })[0].embedding),
    toTorch: (params, state) => toTorch(params, state, c),
    fromTorch: (dict) => fromTorch(dict, c),
  };
}

/**
 * SwAV (Caron et al. 2020) with the seed's defaults (stable-pretraining's `SwAV`).
 * @example const m = ssl.methods.swav({ encoder: 'resnet18', encoderOptions: { lowResolution: true }, numPrototypes: 300 });
 */
export const swav = defineMethod<SwavConfig, SwavParams, SwavState, SwavInput>({
  name: 'swav',
  codec: SwavConfigCodec,
  defaults: DEFAULT_CONFIG,
  check: crossFieldProblem,
  build: (c) => swavMethod(c),
});
