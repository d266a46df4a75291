/**
 * optax's `tree_map_params` (`tree_utils/_state_utils.py`): maps a function over every copy of
 * the parameter tree inside an optimiser state (moments, traces, initial parameters), found by
 * running `init` on a placeholder: the parts of the state `init` builds from the parameters hold
 * the placeholder, the others (counts, scalars) do not.
 */
import { scope } from '../core/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';

/** optax's `_ParamsPlaceholder`: a pytree node with no children, so `tree.map` over it gives another. */
class ParamsPlaceholder {}
tree.registerPytreeNode(ParamsPlaceholder, () => [[], null], () => new ParamsPlaceholder());

const isPlaceholder = (x: unknown): boolean => x instanceof ParamsPlaceholder;

export interface TreeMapParamsOptions {
  /** Called on every part of the state not built from the parameters (default: kept as is). */
  readonly transformNonParams?: (value: unknown) => unknown;
  /** Passed to the `tree.map` over each parameter copy (JAX's `is_leaf`). */
  readonly isLeaf?: (x: unknown) => boolean;
}

const OPTION_KEYS = ['transformNonParams', 'isLeaf'];
const isOptions = (x: unknown): x is TreeMapParamsOptions =>
  tree.isPlainObject(x) &&
  Object.keys(x).length > 0 &&
  Object.entries(x).every(([k, v]) => OPTION_KEYS.includes(k) && (typeof v === 'function' || v === undefined));

/**
 * optax.tree_map_params: `f(copy, ...rest)` leafwise over every parameter-shaped part of `state`
 * (`rest`: trees shaped like the parameters); a last argument `{ transformNonParams, isLeaf }`
 * holds optax's keyword options. `initable` is the optimiser, or its `init` function.
 * @example const specs = optim.treeMapParams(opt, (_, spec) => spec, state, paramSpecs, { transformNonParams: () => null });
 */
export function treeMapParams(initable: Pick<GradientTransformation, 'init'> | ((params: unknown) => unknown), f: (...leaves: any[]) => unknown, state: unknown, ...restAndOptions: unknown[]): unknown {
  const last = restAndOptions[restAndOptions.length - 1];
  const { transformNonParams, isLeaf }: TreeMapParamsOptions = isOptions(last) ? last : {};
  const rest = isOptions(last) ? restAndOptions.slice(0, -1) : restAndOptions;
  const init = typeof initable === 'function' ? initable : initable?.init?.bind(initable);
  if (typeof init !== 'function') throw new Error(`treeMapParams: initable must be an optimiser or its init function, got ${initable === null ? 'null' : typeof initable}`);
  // The placeholder state's arrays (counts) are only compared with: freed on return.
  const withPlaceholders = scope(() => {
    const s = init(new ParamsPlaceholder());
    return tree.map((x: unknown) => (isPlaceholder(x) ? x : null), s, { isLeaf: isPlaceholder });
  });
  const mapOne = (marker: unknown, value: unknown) => {
    if (isPlaceholder(marker)) return isLeaf ? tree.map(f, value, ...rest, { isLeaf }) : tree.map(f, value, ...rest);
    return transformNonParams ? transformNonParams(value) : value;
  };
  return tree.map(mapOne, withPlaceholders, state, { isLeaf: (x: unknown) => isPlaceholder(x) || x === null });
}
