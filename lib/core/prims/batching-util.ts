/** Helpers shared by batching rules. */
import * as lax from '../lax.js';
import type { BDim } from '../prim-types.js';
import { type NdArray, shapeOf } from '../trace.js';

/** Moves the batch dim to `to` (when batched), else inserts a size-1 axis there. */
export function batchAt(x: NdArray, d: BDim, to = 0): NdArray {
  return d === null ? lax.expandDims(x, to) : lax.moveAxis(x, d, to);
}

/** Moves the batch dim to `to`, materialising it with `size` entries when x is unbatched. */
export function materializeBatch(x: NdArray, d: BDim, size: number, to = 0): NdArray {
  if (d !== null) return lax.moveAxis(x, d, to);
  const s = [...shapeOf(x)];
  s.splice(to, 0, size);
  return lax.broadcastTo(lax.expandDims(x, to), s);
}

/** Merges axis `a` into axis `a + 1` (a size-B batch axis folded into the next one). */
export function foldInto(x: NdArray, a: number): NdArray {
  const s = [...shapeOf(x)];
  s.splice(a, 2, s[a] * s[a + 1]);
  return lax.reshape(x, s);
}

/** Splits axis `a` of size n*m into [n, m]; m is given when n may be 0 (a size-0 vmap), where it cannot be divided out. */
export function splitAxis(x: NdArray, a: number, n: number, m?: number): NdArray {
  const s = [...shapeOf(x)];
  s.splice(a, 1, n, m ?? s[a] / n);
  return lax.reshape(x, s);
}
