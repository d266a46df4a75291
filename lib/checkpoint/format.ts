/** The checkpoint format's metadata keys and version, and its error. */
import * as tf from '@tensorflow/tfjs-core';
import { isPlainObject } from '../tree/index.js';

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

/** The message of a thrown value. */
export const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A value described for an error message (`a tensor of shape [2,3] float32`, `an array of length 4`). */
export function describeValue(x: unknown): string {
  if (x instanceof tf.Tensor) return `a tensor of shape [${x.shape.join(',')}] ${x.dtype}`;
  if (x === null) return 'null';
  if (x === undefined) return 'undefined';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (isPlainObject(x)) return `an object with keys [${Object.keys(x).sort().join(', ')}]`;
  if (typeof x === 'object') return `a ${(x as object).constructor?.name ?? 'object'}`;
  return `a ${typeof x}`;
}
