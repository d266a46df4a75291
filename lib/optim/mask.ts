/**
 * Masks: which parameters a transformation applies to. A mask is a tree of booleans with the
 * parameters' structure (or a prefix of it: `{ encoder: true, head: false }` covers whole
 * subtrees), or a function from the parameter tree to such a tree. `true` means "apply".
 */
import type { NdArray } from '../core/index.js';
import * as tree from '../tree/index.js';

/** A tree of booleans (or numbers, 0 meaning false, as Python's truth in optax) shaped like the parameters, or a prefix of that structure. */
export type MaskTree = unknown;

/** A {@link MaskTree}, or a function computing one from the parameters (e.g. {@link maskNoDecayOnBiasAndNorm}). */
export type Mask = MaskTree | ((params: any) => MaskTree);

/**
 * One boolean per leaf of `params` (in tree order), or `null` when there is no mask (apply
 * everywhere). Errors name the first path where the mask does not fit.
 */
export function resolveMask(mask: Mask | undefined, params: unknown, what: string): boolean[] | null {
  if (mask === undefined || mask === null) return null;
  const m = typeof mask === 'function' ? (mask as (p: unknown) => MaskTree)(params) : mask;
  // optax tests each mask leaf's truth (`p if m else MaskedNode()`): 0/1 masks work, any non-zero number is true.
  const flags = tree.broadcastPrefix<boolean | number>(m, params, `${what}: mask`, (x) => typeof x === 'boolean' || typeof x === 'number');
  return flags.map((f) => f !== false && f !== 0);
}

/**
 * Maps `f(leaf, ...others)` over the leaves where the mask is true and `keep(leaf)` elsewhere;
 * all trees must have the structure of `first`.
 */
export function mapMasked<U>(
  mask: readonly boolean[] | null,
  f: (x: NdArray, ...others: NdArray[]) => NdArray,
  first: U,
  ...rest: unknown[]
): U {
  let i = 0;
  return tree.map<U>((x: NdArray, ...others: NdArray[]) => (mask === null || mask[i++] ? f(x, ...others) : x), first, ...rest);
}

const NORM_SEGMENT = /norm|^(bn|ln|gn)(\d+|_\w+)?$/i;
const BIAS_NAMES = new Set(['bias', 'b', 'beta']);

/**
 * The usual weight-decay mask: `false` (no decay) for biases and normalisation parameters,
 * `true` for the rest. A leaf gets no decay when
 * - its rank is 0 or 1 (biases, BatchNorm/LayerNorm scales and shifts, scalars), or
 * - its last key is `bias`, `b` or `beta`, or
 * - a key on its path names a normalisation layer: contains `norm` (`batchNorm`, `norm1`,
 *   `layernorm`), or is `bn`, `bn1`, `ln`, `ln_f`, `gn`, ...
 * Pass it as the `mask` of `addDecayedWeights`, `adamw`, `sgd({weightDecayMask})`, `lars`.
 * @example adamw({ learningRate: 1e-3, weightDecay: 0.05, mask: maskNoDecayOnBiasAndNorm })
 */
export function maskNoDecayOnBiasAndNorm<P>(params: P): MaskTree {
  const [leaves, def] = tree.flatten<NdArray>(params);
  const ps = tree.paths(params);
  const flags = leaves.map((leaf, i) => {
    const rank = (leaf as { shape?: readonly number[] }).shape?.length ?? 0;
    if (rank <= 1) return false;
    const keys = ps[i].split(/[.[\]]+/).filter((k) => k !== '');
    if (keys.length && BIAS_NAMES.has(keys[keys.length - 1])) return false;
    if (keys.some((k) => NORM_SEGMENT.test(k))) return false;
    return true;
  });
  return tree.unflatten(def, flags);
}
