/** numpy's block (arrays assembled from nested lists) and empty / emptyLike (zeros, as in JAX). */
import * as tf from '@tensorflow/tfjs-core';
import type { DType } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';
import { zeros, zerosLike } from './creation.js';
import type { ArrayOrNumber } from './math.js';
import { concatenate } from './shape.js';

/** A block: an array or number, or a list of blocks all nested to the same depth. */
export type Block = ArrayOrNumber | readonly Block[];

/** The nesting depth of a block's lists (checked to be the same everywhere) and its leaves' largest rank. */
function measure(b: Block, path: string): { depth: number; rank: number } {
  if (typeof b === 'number') return { depth: 0, rank: 0 };
  if (isArray(b)) return { depth: 0, rank: shapeOf(b).length };
  const list = b as readonly Block[];
  if (list.length === 0) throw new Error(`block: the list at ${path || 'the top'} is empty`);
  const parts = list.map((x, i) => measure(x, `${path}[${i}]`));
  if (parts.some((p) => p.depth !== parts[0].depth)) throw new Error(`block: the lists at ${path || 'the top'} are not all nested to the same depth`);
  return { depth: parts[0].depth + 1, rank: Math.max(...parts.map((p) => p.rank)) };
}

/**
 * An array assembled from nested lists of blocks (numpy's block): the innermost lists are
 * joined along the last axis, the next ones out along the second-to-last, and so on; every
 * block first gets leading 1s up to the common rank (the larger of the nesting depth and the
 * blocks' ranks). Dtypes promote as in `np.concatenate`.
 * @example np.block([[a, b], [c, d]]) // a 2 x 2 arrangement of matrices
 */
export function block(arrays: Block): NdArray {
  const { depth, rank: leafRank } = measure(arrays, '');
  const rank = Math.max(depth, leafRank);
  const build = (b: Block, level: number): NdArray => {
    if (typeof b === 'number') return lax.reshape(tf.scalar(b, Number.isInteger(b) ? 'int32' : 'float32'), new Array(rank).fill(1));
    if (isArray(b)) {
      const s = shapeOf(b);
      return s.length === rank ? b : lax.reshape(b, [...new Array(rank - s.length).fill(1), ...s]);
    }
    return concatenate((b as readonly Block[]).map((x) => build(x, level + 1)), level - depth);
  };
  return build(arrays, 0);
}

/** An array of `shape` (zeros: jax.numpy's empty gives zeros, as XLA has no uninitialised memory). */
export const empty = (shape: readonly number[], dtype: DType = 'float32') => zeros(shape, dtype);
/** An array of x's shape (or dtype's) filled with zeros (jax.numpy's empty_like). */
export const emptyLike = (x: NdArray, dtype?: DType) => zerosLike(x, dtype);
