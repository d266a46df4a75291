/** Writing a checkpoint: a tree of tensors and plain values as one safetensors file, atomically. */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsError, type LazyTensorData, type TensorDType } from '../io/safetensors.js';
import { writeSafetensorsFile } from '../io/safetensors-file.js';
import { flatten, paths } from '../tree/index.js';
import { CheckpointError, FORMAT_VERSION, FORMAT_VERSION_KEY, STRUCTURE_KEY, describeValue, errorText } from './format.js';
import { MAX_TREE_DEPTH, nestsDeeperThan, toStructNode, type StoredLeaf, type StructNode } from './structure.js';

const SAVABLE_DTYPES: readonly string[] = ['float32', 'int32', 'bool'] satisfies TensorDType[];

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
  let structure: StructNode;
  try {
    structure = toStructNode(def, stored);
  } catch (e) {
    throw new CheckpointError(path, errorText(e), { cause: e });
  }

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
