/**
 * optax's `conditionally_transform` and `conditionally_mask` (`transforms/_conditionality.py`):
 * run the inner transformation only at the steps where `shouldTransformFn(step)` is true; on the
 * others pass the updates through unchanged (transform) or return zeros (mask), keeping the inner
 * state. The choice is a `lax.cond`, so it runs under `jit` with a traced step.
 */
import { lax, type NdArray } from '../core/index.js';
import type { ExtraArgs, GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

/** Whether to transform at `step` (an int32 scalar from 0); with `forwardExtraArgs` it also gets `update`'s extra arguments. */
export type ShouldTransformFn = (step: NdArray, extra?: ExtraArgs) => NdArray | boolean;

/** The state of {@link conditionallyTransform} and {@link conditionallyMask}. */
export interface ConditionallyState<S> {
  readonly innerState: S;
  /** int32 []: calls so far. */
  readonly step: NdArray;
}

function conditionally<S>(inner: GradientTransformation<S>, shouldTransformFn: ShouldTransformFn, forwardExtraArgs: boolean, zeroWhenSkipped: boolean): GradientTransformation<ConditionallyState<S>> {
  return {
    init: (params) => ({ innerState: inner.init(params), step: initCount() }),
    update(updates, state, params, extra) {
      const pred = shouldTransformFn(state.step, forwardExtraArgs ? (extra ?? {}) : undefined);
      const [out, innerState] = lax.cond(
        pred,
        () => inner.update(updates, state.innerState, params, extra),
        () => [zeroWhenSkipped ? zerosLikeTree(updates) : updates, state.innerState],
      ) as [typeof updates, S];
      return [out, { innerState, step: incrementCount(state.step) }];
    },
  };
}

/**
 * `inner` at the steps where `shouldTransformFn(step)` holds; elsewhere the updates pass unchanged.
 * @example conditionallyTransform(addNoise({ eta: 0.01, gamma: 0.55, seed: 0 }), (step) => np.less(step, 100))
 */
export function conditionallyTransform<S>(inner: GradientTransformation<S>, shouldTransformFn: ShouldTransformFn, { forwardExtraArgs = false }: { readonly forwardExtraArgs?: boolean } = {}): GradientTransformation<ConditionallyState<S>> {
  return conditionally(inner, shouldTransformFn, forwardExtraArgs, false);
}

/**
 * `inner` at the steps where `shouldTransformFn(step)` holds; elsewhere zero updates.
 * @example conditionallyMask(sgd({ learningRate: 0.1 }), (step) => np.greaterEqual(step, 10)) // frozen for 10 steps
 */
export function conditionallyMask<S>(inner: GradientTransformation<S>, shouldTransformFn: ShouldTransformFn, { forwardExtraArgs = false }: { readonly forwardExtraArgs?: boolean } = {}): GradientTransformation<ConditionallyState<S>> {
  return conditionally(inner, shouldTransformFn, forwardExtraArgs, true);
}
