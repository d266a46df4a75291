/** np.unique along an axis: the unique slices, in lexicographic order (eager, as their number decides the shape). */
import * as tf from '@tensorflow/tfjs-core';
import { normAxis, sizeOf } from '../core/aval.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { moveaxis } from './manipulation.js';
import { take } from './shape.js';

/** The flags of unique along an axis. */
export interface UniqueAxisFlags {
  readonly returnIndex?: boolean;
  readonly returnInverse?: boolean;
  readonly returnCounts?: boolean;
  readonly equalNan?: boolean;
}

/** Compares two slices entry by entry, NaN after every number (NumPy's sort order). */
function compareSlices(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < a.length; k++) {
    const [u, v] = [a[k], b[k]];
    if (u === v || (Number.isNaN(u) && Number.isNaN(v))) continue;
    if (Number.isNaN(u)) return 1;
    if (Number.isNaN(v)) return -1;
    return u < v ? -1 : 1;
  }
  return 0;
}

const sameSlice = (a: readonly number[], b: readonly number[], equalNan: boolean) => a.every((u, k) => u === b[k] || (equalNan && Number.isNaN(u) && Number.isNaN(b[k])));

/**
 * The unique slices of x along `axis`, sorted lexicographically (numpy's unique with an axis):
 * the values, then (as flags ask) each unique slice's first index, the inverse (int32, one
 * entry per slice of x) and the counts. The values are read, so not under jit/vmap/grad.
 */
export function uniqueAlongAxis(x: NdArray, axis: number, { returnIndex = false, returnInverse = false, returnCounts = false, equalNan = true }: UniqueAxisFlags = {}): NdArray | NdArray[] {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'unique');
  const why = unreadable(x);
  if (why) throw new Error(`unique: with an axis the result's shape depends on x's values, which ${why}`);
  const n = s[a];
  const width = n === 0 ? 0 : sizeOf(s) / n;
  const flat = Array.from((moveaxis(x, a, 0) as tf.Tensor).dataSync(), Number);
  const slices = Array.from({ length: n }, (_, i) => flat.slice(i * width, (i + 1) * width));
  const order = [...slices.keys()].sort((i, j) => compareSlices(slices[i], slices[j]) || i - j);
  const firsts: number[] = [];
  const counts: number[] = [];
  const inverse = new Array<number>(n).fill(0);
  for (const i of order) {
    const last = firsts.at(-1);
    if (last === undefined || !sameSlice(slices[last], slices[i], equalNan)) {
      firsts.push(i);
      counts.push(0);
    }
    counts[counts.length - 1] += 1;
    inverse[i] = firsts.length - 1;
  }
  const values = take(x, tf.tensor1d(firsts, 'int32'), a);
  if (!returnIndex && !returnInverse && !returnCounts) return values;
  const int = (v: number[]) => tf.tensor1d(v, 'int32');
  return [values, ...(returnIndex ? [int(firsts)] : []), ...(returnInverse ? [int(inverse)] : []), ...(returnCounts ? [int(counts)] : [])];
}
