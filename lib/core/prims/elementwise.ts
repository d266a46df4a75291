/** Elementwise primitives: unary maths, binary arithmetic and comparisons, select, cast, stop_gradient. */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, type DType, avalStr, isFloat, shapeStr } from '../aval.js';
import * as lax from '../lax.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import type { BDim, BinaryPrim, UnaryPrim } from '../prim-types.js';
import { type NdArray, avalOf, shapeOf } from '../trace.js';
import { batchAt } from './batching-util.js';
import { floorDivInt } from './int-kernels.js';
import { selectKernel } from './kernels.js';
import { elementwiseWasm, elementwiseWasmApplies } from '../../backend/wasm-elementwise.js';

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
  kernel: (x: tf.Tensor) => tf.Tensor,
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
    impl: ([x]) => kernel(x),
    jvp: ([t], [x], out) => scale(t, x, out) ?? lax.zerosLike(out),
    vjp: (ct, [x], out) => [scale(ct, x, out)],
    batch: batchElementwise(([x]) => lax.unary(p, x)),
    nonDifferentiable: deriv === 'zero',
  };
}

/**
 * tfjs's wasm Sign kernel is a slow scalar loop (about 35x its Step kernel), and sign is
 * ReLU's derivative: there, float32 sign(x) = step(x) - step(-x) (NaN stays NaN, 0 stays 0).
 * tfjs cpu's Sign maps NaN to 0: elsewhere NaN is put back (sign(NaN) is NaN in NumPy).
 */
function signKernel(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32') return tf.sign(x);
  if (tf.getBackend() !== 'wasm') return tf.where(tf.isNaN(x), x, tf.sign(x));
  return tf.sub(tf.step(x), tf.step(tf.neg(x)));
}

/**
 * log(1 + x) accurate for tiny x: tfjs's wasm and webgpu Log1p compute log(1 + x), which
 * rounds 1 + x first (log1p(1e-8) gave 0). There, for x in [-0.5, 1], 2 atanh(z) with
 * z = x / (2 + x) (|z| <= 1/3) by its series z + z^3/3 + ... + z^17/17 (truncation < 1e-9
 * relative); it needs no log, whose error near 1 is absolute on GPUs (2^-21 in WGSL).
 * Elsewhere log(1 + x), accurate there. tfjs cpu uses Math.log1p.
 */
function log1pKernel(x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() === 'cpu') return tf.log1p(x);
  const z = tf.div(x, tf.add(x, tf.scalar(2)));
  const z2 = tf.mul(z, z);
  let series = tf.scalar(1 / 17);
  for (let k = 15; k >= 1; k -= 2) series = tf.add(tf.mul(series, z2), tf.scalar(1 / k));
  const near = tf.logicalAnd(tf.greaterEqual(x, tf.scalar(-0.5)), tf.lessEqual(x, tf.scalar(1)));
  return tf.where(near, tf.mul(tf.mul(z, series), tf.scalar(2)), logKernel(tf.add(x, tf.scalar(1))));
}

/** log; tfjs's webgpu Log gives -88.03 for log(0) and 89.13 for log(NaN) under SwiftShader (WGSL leaves them open): -inf and NaN there. */
function logKernel(x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== 'webgpu') return tf.log(x);
  return tf.where(tf.equal(x, tf.scalar(0)), tf.fill(x.shape, -Infinity), tf.where(tf.isNaN(x), x, tf.log(x)));
}

/**
 * |x|; for int32 without going through float32 (tfjs's Abs gave -2147483648 for
 * -2147483647): x where x >= 0, else 0 - x (tfjs wasm's int32 Neg also rounds through float32).
 */
function absKernel(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'int32') return tf.abs(x);
  return tf.where(tf.less(x, tf.scalar(0, 'int32')), tf.sub(tf.zerosLike(x), x), x);
}

/**
 * ReLU that keeps NaN, as PyTorch's and jax.nn.relu: tfjs wasm's Relu maps a NaN whose
 * sign bit is set to 0. On wasm: our loop (lib/backend/wasm-elementwise.ts), the same as
 * jit's fused chains compute, or a select where that does not apply.
 */
function reluKernel(x: tf.Tensor): tf.Tensor {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32') return tf.relu(x);
  if (x.size > 0 && elementwiseWasmApplies(x.shape)) return elementwiseWasm([x], { shape: x.shape, inputs: ['full'], ops: [{ op: 'relu', args: [0] }] });
  return tf.where(tf.isNaN(x), x, tf.relu(x));
}

const c = lax.scalarLike;
const unaryDefs: Record<UnaryPrim, PrimitiveDef> = {
  neg: unaryDef('neg', tf.neg, (x) => c(-1, x), { in: 'any' }),
  exp: unaryDef('exp', tf.exp, (_x, out) => out),
  log: unaryDef('log', logKernel, (x) => lax.div(c(1, x), x)),
  log1p: unaryDef('log1p', log1pKernel, (x) => lax.div(c(1, x), lax.add(x, c(1, x)))),
  expm1: unaryDef('expm1', tf.expm1, (x, out) => lax.add(out, c(1, x))),
  sqrt: unaryDef('sqrt', tf.sqrt, (x, out) => lax.div(c(0.5, x), out)),
  rsqrt: unaryDef('rsqrt', tf.rsqrt, (x, out) => lax.mul(c(-0.5, x), lax.div(out, x))),
  tanh: unaryDef('tanh', tf.tanh, (x, out) => lax.sub(c(1, x), lax.mul(out, out))),
  logistic: unaryDef('logistic', tf.sigmoid, (x, out) => lax.mul(out, lax.sub(c(1, x), out))),
  // Derivative 0 at 0, as PyTorch's and jax.nn.relu's (max(x, 0) would split ties 0.5/0.5).
  relu: unaryDef('relu', reluKernel, (_x, out) => lax.sign(out)),
  abs: unaryDef('abs', absKernel, (x) => lax.sign(x), { in: 'any' }),
  sign: unaryDef('sign', signKernel, 'zero', { in: 'any' }),
  sin: unaryDef('sin', tf.sin, (x) => lax.cos(x)),
  cos: unaryDef('cos', tf.cos, (x) => lax.neg(lax.sin(x))),
  erf: unaryDef('erf', tf.erf, (x) => lax.mul(c(2 / Math.sqrt(Math.PI), x), lax.exp(lax.neg(lax.mul(x, x))))),
  atan: unaryDef('atan', tf.atan, (x) => lax.div(c(1, x), lax.add(c(1, x), lax.mul(x, x)))),
  floor: unaryDef('floor', tf.floor, 'zero'),
  round: unaryDef('round', tf.round, 'zero'),
  not: unaryDef('not', tf.logicalNot, 'zero', { in: 'bool' }),
  is_finite: unaryDef('is_finite', tf.isFinite, 'zero', { in: 'float', out: 'bool' }),
};

// ---------- binary ----------

/**
 * tfjs's wasm kernels for max/min and comparisons are 5-10x slower when an operand
 * broadcasts than on equal shapes (add/sub/mul/div broadcast fast): there, operands are
 * first brought to the result's shape with a fast broadcasting add.
 */
function sameShapeOnWasm(kernel: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) {
  return (x: tf.Tensor, y: tf.Tensor): tf.Tensor => {
    if (tf.getBackend() !== 'wasm' || x.dtype === 'bool' || tf.util.arraysEqual(x.shape, y.shape)) return kernel(x, y);
    const shape = tf.backend_util.assertAndGetBroadcastShape(x.shape, y.shape);
    const zeros = tf.zeros(shape, x.dtype);
    const fit = (t: tf.Tensor) => (tf.util.arraysEqual(t.shape, shape) ? t : tf.add(t, zeros));
    return kernel(fit(x), fit(y));
  };
}

/**
 * NumPy's maximum/minimum: NaN where either operand is NaN. tfjs wasm's Maximum/Minimum
 * return the first operand where only the second is NaN (maximum(1, NaN) gave 1): there,
 * float32 operands of one shape are our loop's f32x4.max/min, which propagate NaN, as
 * jit's fused chains do (lib/backend/wasm-elementwise.ts); where that does not apply, NaN
 * is put back with a select. tfjs's cpu and webgpu kernels propagate NaN.
 */
function extremumKernel(op: 'max' | 'min') {
  const kernel = op === 'max' ? tf.maximum : tf.minimum;
  return sameShapeOnWasm((x: tf.Tensor, y: tf.Tensor) => {
    if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32') return kernel(x, y);
    if (x.size > 0 && elementwiseWasmApplies(x.shape)) return elementwiseWasm([x, y], { shape: x.shape, inputs: ['full', 'full'], ops: [{ op, args: [0, 1] }] });
    return tf.where(tf.logicalOr(tf.isNaN(x), tf.isNaN(y)), tf.add(x, y), kernel(x, y));
  });
}

/** max(x, 0) and friends are ReLUs: one fast kernel instead of a broadcasting maximum. */
function maxKernel(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (lax.literalValues.get(y) === 0 && x.dtype === 'float32') return reluKernel(x);
  if (lax.literalValues.get(x) === 0 && y.dtype === 'float32') return reluKernel(y);
  return extremumKernel('max')(x, y);
}

/**
 * Division; for int32, floor division (as tfjs's div), with x // 0 = 0 on every backend:
 * NumPy's result for an integer division by zero (XLA leaves it implementation-defined,
 * and tfjs gave 0 on cpu, -2147483648 on wasm). tfjs wasm's int32 division goes through
 * float32, so it is computed exactly on the host there (lib/core/prims/int-kernels.ts).
 */
function divKernel(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'int32') return tf.div(x, y);
  if (tf.getBackend() === 'wasm') return sameShapeOnWasm(floorDivInt)(x, y);
  const nonzero = tf.notEqual(y, tf.scalar(0, 'int32'));
  return tf.mul(tf.div(x, tf.where(nonzero, y, tf.onesLike(y))), tf.cast(nonzero, 'int32'));
}


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
function binaryDef(p: BinaryPrim, kernel: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor, partials: BinRule | 'zero'): PrimitiveDef {
  return {
    abstractEval: ([a, b]) => binaryAbstract(p, a, b),
    impl: ([x, y]) => kernel(x, y),
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
  add: binaryDef('add', tf.add, (ct) => [ct, ct]),
  sub: {
    ...binaryDef('sub', tf.sub, (ct, _x, _y, _o, [, wy]) => [ct, wy ? lax.neg(ct) : null]),
    // Negate after summing to y's shape: for x - mean (BatchNorm) that is a negation of [C], not of the whole batch.
    vjp: (ct, [x, y], _o, _p, [wx, wy]) => [wx ? lax.sumToShape(ct, shapeOf(x)) : null, wy ? lax.neg(lax.sumToShape(ct, shapeOf(y))) : null],
  },
  mul: binaryDef('mul', tf.mul, (ct, x, y, _o, [wx, wy]) => [wx ? lax.mul(ct, y) : null, wy ? lax.mul(ct, x) : null]),
  div: binaryDef('div', divKernel, (ct, _x, y, out, [wx, wy]) => {
    const cy = lax.div(ct, y);
    return [wx ? cy : null, wy ? lax.neg(lax.mul(cy, out)) : null];
  }),
  pow: binaryDef('pow', tf.pow, (ct, x, y, out, [wx, wy]) => [
    wx ? lax.mul(ct, powSlope(x, y)) : null,
    wy ? lax.mul(ct, lax.mul(out, safeLog(x))) : null,
  ]),
  max: binaryDef('max', maxKernel, (ct, x, y, _o, want) => shareBetween(ct, winWeight(x, y, lax.gt), want)),
  min: binaryDef('min', extremumKernel('min'), (ct, x, y, _o, want) => shareBetween(ct, winWeight(x, y, lax.lt), want)),
  eq: binaryDef('eq', sameShapeOnWasm(tf.equal), 'zero'),
  ne: binaryDef('ne', sameShapeOnWasm(tf.notEqual), 'zero'),
  lt: binaryDef('lt', sameShapeOnWasm(tf.less), 'zero'),
  le: binaryDef('le', sameShapeOnWasm(tf.lessEqual), 'zero'),
  gt: binaryDef('gt', sameShapeOnWasm(tf.greater), 'zero'),
  ge: binaryDef('ge', sameShapeOnWasm(tf.greaterEqual), 'zero'),
  and: binaryDef('and', tf.logicalAnd, 'zero'),
  or: binaryDef('or', tf.logicalOr, 'zero'),
};

// ---------- select, cast, stop_gradient ----------

const selectDef: PrimitiveDef = {
  abstractEval([p, a, b]) {
    if (p.dtype !== 'bool') throw new Error(`select: the predicate must be bool, got ${avalStr(p)}`);
    if (a.dtype !== b.dtype) throw new Error(`select: both branches must have the same dtype, got ${avalStr(a)} and ${avalStr(b)}`);
    return { shape: broadcastShapes('select', [p.shape, a.shape, b.shape]), dtype: a.dtype };
  },
  impl: ([p, a, b]) => selectKernel(p, a, b, broadcastShapes('select', [p.shape, a.shape, b.shape])),
  jvp: ([, ta, tb], [p]) => lax.select(p, ta, tb),
  vjp(ct, [p, a, b]) {
    const zero = lax.scalarLike(0, ct);
    return [null, lax.sumToShape(lax.select(p, ct, zero), shapeOf(a)), lax.sumToShape(lax.select(p, zero, ct), shapeOf(b))];
  },
  batch: batchElementwise(([p, a, b]) => lax.select(p, a, b)),
};

const castDef: PrimitiveDef<{ dtype: DType }> = {
  abstractEval: ([a], { dtype }) => ({ shape: a.shape, dtype }),
  // To bool is "not zero", computed as a comparison: wasm's Cast kernel truncates floats
  // (0.3 -> false) and leaves ints unnormalised (3 -> 3, -1 -> 255) when casting to bool.
  impl: ([x], { dtype }) => (dtype === 'bool' ? tf.notEqual(x, tf.scalar(0, x.dtype)) : tf.cast(x, dtype)),
  jvp: ([t], [x], out, { dtype }) => (isFloat(dtype) && isFloat(avalOf(x).dtype) ? lax.cast(t, dtype) : lax.zerosLike(out)),
  vjp: (ct, [x], _out, { dtype }) => [isFloat(dtype) && isFloat(avalOf(x).dtype) ? lax.cast(ct, avalOf(x).dtype) : null],
  batch: ([x], [d], { dtype }) => [lax.cast(x, dtype), d],
};

const stopGradientDef: PrimitiveDef = {
  abstractEval: ([a]) => a,
  impl: ([x]) => tf.clone(x),
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([x], [d]) => [lax.stopGradient(x), d],
  nonDifferentiable: true,
};

definePrimitives({ ...unaryDefs, ...binaryDefs, select: selectDef, cast: castDef, stop_gradient: stopGradientDef });
