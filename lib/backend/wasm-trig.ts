/**
 * sin, cos and tan of float32 arrays on the tfjs wasm backend's heap, computed in double
 * precision by a generated SIMD loop: tfjs wasm's Sin, Cos and Tan are accurate to ~2.5e-7
 * absolute only, so near their zeros the relative error was huge (sin near 2π 1.4e5 ulp,
 * cos near π/2 1.2e6 ulp).
 *
 * Each f32x4 vector is taken as two f64x2 halves (promotion is exact). With n the integer
 * nearest x·2/π, r = x − n·π/2 by Cody and Waite's reduction with π/2 in three parts
 * (two of 33 bits, so that n·P1 and n·P2 are exact for |n| < 2^20, and the rest): r is then
 * accurate to ~2^-52 relative, even for the float32 values closest to multiples of π/2,
 * for |x| ≤ {@link REDUCTION_BOUND}. sin r and cos r are Taylor polynomials to r^15 and
 * r^16 (truncation < 2^-53 on |r| ≤ π/4), combined by n mod 4; tan is the quotient in
 * double. The one rounding to float32 at the end makes the results correctly rounded
 * except where the double result lies within ~2^-25 ulp of a midpoint.
 *
 * Finite lanes beyond the bound (rare: |x| > 8e5) are flagged in a second output, and
 * {@link trigWasm} recomputes just those on the host with JavaScript's Math.sin/cos/tan
 * (double, with a full-precision reduction), so no lane is silently inaccurate. NaN and
 * ±inf give NaN; ±0 keep their sign for sin and tan.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernelOutputs } from './wasm-heap.js';

export type TrigFunction = 'sin' | 'cos' | 'tan';

/** The largest |x| the in-kernel reduction takes: n = round(x·2/π) < 2^19 there. */
export const REDUCTION_BOUND = 8e5;
const TWO_OVER_PI = 0.6366197723675814;
/** π/2 = P1 + P2 + P3: P1 and P2 of 33 significant bits each (from a rational π, tools in the commit notes: Machin's formula). */
const PIO2_1 = 1.5707963267341256;
const PIO2_2 = 6.077100506303966e-11;
const PIO2_3 = 2.0222662487959506e-21;
/** Taylor coefficients of sin r / r − 1 in z = r², z first: −1/3!, 1/5!, ..., −1/15!. */
const SIN_COEFFS = [3, 5, 7, 9, 11, 13, 15].map((k, i) => (i % 2 ? 1 : -1) / factorial(k));
/** Taylor coefficients of cos r − 1 in z = r²: −1/2!, 1/4!, ..., 1/16!. */
const COS_COEFFS = [2, 4, 6, 8, 10, 12, 14, 16].map((k, i) => (i % 2 ? 1 : -1) / factorial(k));
const HOST: Record<TrigFunction, (x: number) => number> = { sin: Math.sin, cos: Math.cos, tan: Math.tan };

function factorial(k: number): number {
  return k <= 1 ? 1 : k * factorial(k - 1);
}

interface TrigAttrs {
  readonly fn: TrigFunction;
}

/** Whether {@link trigWasm} takes x: float32, on the wasm backend with heap kernels. */
export const trigWasmApplies = (x: tf.Tensor): boolean => x.dtype === 'float32' && heapKernelsAvailable();

/**
 * sin, cos or tan of a float32 tensor (wasm backend, heap kernels available), correctly
 * rounded in practice (see the top of this file).
 *
 * ```ts
 * trigWasm(tf.tensor1d([Math.PI]), 'sin'); // -8.742278e-8, as float64 sin of float32 π, rounded
 * ```
 */
export function trigWasm(x: tf.Tensor, fn: TrigFunction): tf.Tensor {
  if (x.size === 0) return tf.zerosLike(x);
  if (x.size < 4) return tf.tidy(() => tf.reshape(tf.slice(trigWasm(tf.pad(tf.reshape(x, [-1]), [[0, 4 - x.size]]), fn), 0, x.size), x.shape));
  const [y, flags] = runHeapKernelOutputs(trig, [x], { fn }) as [tf.Tensor, tf.Tensor];
  const beyond = (flags.dataSync() as Float32Array).some((v) => v !== 0);
  flags.dispose();
  if (!beyond) return y;
  // Lanes beyond the reduction bound: their float64 values from the host.
  const xs = x.dataSync() as Float32Array;
  const ys = Float32Array.from(y.dataSync() as Float32Array);
  y.dispose();
  xs.forEach((v, i) => {
    if (Math.abs(v) > REDUCTION_BOUND && Number.isFinite(v)) ys[i] = HOST[fn](v);
  });
  return tf.tensor(ys, x.shape, 'float32');
}

const trig: HeapKernel<TrigAttrs> = {
  name: 'TfjaxTrig',
  outShape: ([x]) => [...x!],
  // A flag per lane, set where some |x| lay beyond REDUCTION_BOUND (its bits are an OR of masks).
  extraOutShapes: () => [[4]],
  initial: (_a, k) => (k === 1 ? 0 : null),
  generate: ([x], a) => generate(tf.util.sizeFromShape(x as number[]), a.fn),
};

/** The loop over whole vectors, then one vector ending at the last element (overlapping, recomputed alike). */
function generate(size: number, fn: TrigFunction): FunctionBuilder {
  const f = new FunctionBuilder(['i32', 'i32', 'i32'], []);
  const [xPtr, yPtr, flagPtr] = [0, 1, 2];
  const off = f.local('i32');
  const [v, lo, flags] = [f.local('v128'), f.local('v128'), f.local('v128')]; // lo: the result vector
  const temps = { d: f.local('v128'), n: f.local('v128'), r: f.local('v128'), z: f.local('v128'), s: f.local('v128'), c: f.local('v128'), odd: f.local('v128') };
  const vector = () => {
    f.localGet(xPtr).localGet(off).i32Add().v128Load(0).localSet(v);
    f.localGet(v).f64x2PromoteLowF32x4().localSet(temps.d);
    half(f, fn, temps, flags);
    f.localGet(v).localGet(v).f32x4Shuffle([2, 3, 2, 3]).f64x2PromoteLowF32x4().localSet(temps.d);
    half(f, fn, temps, flags); // the low half's two lanes stay on the stack below
    f.f32x4Shuffle([0, 1, 4, 5]).localSet(lo);
    f.localGet(yPtr).localGet(off).i32Add();
    if (fn === 'cos') f.localGet(lo);
    // ±0 keep their sign (the reduction's x − 0 turns −0 into +0).
    else f.localGet(v).localGet(lo).localGet(v).v128Const0().f32x4Eq().v128Bitselect();
    f.v128Store(0);
  };
  f.v128Const0().localSet(flags);
  const whole = Math.floor(size / 4);
  f.i32Const(0).localSet(off);
  f.loop();
  vector();
  f.addTo(off, 16);
  f.localGet(off).i32Const(whole * 16).i32Ne().brIf(0);
  f.end();
  if (size % 4) {
    f.i32Const((size - 4) * 4).localSet(off);
    vector();
  }
  f.localGet(flagPtr).localGet(flags).v128Store(0);
  return f;
}

interface Temps {
  readonly d: number;
  readonly n: number;
  readonly r: number;
  readonly z: number;
  readonly s: number;
  readonly c: number;
  readonly odd: number;
}

/** Pushes fn(d) for the f64x2 local d, demoted to f32 lanes 0 and 1; ORs d's beyond-the-bound mask into `flags`. */
function half(f: FunctionBuilder, fn: TrigFunction, { d, n, r, z, s, c, odd }: Temps, flags: number): void {
  // Finite lanes beyond the bound: recomputed on the host.
  f.localGet(flags).localGet(d).f64x2Abs().f64x2Const(REDUCTION_BOUND).f64x2Gt();
  f.localGet(d).f64x2Abs().f64x2Const(Infinity).f64x2Lt().v128And().v128Or().localSet(flags);
  // n = nearest(d·2/π); r = ((d − n·P1) − n·P2) − n·P3, the first two products exact.
  f.localGet(d).f64x2Const(TWO_OVER_PI).f64x2Mul().f64x2Nearest().localSet(n);
  f.localGet(d).localGet(n).f64x2Const(PIO2_1).f64x2Mul().f64x2Sub();
  f.localGet(n).f64x2Const(PIO2_2).f64x2Mul().f64x2Sub();
  f.localGet(n).f64x2Const(PIO2_3).f64x2Mul().f64x2Sub().localTee(r);
  f.localGet(r).f64x2Mul().localSet(z);
  // s = sin r = r + r·z·S(z), c = cos r = 1 + z·C(z).
  horner(f, z, SIN_COEFFS);
  f.localGet(z).f64x2Mul().localGet(r).f64x2Mul().localGet(r).f64x2Add().localSet(s);
  horner(f, z, COS_COEFFS);
  f.localGet(z).f64x2Mul().f64x2Const(1).f64x2Add().localSet(c);
  // Quadrant n mod 4: odd n swaps sin and cos; bit 1 (and, for cos, odd n) negates.
  f.localGet(n).f64x2Const(0.5).f64x2Mul().localTee(odd).localGet(odd).f64x2Floor().f64x2Ne().localSet(odd);
  const bit1 = () => f.localGet(n).f64x2Const(0.25).f64x2Mul().localTee(n).localGet(n).f64x2Floor().f64x2Sub().f64x2Const(0.5).f64x2Ge();
  if (fn === 'tan') {
    // tan = s / c for even n, −c / s for odd n.
    f.localGet(c).localGet(s).localGet(odd).v128Bitselect();
    f.localGet(s).localGet(c).localGet(odd).v128Bitselect().f64x2Div();
    f.localGet(odd).f64x2Const(-0).v128And().v128Xor();
  } else {
    const [sinLike, cosLike] = fn === 'sin' ? [c, s] : [s, c];
    f.localGet(sinLike).localGet(cosLike).localGet(odd).v128Bitselect();
    bit1();
    if (fn === 'cos') f.localGet(odd).v128Xor();
    f.f64x2Const(-0).v128And().v128Xor();
  }
  f.f32x4DemoteF64x2Zero();
}

/** Pushes the polynomial with coefficients `k` (lowest degree first) at the f64x2 local z, by Horner's rule. */
function horner(f: FunctionBuilder, z: number, k: readonly number[]): void {
  f.f64x2Const(k[k.length - 1]!);
  for (let i = k.length - 2; i >= 0; i--) f.localGet(z).f64x2Mul().f64x2Const(k[i]!).f64x2Add();
}
