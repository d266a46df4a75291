/**
 * What the line searches read from `update`'s extra arguments (optax's `value`, `grad`,
 * `value_fn` and the remaining keyword arguments of `value_fn`), and optax's
 * `value_and_grad_from_state`, which reuses the value and gradient a line search stored.
 */
import { type DType, lax, type NdArray, valueAndGrad } from '../core/index.js';
import * as np from '../ops/index.js';
import type { ExtraArgs } from './types.js';

/** The objective a line search evaluates: the parameters, then the extra arguments other than value / grad / valueFn. */
export type ValueFn = (params: any, fnArgs: Readonly<Record<string, unknown>>) => NdArray | number;

/** The extra arguments of a line search's `update`, checked. */
export interface LinesearchArgs {
  readonly value: NdArray;
  readonly grad: unknown;
  /** `(params) => valueFn(params, fnArgs)`. */
  readonly objective: (params: unknown) => NdArray | number;
}

const RESERVED = new Set(['value', 'grad', 'valueFn', 'value_fn']);

/**
 * Reads `{ value, grad, valueFn }` (or optax's spelling `value_fn`) from the extra arguments; the
 * other entries go to `valueFn` as its second argument (optax passes them as keyword arguments).
 */
export function linesearchArgs(extra: ExtraArgs | undefined, what: string): LinesearchArgs {
  const e = extra ?? {};
  const fn = e.valueFn ?? e.value_fn;
  if (typeof fn !== 'function') throw new Error(`${what}: update needs the extra arguments { value, grad, valueFn }: call update(grads, state, params, { value, grad, valueFn })`);
  const { value, grad } = e;
  if (typeof value !== 'number' && !(value !== null && typeof value === 'object' && 'dtype' in value)) throw new Error(`${what}: the extra argument value (the loss at params) must be a number or a scalar array, got ${String(value)}`);
  if (grad === undefined || grad === null) throw new Error(`${what}: the extra argument grad (the gradient at params) is missing`);
  const fnArgs = Object.fromEntries(Object.entries(e).filter(([k]) => !RESERVED.has(k)));
  return { value: np.asarray(value as NdArray | number, 'float32'), grad, objective: (p) => (fn as ValueFn)(p, fnArgs) };
}

/** The one entry named `key` in a state tree (optax.tree.get), or undefined; two or more are an error. */
function findInState(state: unknown, key: string): unknown {
  const found: unknown[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || 'dtype' in node) return;
    if (!Array.isArray(node) && key in node) found.push((node as Record<string, unknown>)[key]);
    for (const child of Object.values(node)) visit(child);
  };
  visit(state);
  if (found.length > 1) throw new Error(`valueAndGradFromState: the state holds ${found.length} entries named ${key}; expected one`);
  return found[0];
}

/**
 * optax's `value_and_grad_from_state`: like `valueAndGrad(fn)`, but returns the value and gradient
 * a line search stored in the optimiser state (`scaleByZoomLinesearch`, or
 * `scaleByBacktrackingLinesearch({ storeGrad: true })`) when that value is finite (not at the first
 * step, when it is +inf), and computes them otherwise. `fnArgs` go to `fn` after the parameters.
 * @example const [value, grad] = valueAndGradFromState(f)(params, { state });
 */
export function valueAndGradFromState<P>(fn: (params: P, ...fnArgs: any[]) => NdArray | number): (params: P, opts: { readonly state: unknown }, ...fnArgs: unknown[]) => [NdArray, P] {
  return (params, { state }, ...fnArgs) => {
    const value = findInState(state, 'value');
    const grad = findInState(state, 'grad');
    if (value === undefined || value === null || grad === undefined || grad === null)
      throw new Error('valueAndGradFromState: value or gradient not found in the state (use a line search that stores them, e.g. scaleByBacktrackingLinesearch({ storeGrad: true }))');
    const v = value as NdArray;
    const fresh = () => {
      const [fv, fg] = valueAndGrad(fn)(params, ...fnArgs);
      return [np.asarray(fv, v.dtype as DType), fg];
    };
    return lax.cond(np.isfinite(v), () => [v, grad], fresh) as [NdArray, P];
  };
}
