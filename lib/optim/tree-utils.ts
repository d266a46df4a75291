/**
 * optax's tree arithmetic (`optax.tree_utils`, `tree_utils/_tree_math.py`): leafwise sums,
 * products and scalings of parameter-shaped trees, and reductions of a whole tree to one scalar
 * array (sum, max, min, norms, inner product). Reductions of a tree with no leaves give optax's
 * initial values: 0 for sums and norms, -inf for `treeMax`, +inf for `treeMin`.
 */
import type { NdArray } from '../core/index.js';
import type { DType } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as tree from '../tree/index.js';
import { biasCorrection, type Hyper, oneMinus } from './moments.js';

type Scalar = number | NdArray;

/** Leafwise `x + y + ...others` (optax.tree_utils.tree_add). */
export function treeAdd<T>(x: T, y: T, ...others: T[]): T {
  return tree.map<T>((...ls: NdArray[]) => ls.slice(1).reduce((a, b) => np.add(a, b), ls[0]), x, y, ...others);
}

/** Leafwise `x - y` (tree_sub). */
export const treeSub = <T>(x: T, y: T): T => tree.map<T>((a: NdArray, b: NdArray) => np.sub(a, b), x, y);

/** Leafwise `x * y` (tree_mul). */
export const treeMul = <T>(x: T, y: T): T => tree.map<T>((a: NdArray, b: NdArray) => np.mul(a, b), x, y);

/** Leafwise `x / y` (tree_div). */
export const treeDiv = <T>(x: T, y: T): T => tree.map<T>((a: NdArray, b: NdArray) => np.div(a, b), x, y);

/** `scalar * x` on every leaf (tree_scale; tree_scalar_mul is its old name). */
export const treeScale = <T>(scalar: Scalar, x: T): T => tree.map<T>((a: NdArray) => np.mul(scalar, a), x);

/** Leafwise `x + scalar * y` (tree_add_scale; tree_add_scalar_mul is its old name). */
export const treeAddScale = <T>(x: T, scalar: Scalar, y: T): T => tree.map<T>((a: NdArray, b: NdArray) => np.add(a, np.mul(scalar, b)), x, y);

const reduceLeaves = (t: unknown, f: (x: NdArray) => NdArray, combine: (a: NdArray, b: NdArray) => NdArray, initial: number): NdArray =>
  tree.leaves<NdArray>(t).reduce<NdArray>((acc, x) => combine(acc, f(x)), np.array(initial));

/** The sum of every element of every leaf, a float32 scalar (tree_sum; 0 for no leaves). */
export const treeSum = (t: unknown): NdArray => reduceLeaves(t, (x) => np.sum(x), np.add, 0);

/** The largest element over all leaves (tree_max; empty leaves are skipped, -inf for none). */
export const treeMax = (t: unknown): NdArray => reduceLeaves(t, (x) => (x.size === 0 ? np.array(-Infinity) : np.max(x)), np.maximum, -Infinity);

/** The smallest element over all leaves (tree_min; empty leaves are skipped, +inf for none). */
export const treeMin = (t: unknown): NdArray => reduceLeaves(t, (x) => (x.size === 0 ? np.array(Infinity) : np.min(x)), np.minimum, Infinity);

/** `sum_leaves vdot(x, y)`: the inner product of two trees (tree_vdot). */
export const treeVdot = (x: unknown, y: unknown): NdArray => treeSum(tree.map((a: NdArray, b: NdArray) => np.vdot(a, b), x, y));

/** The number of elements over all leaves, a JS number (tree_size). */
export const treeSize = (t: unknown): number => tree.leaves<NdArray>(t).reduce((n, x) => n + x.size, 0);

/** The norm order `treeNorm` takes: 2 (default), 1, or infinity. */
export type TreeNormOrd = 1 | 2 | 'inf' | 'infinity' | typeof Infinity | null;

/**
 * The norm of the whole tree seen as one flat vector (tree_norm): `ord` 2 (default) the
 * Euclidean norm, 1 the sum of absolute values, `Infinity` / `'inf'` the largest absolute value;
 * `squared` returns its square.
 */
export function treeNorm(t: unknown, ord: TreeNormOrd = null, squared = false): NdArray {
  if (ord === null || ord === 2) {
    const sq = treeSum(tree.map((x: NdArray) => np.square(x), t));
    return squared ? sq : np.sqrt(sq);
  }
  let ret: NdArray;
  if (ord === 1) ret = treeSum(tree.map((x: NdArray) => np.abs(x), t));
  else if (ord === Infinity || ord === 'inf' || ord === 'infinity') ret = treeMax(tree.map((x: NdArray) => np.abs(x), t));
  else throw new Error(`treeNorm: unsupported ord ${String(ord)} (expected 1, 2 or Infinity)`);
  return squared ? np.square(ret) : ret;
}

/** The Euclidean norm of a tree (optax's deprecated tree_l2_norm = tree_norm(ord=2)). */
export const treeL2Norm = (t: unknown, squared = false): NdArray => treeNorm(t, 2, squared);

/** Zeros shaped like every leaf (tree_zeros_like), in `dtype` or the leaf's own. */
export const treeZerosLike = <T>(t: T, dtype?: DType): T => tree.map<T>((x: NdArray) => np.zerosLike(x, dtype), t);

/** Ones shaped like every leaf (tree_ones_like). */
export const treeOnesLike = <T>(t: T, dtype?: DType): T => tree.map<T>((x: NdArray) => np.onesLike(x, dtype), t);

/** `fillValue` shaped like every leaf (tree_full_like); an array value is broadcast to each leaf. */
export function treeFullLike<T>(t: T, fillValue: Scalar, dtype?: DType): T {
  return tree.map<T>((x: NdArray) => {
    const zeros = np.zerosLike(x, dtype);
    return np.add(zeros, np.cast(typeof fillValue === 'number' ? np.array(fillValue) : fillValue, zeros.dtype as DType));
  }, t);
}

/** `where(condition, x, y)` on every pair of leaves (tree_where; `condition` a bool scalar or a broadcastable array). */
export const treeWhere = <T>(condition: NdArray | boolean, x: T, y: T): T =>
  tree.map<T>((a: NdArray, b: NdArray) => np.where(typeof condition === 'boolean' ? np.array(condition, 'bool') : condition, a, b), x, y);

/** Every leaf clipped to `[minValue, maxValue]` (tree_clip; either bound may be absent). */
export const treeClip = <T>(t: T, minValue?: Scalar | null, maxValue?: Scalar | null): T => tree.map<T>((x: NdArray) => np.clip(x, minValue ?? null, maxValue ?? null), t);

/** Whether every pair of leaves is close, a bool scalar array (tree_allclose: numpy's `allclose` rule per leaf). */
export function treeAllclose(a: unknown, b: unknown, opts: { rtol?: number; atol?: number; equalNan?: boolean } = {}): NdArray {
  const oks = tree.leaves<NdArray>(tree.map((x: NdArray, y: NdArray) => np.allclose(x, y, opts), a, b));
  return oks.reduce<NdArray>((acc, ok) => np.logicalAnd(acc, ok), np.array(true, 'bool'));
}

/** `(1 - decay) g^order + decay m` leafwise (tree_update_moment; any real `order`). */
export function treeUpdateMoment<T>(updates: T, moments: T, decay: Hyper, order: number): T {
  const w = oneMinus(decay);
  return tree.map<T>((g: NdArray, m: NdArray) => np.add(np.mul(w, order === 1 ? g : np.pow(g, order)), np.mul(decay, m)), updates, moments);
}

/** Real leaves: the same as {@link treeUpdateMoment} (tree_update_moment_per_elem_norm; tfjax has no complex arrays). */
export const treeUpdateMomentPerElemNorm = treeUpdateMoment;

/** `max(|g| + eps, decay m)` leafwise (tree_update_infinity_moment). */
export function treeUpdateInfinityMoment<T>(updates: T, moments: T, decay: Hyper, eps: Hyper): T {
  return tree.map<T>((g: NdArray, m: NdArray) => np.maximum(np.add(np.abs(g), eps), np.mul(decay, m)), updates, moments);
}

/** `m / (1 - decay^count)` leafwise (tree_bias_correction), `count` an int32 scalar array or a number. */
export function treeBiasCorrection<T>(moment: T, decay: Hyper, count: NdArray | number): T {
  return biasCorrection(moment, decay, typeof count === 'number' ? np.array(count, 'int32') : count);
}

/** optax's deprecated `tree_l1_norm`: `treeNorm(t, 1)`. */
export const treeL1Norm = (t: unknown): NdArray => treeNorm(t, 1);

/** optax's deprecated `tree_linf_norm`: `treeNorm(t, 'inf')`. */
export const treeLinfNorm = (t: unknown): NdArray => treeNorm(t, 'inf');

/** Every leaf broadcast to `[...shape, ...leaf.shape]`: leading batch axes added (tree_batch_shape). */
export const treeBatchShape = <T>(t: T, shape: readonly number[] = []): T => tree.map<T>((x: NdArray) => np.broadcastTo(x, [...shape, ...x.shape]), t);

/** Every leaf cast to `dtype`; the tree itself when `dtype` is null or absent (tree_cast). */
export const treeCast = <T>(t: T, dtype?: DType | null): T => (dtype == null ? t : tree.map<T>((x: NdArray) => np.cast(x, dtype), t));

/** Every leaf of `t` cast to the dtype of the matching leaf of `other` (tree_cast_like). */
export const treeCastLike = <T>(t: T, other: unknown): T => tree.map<T>((x: NdArray, o: NdArray) => np.cast(x, o.dtype as DType), t, other);

/**
 * The dtype of the tree's leaves (tree_dtype): with no `mixedDtypeHandler` every leaf must have
 * the same one (an error names the first that differs); `'promote'` gives their promoted dtype,
 * `'highest'` / `'lowest'` the one every other promotes to / from. A tree with no leaves is float32.
 */
export function treeDtype(t: unknown, mixedDtypeHandler: 'promote' | 'highest' | 'lowest' | null = null): DType {
  const dtypes = tree.leaves<NdArray>(t).map((x) => x.dtype as DType);
  if (dtypes.length === 0) return 'float32';
  if (mixedDtypeHandler === null) {
    const odd = dtypes.findIndex((d) => d !== dtypes[0]);
    if (odd >= 0) throw new Error(`treeDtype: expected dtype ${dtypes[0]} for every leaf, leaf ${odd} is ${dtypes[odd]} (pass mixedDtypeHandler 'promote', 'highest' or 'lowest')`);
    return dtypes[0];
  }
  if (mixedDtypeHandler === 'promote') return dtypes.reduce((a, b) => np.promoteTypes(a, b));
  const lower = (a: DType, b: DType): DType => {
    const p = np.promoteTypes(a, b);
    if (p !== a && p !== b) throw new Error(`treeDtype: cannot order dtypes ${a} and ${b}: neither promotes to the other`);
    return p === a ? b : a;
  };
  if (mixedDtypeHandler === 'lowest') return dtypes.reduce(lower);
  if (mixedDtypeHandler === 'highest') return dtypes.reduce((a, b) => (lower(a, b) === a ? b : a));
  throw new Error(`treeDtype: mixedDtypeHandler must be null, 'promote', 'highest' or 'lowest', got ${String(mixedDtypeHandler)}`);
}

/** The real part of every leaf (tree_real): tfjax arrays are real, so the tree itself. */
export const treeReal = <T>(t: T): T => t;

/** The complex conjugate of every leaf (tree_conj): tfjax arrays are real, so the tree itself. */
export const treeConj = <T>(t: T): T => t;

/** One key per leaf, split from `key` in leaf order, in the tree's structure (tree_split_key_like). */
export function treeSplitKeyLike<T>(key: random.Key, t: T): T {
  const [leaves, def] = tree.flatten(t);
  return tree.unflatten<T>(def, leaves.length === 0 ? [] : random.split(key, leaves.length));
}

/** A sampler for {@link treeRandomLike}: `(key, shape, dtype) -> array` (random.normal's shape). */
export type TreeSampler = (key: random.Key, shape: readonly number[], dtype: DType) => NdArray;

/**
 * A tree shaped like `target` whose leaves are `sampler(key_i, shape, dtype)` with one split key
 * per leaf (tree_random_like; default sampler `random.normal`, dtype the leaf's own by default).
 */
export function treeRandomLike<T>(key: random.Key, target: T, sampler: TreeSampler = (k, shape, dtype) => np.cast(random.normal(k, [...shape]), dtype), dtype?: DType): T {
  return tree.map<T>((k: random.Key, x: NdArray) => sampler(k, x.shape, dtype ?? (x.dtype as DType)), treeSplitKeyLike(key, target), target);
}

/** A path in a state tree: the object keys and array indices down to a value. */
export type KeyPath = readonly (string | number)[];

const isContainer = (x: unknown): x is Record<string, unknown> | unknown[] =>
  Array.isArray(x) || (typeof x === 'object' && x !== null && [Object.prototype, null].includes(Object.getPrototypeOf(x)));

const childrenOf = (x: Record<string, unknown> | unknown[]): [string | number, unknown][] => (Array.isArray(x) ? x.map((v, i) => [i, v]) : Object.entries(x));

/**
 * Every `[path, value]` whose last key is `key`, searching nested objects and arrays (states of
 * chains included) depth first (tree_get_all_with_path); `filtering(path, value)` keeps some.
 */
export function treeGetAllWithPath(t: unknown, key: string, filtering?: (path: KeyPath, value: unknown) => boolean): [KeyPath, unknown][] {
  const found: [KeyPath, unknown][] = [];
  const walk = (node: unknown, path: KeyPath) => {
    if (!isContainer(node)) return;
    for (const [k, v] of childrenOf(node)) {
      if (k === key && (!filtering || filtering([...path, k], v))) found.push([[...path, k], v]);
      walk(v, [...path, k]);
    }
  };
  walk(t, []);
  return found;
}

/**
 * The value of the field `key` of a state (tree_get), e.g. `treeGet(adamState, 'count')`:
 * `defaultValue` when there is none, an error when there are several (narrow them with `filtering`).
 */
export function treeGet(t: unknown, key: string, defaultValue?: unknown, filtering?: (path: KeyPath, value: unknown) => boolean): unknown {
  const found = treeGetAllWithPath(t, key, filtering);
  if (found.length > 1) throw new Error(`treeGet: found ${found.length} values for '${key}' (at ${found.map(([p]) => p.join('.')).join(', ')})`);
  return found.length ? found[0][1] : defaultValue;
}

/**
 * A copy of the state with the fields named in `values` replaced wherever they occur (tree_set),
 * e.g. `treeSet(state, { learningRate: np.array(0.1) })`; each name must occur at least once
 * (among the values `filtering` keeps). The input is not modified.
 */
export function treeSet<T>(t: T, values: Readonly<Record<string, unknown>>, filtering?: (path: KeyPath, value: unknown) => boolean): T {
  for (const k of Object.keys(values))
    if (treeGetAllWithPath(t, k, filtering).length === 0) throw new Error(`treeSet: found no values matching '${k}'${filtering ? ' given the filtering' : ''}`);
  const replace = (node: unknown, path: KeyPath): unknown => {
    if (!isContainer(node)) return node;
    const entries = childrenOf(node).map(([k, v]): [string | number, unknown] => {
      const p = [...path, k];
      return typeof k === 'string' && Object.hasOwn(values, k) && (!filtering || filtering(p, v)) ? [k, values[k]] : [k, replace(v, p)];
    });
    return Array.isArray(node) ? entries.map(([, v]) => v) : Object.fromEntries(entries);
  };
  return replace(t, []) as T;
}

export { treeScale as treeScalarMul, treeAddScale as treeAddScalarMul };

export { type TreeMapParamsOptions, treeMapParams } from './tree-map-params.js';
