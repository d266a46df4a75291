/**
 * Pytrees: nested plain objects, arrays (and tuples) whose leaves are anything else
 * (arrays, tracers, numbers, strings...). `null` and `undefined` are empty subtrees.
 *
 * Key order is deterministic and documented: object keys are visited in sorted
 * (code-unit) order, as JAX sorts dict keys; arrays in index order. Two objects with
 * the same keys in a different insertion order therefore have the same structure.
 */

export type TreeDef =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none'; readonly value: null | undefined }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

const LEAF: TreeDef = { kind: 'leaf' };

/** A plain object (`{...}` or `Object.create(null)`), as opposed to a class instance. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function build(x: unknown, leaves: unknown[], isLeaf?: (x: unknown) => boolean): TreeDef {
  if (isLeaf?.(x)) {
    leaves.push(x);
    return LEAF;
  }
  if (x === null || x === undefined) return { kind: 'none', value: x };
  if (Array.isArray(x)) return { kind: 'array', children: x.map((c) => build(c, leaves, isLeaf)) };
  if (isPlainObject(x)) {
    const keys = Object.keys(x).sort();
    return { kind: 'object', keys, children: keys.map((k) => build(x[k], leaves, isLeaf)) };
  }
  leaves.push(x);
  return LEAF;
}

/**
 * Splits a tree into its leaves (in the documented order) and its structure.
 * @example flatten({b: [1, 2], a: 3}) // [[3, 1, 2], def]
 */
export function flatten<L = unknown>(tree: unknown, isLeaf?: (x: unknown) => boolean): [L[], TreeDef] {
  const leaves: unknown[] = [];
  const def = build(tree, leaves, isLeaf);
  return [leaves as L[], def];
}

/** The leaves of a tree, in the documented order. */
export function leaves<L = unknown>(tree: unknown, isLeaf?: (x: unknown) => boolean): L[] {
  return flatten<L>(tree, isLeaf)[0];
}

/** The structure of a tree, without its leaves. */
export function structure(tree: unknown, isLeaf?: (x: unknown) => boolean): TreeDef {
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
    }
  };
  const out = go(def);
  if (i !== leafValues.length) throw new Error(`tree.unflatten: structure needs ${numLeaves(def)} leaves, got ${leafValues.length}`);
  return out as T;
}

/** A short, canonical text of a structure: equal structures give equal strings. */
export function structureKey(def: TreeDef): string {
  switch (def.kind) {
    case 'leaf':
      return '*';
    case 'none':
      return def.value === null ? 'null' : 'undef';
    case 'array':
      return `[${def.children.map(structureKey).join(',')}]`;
    case 'object':
      return `{${def.keys.map((k, j) => `${JSON.stringify(k)}:${structureKey(def.children[j])}`).join(',')}}`;
  }
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
  }
}

/** The first place where two structures differ, as a path such as `.params.w[2]`, or null when equal. */
export function firstMismatch(a: TreeDef, b: TreeDef, path = ''): string | null {
  const here = () => `at ${path === '' ? 'the root' : path}: ${describe(a)} vs ${describe(b)}`;
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
      throw new Error(`${what} have different structures at ${path === '' ? 'the root' : path}: ${describe(d)} vs ${describe(structure(v))}`);
    };
    if (d.kind === 'leaf') out.push(v);
    else if (d.kind === 'none') {
      if (v !== null && v !== undefined) fail();
    } else if (d.kind === 'array') {
      if (!Array.isArray(v) || v.length !== d.children.length) fail();
      d.children.forEach((c, i) => go(c, (v as unknown[])[i], `${path}[${i}]`));
    } else {
      if (!isPlainObject(v) || Object.keys(v).sort().join('\0') !== d.keys.join('\0')) fail();
      d.keys.forEach((k, i) => go(d.children[i], (v as Record<string, unknown>)[k], `${path}.${k}`));
    }
  };
  go(def, x, '');
  return out;
}

/**
 * Applies `f` leaf-wise over one or more trees. As jax.tree.map, the first tree's structure
 * rules: each other tree must have it as a prefix, and where the first has a leaf, `f` gets
 * the other's whole subtree there (see {@link flattenUpTo}).
 * @example map((x, y) => x + y, {a: 1, b: [2]}, {a: 10, b: [20]}) // {a: 11, b: [22]}
 * @example map((x, y) => [x, y], [1, 2], [[3], null]) // [[1, [3]], [2, null]]
 */
export function map<T = unknown>(f: (...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): T {
  const [ls, def] = flatten(tree);
  const others = rest.map((r) => flattenUpTo(def, r, 'tree.map: trees'));
  return unflatten<T>(def, ls.map((l, i) => f(l, ...others.map((o) => o[i]))));
}

/**
 * Like {@link map}, with each leaf's path (as {@link paths} writes it) as `f`'s first argument
 * (jax.tree_util.tree_map_with_path).
 * @example mapWithPath((p, x) => (p.endsWith('.bias') ? 0 : x), params)
 */
export function mapWithPath<T = unknown>(f: (path: string, ...leaves: any[]) => unknown, tree: unknown, ...rest: unknown[]): T {
  const ps = paths(tree);
  let i = 0;
  return map<T>((...leaves: unknown[]) => f(ps[i++]!, ...leaves), tree, ...rest);
}

/**
 * Folds `f` over the leaves in order, from `initial`, or without it from the first leaf
 * (jax.tree.reduce, whose initializer is optional).
 * @example reduce((n, x) => n + x.size, params, 0) // the number of parameters
 * @example reduce((a, b) => a + b, [1, [2, 3]]) // 6
 */
export function reduce<A>(f: (acc: A, leaf: any) => A, tree: unknown, initial: A): A;
export function reduce<A = any>(f: (acc: A, leaf: any) => A, tree: unknown): A;
export function reduce<A>(f: (acc: A, leaf: any) => A, tree: unknown, ...initial: [] | [A]): A {
  const ls = leaves<A>(tree);
  if (initial.length === 1) return ls.reduce<A>(f, initial[0]);
  if (ls.length === 0) throw new Error('tree.reduce: the tree has no leaves and no initial value was given');
  return ls.reduce(f);
}

/**
 * Whether every leaf is truthy (jax.tree.all); an array leaf counts by its one element's
 * value (read back), and an array of several elements is an error, as Python's bool() of one.
 * @example all([true, { a: 1 }]) // true
 */
export function all(tree: unknown, isLeaf?: (x: unknown) => boolean): boolean {
  return leaves(tree, isLeaf).every((leaf) => {
    const arr = leaf as { size?: number; dataSync?: () => ArrayLike<number> };
    if (typeof arr.dataSync !== 'function') return Boolean(leaf);
    if (arr.size !== 1) throw new Error(`tree.all: the truth value of an array of ${arr.size} elements is ambiguous`);
    return Boolean(arr.dataSync()[0]);
  });
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
 * Each leaf with its path (as {@link paths} writes it), in order, and the structure
 * (jax.tree_util.tree_flatten_with_path).
 * @example flattenWithPath({b: [1], a: 2})[0] // [['.a', 2], ['.b[0]', 1]]
 */
export function flattenWithPath<L = unknown>(tree: unknown): [[string, L][], TreeDef] {
  const [ls, def] = flatten<L>(tree);
  const ps = paths(tree);
  return [ls.map((l, i) => [ps[i], l]), def];
}

/** Leaf paths in the documented order, e.g. `['.a', '.b[0]']`. */
export function paths(tree: unknown): string[] {
  const out: string[] = [];
  const go = (x: unknown, p: string) => {
    if (x === null || x === undefined) return;
    if (Array.isArray(x)) x.forEach((c, i) => go(c, `${p}[${i}]`));
    else if (isPlainObject(x)) Object.keys(x).sort().forEach((k) => go(x[k], `${p}.${k}`));
    else out.push(p === '' ? '.' : p);
  };
  go(tree, '');
  return out;
}

/**
 * Expands a prefix tree (e.g. vmap's `inAxes`) to one value per leaf of `full`.
 * A leaf of the prefix applies to the whole subtree under it.
 */
export function broadcastPrefix<T>(prefix: unknown, full: unknown, what: string, isPrefixLeaf: (x: unknown) => boolean): T[] {
  const out: T[] = [];
  const go = (p: unknown, f: unknown, path: string) => {
    if (isPrefixLeaf(p)) {
      for (let i = numLeaves(structure(f)); i > 0; i--) out.push(p as T);
      return;
    }
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
    throw new Error(`${what} at ${path || 'the root'}: unexpected value ${String(p)}`);
  };
  go(prefix, full, '');
  return out;
}
