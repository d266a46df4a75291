/** numpy-like arithmetic with broadcasting, reductions and matrix products. */
import { type DType, isFloat, normAxes, normAxis, shapeStr, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import type { BinaryPrim } from '../core/prim-types.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { broadcastShapesFor } from './broadcast.js';

export type ArrayOrNumber = NdArray | number;

/**
 * Brings operands to one rank (leading 1s) and one dtype: `dtype` if given, else jax.numpy's
 * promotion of them (lib/core/promotion.ts: JS numbers are weakly typed).
 */
export function promote(xs: readonly ArrayOrNumber[], op: string, dtype: DType = resultDType(xs)): NdArray[] {
  return alignRanks(xs.map((x) => (typeof x === 'number' ? x : lax.cast(x, dtype))), op, dtype);
}

/** Checks that operands broadcast and gives them one rank (leading 1s); numbers become `dtype` constants. */
function alignRanks(xs: readonly ArrayOrNumber[], op: string, dtype: DType): NdArray[] {
  const arrays = xs.filter((x): x is NdArray => typeof x !== 'number');
  const rank = broadcastShapesFor(op, arrays.map(shapeOf)).length;
  return xs.map((x) => {
    if (typeof x === 'number') return lax.scalar(x, dtype, rank);
    const s = shapeOf(x);
    return s.length === rank ? x : lax.reshape(x, [...new Array(rank - s.length).fill(1), ...s]);
  });
}

function bin(p: BinaryPrim) {
  return (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => {
    const [a, b] = promote([x, y], p);
    return lax.binary(p, a, b);
  };
}

/** Makes an integer or bool array float32 (true division, means): others pass through. */
export function toFloat(x: NdArray): NdArray {
  return isFloat(avalOf(x).dtype) ? x : lax.cast(x, 'float32');
}

/** Casts to bool as NumPy's truth value: nonzero is true. */
function truth(x: ArrayOrNumber): NdArray {
  return typeof x === 'number' ? lax.scalar(x !== 0 ? 1 : 0, 'bool') : lax.cast(x, 'bool');
}

export const add = bin('add');
/**
 * x - y with broadcasting; two bool operands are an error, as in NumPy and jax.numpy (use
 * np.logicalXor or np.bitwiseXor, or cast first).
 */
export function sub(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'sub');
  if (avalOf(a).dtype === 'bool') throw new Error('np.sub: boolean subtract is not supported (got bool and bool); use np.logicalXor or np.bitwiseXor, or cast to int32 first');
  return lax.binary('sub', a, b);
}
export const mul = bin('mul');
/** True division: integer and bool operands give float32 (as NumPy's `/`); `floorDivide` floors. */
export function div(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'div', 'float32'); // the only float dtype
  return lax.div(a, b);
}
/**
 * x ** y, NumPy's and jax.numpy's power: int32 (and bool) operands by binary exponentiation
 * with wrapping products, so int32 results wrap around mod 2^32 on every backend (a float
 * kernel saturated 3 ** 21). An integer base with a negative JS number exponent is an error,
 * as in jax.numpy (lax.integer_pow's TypeError) and NumPy; negative entries of an int32
 * exponent array give 1 / x^|y| truncated (JAX: implementation-defined). Floats: C's pow, so
 * 1 ** y = 1 and (-1) ** +-inf = 1 (JS's Math.pow gave NaN there, as for 1 ** NaN).
 */
export function pow(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'pow');
  const dtype = avalOf(a).dtype;
  if (!isFloat(dtype) && typeof y === 'number' && y < 0)
    throw new Error(`pow: integers cannot be raised to negative powers (${dtype} ** ${y}; jax.numpy and NumPy raise too); cast the base to float32 first`);
  return isFloat(dtype) ? floatPow(a, b, x, y) : intPow(a, b, y);
}

/**
 * C's pow on float operands a and b of one dtype (np.power's and lax.pow's): 1 ** y = 1 and
 * (-1) ** +-inf = 1, where JS's pow gives NaN. `x` and `y`, the caller's operands before
 * promotion, skip that fix where a JS number rules it out.
 */
export function floatPow(a: NdArray, b: NdArray, x: ArrayOrNumber = a, y: ArrayOrNumber = b): NdArray {
  const r = lax.binary('pow', a, b);
  // Only 1 ** (inf or NaN) and (-1) ** inf differ from JS's pow: nothing to fix for a number y that is finite or x other than +-1.
  if ((typeof y === 'number' && Number.isFinite(y)) || (typeof x === 'number' && Math.abs(x) !== 1)) return r;
  const is = (v: number) => lax.eq(a, lax.scalarLike(v, a));
  const minusOneToInf = bin('and')(is(-1), lax.eq(b, b)); // (-1) ** NaN stays NaN
  const special = bin('and')(lax.unary('not', lax.unary('is_finite', b)), bin('or')(is(1), minusOneToInf));
  return where(special, 1, r);
}

/** The bits of an int32 exponent: 31 for an array, the number's own for a non-negative JS integer. */
const exponentBits = (y: ArrayOrNumber) => (typeof y === 'number' && Number.isInteger(y) && y >= 0 ? Math.max(1, Math.ceil(Math.log2(y + 1))) : 31);

/** a ** b for int32 (or bool, as int32: jax.numpy) a and b: square and multiply over b's bits, wrapping as int32 products do. */
function intPow(a: NdArray, b: NdArray, y: ArrayOrNumber): NdArray {
  const [base, e] = [a, b].map((v) => (avalOf(v).dtype === 'bool' ? lax.cast(v, 'int32') : v)) as [NdArray, NdArray];
  let acc: ArrayOrNumber = 1;
  let [p, rest] = [base, maximum(e, 0)];
  for (let k = exponentBits(y); k > 0; k--) {
    const half = lax.div(rest, lax.scalarLike(2, rest)); // floor division, rest >= 0
    acc = where(notEqual(sub(rest, mul(half, 2)), 0), mul(acc, p), acc);
    if (k > 1) p = mul(p, p);
    rest = half;
  }
  // Negative exponents: the kernel's 1 / x^|y| truncated toward zero (1, -1 or 0).
  return where(less(e, 0), lax.binary('pow', base, e), acc);
}
export const maximum = bin('max');
export const minimum = bin('min');
export const equal = bin('eq');
export const notEqual = bin('ne');
export const less = bin('lt');
export const lessEqual = bin('le');
export const greater = bin('gt');
export const greaterEqual = bin('ge');
/** Elementwise `x && y` on truth values (nonzero is true), numbers and any dtype accepted. */
export const logicalAnd = (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => bin('and')(truth(x), truth(y));
/** Elementwise `x || y` on truth values (nonzero is true), numbers and any dtype accepted. */
export const logicalOr = (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => bin('or')(truth(x), truth(y));

/** -x; a bool array is an error, as in NumPy and jax.numpy (np.logicalNot negates truth values). */
export function neg(x: NdArray): NdArray {
  if (avalOf(x).dtype === 'bool') throw new Error('neg: not defined for bool arrays (use np.logicalNot)');
  return lax.neg(x);
}
/** A float function of one argument: int32 and bool arrays are taken as float32, as NumPy does. */
const floatUnary = (f: (x: NdArray) => NdArray) => (x: NdArray) => f(toFloat(x));
export const exp = floatUnary(lax.exp);
export const log = floatUnary(lax.log);
export const log1p = floatUnary((x) => lax.unary('log1p', x));
export const expm1 = floatUnary((x) => lax.unary('expm1', x));
export const sqrt = floatUnary(lax.sqrt);
export const rsqrt = floatUnary(lax.rsqrt);
export const tanh = floatUnary(lax.tanh);
export const sigmoid = floatUnary(lax.logistic);
export const abs = (x: NdArray) => lax.unary('abs', x);
export const sign = (x: NdArray) => lax.sign(x);
export const sin = floatUnary(lax.sin);
export const cos = floatUnary(lax.cos);
export const erf = floatUnary((x) => lax.unary('erf', x));
/** Rounds down; int32 and bool arrays are returned as they are (already integral). */
export const floor = (x: NdArray) => (isFloat(avalOf(x).dtype) ? lax.unary('floor', x) : x);
/**
 * Rounds half to even at `decimals` decimal places (negative: to tens, hundreds, ...), as
 * jax.numpy: x * 10^decimals rounded, then divided back; int32 arrays are returned as they are
 * (jax.numpy has no negative `decimals` for integers: an error). A bool array is an error, as
 * in jax.numpy (bool is neither an integer nor a float dtype there; NumPy gives float16).
 * @example np.round(np.array([1.25, 2.5, 151]), 1) // [1.2, 2.5, 151]; np.round(x, -1) // 151 -> 150
 */
export function round(x: NdArray, decimals = 0): NdArray {
  if (!Number.isInteger(decimals)) throw new Error(`round: decimals must be an integer, got ${decimals}`);
  if (avalOf(x).dtype === 'bool') throw new TypeError("round: bool arrays cannot be rounded (as in jax.numpy); cast to 'int32' or 'float32' first");
  if (!isFloat(avalOf(x).dtype)) {
    if (decimals < 0) throw new Error(`round: decimals < 0 is not supported for ${avalOf(x).dtype} arrays (as in jax.numpy)`);
    return x;
  }
  // From 10^39, past float32's largest value (3.4e38), rounding changes nothing (jax.numpy; it was inf / inf = NaN).
  if (decimals > 38) return x;
  const factor = 10 ** decimals;
  const r = decimals === 0 ? lax.unary('round', x) : div(lax.unary('round', mul(x, factor)), factor);
  // A zero result keeps x's sign (round(-0.5) = -0, as IEEE's roundeven; some kernels gave +0).
  return where(equal(r, 0), mul(x, 0), r);
}
/** NumPy's other name for {@link round}. */
export const around = round;
/** Elementwise `x != y` on truth values (exactly one nonzero), numbers and any dtype accepted. */
export const logicalXor = (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => bin('ne')(truth(x), truth(y));
/** Elementwise `!x` on truth values (nonzero is true). */
export const logicalNot = (x: ArrayOrNumber) => lax.unary('not', truth(x));
export const isfinite = floatUnary((x) => lax.unary('is_finite', x));
/** x * x; a bool array squares as int32 (jax.numpy's square promotes bool to an integer). */
export const square = (x: NdArray) => {
  const v = avalOf(x).dtype === 'bool' ? lax.cast(x, 'int32') : x;
  return lax.mul(v, v);
};
export const reciprocal = (x: NdArray) => div(1, x);
/**
 * x converted to `dtype` (np.cast, np.astype, lax.convert_element_type). float32 to int32
 * truncates toward zero and saturates, NaN giving 0, as XLA's conversion in JAX (inf gives
 * 2147483647, -3e9 gives -2147483648); to bool, nonzero (and NaN) is true.
 */
export function cast(x: NdArray, dtype: DType): NdArray {
  if (avalOf(x).dtype !== 'float32' || dtype !== 'int32') return lax.cast(x, dtype);
  const inRange = lax.cast(where(logicalAnd(less(x, 2 ** 31), greaterEqual(x, -(2 ** 31))), x, 0), 'int32');
  return where(greaterEqual(x, 2 ** 31), 2 ** 31 - 1, where(less(x, -(2 ** 31)), -(2 ** 31), inRange));
}

/** Elementwise choice: `cond ? x : y` (cond by truth value), broadcasting all three; x and y promote together. */
export function where(cond: ArrayOrNumber, x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  if (x === undefined || y === undefined) throw new Error('where: need cond, x and y (for where(cond) alone, the positions, use np.nonzero(cond))');
  const dtype = resultDType([x, y]);
  const toDType = (v: ArrayOrNumber) => (typeof v === 'number' ? v : lax.cast(v, dtype));
  const [c, a, b] = alignRanks([truth(cond), toDType(x), toDType(y)], 'where', dtype);
  return lax.select(c, a, b);
}

export function clip(x: NdArray, lo: ArrayOrNumber | null | undefined, hi?: ArrayOrNumber | null): NdArray {
  const above = lo === null || lo === undefined ? x : maximum(x, lo);
  return hi === null || hi === undefined ? above : minimum(above, hi);
}

export type Axis = number | readonly number[] | null | undefined;

/** The axes `axis` names (all by default), normalised; a repeated or out-of-range axis is an error naming `op`. */
export function axesOf(x: NdArray, axis: Axis, op: string): number[] {
  const r = shapeOf(x).length;
  if (axis === null || axis === undefined) return [...Array(r).keys()];
  return normAxes(typeof axis === 'number' ? [axis] : axis, r, op);
}

function keep(x: NdArray, reduced: NdArray, axes: number[], keepdims: boolean): NdArray {
  return keepdims ? lax.reshape(reduced, shapeOf(x).map((d, i) => (axes.includes(i) ? 1 : d))) : reduced;
}

/** The options NumPy's and jax.numpy's reductions share. */
export interface ReduceOptions {
  /** Only the elements where this mask (broadcast to x's shape) is true take part. */
  readonly where?: NdArray;
  /**
   * The value the reduction starts from, in x's dtype: added to a sum, multiplied into a
   * product, compared by max/min (which need it with `where`); the result over no elements.
   * A number or a 0-d array (jax.numpy's `initial` must be a scalar).
   */
  readonly initial?: number | NdArray;
  /** The dtype to accumulate in and return (sum, prod, mean; x is cast to it first, as jax.numpy's `dtype`). */
  readonly dtype?: DType;
}

/** x in the dtype a sum or product accumulates in: `dtype` if given (then bools as int32), else x's (bools as int32). */
export function accumuland(x: NdArray, dtype: DType | undefined): NdArray {
  const v = dtype === undefined ? x : lax.cast(x, dtype);
  return avalOf(v).dtype === 'bool' ? lax.cast(v, 'int32') : v;
}

/** A sum or product taken back to the requested `dtype` (only a bool one differs from the accumulation's: any nonzero is true). */
export const accumulated = (y: NdArray, dtype: DType | undefined): NdArray => (dtype === 'bool' ? lax.cast(y, 'bool') : y);

/** x with the elements outside `mask` replaced by `fill` (the reduction's identity), x's dtype and shape kept. */
export function masked(x: NdArray, mask: NdArray | undefined, fill: number | NdArray, op: string): NdArray {
  if (!mask) return x;
  if (avalOf(mask).dtype !== 'bool') throw new Error(`${op}: where must be a boolean array (jax.numpy's rule), got ${avalOf(mask).dtype}; compare it first (np.notEqual(mask, 0))`);
  const dtype = avalOf(x).dtype;
  const out = where(mask, x, initialValue(fill, dtype, op));
  if (shapeStr(shapeOf(out)) !== shapeStr(shapeOf(x))) throw new Error(`${op}: a where mask of shape ${shapeStr(shapeOf(mask))} does not broadcast to x's shape ${shapeStr(shapeOf(x))}`);
  return out;
}

/** `initial` as a 0-d array of `dtype`; an array that is not 0-d is an error (jax.numpy: it must be a scalar). */
function initialValue(initial: number | NdArray, dtype: DType, op: string): NdArray {
  if (typeof initial === 'number') return lax.full([], initial, dtype);
  if (shapeOf(initial).length !== 0) throw new Error(`${op}: initial value must be a scalar, got an array of shape ${shapeStr(shapeOf(initial))}`);
  return lax.cast(initial, dtype);
}

/** A reduction's result combined with `initial` (in the result's dtype), when one is given. */
export function withInitial(y: NdArray, initial: number | NdArray | undefined, combine: (a: NdArray, b: NdArray) => NdArray, op = 'reduction'): NdArray {
  return initial === undefined ? y : combine(y, initialValue(initial, avalOf(y).dtype, op));
}

/** Sum over `axis` (all axes by default); bool counts as int32 (NumPy counts); `where`, `initial` and `dtype` as NumPy's. */
export function sum(x: NdArray, axis?: Axis, keepdims = false, { where: mask, initial, dtype }: ReduceOptions = {}): NdArray {
  const axes = axesOf(x, axis, 'sum');
  const v = accumuland(x, dtype);
  return accumulated(withInitial(keep(x, lax.reduceSum(masked(v, mask, 0, 'sum'), axes), axes, keepdims), initial, add, 'sum'), dtype);
}

/** Largest element over `axis` (all axes by default); NaN if any is; `initial` is also compared (and is the result over no elements); `where` needs `initial`. */
export function max(x: NdArray, axis?: Axis, keepdims = false, opts: ReduceOptions = {}): NdArray {
  return extremum(x, axis, keepdims, opts, 'max', lax.reduceMax, maximum);
}

/** Smallest element over `axis` (all axes by default); as {@link max}. */
export function min(x: NdArray, axis?: Axis, keepdims = false, opts: ReduceOptions = {}): NdArray {
  return extremum(x, axis, keepdims, opts, 'min', lax.reduceMin, minimum);
}

function extremum(x: NdArray, axis: Axis, keepdims: boolean, { where: mask, initial }: ReduceOptions, op: string, reduce: (x: NdArray, axes: number[]) => NdArray, combine: (a: NdArray, b: NdArray) => NdArray): NdArray {
  const axes = axesOf(x, axis, op);
  if (mask && initial === undefined) throw new Error(`${op}: a where mask needs an initial value (the result where the mask leaves no element)`);
  const s = shapeOf(x);
  if (initial !== undefined && axes.some((a) => s[a] === 0)) return lax.broadcastTo(initialValue(initial, avalOf(x).dtype, op), s.flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d])));
  return withInitial(keep(x, reduce(masked(x, mask, initial ?? 0, op), axes), axes, keepdims), initial, combine, op);
}

/**
 * Mean over `axis` (all axes by default), float32 for int32 and bool; with `where`, of the
 * masked-in elements only; `dtype` casts the float32 mean (an int32 one truncates, as NumPy).
 */
export function mean(x: NdArray, axis?: Axis, keepdims = false, { where: mask, dtype }: Pick<ReduceOptions, 'where' | 'dtype'> = {}): NdArray {
  const axes = axesOf(x, axis, 'mean');
  const total = sum(toFloat(x), axes, keepdims, { where: mask });
  const count = mask ? sum(lax.full(shapeOf(x), 1, 'float32'), axes, keepdims, { where: mask }) : axes.reduce((p, a) => p * shapeOf(x)[a], 1);
  const m = div(total, count);
  return dtype === undefined ? m : lax.cast(m, dtype);
}

/** variance's and std's keyword options (jax.numpy's `ddof`, `correction` and `where`). */
export interface VarianceOptions {
  /** Delta degrees of freedom: the sum of squares is divided by n - ddof (default 0). */
  readonly ddof?: number;
  /** The array API's name for ddof; give one of the two. */
  readonly correction?: number;
  /** Only the elements where this mask (broadcast to x's shape) is true take part, in the mean too. */
  readonly where?: NdArray;
}

/** The correction (ddof) and mask of variance's fourth argument, a number or options. */
export function varianceArgs(opts: number | VarianceOptions): { c: number; mask: NdArray | undefined } {
  if (typeof opts === 'number') return { c: opts, mask: undefined };
  if (opts.ddof !== undefined && opts.correction !== undefined) throw new Error('variance: give ddof or correction, not both');
  return { c: opts.correction ?? opts.ddof ?? 0, mask: opts.where };
}

/**
 * Variance with `ddof` (0: biased, as normalisation uses; 1: unbiased); NaN where no more
 * than `ddof` elements are reduced (jax.numpy; NumPy divides by max(n - ddof, 0): inf).
 * The fourth argument is ddof or `{ ddof, correction, where }` (jax.numpy's keywords; with
 * `where`, n counts the masked-in elements and the mean is theirs).
 * @example np.variance(x, 1, false, { where: mask, correction: 1 })
 */
export function variance(x: NdArray, axis?: Axis, keepdims = false, ddof: number | VarianceOptions = 0): NdArray {
  const { c, mask } = varianceArgs(ddof);
  const axes = axesOf(x, axis, 'variance');
  const centred = sub(toFloat(x), mean(x, axes, true, { where: mask }));
  const squares = sum(square(centred), axes, keepdims, { where: mask });
  if (!mask) {
    const n = axes.reduce((p, a) => p * shapeOf(x)[a], 1);
    return div(squares, n - c > 0 ? n - c : NaN);
  }
  const norm = sub(sum(lax.full(shapeOf(x), 1, 'float32'), axes, keepdims, { where: mask }), c);
  const positive = greater(norm, 0);
  return where(positive, div(squares, where(positive, norm, 1)), NaN);
}

/**
 * Index of the largest element along `axis`, or of the flattened x when `axis` is null (the
 * default, as in NumPy and jax.numpy); the first on ties, the first NaN if any; int32.
 * `keepdims` keeps the reduced axis (every axis, for null) as size 1.
 */
export function argmax(x: NdArray, axis: number | null = null, keepdims = false): NdArray {
  return argReduce(x, axis, keepdims, 'argmax', (y, a) => lax.argmax(y, a));
}

/** Runs an arg-reduction `f` along `axis` with NumPy's conventions: null flattens first, `keepdims` keeps size-1 axes. */
export function argReduce(x: NdArray, axis: number | null, keepdims: boolean, op: string, f: (x: NdArray, axis: number) => NdArray): NdArray {
  const s = shapeOf(x);
  const reduced = axis === null ? sizeOf(s) : s[normAxis(axis, s.length, op)];
  if (reduced === 0) throw new Error(`${op}: attempt to get ${op} of an empty sequence (${axis === null ? 'the flattened' : `axis ${axis} of the`} array of shape ${shapeStr(s)}; jax.numpy and NumPy raise too)`);
  if (axis === null) {
    const out = f(lax.reshape(x, [sizeOf(s)]), 0);
    return keepdims ? lax.reshape(out, s.map(() => 1)) : out;
  }
  const a = normAxis(axis, s.length, op);
  const out = f(x, a);
  return keepdims ? lax.expandDims(out, a) : out;
}

/**
/**
 * Matrix product with numpy's rules: 1-D operands are vectors, leading dims broadcast.
 * @example np.matmul(x, w) // [B, in] @ [in, out]
 */
export function matmul(a: NdArray, b: NdArray): NdArray {
  return inProductDType([a, b], sameDTypeMatmul);
}

/**
 * Runs a product (matmul, tensordot, einsum) on its operands in their promoted dtype
 * (jax.numpy's rules: int32 with float32 is float32); bools are multiplied as int32 and the
 * result read back as bool (true where any product is), as jax.numpy gives.
 */
export function inProductDType(xs: readonly NdArray[], product: (...ys: NdArray[]) => NdArray): NdArray {
  const dtype = resultDType(xs);
  const y = product(...xs.map((x) => lax.cast(x, dtype === 'bool' ? 'int32' : dtype)));
  return dtype === 'bool' ? lax.cast(y, 'bool') : y;
}

/** matmul of operands of one dtype. */
function sameDTypeMatmul(a: NdArray, b: NdArray): NdArray {
  let sa = shapeOf(a);
  let sb = shapeOf(b);
  const va = sa.length === 1;
  const vb = sb.length === 1;
  if (va) a = lax.reshape(a, [1, sa[0]]);
  if (vb) b = lax.reshape(b, [sb[0], 1]);
  sa = shapeOf(a);
  sb = shapeOf(b);
  if (sa[sa.length - 1] !== sb[sb.length - 2]) throw new Error(`matmul: inner dimensions differ: ${shapeStr(shapeOf(a))} @ ${shapeStr(shapeOf(b))}`);
  let out: NdArray;
  if (sb.length === 2) {
    // Fold a's leading dims into rows: one 2-D product, no broadcast of b.
    const rows = lax.reshape(a, [sa.slice(0, -1).reduce((p, d) => p * d, 1), sa[sa.length - 1]]);
    out = lax.reshape(lax.dot(rows, b), [...sa.slice(0, -1), sb[1]]);
  } else {
    const batch = broadcastBatch(sa.slice(0, -2), sb.slice(0, -2));
    const ea = lax.broadcastTo(lax.reshape(a, [...ones(batch.length - (sa.length - 2)), ...sa]), [...batch, ...sa.slice(-2)]);
    const eb = lax.broadcastTo(lax.reshape(b, [...ones(batch.length - (sb.length - 2)), ...sb]), [...batch, ...sb.slice(-2)]);
    out = lax.dot(ea, eb);
  }
  const so = shapeOf(out);
  if (va && vb) return lax.reshape(out, so.slice(0, -2));
  if (va) return lax.reshape(out, [...so.slice(0, -2), so[so.length - 1]]);
  if (vb) return lax.reshape(out, so.slice(0, -1));
  return out;
}

function ones(n: number): number[] {
  return new Array(Math.max(0, n)).fill(1);
}

function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`matmul: batch dims ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast`);
    return Math.max(x, y);
  });
}
