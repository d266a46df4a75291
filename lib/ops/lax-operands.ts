/**
 * The operand rules of jax.lax's elementwise functions (lib/ops/lax-*.ts): one dtype for all
 * operands (a JS number takes the arrays' dtype, as a weakly typed Python scalar does),
 * shapes equal up to rank-0 operands and size-1 dims of equal ranks (JAX's
 * `_broadcasting_shape_rule`), and each function's accepted dtypes, with JAX's TypeErrors.
 */
import { type DType, avalStr } from '../core/aval.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';

/** An operand of a lax elementwise function: an array, or a JS number taking the other operand's dtype. */
export type LaxOperand = NdArray | number;

export type DTypeClass = 'any' | 'numeric' | 'float' | 'int' | 'intOrBool' | 'ordered';
const ACCEPTS: Record<DTypeClass, readonly DType[]> = {
  any: ['float32', 'int32', 'bool'],
  ordered: ['float32', 'int32', 'bool'],
  numeric: ['float32', 'int32'],
  float: ['float32'],
  int: ['int32'],
  intOrBool: ['int32', 'bool'],
};

/** Throws jax.lax's TypeError when `x`'s dtype is outside `cls`. */
export function checkDType(op: string, x: NdArray, cls: DTypeClass): void {
  const dtype = avalOf(x).dtype;
  if (!ACCEPTS[cls].includes(dtype)) throw new TypeError(`lax.${op} does not accept dtype ${dtype} (accepted: ${ACCEPTS[cls].join(', ')})`);
}

/** A JS number as a rank-0 constant of `dtype` (a weak scalar); an integer dtype needs an integral number. */
export function constant(op: string, v: number, dtype: DType): NdArray {
  if (dtype !== 'float32' && !Number.isInteger(v)) throw new TypeError(`lax.${op}: the number ${v} cannot be a ${dtype} operand`);
  return core.scalar(v, dtype, 0);
}

/**
 * Operands checked as jax.lax checks them: one dtype; shapes equal, size 1, or rank 0; rank-0
 * ones reshaped to the common rank (the primitives broadcast size-1 dims of equal ranks).
 */
export function strictOperands(op: string, xs: readonly LaxOperand[]): NdArray[] {
  const first = xs.find((x): x is NdArray => typeof x !== 'number');
  const dtype: DType = first ? avalOf(first).dtype : 'float32';
  const arrays = xs.map((x) => (typeof x === 'number' ? constant(op, x, dtype) : x));
  const described = () => arrays.map((a) => avalStr(avalOf(a))).join(', ');
  if (arrays.some((a) => avalOf(a).dtype !== dtype)) throw new TypeError(`lax.${op} requires arguments of one dtype, got ${described()}`);
  const shapes = arrays.map(shapeOf).filter((s) => s.length > 0);
  if (shapes.length === 0) return arrays;
  const rank = shapes[0].length;
  if (shapes.some((s) => s.length !== rank)) throw new TypeError(`lax.${op}: arrays must have the same number of dimensions, got ${described()}`);
  for (let d = 0; d < rank; d++) {
    const sizes = new Set(shapes.map((s) => s[d]).filter((n) => n !== 1));
    if (sizes.size > 1) throw new TypeError(`lax.${op} got incompatible shapes for broadcasting: ${described()}`);
  }
  return arrays.map((a) => (shapeOf(a).length === rank ? a : core.reshape(a, new Array(rank).fill(1))));
}

/** A lax binary function: strict operands (one dtype, lax's broadcasting), dtypes in `cls`. */
export function strictBinary(op: string, cls: DTypeClass, f: (a: NdArray, b: NdArray) => NdArray) {
  return (x: LaxOperand, y: LaxOperand): NdArray => {
    const [a, b] = strictOperands(op, [x, y]);
    checkDType(op, a, cls);
    return f(a, b);
  };
}

/** A lax unary function accepting the dtypes in `cls`. */
export function strictUnary(op: string, cls: DTypeClass, f: (x: NdArray) => NdArray) {
  return (x: NdArray): NdArray => {
    checkDType(op, x, cls);
    return f(x);
  };
}
