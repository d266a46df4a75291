/**
 * Checking a checkpoint before any tensor is created: its metadata (format version, structure,
 * one file entry per tensor leaf) and, with `like`, its structure, shapes and dtypes against an expected tree.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { FileDType, SafetensorsHeader, TensorDType } from '../io/safetensors.js';
import { isPlainObject } from '../tree/index.js';
import { nodeTypeOf } from '../tree/registry.js';
import { CheckpointError, FORMAT_VERSION, FORMAT_VERSION_KEY, STRUCTURE_KEY, describeValue, errorText } from './format.js';
import { decodeStructNode, fromStructNode, MAX_TREE_DEPTH, nestsDeeperThan, type PathedLeaf, type StructNode } from './structure.js';

const FILE_TO_TENSOR: Readonly<Record<FileDType, TensorDType>> = {
  F32: 'float32',
  F16: 'float32',
  BF16: 'float32',
  F64: 'float32',
  I32: 'int32',
  I64: 'int32',
  U8: 'int32',
  I8: 'int32',
  I16: 'int32',
  U16: 'int32',
  BOOL: 'bool',
};

export interface Spec {
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
}

/** The metadata of a checkpoint, decoded and checked: structure and the leaves with their tensor specs. */
export interface Parsed {
  readonly node: StructNode;
  readonly leaves: readonly PathedLeaf[];
  readonly def: ReturnType<typeof fromStructNode>['def'];
  readonly specs: ReadonlyMap<string, Spec>;
}

/** The checked metadata of the checkpoint `path`, or a `CheckpointError` naming what is wrong. */
export function checkedMetadata(header: SafetensorsHeader, path: string): Parsed {
  return pipe(
    parseMetadata(header),
    E.getOrElseW((reason): never => {
      throw new CheckpointError(path, reason);
    }),
  );
}

function parseMetadata(header: SafetensorsHeader): E.Either<string, Parsed> {
  const meta = header.metadata;
  return pipe(
    E.fromNullable(`not a tfjax checkpoint: its __metadata__ has no ${JSON.stringify(FORMAT_VERSION_KEY)} (read plain safetensors files with readSafetensorsFile)`)(
      meta[FORMAT_VERSION_KEY],
    ),
    E.filterOrElse(
      (v) => v === FORMAT_VERSION,
      (v) => `format version ${JSON.stringify(v)} is not supported (this tfjax reads version ${FORMAT_VERSION})`,
    ),
    E.chain(() => E.fromNullable(`__metadata__ has no ${JSON.stringify(STRUCTURE_KEY)}`)(meta[STRUCTURE_KEY])),
    E.chain((text) => E.tryCatch(() => JSON.parse(text) as unknown, (e) => `metadata ${JSON.stringify(STRUCTURE_KEY)} is not valid JSON (${errorText(e)})`)),
    // Each tree level is a node object and its items array; the leaf is one more object.
    E.filterOrElse(
      (json) => !nestsDeeperThan(json, 2 * MAX_TREE_DEPTH + 1),
      () => `metadata ${JSON.stringify(STRUCTURE_KEY)} nests more than ${MAX_TREE_DEPTH} levels of objects and arrays (the most a checkpoint holds)`,
    ),
    E.chain((json) =>
      pipe(
        decodeStructNode(json),
        E.mapLeft((m) => `metadata ${JSON.stringify(STRUCTURE_KEY)} is invalid ${m}`),
      ),
    ),
    E.chain((node) => {
      const { def, leaves } = fromStructNode(node);
      const specs = new Map<string, Spec>();
      for (const { path, leaf } of leaves) {
        if (leaf.t !== 'tensor') continue;
        const entry = Object.hasOwn(header.entries, leaf.name) ? header.entries[leaf.name] : undefined;
        if (entry === undefined) return E.left(`the tensor at ${path} (entry ${JSON.stringify(leaf.name)}) is missing from the file`);
        if (specs.has(leaf.name)) return E.left(`the entry ${JSON.stringify(leaf.name)} is used by more than one leaf (again at ${path})`);
        specs.set(leaf.name, { dtype: FILE_TO_TENSOR[entry.dtype], shape: entry.shape });
      }
      const unused = header.order.find((n) => !specs.has(n));
      if (unused !== undefined) return E.left(`the file has a tensor ${JSON.stringify(unused)} that the structure does not use`);
      return E.right({ node, leaves, def, specs });
    }),
  );
}

const specText = (s: Spec) => `[${s.shape.join(',')}] ${s.dtype}`;

function describeNode(n: StructNode, specs: ReadonlyMap<string, Spec>): string {
  switch (n.t) {
    case 'tensor': {
      const s = specs.get(n.name);
      return s ? `a tensor of shape ${specText(s)}` : 'a tensor';
    }
    case 'number':
    case 'string':
    case 'boolean':
      return `a ${n.t} (${JSON.stringify(n.v)})`;
    case 'null':
    case 'undefined':
      return n.t;
    case 'array':
      return `an array of length ${n.items.length}`;
    case 'object':
      return `an object with keys [${n.keys.join(', ')}]`;
  }
}

/** The first place (in tree order) where the stored structure differs from `like`, or null. */
export function firstLikeMismatch(like: unknown, node: StructNode, specs: ReadonlyMap<string, Spec>, path = ''): string | null {
  const at = path === '' ? 'the root' : path;
  const mismatch = () => `at ${at} expected ${describeValue(like)}, found ${describeNode(node, specs)}`;
  if (like instanceof tf.Tensor) {
    if (node.t !== 'tensor') return mismatch();
    const s = specs.get(node.name)!;
    const want: Spec = { dtype: like.dtype as TensorDType, shape: like.shape };
    if (s.dtype !== want.dtype || s.shape.length !== want.shape.length || s.shape.some((d, i) => d !== want.shape[i]))
      return `at ${at} expected shape ${specText(want)}, found ${specText(s)}`;
    return null;
  }
  if (like === null) return node.t === 'null' ? null : mismatch();
  if (like === undefined) return node.t === 'undefined' ? null : mismatch();
  if (typeof like === 'number' || typeof like === 'string' || typeof like === 'boolean') return node.t === typeof like ? null : mismatch();
  if (Array.isArray(like)) {
    if (node.t !== 'array' || node.items.length !== like.length) return mismatch();
    for (let i = 0; i < like.length; i++) {
      const m = firstLikeMismatch(like[i], node.items[i], specs, `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (isPlainObject(like)) {
    if (node.t !== 'object') return mismatch();
    const stored = new Map(node.keys.map((k, i) => [k, node.items[i]]));
    const keys = [...new Set([...Object.keys(like), ...node.keys])].sort();
    for (const k of keys) {
      const p = `${path}.${k}`;
      const child = stored.get(k);
      if (!Object.hasOwn(like, k)) return `at ${p} expected nothing (the key is not in \`like\`), found ${describeNode(child!, specs)}`;
      if (child === undefined) return `at ${p} expected ${describeValue(like[k])}, found nothing (the key is missing from the checkpoint)`;
      const m = firstLikeMismatch(like[k], child, specs, p);
      if (m) return m;
    }
    return null;
  }
  const custom = nodeTypeOf(like);
  if (custom !== undefined) return `at ${at} expected a ${custom.name} (a registered pytree node, which a checkpoint cannot store), found ${describeNode(node, specs)}`;
  // Any other leaf (a typed array, a tracer...) accepts any stored leaf.
  return node.t === 'tensor' || node.t === 'number' || node.t === 'string' || node.t === 'boolean' ? null : mismatch();
}
