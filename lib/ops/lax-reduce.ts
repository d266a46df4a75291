/**
 * jax.lax.reduce with any binary computation (the monoids recognised and given to the
 * reductions, as JAX's _get_monoid_reducer; anything else folded by a scan), lax.empty and
 * lax.broadcast_to_rank.
 */
import { type DType, avalStr, normAxes } from '../core/aval.js';
import { scan } from '../core/control/api.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import * as tree from '../tree/index.js';
import { add, maximum, minimum, mul } from './math.js';
import * as elementwise from './lax-elementwise.js';
import { bitwiseAnd, bitwiseOr } from './bitwise.js';
import { checkDType } from './lax-operands.js';
import { shapeArg } from './creation.js';
import { reduceAnd, reduceMax, reduceMin, reduceOr, reduceProd, reduceSum } from './lax-reductions.js';

type Binary = (a: any, b: any) => any;
type Reducer = (x: NdArray, axes: readonly number[]) => NdArray;

/** The monoid a computation names, with its identity for a dtype (null where it has none there). */
interface Monoid {
  readonly fns: readonly Binary[];
  readonly identity: (dtype: DType) => number | null;
  readonly reduce: Reducer;
}
const INT32_MAX = 2 ** 31 - 1;
const MONOIDS: readonly Monoid[] = [
  { fns: [elementwise.add, add], identity: (d) => (d === 'bool' ? null : 0), reduce: reduceSum },
  { fns: [elementwise.mul, mul], identity: (d) => (d === 'bool' ? null : 1), reduce: reduceProd },
  { fns: [elementwise.max, maximum], identity: (d) => (d === 'float32' ? -Infinity : d === 'int32' ? -INT32_MAX - 1 : 0), reduce: reduceMax },
  { fns: [elementwise.min, minimum], identity: (d) => (d === 'float32' ? Infinity : d === 'int32' ? INT32_MAX : 1), reduce: reduceMin },
  { fns: [elementwise.bitwiseAnd, bitwiseAnd], identity: (d) => (d === 'bool' ? 1 : null), reduce: reduceAnd },
  { fns: [elementwise.bitwiseOr, bitwiseOr], identity: (d) => (d === 'bool' ? 0 : null), reduce: reduceOr },
];

/** A JS number, or the value of a rank-0 constant made from one (JAX's concrete init value); else undefined. */
function initNumber(v: NdArray | number | boolean): number | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
  return shapeOf(v).length === 0 ? core.literalValue(v) : undefined;
}

/** An init value as a rank-0 array of the operand's dtype (a JS number takes it; an array must have it). */
function initArray(v: NdArray | number | boolean, x: NdArray): NdArray {
  const dtype = avalOf(x).dtype;
  if (typeof v === 'number' || typeof v === 'boolean') return core.scalar(Number(v), dtype);
  if (shapeOf(v).length !== 0) throw new TypeError(`lax.reduce: init values must be scalars, got ${avalStr(avalOf(v))}`);
  if (avalOf(v).dtype !== dtype) throw new TypeError(`lax.reduce: an init value ${avalStr(avalOf(v))} does not match its operand ${avalStr(avalOf(x))}`);
  return v;
}

/** Folds `computation` over `axes` of the operands (one scan over the reduced elements), from the init values. */
function fold(xs: NdArray[], inits: NdArray[], computation: Binary, axes: number[], pack: (ls: NdArray[]) => unknown, unpack: (t: unknown) => NdArray[]): NdArray[] {
  const shape = shapeOf(xs[0]);
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptShape = kept.map((d) => shape[d]);
  const n = axes.reduce((p, d) => p * shape[d], 1);
  const lead = xs.map((x) => core.reshape(core.transpose(x, [...axes, ...kept]), [n, ...keptShape]));
  const start = inits.map((v) => core.broadcastInDim(v, keptShape, []));
  const [out] = scan((carry: unknown, x: unknown) => [pack(unpack(computation(carry, x))), null], pack(start), pack(lead));
  return unpack(out);
}

/**
 * jax.lax.reduce: reduces `dimensions` of `operands` (an array, or a list / pytree of arrays of
 * one shape) with `computation(a, b)` (taking and returning the operands' structure) from
 * `initValues` (scalars, the same structure). lax's and np's add, mul, max, min (and bitwise
 * and / or on bool) with their identity as init become the matching reduction, as JAX
 * recognises monoids; any other computation or init is folded in order by a scan (so it is
 * differentiable and jittable), the init applied once.
 * @example lax.reduce(x, 0, lax.add, [0]) // reduceSum(x, [0])
 * @example lax.reduce([v, i], [-Infinity, 0], argmaxStep, [1]) // a variadic reduction
 */
export function reduce(operands: any, initValues: any, computation: Binary, dimensions: readonly number[]): any {
  const [xs, def] = tree.flatten<NdArray>(operands);
  const [inits, initDef] = tree.flatten<NdArray | number>(initValues);
  if (xs.length === 0) throw new Error('lax.reduce: no operands');
  if (inits.length !== xs.length) throw new Error(`lax.reduce: ${xs.length} operand(s) but ${inits.length} init value(s); give one per operand`);
  tree.assertSameStructure(def, initDef, 'lax.reduce: operands and initValues');
  const shape = shapeOf(xs[0]);
  xs.forEach((x) => {
    if (shapeOf(x).join() !== shape.join()) throw new TypeError(`lax.reduce: operands must have one shape, got ${xs.map((a) => avalStr(avalOf(a))).join(', ')}`);
  });
  const axes = normAxes(dimensions, shape.length, 'lax.reduce');
  if (xs.length === 1) {
    const monoid = MONOIDS.find((m) => m.fns.includes(computation));
    const id = monoid?.identity(avalOf(xs[0]).dtype);
    if (monoid && id !== null && id !== undefined && initNumber(inits[0]) === id) return tree.unflatten(def, [monoid.reduce(xs[0], axes)]);
  }
  const starts = inits.map((v, i) => initArray(v, xs[i]));
  const pack = (ls: NdArray[]) => tree.unflatten(def, ls);
  const unpack = (t: unknown) => {
    const [ls, d] = tree.flatten<NdArray>(t);
    tree.assertSameStructure(def, d, 'lax.reduce: the computation\'s output and the operands');
    return ls;
  };
  return pack(fold(xs, starts, computation, axes, pack, unpack));
}

/**
 * jax.lax.reduce_xor: exclusive or over `axes` of an int32 (bitwise) or bool array, folded in order.
 * @example lax.reduceXor(np.array([5, 3, 1], 'int32'), [0]) // 7
 */
export function reduceXor(x: NdArray, axes: readonly number[]): NdArray {
  checkDType('reduceXor', x, 'intOrBool');
  return reduce(x, 0, elementwise.bitwiseXor, axes) as NdArray;
}

/**
 * jax.lax.empty: an array of `shape` and `dtype`. XLA has no uninitialised arrays here, so it
 * holds zeros (as jnp.empty before JAX 0.11).
 * @example lax.empty([2, 3], 'int32')
 */
export function empty(shape: number | readonly number[], dtype: DType = 'float32'): NdArray {
  return core.full(shapeArg(shape, 'lax.empty'), 0, dtype);
}

/**
 * jax.lax.broadcast_to_rank: x with leading dims of size 1 added up to `rank` (unchanged at
 * its rank); a rank below x's is an error.
 * @example lax.broadcastToRank(np.ones([3]), 3) // shape [1, 1, 3]
 */
export function broadcastToRank(x: NdArray, rank: number): NdArray {
  const s = shapeOf(x);
  if (!Number.isInteger(rank) || rank < s.length) throw new Error(`lax.broadcastToRank: rank ${rank} is below the rank of ${avalStr(avalOf(x))}`);
  return core.reshape(x, [...new Array(rank - s.length).fill(1), ...s]);
}
