/** Reading a checkpoint: validated in full (validate.ts) before its tensors are created. */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, decodeSafetensorsHeader, SafetensorsError, type SafetensorsHeader } from '../io/safetensors.js';
import { readSafetensorsHeader } from '../io/safetensors-file.js';
import { unflatten } from '../tree/index.js';
import { CheckpointError, FORMAT_VERSION_KEY, errorText } from './format.js';
import { checkedMetadata, firstLikeMismatch } from './validate.js';

/** Options of `load`. */
export interface LoadOptions<T> {
  /**
   * The tree expected (e.g. freshly initialised state): the checkpoint must have the same
   * structure, and each tensor the same shape and dtype; each other leaf must be of the same
   * type (number, string, boolean). The first mismatch, in tree order, is reported by path.
   */
  readonly like?: T;
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
  const parsed = checkedMetadata(header, path);
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
