/**
 * Session 14: special values and edge cases of np's elementwise functions, reductions and
 * sorting, from the checks in NumPy's test_umath.py / test_numeric.py / test_function_base.py
 * and JAX's lax_numpy_test.py: signed zeros, NaN and infinities, int32 wrap-around, rounding
 * half to even, floor division and remainders of negative operands and zero divisors, and the
 * dtypes of cumulative sums and means. Expected values are NumPy 1.24's
 * (tools/numpy_special_session14.py -> test/fixtures/numpy_special_session14.json), compared
 * bit for bit (-0 apart from 0) unless a case gives a tolerance; where jax.numpy differs from
 * NumPy the case says so and asserts JAX's value.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const S = suite(`np special values session 14 [${backend}]`);

type Encoded = number | boolean | string;
interface Expected { dtype: string; shape: number[]; data: Encoded[] }
type Result = NdArray | readonly NdArray[] | boolean;

const fixture = JSON.parse(readFileSync(new URL('../fixtures/numpy_special_session14.json', import.meta.url), 'utf8')) as Record<string, Expected | Expected[]>;

const nan = NaN;
const inf = Infinity;
const IMAX = 2 ** 31 - 1;
const IMIN = -(2 ** 31);
const F = (v: number[] | number[][]) => np.array(v as number[], 'float32');
const I = (v: number[] | number[][]) => np.array(v as number[], 'int32');
const B = (v: boolean[]) => np.array(v, 'bool');

/** A fixture value as a JS number (-0, NaN and the infinities decoded). */
const decode = (v: Encoded): number => (typeof v === 'boolean' ? Number(v) : v === '-0' ? -0 : Number(v));

/** x's values with -0 kept (bools as 0/1). */
const read = (x: NdArray) => Array.from((x as tf.Tensor).dataSync() as ArrayLike<number>, Number);

/** Whether got matches want: bitwise (-0 is not 0, NaN matches NaN), or within rtol. */
function same(got: number, want: number, rtol: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (want === 0 || !Number.isFinite(want) || rtol === 0) return Object.is(got, want);
  return Math.abs(got - want) <= rtol * Math.abs(want);
}

function check(name: string, got: NdArray, want: Expected, rtol: number): void {
  assert.is(got.dtype, want.dtype, `${name}: dtype`);
  assert.equal([...got.shape], want.shape, `${name}: shape`);
  const values = read(got);
  const expected = want.data.map(decode);
  const bad = values.map((v, k) => (same(v, expected[k]!, rtol) ? -1 : k)).filter((k) => k >= 0);
  const show = (v: number | undefined) => (Object.is(v, -0) ? '-0' : String(v));
  assert.ok(bad.length === 0, `${name}: at ${bad.join(',')} got [${bad.map((k) => show(values[k])).join(', ')}] want [${bad.map((k) => show(expected[k])).join(', ')}]`);
}

/** Registers one case: compare fn's result with the fixture entry of the same name. */
function numpyCase(name: string, fn: () => Result, rtol = 0): void {
  S(name, () => {
    const want = fixture[name];
    if (want === undefined) throw new Error(`no fixture entry ${name}`);
    const got = fn();
    if (typeof got === 'boolean') {
      assert.is(got, (want as Expected).data[0], name);
      return;
    }
    if (Array.isArray(want)) {
      const list = got as readonly NdArray[];
      assert.is(list.length, want.length, `${name}: outputs`);
      want.forEach((w, k) => check(`${name}[${k}]`, list[k]!, w, rtol));
      return;
    }
    check(name, got as NdArray, want, rtol);
  });
}

// Signs and zeros.
numpyCase('sign', () => np.sign(F([-0, 0, nan, -inf, inf, -2.5, 3])));
numpyCase('sign_int', () => np.sign(I([-5, 0, 7, IMIN])));
numpyCase('copysign', () => np.copysign(F([1, 1, -1, 0, 0, inf, nan, 2]), F([-0, 0, 0, -1, -0, -1, -1, nan])));
numpyCase('negative_zero', () => np.negative(F([0, -0, inf])));
numpyCase('divide_zero', () => np.divide(F([1, -1, 1, -1, 0, 0]), F([0, 0, -0, -0, 0, -0])));
numpyCase('reciprocal', () => np.reciprocal(F([0, -0, inf, -inf, 2, nan])));
numpyCase('mul_zero', () => np.multiply(F([-0, 0, -1, inf]), F([1, -1, 0, 0])));
// NaN in maximum / fmax and the nan-reductions.
numpyCase('maximum', () => np.maximum(F([nan, 1, nan, -inf, 2]), F([1, nan, nan, inf, 1])));
numpyCase('minimum', () => np.minimum(F([nan, 1, nan, -inf, 2]), F([1, nan, nan, inf, 1])));
numpyCase('fmax', () => np.fmax(F([nan, 1, nan, -inf, 2]), F([1, nan, nan, inf, 1])));
numpyCase('fmin', () => np.fmin(F([nan, 1, nan, -inf, 2]), F([1, nan, nan, inf, 1])));
numpyCase('max_nan', () => np.max(F([[1, nan, 3], [4, 5, 6]]), 1));
numpyCase('argmax_nan', () => np.argmax(F([[1, nan, 3, nan], [4, 5, 6, 0]]), 1));
numpyCase('argmin_nan', () => np.argmin(F([[1, nan, 3, nan], [4, 5, 6, 0]]), 1));
numpyCase('nanmax', () => np.nanmax(F([[1, nan, 3], [nan, nan, nan]]), 1));
numpyCase('nanmin', () => np.nanmin(F([[1, nan, 3], [nan, nan, nan]]), 1));
numpyCase('nanargmax_part', () => np.nanargmax(F([[1, nan, 3], [nan, 2, nan]]), 1));
numpyCase('nanmean_allnan', () => np.nanmean(F([[1, nan, 3], [nan, nan, nan]]), 1));
numpyCase('nansum_allnan', () => np.nansum(F([[1, nan, 3], [nan, nan, nan]]), 1));
numpyCase('nanvar', () => np.nanvar(F([[1, nan, 3], [nan, nan, 2]]), 1));
numpyCase('nanstd_ddof', () => np.nanstd(F([1, nan, 3, 4]), null, false, 1), 1e-6);
// clip.
numpyCase('clip_nan', () => np.clip(F([nan, -2, 0.5, 2, inf, -inf]), 0, 1));
numpyCase('clip_inverted', () => np.clip(F([-1, 0.5, 2, 5]), 3, 1));
numpyCase('clip_int', () => np.clip(I([-5, 0, 5, IMAX]), -2, 3));
numpyCase('clip_nan_bounds', () => np.clip(F([-1, 0.5, 2]), F([nan, 0, 0]), F([1, nan, 1])));
// Rounding.
numpyCase('round_half', () => np.round(F([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -0, 0.49999997])));
numpyCase('round_dec1', () => np.round(F([0.25, 0.35, 1.45, -0.25, 2.675, 0.05]), 1));
numpyCase('round_dec2', () => np.round(F([1.005, 2.675, -1.115, 0.125]), 2));
numpyCase('round_decm1', () => np.round(F([15, 25, -15, 35, 14.9, 5, -5, 123.4]), -1));
numpyCase('round_decm2', () => np.round(F([150, 250, -1250, 49.9]), -2));
numpyCase('round_inf', () => np.round(F([inf, -inf, nan, 1e30]), 2));
numpyCase('rint', () => np.rint(F([0.5, 1.5, 2.5, -0.5, -2.5, 1e30, -0])));
numpyCase('fix', () => np.fix(F([-2.5, 2.5, -0.2, inf])));
numpyCase('trunc_neg', () => np.trunc(F([-0.5, -2.7, 0.3])));
numpyCase('ceil_neg', () => np.ceil(F([-0.5, -2.7, 0.3])));
numpyCase('floor_neg0', () => np.floor(F([-0, 0.5, -0.5])));
// Floor division, remainders and divmod.
numpyCase('fdiv_int', () => np.floorDivide(I([7, -7, 7, -7, 0, 5, -5, IMIN, IMIN]), I([2, 2, -2, -2, 3, 0, 0, -1, 1])));
numpyCase('rem_int', () => np.remainder(I([7, -7, 7, -7, 0, 5, -5, IMIN]), I([3, 3, -3, -3, 3, 0, 0, -1])));
numpyCase('fmod_int', () => np.fmod(I([7, -7, 7, -7, 0, 5, -5, IMIN]), I([3, 3, -3, -3, 3, 0, 0, -1])));
numpyCase('fdiv_float', () => np.floorDivide(F([7, -7, 7, -7, 0, -0, 1, -1, 5.5]), F([2, 2, -2, -2, 3, 3, inf, inf, -1.5])));
numpyCase('rem_float', () => np.remainder(F([7, -7, 7, -7, 0, -0, 1, -1, 5.5, inf, nan, 3]), F([2, 2, -2, -2, 3, 3, inf, inf, -1.5, 2, 2, 0])));
numpyCase('fmod_float', () => np.fmod(F([7, -7, 7, -7, 0, -0, 1, -1, 5.5, inf, 3, -4]), F([2, 2, -2, -2, 3, 3, inf, inf, -1.5, 2, 0, 2])));
numpyCase('divmod_int', () => np.divmod(I([-7, 7, -1]), I([2, -2, 5])));
numpyCase('divmod_float', () => np.divmod(F([-7.5, 7.5, -1]), F([2, -2, 5])));
// Powers.
numpyCase('power_int', () => np.power(I([2, -2, 0, 3, -1, 0]), I([3, 3, 0, 0, 5, 2])));
numpyCase('power_float', () => np.power(F([-8, 0, 0, -0, 2, 1, nan, -1, inf]), F([1 / 3, -1, 0, -1, inf, nan, 0, inf, -1])));
// int32 powers wrap around as int32 products do (a float kernel saturated 3 ** 21 on wasm).
numpyCase('power_int_wrap', () => np.power(I([3, 2, 7, -3, 5, 2]), I([21, 31, 40, 33, 100, 32])));
numpyCase('power_int_scalar', () => np.power(I([3, -3, 7]), 21));
// C's pow: 1 ** y = 1 for any y, (-1) ** +-inf = 1 (JS's Math.pow gives NaN).
numpyCase('power_one', () => np.power(F([1, 1, 1, -1, -1, -1, nan, 2]), F([nan, inf, -inf, inf, -inf, nan, 0, nan])));
numpyCase('float_power', () => np.floatPower(F([2, -2, 4]), F([-1, 2, 0.5])));
numpyCase('square_int_wrap', () => np.square(I([46341, -46341])));
// int32 wraps around.
numpyCase('add_wrap', () => np.add(I([IMAX, IMIN, IMAX]), I([1, -1, IMAX])));
numpyCase('sub_wrap', () => np.subtract(I([IMIN, IMAX]), I([1, -1])));
numpyCase('mul_wrap', () => np.multiply(I([123456789, IMAX, 65536, -65536, IMIN]), I([987654321, 2, 65536, 65537, -1])));
numpyCase('abs_int_min', () => np.abs(I([IMIN, -5, IMAX])));
numpyCase('neg_int_min', () => np.negative(I([IMIN, 5])));
numpyCase('sum_int_wrap', () => np.sum(I([IMAX, 1, 1])));
numpyCase('cumsum_int_wrap', () => np.cumsum(I([IMAX, 1, 1])));
numpyCase('prod_int_wrap', () => np.prod(I([65536, 65536, 3])));
// hypot, logaddexp.
numpyCase('hypot', () => np.hypot(F([inf, -inf, nan, 3, 0, 1e30, 1e-30, nan]), F([nan, 1, inf, 4, -0, 1e30, 1e-30, 1])), 1e-6);
numpyCase('logaddexp', () => np.logaddexp(F([inf, -inf, inf, nan, 1, -inf, 100, 0]), F([inf, -inf, -inf, 1, nan, 2, 100, 1e-30])), 1e-6);
numpyCase('logaddexp2', () => np.logaddexp2(F([inf, -inf, inf, nan, 1, -inf, 100, 0]), F([inf, -inf, -inf, 1, nan, 2, 100, 0])), 1e-6);
// arctan2's quadrants (C99 Annex F).
numpyCase('arctan2', () => np.arctan2(
  F([0, -0, 0, -0, 1, -1, 1, -1, inf, -inf, inf, -inf, inf, -inf, 0, -0, 1, -1, nan, 1]),
  F([0, 0, -0, -0, inf, inf, -inf, -inf, inf, inf, -inf, -inf, 1, 1, -1, -1, 0, -0, 1, nan])), 1e-6);
// exp and log at the extremes.
numpyCase('exp_ext', () => np.exp(F([88.7, 89, -87, -100, -104, -110, inf, -inf, nan, 0, -0])), 1e-5);
numpyCase('expm1_ext', () => np.expm1(F([-inf, inf, 1e-10, -1e-10, -0, 1e-30, 89, -100])), 1e-6);
numpyCase('log1p_ext', () => np.log1p(F([-1, -2, inf, 1e-10, -0, 1e-30, -1e-7, nan])), 1e-6);
numpyCase('log_ext', () => np.log(F([0, -0, -1, inf, 1e-45, 1e-40, nan])), 1e-6);
numpyCase('log2_ext', () => np.log2(F([0, -1, inf, 1e-45, 8, 0.125])), 1e-6);
numpyCase('log10_ext', () => np.log10(F([0, -1, inf, 1e-45, 1000, 1e-5])), 1e-6);
numpyCase('exp2_ext', () => np.exp2(F([128, 127, -126, -149, -150, -inf, 0.5])), 1e-6);
numpyCase('sqrt_ext', () => np.sqrt(F([-0, -1, inf, 1e-45, nan])), 1e-6);
numpyCase('cbrt_ext', () => np.cbrt(F([-8, 0, inf, -inf, 1e-45, 27])), 1e-6);
// isclose and allclose.
numpyCase('isclose', () => np.isclose(F([inf, inf, -inf, nan, nan, 1, 1e10, 0, 1e-8]), F([inf, -inf, -inf, nan, 1, 1.000001, 1.0001e10, 1e-9, 0])));
numpyCase('isclose_eqnan', () => np.isclose(F([nan, nan, 1, inf]), F([nan, 1, nan, inf]), { equalNan: true }));
numpyCase('isclose_tol', () => np.isclose(F([1, 100, 0]), F([1.1, 101, 0.05]), { rtol: 0.05, atol: 0.01 }));
numpyCase('allclose_inf', () => np.allclose(F([inf, 1]), F([inf, 1])));
numpyCase('allclose_nan', () => np.allclose(F([nan, 1]), F([nan, 1])));
numpyCase('allclose_nan_eq', () => np.allclose(F([nan, 1]), F([nan, 1]), { equalNan: true }));
numpyCase('isclose_int', () => np.isclose(I([1, 2, IMAX]), I([1, 3, IMAX])));
// Float bits.
numpyCase('nextafter', () => np.nextafter(F([0, -0, 1, 1, inf, -inf, nan, 1, 0, 1e-45]), F([1, -1, 2, 0, 0, 0, 1, nan, -0, 0])));
numpyCase('spacing', () => np.spacing(F([1, -1, 0, -0, inf, nan, 1e-45, 3.4028235e38, 1e10])));
numpyCase('frexp', () => np.frexp(F([0, -0, 1, -3, 0.5, inf, -inf, nan, 1e-45, 1e-40, 3.4028235e38])));
numpyCase('ldexp', () => np.ldexp(F([1, 1, -1, 0, -0, inf, nan, 1.5, 1]), I([-149, -150, 128, 5, 3, -2, 1, 127, 127])));
numpyCase('modf', () => np.modf(F([-3.5, 3.5, -0, inf, -inf, nan, -0.25, 2])));
// heaviside, sinc, i0.
numpyCase('heaviside', () => np.heaviside(F([-1, -0, 0, 2, nan, -inf, inf]), F([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])));
numpyCase('heaviside_h', () => np.heaviside(F([0, 0, 0, 1]), F([0, 1, nan, nan])));
numpyCase('sinc', () => np.sinc(F([0, -0, 1, -1, 0.5, 1e-8, inf, nan, 2.5])), 1e-6);
numpyCase('i0', () => np.i0(F([0, 1, -1, 5, -10, 30])), 2e-6);
// unwrap, interp, diff.
numpyCase('unwrap', () => np.unwrap(F([0, 3, 6.5, -3, 0.5, -0.5])), 1e-6);
numpyCase('unwrap_period', () => np.unwrap(F([1, 2, 3, 4, 5, 6, 1, 2, 3]), undefined, -1, 6), 1e-6);
numpyCase('unwrap_discont', () => np.unwrap(F([0, 2.5, 5, -1.5]), 4), 1e-6);
numpyCase('unwrap_2d', () => np.unwrap(F([[0, 3.5, 7], [0, -3.5, -7]]), undefined, 1), 1e-6);
// int32 phases with an integral period stay int32 (jax.numpy and NumPy).
numpyCase('unwrap_int', () => np.unwrap(I([0, 5, 10, 2]), undefined, -1, 8));
numpyCase('interp', () => np.interp(F([-1, 0, 0.5, 1, 2.5, 3, 4, nan]), F([0, 1, 3]), F([10, 20, 40])), 1e-6);
numpyCase('interp_lr', () => np.interp(F([-1, 0.5, 4]), F([0, 1, 3]), F([10, 20, 40]), -5, 99), 1e-6);
numpyCase('interp_period', () => np.interp(F([-180, -170, -185, 185, -10, -5, 0, 365, 10]), F([190, -190, 350, -350]), F([5, 10, 3, 4]), undefined, undefined, 360), 1e-5);
numpyCase('interp_exact_inf', () => np.interp(F([1, 2, 2.5, 3, 4]), F([1, 2, 3, 4]), F([1, 2, inf, 4])));
/** NumPy's TestInterp.test_non_finite_* (xp, fp) pairs, each at x = 0.5 (tools/numpy_special_session14.py). */
const INTERP_NONFINITE: [number[], number[]][] = [
  [[-inf, inf], [0, 10]], [[0, 1], [-inf, inf]], [[0, 1], [inf, -inf]], [[-inf, inf], [10, 10]],
  [[-inf, 1], [-inf, 10]], [[-inf, 1], [inf, 10]], [[0, inf], [-inf, 10]], [[0, inf], [inf, 10]],
  [[-inf, -inf], [0, 10]], [[-inf, 1], [0, 10]], [[0, inf], [0, 10]], [[inf, inf], [0, 10]],
  [[0, 1], [0, -inf]], [[0, 1], [0, inf]], [[0, 1], [-inf, 10]], [[0, 1], [inf, 10]],
  [[0, 1], [-inf, -inf]], [[0, 1], [inf, inf]],
];
numpyCase('interp_nonfinite', () => np.concatenate(INTERP_NONFINITE.map(([xp, fp]) => np.interp(F([0.5]), F(xp), F(fp)))));
numpyCase('interp_dup', () => np.interp(F([1, 1.5]), F([0, 1, 1, 2]), F([0, 10, 20, 30])), 1e-6);
numpyCase('diff_pre_app', () => np.diff(F([1, 4, 9]), 1, -1, { prepend: 0, append: F([20, 30]) }));
numpyCase('diff_n2', () => np.diff(F([[1, 3, 6, 10], [0, 0, 1, 1]]), 2, 1));
numpyCase('diff_bool', () => np.diff(B([true, false, false, true])));
numpyCase('diff_int', () => np.diff(I([1, 5, 2]), 1, -1, { prepend: I([0]) }));
numpyCase('diff_n0', () => np.diff(F([1, 2]), 0));
// Cumulative sums and statistics: dtypes.
numpyCase('cumsum_bool', () => np.cumsum(B([true, true, false, true])));
numpyCase('cumprod_bool', () => np.cumprod(B([true, true, false, true])));
numpyCase('cumsum_int', () => np.cumsum(I([[1, 2], [3, 4]]), 0));
numpyCase('cumprod_int', () => np.cumprod(I([1, -2, 3, 4])));
numpyCase('mean_int', () => np.mean(I([1, 2, 4])), 1e-7);
numpyCase('mean_bool', () => np.mean(B([true, false, true, true])));
numpyCase('var_ddof', () => np.variance(F([1, 2, 3, 4]), null, false, 1), 1e-6);
numpyCase('var_int_ddof', () => np.variance(I([1, 2, 4]), null, false, 2), 1e-6);
numpyCase('std_ddof', () => np.std(F([[1, 2], [3, 5]]), 0, false, 1), 1e-6);
numpyCase('median_nan', () => np.median(F([[1, nan, 3], [1, 2, 3]]), 1));
numpyCase('percentile_nan', () => np.percentile(F([1, 2, nan, 4]), [0, 50, 100]));
numpyCase('median_even', () => np.median(I([4, 1, 3, 2])));
// (At q = 0 and 1, NumPy's and JAX's lerps give NaN, 0 x inf; tfjax takes the end value exactly: -inf, inf.)
numpyCase('quantile_inf', () => np.quantile(F([-inf, 1, 2, inf]), [0.25, 0.5, 0.75]));
// The median is the mean of the two middle values (NumPy; jax.numpy's 'midpoint'): an infinity wins.
numpyCase('median_inf', () => np.median(F([[1, inf, inf, 3], [-inf, 2, 0, 1]]), 1));
numpyCase('median_inf_odd', () => np.median(F([inf, inf, inf])));
numpyCase('nanmedian_inf', () => np.nanmedian(F([[1, inf, nan, inf, 3], [nan, -inf, 2, 0, 1]]), 1));
// Sorting: NaN last, -0 and 0 equal (stable), searchsorted.
numpyCase('sort_nan', () => np.sort(F([3, nan, -inf, 1, nan, inf, -1])));
numpyCase('argsort_nan', () => np.argsort(F([3, nan, -inf, 1, nan, inf, -1])));
numpyCase('sort_zeros', () => np.sort(F([0, -0, 0, -0, -1])));
numpyCase('argsort_zeros', () => np.argsort(F([0, -0, 0, -0, -1])));
numpyCase('argsort_stable', () => np.argsort(I([2, 1, 2, 1, 0, 2, 1])));
numpyCase('argsort_stable_2d', () => np.argsort(F([[1, 1, 0, 1], [3, 3, 3, 3]]), 1));
numpyCase('sort_bool', () => np.sort(B([true, false, true, false])));
numpyCase('sort_int_ext', () => np.sort(I([IMAX, IMIN, 0, -1])));
numpyCase('unique_nan', () => np.unique(F([nan, 1, nan, 0, -0, 1])));
numpyCase('unique_counts_nan', () => np.unique(F([nan, 1, nan, 2, nan]), { returnCounts: true }));
numpyCase('searchsorted_nan_l', () => np.searchsorted(F([1, 2, 3, nan, nan]), F([nan, 2, 0, inf, 3.5]), 'left'));
numpyCase('searchsorted_nan_r', () => np.searchsorted(F([1, 2, 3, nan, nan]), F([nan, 2, 0, inf, 3.5]), 'right'));
numpyCase('searchsorted_zero', () => np.searchsorted(F([-1, -0, 0, 1]), F([0, -0]), 'right'));
numpyCase('searchsorted_int', () => np.searchsorted(I([1, 2, 2, 2, 5]), I([2, 2, 6, -1]), 'right'));
numpyCase('nan_to_num', () => np.nanToNum(F([nan, inf, -inf, 1])));
numpyCase('nan_to_num_opts', () => np.nanToNum(F([nan, inf, -inf, 1]), { nan: -1, posinf: 9, neginf: -9 }));
numpyCase('signbit', () => np.signbit(F([-0, 0, -1, nan, -inf])));
numpyCase('isfinite_int', () => np.isfinite(I([1, IMIN])));
numpyCase('ptp_int', () => np.ptp(I([IMIN, IMAX])));
numpyCase('arange_neg', () => np.arange(5, -5, -3, 'int32'));
numpyCase('arange_float', () => np.arange(0, 1, 0.3, 'float32'), 1e-7);
numpyCase('linspace_end', () => np.linspace(0, 1, 5, { endpoint: false }));
numpyCase('around_int', () => np.around(I([15, 25, -15])));

// Where jax.numpy differs from NumPy: JAX's values (jax/_src/numpy/lax_numpy.py, reductions.py).
S('nanargmax/nanargmin of an all-NaN slice give -1 (jax.numpy; NumPy raises)', () => {
  const x = F([[nan, nan, nan], [1, nan, 3], [nan, -2, nan]]);
  assert.equal(read(np.nanargmax(x, 1)), [-1, 2, 1]);
  assert.equal(read(np.nanargmin(x, 1)), [-1, 0, 1]);
  assert.equal(read(np.nanargmax(x, 0, true)), [1, 2, 1]);
  assert.equal([...np.nanargmax(x, 0, true).shape], [1, 3]);
  assert.equal(read(np.nanargmax(F([nan, nan]))), [-1]);
  assert.equal(read(np.nanargmin(F([nan, 4, 2]))), [2]);
  assert.equal(read(np.nanargmax(I([3, 9, 1]))), [1]);
  assert.equal(read(jit((v: NdArray) => np.nanargmax(v, 1))(x)), [-1, 2, 1]);
});

S('round with decimals past float32\'s range returns x (jax.numpy; NumPy\'s float32 overflows to inf)', () => {
  assert.equal(read(np.round(F([1.5, -2.5, 1e30]), 39)), read(F([1.5, -2.5, 1e30])));
  assert.equal(read(np.round(F([1.25, -0.04]), 1)).map((v) => (Object.is(v, -0) ? '-0' : v)), [1.2000000476837158, '-0']);
});

S('var/std with ddof >= the count are NaN (jax.numpy; NumPy divides by max(n - ddof, 0))', () => {
  assert.ok(Number.isNaN(read(np.variance(F([1, 2]), null, false, 2))[0]!));
  assert.ok(Number.isNaN(read(np.std(F([1, 2, 4]), null, false, 3))[0]!));
  assert.equal(read(np.variance(F([[1, 2], [3, 5]]), 1, false, 2)).map(Number.isNaN), [true, true]);
  assert.equal(read(np.variance(F([1, 3]), null, false, 1)), [2]);
});

S('the fixes keep their derivatives and trace: modf, round, pow, arctan2, median', () => {
  // modf's fractional part has derivative 1, at integers too (x - whole, as jax.numpy).
  assert.equal(read(grad((v: NdArray) => np.sum(np.modf(v)[0]))(F([-3, -2.5, 0.5, 2]))), [1, 1, 1, 1]);
  assert.equal(read(grad((v: NdArray) => np.sum(np.round(v, 1)))(F([-0.04, 1.26]))), [0, 0]);
  assert.equal(read(jit((v: NdArray) => np.round(v))(F([-0.5, -2.5, 1.5]))).map((v) => (Object.is(v, -0) ? '-0' : v)), ['-0', -2, 2]);
  // d/dx x^3 at 1 is 3 and d/dy 1^y is 0 (log 1); 1 ** y for y = 2 is an ordinary point.
  assert.equal(read(grad((v: NdArray) => np.sum(np.power(v, 3)))(F([1, 2]))), [3, 12]);
  assert.equal(read(grad((v: NdArray) => np.sum(np.power(F([1, 1]), v)))(F([2, -1]))), [0, 0]);
  assert.equal(read(jit((a: NdArray, b: NdArray) => np.power(a, b))(I([3, 5]), I([21, 3]))), [1870418611, 125]);
  const g = read(grad((v: NdArray) => np.sum(np.arctan2(v, F([1, -2]))))(F([1, 0.5])));
  [0.5, -2 / 4.25].forEach((want, k) => assert.ok(Math.abs(g[k]! - want) < 1e-6, `d atan2 / dy [${k}]: ${g[k]}`));
  assert.equal(read(grad((v: NdArray) => np.median(v))(F([4, 1, 3, 2]))), [0, 0, 0.5, 0.5]);
});

S.run();
