/**
 * Pytrees: nested plain objects, arrays (and tuples), and instances of registered classes
 * (registry.ts), whose leaves are anything else (arrays, tracers, numbers, strings...).
 * `null` and `undefined` are empty subtrees, as JAX's None.
 *
 * Key order is deterministic and documented: object keys are visited in sorted
 * (code-unit) order, as JAX sorts dict keys; arrays in index order; a registered node's
 * children in the order its flatten function gives. Two objects with the same keys in a
 * different insertion order therefore have the same structure.
 */
import { type NodeType, isPlainObject, nodeTypeOf } from './registry.js';
import { type TreeDef, makeTreeDef } from './treedef.js';

export { type TreeDef, type TreeDefMethods, type TreeDefNode, makeTreeDef, structureKey } from './treedef.js';

/** JAX's is_leaf: a predicate that makes a node a leaf (called before the node is descended into). */
export type IsLeaf = (x: unknown) => boolean;

/** The isLeaf argument of the tree functions: the predicate, or `{ isLeaf }` as JAX's keyword. */
export type IsLeafOption = IsLeaf | { readonly isLeaf?: IsLeaf } | null | undefined;

const LEAF: TreeDef = makeTreeDef({ kind: 'leaf' });

const predicate = (o: IsLeafOption): IsLeaf | undefined => (typeof o === 'function' ? o : (o ?? undefined)?.isLeaf);

/** Whether the last extra argument of map / mapWithPath is `{ isLeaf }` (the options, not a tree). */
const isOptions = (x: unknown): x is { isLeaf?: IsLeaf } =>
  isPlainObject(x) && Object.keys(x).length === 1 && 'isLeaf' in x && (typeof x.isLeaf === 'function' || x.isLeaf === undefined);

/** The trees and the isLeaf option of `...rest` in map(f, tree, ...rest). */
function splitOptions(rest: readonly unknown[]): [unknown[], IsLeaf | undefined] {
  const last = rest[rest.length - 1];
  return isOptions(last) ? [rest.slice(0, -1), last.isLeaf] : [[...rest], undefined];
}

/** A registered node flattened, with the text that decides the equality of its aux data. */
function flattenNode(node: NodeType, x: object) {
  const f = node.flatten(x);
  return { ...f, auxKey: node.auxKey(f.aux) };
}

/** Builds x's structure, pushing its leaves (and, when `ps` is given, their paths) in order. */
function build(x: unknown, leaves: unknown[], isLeaf: IsLeaf | undefined, ps: string[] | null, path: string): TreeDef {
  const leaf = (): TreeDef => {
    leaves.push(x);
    ps?.push(path === '' ? '.' : path);
    return LEAF;
  };
  if (isLeaf?.(x)) return leaf();
  if (x === null || x === undefined) return makeTreeDef({ kind: 'none', value: x });
  const at = (k: string) => (ps ? path + k : '');
  if (Array.isArray(x)) return makeTreeDef({ kind: 'array', children: x.map((c, i) => build(c, leaves, isLeaf, ps, at(`[${i}]`))) });
  if (isPlainObject(x)) {
    const keys = Object.keys(x).sort();
    return makeTreeDef({ kind: 'object', keys, children: keys.map((k) => build(x[k], leaves, isLeaf, ps, at(`.${k}`))) });
  }
  const node = nodeTypeOf(x);
  if (node) {
    const f = flattenNode(node, x as object);
    return makeTreeDef({ kind: 'custom', node, aux: f.aux, auxKey: f.auxKey, keys: f.keys, children: f.children.map((c, i) => build(c, leaves, isLeaf, ps, at(f.keys[i]!))) });
  }
  return leaf();
}

/**
 * Splits a tree into its leaves (in the documented order) and its structure; `isLeaf` makes
 * the nodes it accepts leaves (jax.tree.flatten's is_leaf).
 * @example flatten({b: [1, 2], a: 3}) // [[3, 1, 2], def]
 */
export function flatten<L = unknown>(tree: unknown, isLeaf?: IsLeafOption): [L[], TreeDef] {
  const leaves: unknown[] = [];
  const def = build(tree, leaves, predicate(isLeaf), null, '');
  return [leaves as L[], def];
}

/** The leaves of a tree, in the documented order (`leaves(null)` is `[]`, as JAX's for None). */
export function leaves<L = unknown>(tree: unknown, isLeaf?: IsLeafOption): L[] {
  return flatten<L>(tree, isLeaf)[0];
}

/** The structure of a tree, without its leaves. */
export function structure(tree: unknown, isLeaf?: IsLeafOption): TreeDef {
  return flatten(tree, isLeaf)[1];
}

/** Number of leaves a structure holds. */
export function numLeaves(def: TreeDef): number {
  switch (def.kind) {
    case 'leaf':
      return 1;
    case 'none':
      return 0;
    default:
      return def.children.reduce((n, c) => n + numLeaves(c), 0);
  }
}

/** Number of nodes a structure holds, leaves and empty subtrees included (JAX's `treedef.num_nodes`: `[1, [2]]` has 4). */
export function numNodes(def: TreeDef): number {
  return def.kind === 'leaf' || def.kind === 'none' ? 1 : def.children.reduce((n, c) => n + numNodes(c), 1);
}

/** The structures of a node's children (jax.tree_util.treedef_children); none for a leaf or an empty subtree. */
export function treedefChildren(def: TreeDef): TreeDef[] {
  return def.kind === 'leaf' || def.kind === 'none' ? [] : [...def.children];
}

/** Whether a structure is a single node: a leaf or an empty subtree (jax.tree_util.treedef_is_leaf, true for None too). */
export function treedefIsLeaf(def: TreeDef): boolean {
  return numNodes(def) === 1;
}

/**
 * Whether every element of `xs` is a leaf (jax.tree_util.all_leaves): null, arrays, objects and
 * registered nodes are not; with `isLeaf`, whether flattening the list gives its elements back.
 * @example allLeaves([1, np.ones([2])]) // true
 * @example allLeaves([1, [2]]) // false
 */
export function allLeaves(xs: Iterable<unknown>, isLeaf?: IsLeafOption): boolean {
  const list = [...xs];
  const ls = leaves(list, isLeaf);
  return ls.length === list.length && ls.every((l, i) => Object.is(l, list[i]));
}

/** Rebuilds a tree of the given structure from leaves (the inverse of `flatten`). */
export function unflatten<T = unknown>(def: TreeDef, leafValues: readonly unknown[]): T {
  let i = 0;
  const go = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf':
        if (i >= leafValues.length) throw new Error(`tree.unflatten: structure needs ${numLeaves(def)} leaves, got ${leafValues.length}`);
        return leafValues[i++];
      case 'none':
        return d.value;
      case 'array':
        return d.children.map(go);
      case 'object':
        // fromEntries defines own properties: a `__proto__` key stays a key (assignment would set the prototype).
        return Object.fromEntries(d.keys.map((k, j) => [k, go(d.children[j])]));
      case 'custom':
        return d.node.unflatten(d.aux, d.children.map(go));
    }
  };
  const out = go(def);
  if (i !== leafValues.length) throw new Error(`tree.unflatten: structure needs ${numLeaves(def)} leaves, got ${leafValues.length}`);
  return out as T;
}


function describe(def: TreeDef): string {
  switch (def.kind) {
    case 'leaf':
      return 'a leaf';
    case 'none':
      return String(def.value);
    case 'array':
      return `an array of length ${def.children.length}`;
    case 'object':
      return `an object with keys [${def.keys.join(', ')}]`;
    case 'custom':
      return `a ${def.node.name} node`;
  }
}

const clip = (s: string) => (s.length > 80 ? `${s.slice(0, 77)}...` : s);

/** `describe(a) vs describe(b)`, with the aux data or child counts when both are nodes of one registered class. */
function contrast(a: TreeDef, b: TreeDef): string {
  if (a.kind === 'custom' && b.kind === 'custom' && a.node === b.node) {
    if (a.auxKey !== b.auxKey) return `${describe(a)} with aux data ${clip(a.auxKey)} vs ${describe(b)} with aux data ${clip(b.auxKey)}`;
    return `${describe(a)} with ${a.children.length} children vs ${describe(b)} with ${b.children.length}`;
  }
  return `${describe(a)} vs ${describe(b)}`;
}

/** The first place where two structures differ, as a path such as `.params.w[2]`, or null when equal. */
export function firstMismatch(a: TreeDef, b: TreeDef, path = ''): string | null {
  const here = () => `at ${path === '' ? 'the root' : path}: ${contrast(a, b)}`;
  if (a.kind !== b.kind) return here();
  if (a.kind === 'none' && b.kind === 'none') return a.value === b.value ? null : here();
  if (a.kind === 'array' && b.kind === 'array') {
    if (a.children.length !== b.children.length) return here();
    for (let i = 0; i < a.children.length; i++) {
      const m = firstMismatch(a.children[i], b.children[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (a.kind === 'object' && b.kind === 'object') {
    if (a.keys.join('\0') !== b.keys.join('\0')) return here();
    for (let i = 0; i < a.keys.length; i++) {
      const m = firstMismatch(a.children[i], b.children[i], `${path}.${a.keys[i]}`);
      if (m) return m;
    }
    return null;
  }
  if (a.kind === 'custom' && b.kind === 'custom') {
    if (a.node !== b.node || a.auxKey !== b.auxKey || a.children.length !== b.children.length) return here();
    for (let i = 0; i < a.children.length; i++) {
      const m = firstMismatch(a.children[i], b.children[i], `${path}${a.keys[i]}`);
      if (m) return m;
    }
    return null;
  }
  return null;
}

/** Throws an error naming the first path where the structures differ. */
export function assertSameStructure(a: TreeDef, b: TreeDef, what = 'trees'): void {
  const m = firstMismatch(a, b);
  if (m) throw new Error(`${what} have different structures ${m}`);
}

/**
 * The subtrees of `x` at the leaves of `def`, in order (JAX's `treedef.flatten_up_to`): `def`
 * must be a prefix of x's structure (where `def` has a leaf, x may hold a whole subtree, or
 * null). Throws naming the first path where x does not fit.
 * @example flattenUpTo(structure([1, 2]), [{a: 7}, [8]]) // [{a: 7}, [8]]
 */
export function flattenUpTo(def: TreeDef, x: unknown, what = 'tree.flattenUpTo: trees'): unknown[] {
  const out: unknown[] = [];
  const go = (d: TreeDef, v: unknown, path: string): void => {
    const fail = (): never => {
      throw new Error(`${what} have different structures at ${path === '' ? 'the root' : path}: ${contrast(d, structure(v))}`);
    };
    if (d.kind === 'leaf') out.push(v);
    else if (d.kind === 'none') {
      if (v !== null && v !== undefined) fail();
    } else if (d.kind === 'array') {
      if (!Array.isArray(v) || v.length !== d.children.length) fail();
      d.children.forEach((c, i) => go(c, (v as unknown[])[i], `${path}[${i}]`));
    } else if (d.kind === 'object') {
      if (!isPlainObject(v) || Object.keys(v).sort().join('\0') !== d.keys.join('\0')) fail();
      d.keys.forEach((k, i) => go(d.children[i], (v as Record<string, unknown>)[k], `${path}.${k}`));
    } else {
      if (nodeTypeOf(v) !== d.node) fail();
      const f = flattenNode(d.node, v as object);
      if (f.auxKey !== d.auxKey || f.children.length !== d.children.length) fail();
      d.children.forEach((c, i) => go(c, f.children[i], `${path}${d.keys[i]}`));
    }
  };
  go(def, x, '');
  return out;
}

/**
 * Applies `f` leaf-wise over one or more trees. As jax.tree.map, the first tree's structure
 * rules: each other tree must have it as a prefix, and where the first has a leaf, `f` gets
 * the other's whole subtree there (see {@link flattenUpTo}). A last argument `{ isLeaf }` is
 * JAX's is_leaf keyword (applied to the first tree). null is an empty subtree: map over null
 * gives null, and f is never called on it.
 * @example map((x, y) => x + y, {a: 1, b: [2]}, {a: 10, b: [20]}) // {a: 11, b: [22]}
 * @example map((x, y) => [x, y], [1, 2], [[3], null]) // [[1, [3]], [2, null]]
 * @example map((x) => x ?? 0, [1, null], { isLeaf: (x) => x === null }) // [1, 0]
 */
export function map<T = unknown>(f: (...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): T {
  const [others, isLeaf] = splitOptions(rest);
  const [ls, def] = flatten(tree, isLeaf);
  const subtrees = others.map((r) => flattenUpTo(def, r, 'tree.map: trees'));
  return unflatten<T>(def, ls.map((l, i) => f(l, ...subtrees.map((o) => o[i]))));
}

/**
 * Like {@link map}, with each leaf's path (as {@link paths} writes it) as `f`'s first argument
 * (jax.tree_util.tree_map_with_path); a last argument `{ isLeaf }` as in map.
 * @example mapWithPath((p, x) => (p.endsWith('.bias') ? 0 : x), params)
 */
export function mapWithPath<T = unknown>(f: (path: string, ...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): T {
  const [others, isLeaf] = splitOptions(rest);
  const [pairs, def] = flattenWithPath(tree, isLeaf);
  const subtrees = others.map((r) => flattenUpTo(def, r, 'tree.map: trees'));
  return unflatten<T>(def, pairs.map(([p, l], i) => f(p, l, ...subtrees.map((o) => o[i]))));
}
/**
 * The structure of a tuple (a JS array) of the given structures (jax.tree_util.treedef_tuple):
 * `treedefTuple([structure(x), structure(y)])` equals `structure([x, y])`.
 */
export function treedefTuple(defs: Iterable<TreeDef>): TreeDef {
  return makeTreeDef({ kind: 'array', children: [...defs] });
}

/**
 * Turns a tree of structure `outer` whose leaves are trees of structure `inner` into a tree
 * of structure `inner` with `outer` trees at its leaves (jax.tree.transpose); `inner`
 * defaults to the structure of the first inner tree.
 * @example transpose(structure([0, 0]), structure({a: 0, b: 0}), [{a: 1, b: 2}, {a: 3, b: 4}]) // {a: [1, 3], b: [2, 4]}
 */
export function transpose<T = unknown>(outer: TreeDef, inner: TreeDef | null | undefined, tree: unknown): T {
  const subtrees = flattenUpTo(outer, tree, 'tree.transpose: the tree and the outer structure');
  const innerDef = inner ?? structure(subtrees[0]);
  const columns = subtrees.map((sub, i) => {
    const m = firstMismatch(innerDef, structure(sub));
    if (m) throw new Error(`tree.transpose: inner tree ${i} does not have the inner structure: mismatch ${m}`);
    return leaves(sub);
  });
  return unflatten<T>(innerDef, Array.from({ length: numLeaves(innerDef) }, (_, j) => unflatten(outer, columns.map((c) => c[j]))));
}

/**
 * The prefix tree `prefix` broadcast to the structure of `full` (jax.tree.broadcast): each
 * leaf of `prefix` repeated over the leaves of the subtree of `full` it covers. `isLeaf`
 * applies to `prefix`, as JAX's.
 * @example broadcast([1, 2, 3], [0, { a: 0, b: 0 }, [0, 0]]) // [1, { a: 2, b: 2 }, [3, 3]]
 */
export function broadcast<T = unknown>(prefix: unknown, full: T, isLeaf?: IsLeafOption): T {
  const [ls, def] = flatten(prefix, isLeaf);
  const subtrees = flattenUpTo(def, full, 'tree.broadcast: the prefix and the full tree');
  const values = ls.flatMap((l, i) => Array.from({ length: numLeaves(structure(subtrees[i])) }, () => l));
  return unflatten<T>(structure(full), values);
}

/**
 * Each leaf with its path (as {@link paths} writes it), in order, and the structure
 * (jax.tree_util.tree_flatten_with_path); `isLeaf` as in {@link flatten}.
 * @example flattenWithPath({b: [1], a: 2})[0] // [['.a', 2], ['.b[0]', 1]]
 */
export function flattenWithPath<L = unknown>(tree: unknown, isLeaf?: IsLeafOption): [[string, L][], TreeDef] {
  const leaves: unknown[] = [];
  const ps: string[] = [];
  const def = build(tree, leaves, predicate(isLeaf), ps, '');
  return [leaves.map((l, i) => [ps[i]!, l as L]), def];
}

/**
 * Each leaf with its path, in order (jax.tree_util.tree_leaves_with_path). Paths print as
 * jax.tree_util.keystr's, except that object keys print `.key` (JAX's dict keys print
 * `['key']`): `.a[0]`, a registered node's `.field` or `[<flat index 0>]`, `.` for a root leaf.
 * @example leavesWithPath({b: [1], a: 2}) // [['.a', 2], ['.b[0]', 1]]
 */
export function leavesWithPath<L = unknown>(tree: unknown, isLeaf?: IsLeafOption): [string, L][] {
  return flattenWithPath<L>(tree, isLeaf)[0];
}

/** Leaf paths in the documented order, e.g. `['.a', '.b[0]']`. */
export function paths(tree: unknown, isLeaf?: IsLeafOption): string[] {
  return flattenWithPath(tree, isLeaf)[0].map(([p]) => p);
}

/**
 * Expands a prefix tree (e.g. vmap's `inAxes`) to one value per leaf of `full`.
 * A leaf of the prefix applies to the whole subtree under it; `isLeaf` makes the nodes of
 * `full` it accepts leaves.
 */
export function broadcastPrefix<T>(prefix: unknown, full: unknown, what: string, isPrefixLeaf: (x: unknown) => boolean, isLeaf?: IsLeaf): T[] {
  const out: T[] = [];
  const go = (p: unknown, f: unknown, path: string) => {
    if (isPrefixLeaf(p)) {
      for (let i = numLeaves(structure(f, isLeaf)); i > 0; i--) out.push(p as T);
      return;
    }
    if (isLeaf?.(f)) throw new Error(`${what} at ${path || 'the root'}: the prefix descends into a node that isLeaf makes a leaf`);
    // A null (or undefined) that is not a prefix leaf is an empty subtree, as JAX's None: it
    // matches the value's own hole (a prefix built by tree.map over the value keeps its holes).
    if (p === null || p === undefined) {
      if (f !== null && f !== undefined) throw new Error(`${what} at ${path || 'the root'}: got ${String(p)} where the value is not an empty subtree`);
      return;
    }
    if (Array.isArray(p)) {
      if (!Array.isArray(f) || f.length !== p.length)
        throw new Error(`${what} at ${path || 'the root'}: got an array of length ${p.length} where the value is ${Array.isArray(f) ? `an array of length ${f.length}` : 'not an array'}`);
      p.forEach((c, i) => go(c, f[i], `${path}[${i}]`));
      return;
    }
    if (isPlainObject(p)) {
      if (!isPlainObject(f)) throw new Error(`${what} at ${path || 'the root'}: got an object where the value is not one`);
      const keys = Object.keys(f).sort();
      const pk = Object.keys(p).sort();
      if (keys.join('\0') !== pk.join('\0'))
        throw new Error(`${what} at ${path || 'the root'}: keys [${pk.join(', ')}] do not match the value's keys [${keys.join(', ')}]`);
      keys.forEach((k) => go(p[k], f[k], `${path}.${k}`));
      return;
    }
    const node = nodeTypeOf(p);
    if (node) {
      const fp = flattenNode(node, p as object);
      if (nodeTypeOf(f) !== node) throw new Error(`${what} at ${path || 'the root'}: got a ${node.name} node where the value is not one`);
      const ff = flattenNode(node, f as object);
      if (ff.auxKey !== fp.auxKey || ff.children.length !== fp.children.length)
        throw new Error(`${what} at ${path || 'the root'}: ${contrast(structure(p), structure(f))} (the prefix's node vs the value's)`);
      ff.children.forEach((c, i) => go(fp.children[i], c, `${path}${ff.keys[i]}`));
      return;
    }
    throw new Error(`${what} at ${path || 'the root'}: unexpected value ${String(p)}`);
  };
  go(prefix, full, '');
  return out;
}

/**
 * As {@link flattenOneLevel}, each child with its key's text (jax.tree_util.flatten_one_level_with_keys):
 * `flattenOneLevelWithKeys({a: 3, b: [1, 2]})[0]` is `[['.a', 3], ['.b', [1, 2]]]`; a leaf is an
 * error, as JAX's ValueError (it is not a node).
 */
export function flattenOneLevelWithKeys(tree: unknown): [[string, unknown][], TreeDef] {
  const [children, def] = flattenOneLevel(tree);
  if (def.kind === 'leaf') throw new Error(`tree.flattenOneLevelWithKeys: cannot flatten a leaf (${tree === null ? 'null' : typeof tree}); expected a node (object, array or registered class)`);
  const keyText = (i: number): string => (def.kind === 'object' ? `.${def.keys[i]}` : def.kind === 'custom' ? def.keys[i]! : `[${i}]`);
  return [children.map((c, i) => [keyText(i), c]), def];
}

/**
 * The immediate children of a node and its structure with leaves in their places
 * (eqx.tree_flatten_one_level): `flattenOneLevel({a: 3, b: [1, 2]})` is
 * `[[3, [1, 2]], structure({a: 0, b: 0})]`; a leaf gives `[[x], leaf]`. A node that holds
 * itself as a child is an error.
 */
export function flattenOneLevel(tree: unknown): [unknown[], TreeDef] {
  let seen = false;
  return flatten(tree, (x) => {
    if (x !== tree) return true;
    if (seen) throw new Error('tree.flattenOneLevel: the node holds itself as an immediate child (x = []; x.push(x)), which is not a tree');
    seen = true;
    return false;
  });
}
