/**
 * exp, log, erf and tanh on four float32 lanes, emitted inline into generated WebAssembly loops
 * (the jit's fused elementwise programs, the log-sum-exp kernel): range reduction and a
 * polynomial (Cephes' expf and logf coefficients), about 25 SIMD instructions each, where
 * tfjs's wasm Exp and Log call the scalar C library function per element.
 *
 * Every operation rounds to float32, except the polynomials' multiply-adds where the engine
 * has relaxed SIMD (wasm-relaxed.ts), and the results are within 2 ulp of the float64 function over the whole float32 range
 * (test/backend/wasm-math.test.ts sweeps every exponent), including denormal inputs and
 * results, ±0 (exp 1, log -inf), ±inf (exp inf / 0, log inf / NaN), NaN (NaN), negative
 * numbers (log NaN) and the overflow (exp(88.73) = inf) and underflow boundaries.
 */
import { ERF_ONE_FROM, ERF_SMALL, ERF_SMALL_POLY, ERF_TAIL_CENTER, ERF_TAIL_POLY } from './erf-approximation.js';
import type { FunctionBuilder } from './wasm-emit.js';
import { relaxedMultiplyAdd } from './wasm-relaxed.js';

const LOG2E = 1.4426950408889634;
/** ln 2 in two parts: n * LN2_HI is exact for |n| <= 2^14 (9 significant bits). */
const LN2_HI = 0.693359375;
const LN2_LO = -2.12194440e-4;
/** Cephes expf: exp(r) = 1 + r + r^2 P(r) for |r| <= ln(2) / 2. */
const EXP_P = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
/** Cephes logf: log(1 + f) = f - f^2 / 2 + f^3 P(f) for sqrt(1/2) - 1 <= f < sqrt(2) - 1. */
const LOG_P = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
/** exp underflows to 0 below ln(2^-150) = -103.97 and overflows above ln(2^128) = 88.72: inputs are clamped to just outside. */
const EXP_LO = -104;
/** Cephes tanhf: tanh(x) = x + x^3 P(x^2) for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1) with x's sign. */
const TANH_P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
const TANH_SMALL = 0.625;
const EXP_HI = 89;
const SQRT_HALF = Math.fround(Math.SQRT1_2);
const SMALLEST_NORMAL = 2 ** -126;

/** Emits exp, log and erf of a v128 local, leaving the result on the stack; its temporaries are allocated once per function. */
export class SimdMath {
  private temps: number[] | null = null;
  private erfTemps: number[] | null = null;
  private tanhTemps: number[] | null = null;

  /** `relaxed`: Horner steps as f32x4.relaxed_madd (by default where the engine has it). */
  constructor(
    private readonly f: FunctionBuilder,
    private readonly relaxed = relaxedMultiplyAdd(),
  ) {}

  private get t(): number[] {
    return (this.temps ??= [0, 1, 2, 3, 4].map(() => this.f.local('v128')));
  }

  /** Pushes a polynomial in the local `x` with coefficients `c` (highest degree first), by Horner's rule. */
  private horner(x: number, c: readonly number[]): void {
    const f = this.f;
    f.f32x4Const(c[0]!);
    for (const k of c.slice(1)) {
      if (this.relaxed) f.localGet(x).f32x4Const(k).f32x4RelaxedMadd();
      else f.localGet(x).f32x4Mul().f32x4Const(k).f32x4Add();
    }
  }

  /** Pushes exp(local x). */
  exp(x: number): void {
    const f = this.f;
    const [r, n, r2, s, low] = this.t as [number, number, number, number, number];
    // Below EXP_LO the result is 0: those lanes compute exp(0) and are zeroed at the end, as
    // products that underflow cost x86 a microcode assist each (log-domain Sinkhorn at small
    // epsilon has mostly such lanes).
    f.localGet(x).f32x4Const(EXP_LO).f32x4Lt().localSet(low);
    // n = round(x / ln 2) on the clamped x (NaN stays NaN through max and min, and gives n = 0).
    f.localGet(x).f32x4Const(EXP_LO).f32x4Max().f32x4Const(EXP_HI).f32x4Min().localGet(low).v128Andnot().localTee(r);
    f.f32x4Const(LOG2E).f32x4Mul().f32x4Nearest().localSet(n);
    // r = x - n ln 2 (Cody and Waite: the first product and difference are exact).
    f.localGet(r).localGet(n).f32x4Const(LN2_HI).f32x4Mul().f32x4Sub();
    f.localGet(n).f32x4Const(LN2_LO).f32x4Mul().f32x4Sub().localSet(r);
    // p = 1 + r + r^2 P(r).
    f.localGet(r).localGet(r).f32x4Mul().localSet(r2);
    this.horner(r, EXP_P);
    f.localGet(r2).f32x4Mul().localGet(r).f32x4Add().f32x4Const(1).f32x4Add();
    // p * 2^n as p * 2^(n >> 1) * 2^(n - (n >> 1)): both factors are normal for -150 <= n <= 128,
    // the first product is exact, and the second rounds once (into a denormal, or to inf).
    f.localGet(n).i32x4TruncSatF32x4S().localTee(n).i32Const(1).i32x4ShrS().localTee(s);
    f.i32x4Const(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
    f.localGet(n).localGet(s).i32x4Sub().i32x4Const(127).i32x4Add().i32Const(23).i32x4Shl().f32x4Mul();
    f.localGet(low).v128Andnot();
  }

  /** Pushes erf(local x) (the scheme of erf-approximation.ts: both branches computed, one kept per lane). */
  erf(x: number): void {
    const f = this.f;
    const [s, z, arg, small] = (this.erfTemps ??= [0, 1, 2, 3].map(() => f.local('v128'))) as [number, number, number, number];
    f.localGet(x).f32x4Abs().localTee(z).f32x4Const(ERF_SMALL).f32x4Lt().localSet(small);
    // Near 0: x + x P(x^2).
    f.localGet(x).localGet(x).f32x4Mul().localSet(s);
    this.horner(s, ERF_SMALL_POLY);
    f.localGet(x).f32x4Mul().localGet(x).f32x4Add();
    // Beyond: 1 - exp(-z^2) G(z - center), z = min(|x|, ONE_FROM) (NaN stays NaN), with x's sign bit.
    f.localGet(z).f32x4Const(ERF_ONE_FROM).f32x4Min().localTee(z).localGet(z).f32x4Mul().f32x4Neg().localSet(arg);
    f.localGet(z).f32x4Const(ERF_TAIL_CENTER).f32x4Sub().localSet(s);
    f.f32x4Const(1);
    this.exp(arg);
    this.horner(s, ERF_TAIL_POLY);
    f.f32x4Mul().f32x4Sub();
    f.localGet(x).i32x4Const(-0x80000000).v128And().v128Or();
    f.localGet(small).v128Bitselect();
  }

  /**
   * Pushes tanh(local x) (both branches computed, one kept per lane): ±inf give ±1 (exp
   * overflows to inf), NaN stays NaN, -0 stays -0.
   */
  tanh(x: number): void {
    const f = this.f;
    const [s, z, small] = (this.tanhTemps ??= [0, 1, 2].map(() => f.local('v128'))) as [number, number, number];
    f.localGet(x).f32x4Abs().localTee(z).f32x4Const(TANH_SMALL).f32x4Lt().localSet(small);
    // Near 0: x + x s P(s), s = x^2.
    f.localGet(x).localGet(x).f32x4Mul().localSet(s);
    this.horner(s, TANH_P);
    f.localGet(s).f32x4Mul().localGet(x).f32x4Mul().localGet(x).f32x4Add();
    // Beyond: 1 - 2 / (exp(2|x|) + 1).
    f.localGet(z).localGet(z).f32x4Add().localSet(z);
    f.f32x4Const(1).f32x4Const(2);
    this.exp(z);
    f.f32x4Const(1).f32x4Add().f32x4Div().f32x4Sub();
    f.localGet(small).v128Bitselect();
    // x's sign bit on either (the polynomial's -0 + (+0) lost it).
    f.localGet(x).i32x4Const(-0x80000000).v128And().v128Or();
  }

  /** Pushes log(local x). */
  log(x: number): void {
    const f = this.f;
    const [m, e, z, small] = this.t as [number, number, number, number];
    // Denormals are scaled by 2^23 first (their exponent field is 0).
    f.localGet(x).f32x4Const(2 ** 23).f32x4Mul().localGet(x);
    f.localGet(x).f32x4Const(SMALLEST_NORMAL).f32x4Lt().localTee(small).v128Bitselect().localTee(m);
    // x = mant * 2^e with mant in [0.5, 1).
    f.i32Const(23).i32x4ShrS().i32x4Const(126).i32x4Sub().localGet(small).i32x4Const(23).v128And().i32x4Sub().localSet(e);
    f.localGet(m).i32x4Const(0x007fffff).v128And().i32x4Const(0x3f000000).v128Or().localSet(m);
    // Below sqrt(1/2): f = 2 mant - 1 and e - 1; otherwise f = mant - 1 (both exact).
    f.localGet(m).f32x4Const(SQRT_HALF).f32x4Lt().localSet(small);
    f.localGet(e).localGet(small).i32x4Add().f32x4ConvertI32x4S().localSet(e); // a true mask is -1
    f.localGet(m).localGet(m).localGet(small).v128And().f32x4Add().f32x4Const(1).f32x4Sub().localSet(m);
    // log = f - f^2 / 2 + f^3 P(f) + e ln 2, small terms first.
    f.localGet(m).localGet(m).f32x4Mul().localSet(z);
    this.horner(m, LOG_P);
    f.localGet(m).f32x4Mul().localGet(z).f32x4Mul();
    f.localGet(e).f32x4Const(LN2_LO).f32x4Mul().f32x4Add();
    f.localGet(z).f32x4Const(0.5).f32x4Mul().f32x4Sub();
    f.localGet(m).f32x4Add();
    f.localGet(e).f32x4Const(LN2_HI).f32x4Mul().f32x4Add();
    // Special inputs: log(+inf) = inf, log(±0) = -inf, log(x < 0) = NaN, log(NaN) = NaN.
    f.f32x4Const(Infinity).localGet(x).f32x4Const(Infinity).f32x4Ne().v128Bitselect();
    f.f32x4Const(-Infinity).localGet(x).v128Const0().f32x4Ne().v128Bitselect();
    f.f32x4Const(NaN).localGet(x).v128Const0().f32x4Ge().v128Bitselect();
  }
}
