/** Elementwise primitives: unary maths, binary arithmetic and comparisons, select, cast, stop_gradient. */
import { type Aval, type DType, avalStr, isFloat, shapeStr } from '../aval.js';
import * as lax from '../lax.js';
import type { PrimParams } from '../prim-params.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, avalOf, shapeOf } from '../trace.js';
import { batchAt } from './batching-util.js';
import type { BDim, BinaryPrim, UnaryPrim } from '../prim-types.js';

/** Rank-equal numpy broadcasting: every dim equal, or 1 on one side. */
export function broadcastShapes(op: string, shapes: readonly (readonly number[])[]): number[] {
  const r = shapes[0].length;
  if (shapes.some((s) => s.length !== r))
    throw new Error(`${op}: operands must have the same rank (np.* functions broadcast for you), got shapes ${shapes.map(shapeStr).join(' and ')}`);
  return shapes[0].map((_, i) => {
    const ds = shapes.map((s) => s[i]).filter((d) => d !== 1);
    if (ds.some((d) => d !== ds[0])) throw new Error(`${op}: incompatible shapes ${shapes.map(shapeStr).join(' and ')} (dimension ${i})`);
    return ds.length ? ds[0] : 1;
  });
}

/** Batching for any elementwise primitive: batch dims to the front, unbatched operands get a size-1 axis. */
function batchElementwise(apply: (xs: NdArray[]) => NdArray) {
  return (args: NdArray[], dims: BDim[]): [NdArray, BDim] => {
    const first = dims.find((d) => d !== null)!;
    if (dims.every((d) => d === first)) return [apply(args), first];
    return [apply(args.map((x, i) => batchAt(x, dims[i]))), 0];
  };
}

// ---------- unary ----------

type Deriv = (x: NdArray, out: NdArray) => NdArray;

function unaryDef(
  p: UnaryPrim,
  deriv: Deriv | 'zero',
  dtypes: { in: 'float' | 'bool' | 'any'; out?: DType } = { in: 'float' },
): PrimitiveDef {
  const scale = (t: NdArray, x: NdArray, out: NdArray): NdArray | null => (deriv === 'zero' ? null : lax.mul(t, deriv(x, out)));
  return {
    abstractEval([a]) {
      if (dtypes.in === 'float' && !isFloat(a.dtype)) throw new Error(`${p}: expected a float32 array, got ${avalStr(a)}`);
      if (dtypes.in === 'bool' && a.dtype !== 'bool') throw new Error(`${p}: expected a bool array, got ${avalStr(a)}`);
      return { shape: a.shape, dtype: dtypes.out ?? a.dtype };
    },
    jvp: ([t], [x], out) => scale(t, x, out) ?? lax.zerosLike(out),
    vjp: (ct, [x], out) => [scale(ct, x, out)],
    batch: batchElementwise(([x]) => lax.unary(p, x)),
    nonDifferentiable: deriv === 'zero',
  };
}

const c = lax.scalarLike;
const unaryDefs: Record<UnaryPrim, PrimitiveDef> = {
  neg: unaryDef('neg', (x) => c(-1, x), { in: 'any' }),
  exp: unaryDef('exp', (_x, out) => out),
  log: unaryDef('log', (x) => lax.div(c(1, x), x)),
  log1p: unaryDef('log1p', (x) => lax.div(c(1, x), lax.add(x, c(1, x)))),
  expm1: unaryDef('expm1', (x, out) => lax.add(out, c(1, x))),
  sqrt: unaryDef('sqrt', (x, out) => lax.div(c(0.5, x), out)),
  rsqrt: unaryDef('rsqrt', (x, out) => lax.mul(c(-0.5, x), lax.div(out, x))),
  tanh: unaryDef('tanh', (x, out) => lax.sub(c(1, x), lax.mul(out, out))),
  logistic: unaryDef('logistic', (x, out) => lax.mul(out, lax.sub(c(1, x), out))),
  // Derivative 0 at 0, as PyTorch's and jax.nn.relu's (max(x, 0) would split ties 0.5/0.5).
  relu: unaryDef('relu', (_x, out) => lax.sign(out)),
  // JAX's rule: +1 where x >= 0 (so 1 at 0, where the sign would give 0), -1 elsewhere (and at NaN).
  abs: unaryDef('abs', (x) => lax.select(lax.ge(x, c(0, x)), c(1, x), c(-1, x)), { in: 'any' }),
  sign: unaryDef('sign', 'zero', { in: 'any' }),
  sin: unaryDef('sin', (x) => lax.cos(x)),
  cos: unaryDef('cos', (x) => lax.neg(lax.sin(x))),
  // A primitive (as JAX's tan_p), not sin / cos: that quotient of two roundings was up to 2 ulp off.
  tan: unaryDef('tan', (x, out) => lax.add(c(1, x), lax.mul(out, out))),
  erf: unaryDef('erf', (x) => lax.mul(c(2 / Math.sqrt(Math.PI), x), lax.exp(lax.neg(lax.mul(x, x))))),
  atan: unaryDef('atan', (x) => lax.div(c(1, x), lax.add(c(1, x), lax.mul(x, x)))),
  floor: unaryDef('floor', 'zero'),
  round: unaryDef('round', 'zero'),
  not: unaryDef('not', 'zero', { in: 'bool' }),
  is_finite: unaryDef('is_finite', 'zero', { in: 'float', out: 'bool' }),
};

// ---------- binary ----------

/** Cotangents (or, read as linear maps, tangents) of x and y; `want` says which are needed. */
type BinRule = (ct: NdArray, x: NdArray, y: NdArray, out: NdArray, want: readonly boolean[]) => [NdArray | null, NdArray | null];

const COMPARISONS = new Set<BinaryPrim>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or']);

function binaryAbstract(p: BinaryPrim, a: Aval, b: Aval): Aval {
  if (a.dtype !== b.dtype) throw new Error(`${p}: operands must have the same dtype, got ${avalStr(a)} and ${avalStr(b)}`);
  if ((p === 'and' || p === 'or') && a.dtype !== 'bool') throw new Error(`${p}: expected bool operands, got ${avalStr(a)}`);
  const shape = broadcastShapes(p, [a.shape, b.shape]);
  return { shape, dtype: COMPARISONS.has(p) ? 'bool' : a.dtype };
}

/** A binary primitive whose JVP is its VJP rule read as a linear map of (tx, ty). */
function binaryDef(p: BinaryPrim, partials: BinRule | 'zero'): PrimitiveDef {
  return {
    abstractEval: ([a, b]) => binaryAbstract(p, a, b),
    jvp([tx, ty], [x, y], out) {
      if (partials === 'zero') return lax.zerosLike(out);
      // Each partial is linear in its first argument, so pushing tangents through it gives the JVP.
      const [dx] = partials(tx, x, y, out, [true, false]);
      const [, dy] = partials(ty, x, y, out, [false, true]);
      const parts = [dx, dy].filter((v): v is NdArray => v !== null).map((v) => lax.broadcastTo(v, shapeOf(out)));
      return parts.length === 2 ? lax.add(parts[0], parts[1]) : parts[0] ?? lax.zerosLike(out);
    },
    vjp(ct, [x, y], out, _p, needed) {
      if (partials === 'zero') return [null, null];
      const [dx, dy] = partials(ct, x, y, out, needed);
      return [dx && lax.sumToShape(dx, shapeOf(x)), dy && lax.sumToShape(dy, shapeOf(y))];
    },
    batch: batchElementwise(([x, y]) => lax.binary(p, x, y)),
    nonDifferentiable: partials === 'zero',
  };
}

/** Tie-splitting weight of x in max/min: 1 where x wins, 0.5 on ties, 0 where y wins. */
function winWeight(x: NdArray, y: NdArray, wins: (a: NdArray, b: NdArray) => NdArray): NdArray {
  const w = lax.cast(wins(x, y), 'float32');
  const tie = lax.cast(lax.eq(x, y), 'float32');
  return lax.add(w, lax.mul(tie, lax.scalarLike(0.5, tie)));
}
function safeLog(x: NdArray): NdArray {
  const pos = lax.gt(x, lax.scalarLike(0, x));
  return lax.select(pos, lax.log(lax.select(pos, x, lax.scalarLike(1, x))), lax.scalarLike(0, x));
}
/**
 * d x^y / dx = y x^(y-1), taken as 0 where y = 0 (JAX's guard). Differentiated again it
 * gives y (y-1) x^(y-2) through the same guard, so at x = 0 an exponent 1 has second
 * derivative 0, not 0 * inf = NaN. Where y = 0 the unused branch is computed on x = y = 1
 * (the "double where"), so that its own derivatives, which are then dropped, are finite.
 */
function powSlope(x: NdArray, y: NdArray): NdArray {
  const one = lax.scalarLike(1, y);
  const yIsZero = lax.eq(y, lax.scalarLike(0, y));
  const slope = lax.mul(lax.select(yIsZero, one, y), lax.pow(lax.select(yIsZero, one, x), lax.sub(y, one)));
  return lax.select(yIsZero, lax.scalarLike(0, y), slope);
}
/** ct split between x (weight w) and y (1 - w). */
function shareBetween(ct: NdArray, w: NdArray, [wx, wy]: readonly boolean[]): [NdArray | null, NdArray | null] {
  return [wx ? lax.mul(ct, w) : null, wy ? lax.mul(ct, lax.sub(lax.scalarLike(1, w), w)) : null];
}

const binaryDefs: Record<BinaryPrim, PrimitiveDef> = {
  add: binaryDef('add', (ct) => [ct, ct]),
  sub: {
    ...binaryDef('sub', (ct, _x, _y, _o, [, wy]) => [ct, wy ? lax.neg(ct) : null]),
    // Negate after summing to y's shape: for x - mean (BatchNorm) that is a negation of [C], not of the whole batch.
    vjp: (ct, [x, y], _o, _p, [wx, wy]) => [wx ? lax.sumToShape(ct, shapeOf(x)) : null, wy ? lax.neg(lax.sumToShape(ct, shapeOf(y))) : null],
  },
  mul: binaryDef('mul', (ct, x, y, _o, [wx, wy]) => [wx ? lax.mul(ct, y) : null, wy ? lax.mul(ct, x) : null]),
  div: binaryDef('div', (ct, _x, y, out, [wx, wy]) => {
    const cy = lax.div(ct, y);
    return [wx ? cy : null, wy ? lax.neg(lax.mul(cy, out)) : null];
  }),
  pow: binaryDef('pow', (ct, x, y, out, [wx, wy]) => [
    wx ? lax.mul(ct, powSlope(x, y)) : null,
    wy ? lax.mul(ct, lax.mul(out, safeLog(x))) : null,
  ]),
  max: binaryDef('max', (ct, x, y, _o, want) => shareBetween(ct, winWeight(x, y, lax.gt), want)),
  min: binaryDef('min', (ct, x, y, _o, want) => shareBetween(ct, winWeight(x, y, lax.lt), want)),
  eq: binaryDef('eq', 'zero'),
  ne: binaryDef('ne', 'zero'),
  lt: binaryDef('lt', 'zero'),
  le: binaryDef('le', 'zero'),
  gt: binaryDef('gt', 'zero'),
  ge: binaryDef('ge', 'zero'),
  and: binaryDef('and', 'zero'),
  or: binaryDef('or', 'zero'),
};

// ---------- select, cast, stop_gradient ----------

const selectDef: PrimitiveDef = {
  abstractEval([p, a, b]) {
    if (p.dtype !== 'bool') throw new Error(`select: the predicate must be bool, got ${avalStr(p)}`);
    if (a.dtype !== b.dtype) throw new Error(`select: both branches must have the same dtype, got ${avalStr(a)} and ${avalStr(b)}`);
    return { shape: broadcastShapes('select', [p.shape, a.shape, b.shape]), dtype: a.dtype };
  },
  jvp: ([, ta, tb], [p]) => lax.select(p, ta, tb),
  vjp(ct, [p, a, b]) {
    const zero = lax.scalarLike(0, ct);
    return [null, lax.sumToShape(lax.select(p, ct, zero), shapeOf(a)), lax.sumToShape(lax.select(p, zero, ct), shapeOf(b))];
  },
  batch: batchElementwise(([p, a, b]) => lax.select(p, a, b)),
};

const castDef: PrimitiveDef<PrimParams['cast']> = {
  abstractEval: ([a], { dtype }) => ({ shape: a.shape, dtype }),
  jvp: ([t], [x], out, { dtype }) => (isFloat(dtype) && isFloat(avalOf(x).dtype) ? lax.cast(t, dtype) : lax.zerosLike(out)),
  vjp: (ct, [x], _out, { dtype }) => [isFloat(dtype) && isFloat(avalOf(x).dtype) ? lax.cast(ct, avalOf(x).dtype) : null],
  batch: ([x], [d], { dtype }) => [lax.cast(x, dtype), d],
};

const stopGradientDef: PrimitiveDef = {
  abstractEval: ([a]) => a,
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([x], [d]) => [lax.stopGradient(x), d],
  nonDifferentiable: true,
};

definePrimitives({ ...unaryDefs, ...binaryDefs, select: selectDef, cast: castDef, stop_gradient: stopGradientDef });
