/**
 * jax.lax.map and jax.lax.associative_scan. `map` is a scan with no carry (one traced body,
 * one equation under jit); `associativeScan` is JAX's odd/even recursion (log2(n) levels of
 * strided slices, one `fn` call on each half-size level, interleaving pads), over pytrees.
 */
import { normAxis, shapeStr } from '../core/aval.js';
import * as core from '../core/lax.js';
import { vmap } from '../core/api.js';
import { assertCallable } from '../core/control/api.js';
import { lax as control } from '../core/control/index.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import * as tree from '../tree/index.js';
import { logicalOr } from './math.js';
import { rev, sliceInDim } from './lax-structural.js';

export interface MapOptions {
  /**
   * JAX's `batch_size`: f runs vmapped over blocks of this many slices, scanned over the blocks,
   * and once more over the n mod batchSize slices left (fewer, larger steps; the same results).
   */
  readonly batchSize?: number;
}

/**
 * f applied to each slice of xs (a pytree) along its leading axis, the results stacked, as lax.map.
 * @example lax.map((x) => np.sum(x), xs, { batchSize: 8 })
 */
export function map<Y = unknown>(f: (x: any) => Y, xs: unknown, options: MapOptions = {}): Y {
  const { batchSize } = options;
  if (batchSize === undefined) return control.scan((carry: null, x: unknown) => [carry, f(x)], null, xs as never)[1] as Y;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`lax.map: batchSize must be a positive integer, got ${String(batchSize)}`);
  const leaves = tree.leaves(xs) as NdArray[];
  if (leaves.length === 0) throw new Error('lax.map: xs has no arrays to map over');
  const n = shapeOf(leaves[0])[0];
  const blocks = Math.floor(n / batchSize);
  const vf = vmap(f) as (x: unknown) => Y;
  const parts: Y[] = [];
  if (blocks > 0 || n === 0) {
    const blocked = tree.map((l: NdArray) => core.reshape(sliceInDim(l, 0, blocks * batchSize, 1, 0), [blocks, batchSize, ...shapeOf(l).slice(1)]), xs);
    const ys = control.scan((carry: null, x: unknown) => [carry, vf(x)], null, blocked as never)[1];
    parts.push(tree.map((y: NdArray) => core.reshape(y, [blocks * batchSize, ...shapeOf(y).slice(2)]), ys) as Y);
  }
  if (n % batchSize !== 0) parts.push(vf(tree.map((l: NdArray) => sliceInDim(l, blocks * batchSize, n, 1, 0), xs)));
  return parts.length === 1 ? parts[0] : (tree.map((a: NdArray, b: NdArray) => core.concatenate([a, b], 0), parts[0], parts[1]) as Y);
}

/** a and b (equal lengths, or a one longer) interleaved along `axis`: a0 b0 a1 b1 ... */
function interleave(a: NdArray, b: NdArray, axis: number): NdArray {
  const r = shapeOf(a).length;
  const [na, nb] = [shapeOf(a)[axis], shapeOf(b)[axis]];
  const at = (v: number) => Array.from({ length: r }, (_, i) => (i === axis ? v : 0));
  const pa = core.pad(a, at(0), at(na === nb ? 1 : 0), at(1));
  const pb = core.pad(b, at(1), at(na === nb ? 0 : 1), at(1));
  return avalOf(a).dtype === 'bool' ? logicalOr(pa, pb) : core.add(pa, pb);
}

type Combine = (a: NdArray[], b: NdArray[]) => NdArray[];

/** The inclusive scan of the flat leaves along `axis` (JAX's `_scan`). */
function scanLeaves(elems: NdArray[], combine: Combine, axis: number): NdArray[] {
  const n = shapeOf(elems[0])[axis];
  if (n < 2) return elems;
  const cut = (e: NdArray, start: number, stop: number | null, stride = 1) => sliceInDim(e, start, stop, stride, axis);
  const reduced = combine(elems.map((e) => cut(e, 0, n - 1, 2)), elems.map((e) => cut(e, 1, null, 2)));
  const odd = scanLeaves(reduced, combine, axis);
  const evenTail = n % 2 === 0 ? combine(odd.map((e) => cut(e, 0, shapeOf(e)[axis] - 1)), elems.map((e) => cut(e, 2, null, 2))) : combine(odd, elems.map((e) => cut(e, 2, null, 2)));
  const even = elems.map((e, i) => core.concatenate([cut(e, 0, 1), evenTail[i]], axis));
  return even.map((e, i) => interleave(e, odd[i], axis));
}

export interface AssociativeScanOptions {
  /** Scan from the end (JAX: flip, scan, flip; `fn` still gets the accumulated value first). */
  readonly reverse?: boolean;
  readonly axis?: number;
}

/**
 * The inclusive scan of `elems` (a pytree of arrays of one length along `axis`) under the
 * associative `fn(a, b)` (pytrees of elems' structure, applied to whole slices), as
 * jax.lax.associative_scan: result[i] = fn(...fn(fn(e0, e1), e2)..., ei).
 * @example lax.associativeScan(np.add, np.array([1, 2, 3])) // [1, 3, 6]
 */
export function associativeScan<T>(fn: (a: T, b: T) => T, elems: T, opts: AssociativeScanOptions = {}): T {
  assertCallable(fn, 'lax.associativeScan: fn');
  const [leaves, def] = tree.flatten(elems);
  const arrays = leaves as NdArray[];
  if (arrays.length === 0) return elems;
  const r = shapeOf(arrays[0]).length;
  const axis = normAxis(opts.axis ?? 0, r, 'lax.associativeScan');
  const n = shapeOf(arrays[0])[axis];
  arrays.forEach((a) => {
    if (shapeOf(a).length !== r || shapeOf(a)[axis] !== n) throw new Error(`lax.associativeScan: every leaf needs length ${n} along axis ${axis}, got ${shapeStr(shapeOf(a))}`);
  });
  const combine: Combine = (a, b) => {
    const out = tree.flatten(fn(tree.unflatten(def, a) as T, tree.unflatten(def, b) as T))[0] as NdArray[];
    if (out.length !== a.length) throw new Error(`lax.associativeScan: fn returned ${out.length} leaves for ${a.length}`);
    return out;
  };
  const flipped = (xs: NdArray[]) => (opts.reverse ? xs.map((x) => rev(x, [axis])) : xs);
  return tree.unflatten(def, flipped(scanLeaves(flipped(arrays), combine, axis))) as T;
}
