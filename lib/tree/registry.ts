/**
 * Custom pytree node types (jax.tree_util's registry): classes whose instances flatten into
 * children and static aux data instead of being leaves. Registration is by exact class, as in
 * JAX: an instance of an unregistered subclass of a registered class is a leaf.
 *
 * Aux data takes part in structure equality by value: primitives by value, arrays and plain
 * objects element by element, any other object (a function, a class instance, a tensor) by
 * identity; a static class (registerStatic) compares its own fields that way.
 */

/** A plain object (`{...}` or `Object.create(null)`), as opposed to a class instance. */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------- keys (jax.tree_util's key types)

/** An attribute of a node, printed `.name` (jax.tree_util.GetAttrKey). */
export class GetAttrKey {
  constructor(readonly name: string) {}
  toString(): string {
    return `.${this.name}`;
  }
}

/** An entry of a mapping node, printed `['key']` (jax.tree_util.DictKey). */
export class DictKey {
  constructor(readonly key: string | number) {}
  toString(): string {
    return typeof this.key === 'string' ? `['${this.key}']` : `[${this.key}]`;
  }
}

/** A position in a sequence node, printed `[i]` (jax.tree_util.SequenceKey). */
export class SequenceKey {
  constructor(readonly idx: number) {}
  toString(): string {
    return `[${this.idx}]`;
  }
}

/** The i-th child of a node registered without keys, printed `[<flat index i>]` (jax.tree_util.FlattenedIndexKey). */
export class FlattenedIndexKey {
  constructor(readonly key: number) {}
  toString(): string {
    return `[<flat index ${this.key}>]`;
  }
}

/** A key of a child: a key object, or a string (an attribute, `.name`) or a number (a position, `[i]`). */
export type KeyEntry = GetAttrKey | DictKey | SequenceKey | FlattenedIndexKey | string | number;

function entryText(k: KeyEntry): string {
  if (typeof k === 'string') return `.${k}`;
  if (typeof k === 'number') return `[${k}]`;
  if (k instanceof GetAttrKey || k instanceof DictKey || k instanceof SequenceKey || k instanceof FlattenedIndexKey) return k.toString();
  throw new Error(`tree: a key must be a string, a number or a GetAttrKey / DictKey / SequenceKey / FlattenedIndexKey, got ${describeValue(k)}`);
}

/** The plain name of a key entry, for keystr's `simple` form (`a` for `.a`, `['a']` or `[a]`). */
function entrySimple(k: KeyEntry): string {
  if (typeof k === 'string' || typeof k === 'number') return String(k);
  if (k instanceof GetAttrKey) return k.name;
  if (k instanceof DictKey) return String(k.key);
  if (k instanceof SequenceKey) return String(k.idx);
  return String(k.key);
}

/** One entry of a path written as text: `.name`, `['key']`, `[<flat index i>]` or `[i]`. */
const PATH_ENTRY = /\.([^.[]+)|\['(.*?)'\](?=[.[]|$)|\[<flat index (\d+)>\]|\[(-?\d+)\]/y;

/**
 * The key entries of a path tfjax wrote as text (tree.paths, flattenWithPath, mapWithPath):
 * `.a[0]['k']` is GetAttrKey('a'), SequenceKey(0), DictKey('k'); `.` (a root leaf) has none.
 * The text is ambiguous where an object key holds `.` or `[`: it reads as several entries.
 */
function parsePath(path: string): KeyEntry[] {
  if (path === '.') return [];
  const out: KeyEntry[] = [];
  for (let i = 0; i < path.length; i = PATH_ENTRY.lastIndex) {
    PATH_ENTRY.lastIndex = i;
    const m = PATH_ENTRY.exec(path);
    if (!m) throw new Error(`tree.keystr: cannot read the path '${path}' from position ${i}`);
    if (m[1] !== undefined) out.push(new GetAttrKey(m[1]));
    else if (m[2] !== undefined) out.push(new DictKey(m[2]));
    else if (m[3] !== undefined) out.push(new FlattenedIndexKey(Number(m[3])));
    else out.push(new SequenceKey(Number(m[4])));
  }
  return out;
}

/**
 * A path as text (jax.tree_util.keystr): key entries joined by `separator` (default '';
 * `.a[0]['k']`), or with `{ simple: true }` their plain names (`a`, `0`, `k`). A path tfjax
 * already wrote as text (tree.paths, flattenWithPath, mapWithPath) is read back into its
 * entries, so `keystr('.a[0]', { simple: true, separator: '/' })` is `'a/0'`, as JAX's for
 * that path; without options it is returned as it is.
 * @example keystr([new GetAttrKey('w'), 0]) // '.w[0]'
 * @example keystr(['w', 0], { simple: true, separator: '/' }) // 'w/0'
 */
export function keystr(path: string | readonly KeyEntry[], { simple = false, separator = '' }: { simple?: boolean; separator?: string } = {}): string {
  if (typeof path === 'string') {
    if (!simple && separator === '') return path;
    path = parsePath(path);
  }
  return path.map(simple ? entrySimple : entryText).join(separator);
}

// ---------------------------------------------------------------- aux data compared by value

const identities = new WeakMap<object, number>();
const symbolIds = new Map<symbol, number>();
let nextIdentity = 0;

function identityOf(x: object | symbol): string {
  const table = typeof x === 'symbol' ? symbolIds : identities;
  let id = (table as Map<object | symbol, number>).get(x);
  if (id === undefined) (table as Map<object | symbol, number>).set(x, (id = nextIdentity++));
  return `@${id}`;
}

/**
 * A canonical text of a value for structure keys: equal texts for values JAX's `==` on aux data
 * would call equal (primitives by value, arrays and plain objects by their contents, other
 * objects and functions by identity).
 */
export function valueKey(v: unknown, stack: readonly object[] = []): string {
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'boolean':
    case 'bigint':
      return `${v}${typeof v === 'bigint' ? 'n' : ''}`;
    case 'number':
      return Object.is(v, -0) ? '-0' : String(v);
    case 'string':
      return JSON.stringify(v);
    case 'symbol':
    case 'function':
      return identityOf(v);
  }
  if (v === null) return 'null';
  const o = v as object;
  if (stack.includes(o)) return identityOf(o);
  const inner = [...stack, o];
  if (Array.isArray(o)) return `[${o.map((c) => valueKey(c, inner)).join(',')}]`;
  if (isPlainObject(o))
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${valueKey(o[k], inner)}`)
      .join(',')}}`;
  return identityOf(o);
}

// ---------------------------------------------------------------- the registry

/** One node flattened: its children, the text of each child's key, and its aux data. */
export interface FlatNode {
  readonly children: readonly unknown[];
  readonly keys: readonly string[];
  readonly aux: unknown;
}

/** A registered node type. */
export interface NodeType {
  /** The class name, for structure keys and errors. */
  readonly name: string;
  /** Unique per registration (two classes may share a name). */
  readonly id: number;
  flatten(x: object): FlatNode;
  unflatten(aux: unknown, children: unknown[]): unknown;
  /** The text that decides whether two nodes' aux data are equal. */
  auxKey(aux: unknown): string;
}

/** A class (its constructor). */
export type Constructor<T> = abstract new (...args: never[]) => T;

const registry = new Map<object, NodeType>();

/** The registered node type of x's exact class, if any (undefined for plain objects, arrays, leaves). */
export function nodeTypeOf(x: unknown): NodeType | undefined {
  if (x === null || typeof x !== 'object' || registry.size === 0) return undefined;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === null ? undefined : registry.get(proto as object);
}

function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'object') return isPlainObject(x) ? 'an object' : `a ${x.constructor?.name || 'class'} instance`;
  return typeof x;
}

function register<T extends object>(cls: Constructor<T>, what: string, make: (name: string, id: number) => NodeType): void {
  if (typeof cls !== 'function' || typeof cls.prototype !== 'object' || cls.prototype === null)
    throw new Error(`tree.${what}: expected a class, got ${describeValue(cls)}`);
  if (cls === (Object as unknown) || cls === (Array as unknown)) throw new Error(`tree.${what}: ${cls.name} is a built-in pytree node and cannot be registered`);
  if (registry.has(cls.prototype)) throw new Error(`tree.${what}: duplicate registration of ${cls.name || 'the class'} (it is already a pytree node type)`);
  registry.set(cls.prototype, make(cls.name || 'anonymous', registry.size));
}

/** Checks a user flatten function's result: `[children, aux]` with children an array. */
function checkFlat(r: unknown, name: string, what: string): [readonly unknown[], unknown] {
  if (!Array.isArray(r) || r.length !== 2 || !Array.isArray(r[0]))
    throw new Error(`tree: the ${what} function registered for ${name} must return [children (an array), auxData], got ${describeValue(r)}`);
  return [r[0] as unknown[], r[1]];
}

function checkUnflattened<T>(x: T, name: string): T {
  if (x === null || typeof x !== 'object') throw new Error(`tree: the unflatten function registered for ${name} returned ${describeValue(x)}, not an instance`);
  return x;
}

/**
 * Makes instances of `cls` pytree nodes (jax.tree_util.register_pytree_node): `flatten(x)`
 * returns `[children, auxData]` (children an array of subtrees, auxData static and compared by
 * value), and `unflatten(auxData, children)` rebuilds an instance. Child paths print as
 * `[<flat index i>]`, as JAX's.
 * @example
 * tree.registerPytreeNode(Pair, (p) => [[p.a, p.b], null], (_, [a, b]) => new Pair(a, b));
 */
export function registerPytreeNode<T extends object, A = unknown>(
  cls: Constructor<T>,
  flatten: (x: T) => readonly [readonly unknown[], A],
  unflatten: (aux: A, children: unknown[]) => T,
): void {
  register(cls, 'registerPytreeNode', (name, id) => ({
    name,
    id,
    flatten: (x) => {
      const [children, aux] = checkFlat(flatten(x as T), name, 'flatten');
      return { children, aux, keys: children.map((_, i) => new FlattenedIndexKey(i).toString()) };
    },
    unflatten: (aux, children) => checkUnflattened(unflatten(aux as A, children), name),
    auxKey: (aux) => valueKey(aux),
  }));
}

/**
 * As {@link registerPytreeNode}, with a key for each child, used in paths
 * (jax.tree_util.register_pytree_with_keys): `flattenWithKeys(x)` returns
 * `[[[key, child], ...], auxData]`; a key is a string (printed `.key`), a number (`[i]`) or a
 * key object (GetAttrKey, DictKey, SequenceKey, FlattenedIndexKey).
 * @example
 * tree.registerPytreeWithKeys(Pair, (p) => [[['a', p.a], ['b', p.b]], null], (_, [a, b]) => new Pair(a, b));
 */
export function registerPytreeWithKeys<T extends object, A = unknown>(
  cls: Constructor<T>,
  flattenWithKeys: (x: T) => readonly [readonly (readonly [KeyEntry, unknown])[], A],
  unflatten: (aux: A, children: unknown[]) => T,
): void {
  register(cls, 'registerPytreeWithKeys', (name, id) => ({
    name,
    id,
    flatten: (x) => {
      const [pairs, aux] = checkFlat(flattenWithKeys(x as T), name, 'flattenWithKeys');
      pairs.forEach((p) => {
        if (!Array.isArray(p) || p.length !== 2) throw new Error(`tree: the flattenWithKeys function registered for ${name} must return [[key, child], ...] pairs, got ${describeValue(p)} in the list`);
      });
      const ps = pairs as readonly (readonly [KeyEntry, unknown])[];
      return { children: ps.map((p) => p[1]), keys: ps.map((p) => entryText(p[0])), aux };
    },
    unflatten: (aux, children) => checkUnflattened(unflatten(aux as A, children), name),
    auxKey: (aux) => valueKey(aux),
  }));
}

/**
 * A class with its own `treeFlatten()` method and static `treeUnflatten(aux, children)`
 * (jax.tree_util.register_pytree_node_class; `tree_flatten` / `tree_unflatten` also work).
 * Returns the class, so it can wrap a class expression.
 */
export function registerPytreeNodeClass<C extends Constructor<object>>(cls: C): C {
  type Flat = readonly [readonly unknown[], unknown];
  const statics = cls as unknown as Record<string, unknown>;
  const unflat = (statics['treeUnflatten'] ?? statics['tree_unflatten']) as ((aux: unknown, children: unknown[]) => object) | undefined;
  const proto = cls.prototype as Record<string, unknown>;
  const flat = (proto['treeFlatten'] ?? proto['tree_flatten']) as ((this: object) => Flat) | undefined;
  if (typeof unflat !== 'function' || typeof flat !== 'function')
    throw new Error(`tree.registerPytreeNodeClass: ${cls.name || 'the class'} needs a treeFlatten() method and a static treeUnflatten(aux, children)`);
  registerPytreeNode(cls, (x) => flat.call(x), (aux, children) => unflat.call(cls, aux, children) as InstanceType<C>);
  return cls;
}

/**
 * A class with its own `treeFlattenWithKeys()` method, returning `[[[key, child], ...], aux]`, and
 * static `treeUnflatten(aux, children)` (jax.tree_util.register_pytree_with_keys_class;
 * `tree_flatten_with_keys` / `tree_unflatten` also work). Returns the class.
 */
export function registerPytreeWithKeysClass<C extends Constructor<object>>(cls: C): C {
  type Flat = readonly [readonly (readonly [KeyEntry, unknown])[], unknown];
  const statics = cls as unknown as Record<string, unknown>;
  const unflat = (statics['treeUnflatten'] ?? statics['tree_unflatten']) as ((aux: unknown, children: unknown[]) => object) | undefined;
  const proto = cls.prototype as Record<string, unknown>;
  const flat = (proto['treeFlattenWithKeys'] ?? proto['tree_flatten_with_keys']) as ((this: object) => Flat) | undefined;
  if (typeof unflat !== 'function' || typeof flat !== 'function')
    throw new Error(`tree.registerPytreeWithKeysClass: ${cls.name || 'the class'} needs a treeFlattenWithKeys() method and a static treeUnflatten(aux, children)`);
  registerPytreeWithKeys(cls, (x) => flat.call(x), (aux, children) => unflat.call(cls, aux, children) as InstanceType<C>);
  return cls;
}

/**
 * Whether instances of `cls` are pytree nodes (jax.tree_util.is_tree_node): plain objects
 * (`Object`), arrays (`Array`) and registered classes; other classes' instances are leaves.
 */
export function isTreeNode(cls: Constructor<object>): boolean {
  return cls === (Object as unknown) || cls === (Array as unknown) || (typeof cls === 'function' && registry.has(cls.prototype as object));
}

/** A new instance of `cls` with the given own fields, without running its constructor (as JAX's dataclass unflatten). */
function instanceWith(cls: Constructor<object>, fields: readonly string[], values: readonly unknown[]): object {
  const out = Object.create(cls.prototype) as object;
  fields.forEach((f, i) => Object.defineProperty(out, f, { value: values[i], writable: true, enumerable: true, configurable: true }));
  return out;
}

/**
 * Makes instances of `cls` pytree nodes whose `dataFields` are children and `metaFields` static
 * aux data compared by value (jax.tree_util.register_dataclass). Without `dataFields`, every own
 * enumerable field that is not a meta field is a child, in the instance's field order (as an
 * Equinox Module's fields, with `metaFields` its static ones). Unflatten makes an instance
 * without calling the constructor, as JAX does; child paths print as `.field`. Flattening an
 * instance with a field that is in neither list is an error (it would be lost).
 * @example tree.registerDataclass(Linear, { dataFields: ['w', 'b'], metaFields: ['activation'] })
 */
export function registerDataclass<T extends object>(
  cls: Constructor<T>,
  { dataFields, metaFields = [] }: { dataFields?: readonly (keyof T & string)[]; metaFields?: readonly (keyof T & string)[] } = {},
): void {
  const overlap = dataFields?.find((f) => metaFields.includes(f));
  if (overlap !== undefined) throw new Error(`tree.registerDataclass: field ${overlap} is both a data field and a meta field`);
  register(cls, 'registerDataclass', (name, id) => ({
    name,
    id,
    flatten: (x) => {
      const own = Object.keys(x);
      const data = dataFields ?? own.filter((f) => !(metaFields as readonly string[]).includes(f));
      const known = new Set<string>([...data, ...metaFields]);
      const extra = own.find((f) => !known.has(f));
      if (extra !== undefined) throw new Error(`tree: ${name} has a field ${extra} that is neither a data field nor a meta field of its registerDataclass`);
      const missing = [...data, ...metaFields].find((f) => !(f in x));
      if (missing !== undefined) throw new Error(`tree: ${name} instance has no field ${missing}, which its registerDataclass names`);
      const rec = x as Record<string, unknown>;
      // The data field names are aux data only when they were inferred (they may then differ between instances).
      const aux = { fields: dataFields ? null : data, meta: metaFields.map((f) => rec[f]) };
      return { children: data.map((f) => rec[f]), keys: data.map((f) => `.${f}`), aux };
    },
    unflatten: (aux, children) => {
      const { fields, meta } = aux as { fields: readonly string[] | null; meta: readonly unknown[] };
      const data = fields ?? (dataFields as readonly string[]);
      return instanceWith(cls, [...data, ...metaFields], [...children, ...meta]);
    },
    auxKey: (aux) => valueKey(aux),
  }));
}

/**
 * Makes instances of `cls` leafless nodes: the whole instance is static aux data
 * (jax.tree_util.register_static), so it is no leaf of tree.leaves and is closed over, not
 * traced, by jit / vmap / grad. Two instances are the same structure when they are of the class
 * and their own fields are equal by value (as a frozen dataclass's `==`).
 * @example tree.registerStatic(Config); tree.leaves([x, new Config('relu')]) // [x]
 */
export function registerStatic<T extends object>(cls: Constructor<T>): void {
  register(cls, 'registerStatic', (name, id) => ({
    name,
    id,
    flatten: (x) => ({ children: [], keys: [], aux: x }),
    unflatten: (aux) => aux,
    auxKey: (aux) => valueKey(Object.fromEntries(Object.entries(aux as object))),
  }));
}
