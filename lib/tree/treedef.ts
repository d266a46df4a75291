/**
 * A tree's structure (JAX's PyTreeDef): its node data, the text JAX prints for it, and the
 * canonical key that structure equality compares.
 */
import type { NodeType } from './registry.js';

/** The data of one structure node (what {@link makeTreeDef} turns into a `TreeDef`). */
export type TreeDefNode =
  | { readonly kind: 'leaf' }
  | { readonly kind: 'none'; readonly value: null | undefined }
  | { readonly kind: 'array'; readonly children: readonly TreeDef[] }
  | { readonly kind: 'object'; readonly keys: readonly string[]; readonly children: readonly TreeDef[] }
  /** An instance of a registered class: its aux data (compared by `auxKey`) and its children, with their path keys (`.x`, `[0]`). */
  | { readonly kind: 'custom'; readonly node: NodeType; readonly aux: unknown; readonly auxKey: string; readonly keys: readonly string[]; readonly children: readonly TreeDef[] };

/** What every structure does, as JAX's PyTreeDef: print itself, and compare with another. */
export interface TreeDefMethods {
  /** JAX's text of the structure, e.g. `PyTreeDef({'a': *, 'b': [*, *]})`. */
  toString(): string;
  /** Whether `other` is the same structure (JAX's `treedef == other`: same nodes, keys and aux data). */
  equals(other: TreeDef): boolean;
}

/** The structure of a tree (JAX's PyTreeDef): a node, with the methods of {@link TreeDefMethods}. */
export type TreeDef = TreeDefNode & TreeDefMethods;

/** The shared prototype of structures; its methods are not enumerable, so a structure still compares (and serialises) as its data. */
const TREEDEF_PROTO: object = Object.create(Object.prototype, {
  toString: { value(this: TreeDef) { return `PyTreeDef(${nodeText(this)})`; } },
  equals: { value(this: TreeDef, other: TreeDef) { return structureKey(this) === structureKey(other); } },
  [Symbol.for('nodejs.util.inspect.custom')]: { value(this: TreeDef) { return this.toString(); } },
});

/**
 * A structure node from its data, with the methods of {@link TreeDefMethods} (for code that
 * builds structures by hand, e.g. from a stored description).
 * @example String(makeTreeDef({kind: 'array', children: [makeTreeDef({kind: 'leaf'})]})) // 'PyTreeDef([*])'
 */
export function makeTreeDef(node: TreeDefNode): TreeDef {
  return Object.assign(Object.create(TREEDEF_PROTO) as TreeDefMethods, node);
}

/** A string as Python's repr writes it (JAX prints dict keys so): single quotes unless the text holds one and no double quote. */
const PY_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const escaped = s.replace(/[\\\x00-\x1f\x7f]/g, (c) => PY_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return q + escaped.split(q).join(`\\${q}`) + q;
}

/** The text of a structure inside `PyTreeDef(...)`, as JAX writes it (`*` for a leaf, `None` for null). */
function nodeText(def: TreeDef): string {
  switch (def.kind) {
    case 'leaf':
      return '*';
    case 'none':
      return def.value === null ? 'None' : 'undefined';
    case 'array':
      return `[${def.children.map(nodeText).join(', ')}]`;
    case 'object':
      return `{${def.keys.map((k, j) => `${pyRepr(k)}: ${nodeText(def.children[j]!)}`).join(', ')}}`;
    case 'custom':
      return `CustomNode(${def.node.name}[${def.auxKey}], [${def.children.map(nodeText).join(', ')}])`;
  }
}

/**
 * A short, canonical text of a structure: equal structures give equal strings. A registered
 * node's text holds its class and its aux data (by value), as JAX's treedef equality.
 */
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
    case 'custom':
      return `${def.node.name}#${def.node.id}<${def.auxKey}>(${def.children.map(structureKey).join(',')})`;
  }
}
