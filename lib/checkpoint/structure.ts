/**
 * The tree structure of a checkpoint, as stored in the safetensors metadata (`tfjax.structure`).
 *
 * A checkpoint tree is a pytree (see `lib/tree`) whose leaves are tensors, numbers, strings or
 * booleans, with `null` / `undefined` as empty subtrees. Its structure is stored as JSON nodes
 * that mirror `TreeDef`; tensor leaves name their safetensors entry, other leaves hold their value:
 *
 * ```json
 * {"t":"object","keys":["params","step"],"items":[
 *   {"t":"object","keys":["w"],"items":[{"t":"tensor","name":".params.w"}]},
 *   {"t":"number","v":100}]}
 * ```
 *
 * Numbers that JSON cannot hold are stored as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
 * and `"-0"`. The JSON read back is checked with an io-ts decoder.
 */

import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as D from 'io-ts/lib/Decoder.js';
import type * as DE from 'io-ts/lib/DecodeError.js';
import type * as FS from 'io-ts/lib/FreeSemigroup.js';
import { isPlainObject, makeTreeDef, type TreeDef } from '../tree/index.js';

/**
 * The deepest nesting of objects and arrays a checkpoint tree may have: the structure's
 * recursive io-ts decoder overflows the stack at about 270 levels.
 */
export const MAX_TREE_DEPTH = 100;

/**
 * Whether more than `limit` arrays or plain objects nest on some path of `root`. Iterative and
 * stopping at the limit, so it is safe on any depth and on cyclic values.
 */
export function nestsDeeperThan(root: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    const children = Array.isArray(x) ? x : isPlainObject(x) ? Object.values(x) : undefined;
    if (children === undefined) continue;
    if (depth === limit) return true;
    for (const c of children) stack.push([c, depth + 1]);
  }
  return false;
}

/** A number as stored: JSON numbers, or a string for the values JSON cannot hold. */
export type StoredNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** One node of a stored structure. */
export type StructNode =
  | { readonly t: 'tensor'; readonly name: string }
  | { readonly t: 'number'; readonly v: StoredNumber }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'boolean'; readonly v: boolean }
  | { readonly t: 'null' }
  | { readonly t: 'undefined' }
  | { readonly t: 'array'; readonly items: readonly StructNode[] }
  | { readonly t: 'object'; readonly keys: readonly string[]; readonly items: readonly StructNode[] };

/** A leaf of a stored structure: a tensor (by entry name) or a plain value. */
export type StoredLeaf = { readonly t: 'tensor'; readonly name: string } | { readonly t: 'value'; readonly value: number | string | boolean };

export function encodeNumber(x: number): StoredNumber {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return x;
}

export function decodeNumber(v: StoredNumber): number {
  return typeof v === 'number' ? v : v === '-0' ? -0 : Number(v);
}

/**
 * The stored structure of a tree, given its `TreeDef` and one stored leaf per leaf (in order).
 * A registered pytree node cannot be stored: the error names its class and tree path.
 */
export function toStructNode(def: TreeDef, storedLeaves: readonly StoredLeaf[]): StructNode {
  let i = 0;
  const go = (d: TreeDef, path: string): StructNode => {
    switch (d.kind) {
      case 'leaf': {
        const l = storedLeaves[i++];
        if (l.t === 'tensor') return l;
        const v = l.value;
        return typeof v === 'number' ? { t: 'number', v: encodeNumber(v) } : typeof v === 'string' ? { t: 'string', v } : { t: 'boolean', v };
      }
      case 'none':
        return d.value === null ? { t: 'null' } : { t: 'undefined' };
      case 'array':
        return { t: 'array', items: items(d.children, (k) => `${path}[${k}]`) };
      case 'object':
        return { t: 'object', keys: d.keys, items: items(d.children, (k) => `${path}.${d.keys[k]}`) };
      case 'custom':
        throw new Error(`the ${d.node.name} at ${path === '' ? 'the root' : path} is a registered pytree node, which a checkpoint cannot store; save a plain object of its fields`);
    }
  };
  // A hole of a sparse array (`[1, , 3]`) reads as undefined in JS: stored as one, not as a JSON null.
  const items = (children: readonly TreeDef[], at: (k: number) => string): StructNode[] =>
    Array.from(children, (c: TreeDef | undefined, k) => (c === undefined ? { t: 'undefined' } : go(c, at(k))));
  return go(def, '');
}

/** A leaf of a stored structure, with its tree path (as `tree.paths` writes it). */
export interface PathedLeaf {
  readonly path: string;
  readonly leaf: StoredLeaf;
}

/** The `TreeDef` and the leaves (with their paths) of a stored structure. */
export function fromStructNode(node: StructNode): { def: TreeDef; leaves: PathedLeaf[] } {
  const leaves: PathedLeaf[] = [];
  const go = (n: StructNode, path: string): TreeDef => {
    const leaf = (l: StoredLeaf): TreeDef => {
      leaves.push({ path: path === '' ? '.' : path, leaf: l });
      return makeTreeDef({ kind: 'leaf' });
    };
    switch (n.t) {
      case 'tensor':
        return leaf(n);
      case 'number':
        return leaf({ t: 'value', value: decodeNumber(n.v) });
      case 'string':
      case 'boolean':
        return leaf({ t: 'value', value: n.v });
      case 'null':
        return makeTreeDef({ kind: 'none', value: null });
      case 'undefined':
        return makeTreeDef({ kind: 'none', value: undefined });
      case 'array':
        return makeTreeDef({ kind: 'array', children: n.items.map((c, i) => go(c, `${path}[${i}]`)) });
      case 'object':
        return makeTreeDef({ kind: 'object', keys: n.keys, children: n.items.map((c, i) => go(c, `${path}.${n.keys[i]}`)) });
    }
  };
  const def = go(node, '');
  return { def, leaves };
}

// ---------------------------------------------------------------------------------------------
// Decoding the JSON (io-ts)

const objectNode = pipe(
  D.struct({ t: D.literal('object'), keys: D.array(D.string), items: D.array(D.lazy('StructNode', () => StructNodeD)) }),
  D.refine(
    (o): o is typeof o => o.keys.length === o.items.length && new Set(o.keys).size === o.keys.length,
    'as many distinct keys as items',
  ),
);

/** The io-ts decoder of a stored structure node. */
export const StructNodeD: D.Decoder<unknown, StructNode> = D.lazy('StructNode', () =>
  D.sum('t')({
    tensor: D.struct({ t: D.literal('tensor'), name: D.string }),
    number: D.struct({ t: D.literal('number'), v: D.union(D.number, D.literal('NaN', 'Infinity', '-Infinity', '-0')) }),
    string: D.struct({ t: D.literal('string'), v: D.string }),
    boolean: D.struct({ t: D.literal('boolean'), v: D.boolean }),
    null: D.struct({ t: D.literal('null') }),
    undefined: D.struct({ t: D.literal('undefined') }),
    array: D.struct({ t: D.literal('array'), items: D.array(StructNodeD) }),
    object: objectNode,
  }),
);

const show = (x: unknown): string => {
  if (x === undefined) return 'nothing';
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/**
 * One readable line for an io-ts decode error: the first path (in document order) where
 * decoding failed, and what every alternative there expected.
 * @example describeDecodeError(err) // 'at .items[1].v: expected string, found 3'
 */
export function describeDecodeError(e: D.DecodeError): string {
  const found: { path: string; expected: string; actual: unknown }[] = [];
  const walkFS = (fs: FS.FreeSemigroup<DE.DecodeError<string>>, path: string): void => {
    if (fs._tag === 'Of') walk(fs.value, path);
    else {
      walkFS(fs.left, path);
      walkFS(fs.right, path);
    }
  };
  const walk = (de: DE.DecodeError<string>, path: string): void => {
    switch (de._tag) {
      case 'Leaf':
        found.push({ path, expected: de.error, actual: de.actual });
        return;
      case 'Key':
        return walkFS(de.errors, `${path}.${de.key}`);
      case 'Index':
        return walkFS(de.errors, `${path}[${de.index}]`);
      case 'Member':
      case 'Lazy':
        return walkFS(de.errors, path);
      case 'Wrap':
        return walkFS(de.errors, path);
    }
  };
  walkFS(e, '');
  if (found.length === 0) return 'invalid';
  const first = found[0];
  const expected = [...new Set(found.filter((f) => f.path === first.path).map((f) => f.expected))].join(' or ');
  return `at ${first.path === '' ? 'the root' : first.path}: expected ${expected}, found ${show(first.actual)}`;
}

/**
 * Decodes parsed JSON into a structure node; the error is one readable line naming the path.
 * @example decodeStructNode({t: 'null'}) // E.right({t: 'null'})
 */
export function decodeStructNode(json: unknown): E.Either<string, StructNode> {
  return pipe(StructNodeD.decode(json), E.mapLeft(describeDecodeError));
}
