/**
 * Checkpoints: a pytree of tfjs tensors and plain values, saved as one safetensors file.
 *
 * Tensor leaves become safetensors entries named by their tree path (`.params.conv1.w`,
 * `.optState[0].mu.w`, as `tree.paths` writes them); the tree's structure and its other leaves
 * (numbers, strings, booleans, `null`) go into the file's `__metadata__` under `tfjax.structure`,
 * next to `tfjax.format_version` and any string metadata of the caller. The file is readable by
 * any safetensors reader (e.g. Python's `safetensors.safe_open`).
 *
 * Writes are atomic (temporary file, fsync, rename): a crash mid-save leaves the previous file.
 * Loads validate everything (file layout, structure, and optionally the shapes and dtypes of an
 * expected tree) before creating any tensor, so they never return a half-loaded tree.
 *
 * ```ts
 * await save('runs/x/ckpt.safetensors', {params, optState, step: 100, config});
 * const state = await load('runs/x/ckpt.safetensors', {like: {params, optState, step: 0, config}});
 * ```
 */

import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import {
  decodeSafetensors,
  decodeSafetensorsHeader,
  SafetensorsError,
  type FileDType,
  type LazyTensorData,
  type SafetensorsHeader,
  type TensorDType,
} from '../io/safetensors.js';
import { readSafetensorsHeader, writeSafetensorsFile } from '../io/safetensors-file.js';
import { flatten, isPlainObject, paths, unflatten } from '../tree/index.js';
import {
  decodeStructNode,
  fromStructNode,
  MAX_TREE_DEPTH,
  nestsDeeperThan,
  toStructNode,
  type PathedLeaf,
  type StoredLeaf,
  type StructNode,
} from './structure.js';

export { describeDecodeError, MAX_TREE_DEPTH, type StructNode } from './structure.js';

/** The metadata key holding the checkpoint format version. */
export const FORMAT_VERSION_KEY = 'tfjax.format_version';
/** The metadata key holding the tree structure (JSON). */
export const STRUCTURE_KEY = 'tfjax.structure';
/** The format version this module writes and reads. */
export const FORMAT_VERSION = '1';

/** An error about one checkpoint file; `reason` is the message without the file prefix. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`checkpoint ${path}: ${reason}`, options);
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

const SAVABLE_DTYPES: readonly string[] = ['float32', 'int32', 'bool'] satisfies TensorDType[];

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

function describeValue(x: unknown): string {
  if (x instanceof tf.Tensor) return `a tensor of shape [${x.shape.join(',')}] ${x.dtype}`;
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (isPlainObject(x)) return `an object with keys [${Object.keys(x).sort().join(', ')}]`;
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return `a ${typeof x}`;
}

// ---------------------------------------------------------------------------------------------
// save

/** Options of `save`. */
export interface SaveOptions {
  /** Extra string metadata stored in the file's `__metadata__` (keys must not start with `tfjax.`). */
  readonly meta?: Readonly<Record<string, string>>;
}

/**
 * Saves a tree of tensors and plain values (numbers, strings, booleans, null) to a safetensors
 * file, atomically: the file at `path` is either the previous one or the complete new one
 * (its directory is created if needed).
 * Tensor values are read with `await t.data()` (so it works on webgpu); the reads are started
 * when `save` is called, but keep the tensors alive until the returned promise settles.
 * @example
 * await save('runs/x/ckpt.safetensors', {params, modelState, optState, step: 100, key, config}, {meta: {note: 'epoch 3'}});
 */
export async function save(path: string, tree: unknown, options: SaveOptions = {}): Promise<void> {
  if (nestsDeeperThan(tree, MAX_TREE_DEPTH)) {
    throw new CheckpointError(path, `the tree nests objects and arrays more than ${MAX_TREE_DEPTH} levels deep (or is cyclic); checkpoints hold at most ${MAX_TREE_DEPTH}`);
  }
  const [leafValues, def] = flatten(tree);
  const leafPaths = paths(tree);
  const meta = options.meta ?? {};
  for (const [k, v] of Object.entries(meta)) {
    if (k.startsWith('tfjax.')) throw new CheckpointError(path, `meta key ${JSON.stringify(k)} is reserved (keys starting with "tfjax." belong to the format)`);
    if (typeof v !== 'string') throw new CheckpointError(path, `meta value for ${JSON.stringify(k)} must be a string, got ${describeValue(v)}`);
  }

  // Check every leaf before reading any tensor.
  const stored: StoredLeaf[] = [];
  const tensors: [string, tf.Tensor][] = [];
  const names = new Set<string>();
  leafValues.forEach((x, i) => {
    const p = leafPaths[i];
    if (x instanceof tf.Tensor) {
      if (x.isDisposed) throw new CheckpointError(path, `the tensor at ${p} is disposed`);
      if (!SAVABLE_DTYPES.includes(x.dtype)) throw new CheckpointError(path, `the tensor at ${p} has dtype ${x.dtype}; float32, int32 and bool can be saved`);
      if (names.has(p))
        throw new CheckpointError(path, `two tensors have the same path ${p} (object keys containing '.' or '[' make paths ambiguous)`);
      names.add(p);
      tensors.push([p, x]);
      stored.push({ t: 'tensor', name: p });
    } else if (typeof x === 'number' || typeof x === 'string' || typeof x === 'boolean') {
      stored.push({ t: 'value', value: x });
    } else {
      throw new CheckpointError(path, `cannot save the leaf at ${p}: ${describeValue(x)} (leaves must be tensors, numbers, strings, booleans or null)`);
    }
  });
  const structure = toStructNode(def, stored);

  // Start every read now (a snapshot of the values at call time on cpu / wasm); the writer awaits
  // them one by one. Failures are reported by the writer, so mark the promises as handled.
  const entries: Record<string, LazyTensorData> = {};
  for (const [p, t] of tensors) {
    const pending = t.data().catch((e: unknown) => {
      throw new CheckpointError(path, `reading the tensor at ${p} failed: ${errorText(e)}`, { cause: e });
    });
    pending.catch(() => undefined);
    entries[p] = { dtype: t.dtype as TensorDType, shape: t.shape, data: () => pending as Promise<ArrayLike<number>> };
  }
  const metadata = { ...meta, [FORMAT_VERSION_KEY]: FORMAT_VERSION, [STRUCTURE_KEY]: JSON.stringify(structure) };
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeSafetensorsFile(path, entries, metadata);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    if (e instanceof SafetensorsError) throw new CheckpointError(path, e.reason, { cause: e });
    throw new CheckpointError(path, `could not write: ${errorText(e)}`, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// load

/** Options of `load`. */
export interface LoadOptions<T> {
  /**
   * The tree expected (e.g. freshly initialised state): the checkpoint must have the same
   * structure, and each tensor the same shape and dtype; each other leaf must be of the same
   * type (number, string, boolean). The first mismatch, in tree order, is reported by path.
   */
  readonly like?: T;
}

interface Spec {
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
}

/** The metadata of a checkpoint, decoded and checked: structure and the leaves with their tensor specs. */
interface Parsed {
  readonly node: StructNode;
  readonly leaves: readonly PathedLeaf[];
  readonly def: ReturnType<typeof fromStructNode>['def'];
  readonly specs: ReadonlyMap<string, Spec>;
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
function firstLikeMismatch(like: unknown, node: StructNode, specs: ReadonlyMap<string, Spec>, path = ''): string | null {
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
  // Any other leaf (a typed array, a tracer...) accepts any stored leaf.
  return node.t === 'tensor' || node.t === 'number' || node.t === 'string' || node.t === 'boolean' ? null : mismatch();
}

/**
 * Loads a checkpoint written by `save`, creating its tensors on the current tfjs backend. With
 * `like`, the structure and every tensor's shape and dtype are checked against the expected tree
 * first, and the first mismatch is reported by path. A truncated or corrupt file, or a mismatch,
 * throws a `CheckpointError` before any tensor is created.
 * @example
 * const init = initState(key);
 * const state = await load('runs/x/ckpt.safetensors', {like: init});
 * // CheckpointError: checkpoint runs/x/ckpt.safetensors: at .params.conv1.w expected shape [3,3,1,32] float32, found [3,3,1,16] float32
 */
export async function load<T = unknown>(path: string, options: LoadOptions<T> = {}): Promise<T> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new CheckpointError(path, `cannot read the file: ${errorText(e)}`, { cause: e });
  }
  return fromBytes<T>(bytes, path, options);
}

/**
 * `load` from the bytes of a checkpoint file (e.g. fetched in a browser); `source` names it in errors.
 * @example const state = loadBytes(new Uint8Array(await response.arrayBuffer()), 'ckpt.safetensors');
 */
export function loadBytes<T = unknown>(bytes: Uint8Array, source = '<bytes>', options: LoadOptions<T> = {}): T {
  return fromBytes<T>(bytes, source, options);
}

function fromBytes<T>(bytes: Uint8Array, path: string, options: LoadOptions<T>): T {
  const safe = <R>(f: () => R): R => {
    try {
      return f();
    } catch (e) {
      if (e instanceof SafetensorsError) throw new CheckpointError(path, e.reason, { cause: e });
      throw e;
    }
  };
  const header = safe(() => decodeSafetensorsHeader(bytes, path));
  const parsed = pipe(
    parseMetadata(header),
    E.getOrElseW((reason): never => {
      throw new CheckpointError(path, reason);
    }),
  );
  if (options.like !== undefined) {
    const m = firstLikeMismatch(options.like, parsed.node, parsed.specs);
    if (m) throw new CheckpointError(path, m);
  }
  // Convert all the data (this can still fail, e.g. an I64 value outside int32) before creating tensors.
  const { tensors: data } = safe(() => decodeSafetensors(bytes, path));

  const created: tf.Tensor[] = [];
  try {
    const values = parsed.leaves.map(({ leaf }) => {
      if (leaf.t === 'value') return leaf.value;
      const d = data[leaf.name];
      const t = tf.tensor(d.data, [...d.shape], d.dtype);
      created.push(t);
      return t;
    });
    return unflatten<T>(parsed.def, values);
  } catch (e) {
    for (const t of created) t.dispose();
    throw new CheckpointError(path, `creating the tensors failed: ${errorText(e)}`, { cause: e });
  }
}

/**
 * The caller's metadata of a checkpoint (as given to `save`'s `meta`), reading only the header.
 * @example await readCheckpointMeta('runs/x/ckpt-100.safetensors') // {note: 'epoch 3'}
 */
export async function readCheckpointMeta(path: string): Promise<Record<string, string>> {
  let header: SafetensorsHeader;
  try {
    header = await readSafetensorsHeader(path);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new CheckpointError(path, e.reason, { cause: e });
    throw new CheckpointError(path, `cannot read the file: ${errorText(e)}`, { cause: e });
  }
  if (header.metadata[FORMAT_VERSION_KEY] === undefined) throw new CheckpointError(path, `not a tfjax checkpoint: its __metadata__ has no ${JSON.stringify(FORMAT_VERSION_KEY)}`);
  return Object.fromEntries(Object.entries(header.metadata).filter(([k]) => !k.startsWith('tfjax.')));
}

// ---------------------------------------------------------------------------------------------
// Directories of checkpoints

const CKPT_NAME = /^ckpt-(\d+)\.safetensors$/;

/**
 * The `ckpt-<step>.safetensors` files of a directory, by increasing step (none if it does not exist).
 * @example await listCheckpoints('runs/x') // [{step: 100, path: 'runs/x/ckpt-100.safetensors'}, ...]
 */
export async function listCheckpoints(dir: string): Promise<{ step: number; path: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .map((n) => [n, CKPT_NAME.exec(n)] as const)
    .filter(([, m]) => m !== null && Number.isSafeInteger(Number(m[1])))
    .map(([n, m]) => ({ step: Number(m![1]), path: join(dir, n) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * The path of the newest valid checkpoint `ckpt-<step>.safetensors` in `dir` (highest step), or
 * null. A file is valid when its header is a complete tfjax checkpoint header and the file is as
 * long as the header says (the data itself is not read); invalid files are skipped and reported
 * to `onInvalid`.
 * @example const last = await latestCheckpoint('runs/x'); if (last) state = await load(last, {like: init});
 */
export async function latestCheckpoint(dir: string, options: { onInvalid?: (path: string, error: unknown) => void } = {}): Promise<string | null> {
  const all = await listCheckpoints(dir);
  for (const { path } of all.reverse()) {
    try {
      const header = await readSafetensorsHeader(path);
      pipe(
        parseMetadata(header),
        E.getOrElseW((reason): never => {
          throw new CheckpointError(path, reason);
        }),
      );
      return path;
    } catch (e) {
      options.onInvalid?.(path, e instanceof SafetensorsError ? new CheckpointError(path, e.reason, { cause: e }) : e);
    }
  }
  return null;
}

/** Options of `saveRotating`. */
export interface SaveRotatingOptions extends SaveOptions {
  /** How many checkpoints to keep, the new one included (default 3). */
  readonly keep?: number;
}

/**
 * Saves `tree` atomically as `dir/ckpt-<step>.safetensors` (creating `dir`), then removes the
 * older checkpoints beyond `keep`: the new file is always kept, with the `keep - 1` others of
 * highest step. Nothing is removed unless the new file was written completely.
 * @example const {path, removed} = await saveRotating('runs/x', step, {params, optState, step}, {keep: 3});
 */
export async function saveRotating(
  dir: string,
  step: number,
  tree: unknown,
  options: SaveRotatingOptions = {},
): Promise<{ path: string; removed: string[] }> {
  const keep = options.keep ?? 3;
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`saveRotating: step must be a non-negative integer, got ${step}`);
  if (!Number.isSafeInteger(keep) || keep < 1) throw new Error(`saveRotating: keep must be a positive integer, got ${keep}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `ckpt-${step}.safetensors`);
  await save(path, tree, options);
  const others = (await listCheckpoints(dir)).filter((c) => c.path !== path).sort((a, b) => b.step - a.step);
  const removed = others.slice(keep - 1).map((c) => c.path);
  for (const p of removed) await rm(p, { force: true });
  return { path, removed };
}
