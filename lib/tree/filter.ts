/**
 * Equinox's filtering of pytrees: select leaves by a spec, split a tree into two with `null`
 * holes (partition) and merge them back (combine), and replace one part of a tree (treeAt).
 * `null` is an empty subtree here, so a partitioned half is itself a pytree that grad, vmap,
 * jit and the optimisers take as it is: differentiate the trainable half, close over the rest.
 */
import { type IsLeaf, broadcastPrefix, flatten, structureKey, unflatten } from './pytree.js';
import { isPlainObject, nodeTypeOf } from './registry.js';

/**
 * A tensor or a tracer, told by its shape and dtype: the tree layer sits below the core (whose
 * transformations flatten trees) and cannot import its Tracer class.
 */
const isTfjaxArray = (x: unknown): x is { readonly shape: number[]; readonly dtype: string } =>
  typeof x === 'object' && x !== null && !Array.isArray(x) && !isPlainObject(x) && Array.isArray((x as { shape?: unknown }).shape) && typeof (x as { dtype?: unknown }).dtype === 'string';

/** Whether x is an array: a tensor, or a traced array under grad / vmap / jit (eqx.is_array). */
export const isArray = (x: unknown): boolean => isTfjaxArray(x);

/** Whether x is an array of a floating dtype (eqx.is_inexact_array): what `grad` differentiates. */
export const isInexactArray = (x: unknown): boolean => isTfjaxArray(x) && x.dtype === 'float32';

/** Whether x is an array or a value that converts to one: a number, a boolean, a typed array (eqx.is_array_like). */
export const isArrayLike = (x: unknown): boolean =>
  isTfjaxArray(x) || typeof x === 'number' || typeof x === 'boolean' || (ArrayBuffer.isView(x) && !(x instanceof DataView));

/**
 * Whether x is a floating array, or a number that converts to one (eqx.is_inexact_array_like):
 * as in tfjax's promotion rules, a non-integral number (NaN and infinities included) is a weak
 * float and an integral one a weak int; a Float32Array / Float64Array counts too.
 */
export const isInexactArrayLike = (x: unknown): boolean =>
  isInexactArray(x) || (typeof x === 'number' && !Number.isInteger(x)) || x instanceof Float32Array || x instanceof Float64Array;

/** Whether a leaf is selected: true/false for a whole subtree, or a predicate of each leaf. */
export type FilterSpec = boolean | ((leaf: unknown) => boolean);

const isSpecLeaf = (x: unknown) => typeof x === 'boolean' || typeof x === 'function';

/** Options of filter / partition: Equinox's `replace` and `is_leaf`. */
export interface FilterOptions {
  /** What takes the place of a leaf that is not kept (default null: an empty subtree). */
  readonly replace?: unknown;
  /** Makes the nodes it accepts leaves: a filter function sees them whole, and they are kept or replaced whole. */
  readonly isLeaf?: IsLeaf;
}

/** One boolean per leaf of `t` (isLeaf's nodes counting as leaves), from a spec that is a prefix of `t` (a FilterSpec at each of its leaves). */
function selection(t: unknown, spec: unknown, what: string, isLeaf: IsLeaf | undefined): boolean[] {
  const [leaves] = flatten(t, isLeaf);
  const specs = broadcastPrefix<FilterSpec>(spec, t, `${what}: filter spec`, isSpecLeaf, isLeaf);
  return leaves.map((leaf, i) => {
    const s = specs[i];
    const keep = typeof s === 'function' ? s(leaf) : s;
    if (typeof keep !== 'boolean') throw new Error(`${what}: a filter function returned ${String(keep)} for a leaf, not a boolean`);
    return keep;
  });
}

/**
 * The tree with the leaves the spec rejects replaced by `replace` (default null: removed).
 * `inverse` keeps the rejected ones instead (eqx.filter); `isLeaf` as in {@link FilterOptions}.
 * @example tree.filter(params, (x) => x instanceof tf.Tensor && x.dtype === 'float32')
 */
export function filter<T>(t: T, spec: unknown, { inverse = false, replace = null, isLeaf }: FilterOptions & { inverse?: boolean } = {}): T {
  const [leaves, def] = flatten(t, isLeaf);
  const keep = selection(t, spec, 'tree.filter', isLeaf);
  return unflatten<T>(def, leaves.map((leaf, i) => (keep[i] !== inverse ? leaf : replace)));
}

/**
 * Splits a tree into the leaves the spec selects and the rest, each with `replace` (default
 * null) where the other has its leaves (eqx.partition); `combine` undoes it.
 * @example
 * const [trainable, frozen] = tree.partition(params, { backbone: false, head: true });
 * const g = grad((tr) => loss(tree.combine(tr, frozen)))(trainable);
 */
export function partition<T>(t: T, spec: unknown, { replace = null, isLeaf }: FilterOptions = {}): [T, T] {
  const [leaves, def] = flatten(t, isLeaf);
  const keep = selection(t, spec, 'tree.partition', isLeaf);
  return [unflatten<T>(def, leaves.map((l, i) => (keep[i] ? l : replace))), unflatten<T>(def, leaves.map((l, i) => (keep[i] ? replace : l)))];
}

const isHole = (x: unknown) => x === null || x === undefined;

/** Whether the last argument of combine is its options (`{ isLeaf }`), not a tree. */
const isCombineOptions = (x: unknown): x is { isLeaf: IsLeaf } => isPlainObject(x) && Object.keys(x).length === 1 && typeof x.isLeaf === 'function';

/**
 * Merges trees of one structure whose leaves may be null: each place takes the first tree's
 * non-null value there (eqx.combine). A last argument `{ isLeaf }` makes the nodes it accepts
 * leaves, taken whole (as Equinox's is_leaf).
 */
export function combine<T>(...args: (T | { isLeaf: IsLeaf })[]): T {
  const last = args[args.length - 1];
  const isLeaf = isCombineOptions(last) ? last.isLeaf : undefined;
  const trees = (isLeaf ? args.slice(0, -1) : args) as T[];
  if (trees.length === 0) throw new Error('tree.combine: no trees given');
  const stop = (x: unknown) => isHole(x) || (isLeaf?.(x) ?? false);
  const [first, def] = flatten(trees[0], stop);
  const rest = trees.slice(1).map((t, k) => {
    const [ls, d] = flatten(t, stop);
    if (ls.length !== first.length || structureKey(d) !== structureKey(def))
      throw new Error(`tree.combine: tree ${k + 1} does not have tree 0's structure (the trees must come from one partition)`);
    return ls;
  });
  return unflatten<T>(def, first.map((v, i) => [v, ...rest.map((ls) => ls[i])].find((x) => !isHole(x)) ?? null));
}

type Path = readonly (string | number)[];

/** A registered node rebuilt with `f` applied to each of its children. */
function mapNode(node: object, f: (child: unknown, i: number) => unknown): unknown {
  const type = nodeTypeOf(node)!;
  const { aux, children } = type.flatten(node);
  return type.unflatten(aux, children.map(f));
}

/** Options of treeAt: exactly one of `replace` and `replaceFn`, and Equinox's `is_leaf`. */
export interface TreeAtOptions {
  /** The new node, or one per picked node when `where` returns an array of nodes. */
  readonly replace?: unknown;
  /** Computes each new node from the old one. */
  readonly replaceFn?: (old: any) => unknown;
  /** Makes the nodes it accepts leaves: they can be picked whole (`(x) => x === null` to replace a null), not navigated into. */
  readonly isLeaf?: IsLeaf;
}

/**
 * A copy of `t` with the nodes `where` picks replaced (eqx.tree_at). `where` is called on a
 * stand-in of `t` with the same containers, so it can only navigate (`(p) => p.head.w`, or an
 * array of such nodes); `replace` gives the new node (one per picked node when `where` returns
 * an array), or use `replaceFn` to compute it from the old one. A `null` (an empty subtree)
 * is not a node, as Equinox's None: pick it with `isLeaf: (x) => x === null`. Picking one node
 * twice is an error.
 * @example tree.treeAt((p) => p.head.w, params, { replace: newW })
 * @example tree.treeAt((p) => [p.bn.mean, p.bn.var], state, { replaceFn: (x) => np.zerosLike(x) })
 */
export function treeAt<T>(where: (t: T) => unknown, t: T, options: TreeAtOptions): T {
  const { replace, replaceFn, isLeaf } = options;
  if ('replace' in options && replaceFn !== undefined) throw new Error('tree.treeAt: give either replace or replaceFn, not both');
  if (!('replace' in options) && replaceFn === undefined) throw new Error('tree.treeAt: give replace or replaceFn');
  const pathOf = new Map<unknown, Path>();
  const standIn = (node: unknown, path: Path): unknown => {
    let s: unknown;
    if (isLeaf?.(node)) s = Object.freeze({ treeAtNode: path.join('.') });
    // An empty subtree is not a node (Equinox's None): it stays as it is, and cannot be picked.
    else if (node === null || node === undefined) return node;
    else if (Array.isArray(node)) s = node.map((c, i) => standIn(c, [...path, i]));
    else if (isPlainObject(node)) s = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, standIn(v, [...path, k])]));
    // A registered node's stand-in is an instance of its class (as Equinox's for a Module), its children at their indices.
    else if (nodeTypeOf(node)) s = mapNode(node as object, (c, i) => standIn(c, [...path, i]));
    else s = Object.freeze({ treeAtNode: path.join('.') });
    pathOf.set(s, path);
    return s;
  };
  const root = standIn(t, []);
  const picked = where(root as T);
  const many = Array.isArray(picked) && !pathOf.has(picked);
  const nodes = many ? (picked as unknown[]) : [picked];
  const paths = nodes.map((n) => {
    const p = pathOf.get(n);
    if (p) return p;
    if (n === null) throw new Error('tree.treeAt: `where` picked null, an empty subtree, not a node; to replace it pass isLeaf: (x) => x === null');
    if (n === undefined) throw new Error('tree.treeAt: `where` returned undefined: an empty subtree (pass isLeaf: (x) => x === undefined to replace it), or a path through a leaf');
    throw new Error('tree.treeAt: `where` must return nodes of the tree it is given (e.g. (p) => p.head.w), not values computed from them');
  });
  if (new Set(nodes).size !== nodes.length) throw new Error('tree.treeAt: `where` picked one node more than once');
  if (replaceFn === undefined && many && (!Array.isArray(replace) || replace.length !== nodes.length))
    throw new Error(`tree.treeAt: \`where\` picked ${nodes.length} nodes; give as many replacements in an array, or a replaceFn`);
  const newValue = (k: number, old: unknown) => (replaceFn ? replaceFn(old) : many ? (replace as unknown[])[k] : replace);
  const rebuild = (node: unknown, path: Path): unknown => {
    const k = paths.findIndex((p) => p.length === path.length && p.every((x, i) => x === path[i]));
    if (k >= 0) return newValue(k, node);
    if (isLeaf?.(node)) return node;
    if (Array.isArray(node)) return node.map((c, i) => rebuild(c, [...path, i]));
    if (isPlainObject(node)) return Object.fromEntries(Object.entries(node).map(([key, v]) => [key, rebuild(v, [...path, key])]));
    return nodeTypeOf(node) ? mapNode(node as object, (c, i) => rebuild(c, [...path, i])) : node;
  };
  return rebuild(t, []) as T;
}
