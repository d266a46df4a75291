"""NumPy 1.24 reference values for test/ops/numpy-special-session14.test.ts ->
test/fixtures/numpy_special_session14.json.

Run: /usr/bin/python3 tools/numpy_special_session14.py. Special values and edge cases from
NumPy's test_umath.py / test_numeric.py / test_function_base.py and JAX's lax_numpy_test.py,
in float32 / int32 / bool as tfjax's. Each case is the NumPy call the test's case of the same
name makes with tfjax's API. Values are encoded so that -0, NaN and +-inf survive JSON:
the strings "-0", "NaN", "Infinity", "-Infinity". Where jax.numpy differs from NumPy the test
says so and does not use the entry.
"""
import json
import warnings
import numpy as np

warnings.simplefilter('ignore')
f = lambda v: np.array(v, np.float32)
i = lambda v: np.array(v, np.int32)
nan, inf = np.nan, np.inf
IMAX, IMIN = 2**31 - 1, -2**31

# numpy's TestInterp.test_non_finite_*: (xp, fp) pairs, each at x = 0.5.
INTERP_NONFINITE = [
    ([-inf, inf], [0, 10]), ([0, 1], [-inf, inf]), ([0, 1], [inf, -inf]), ([-inf, inf], [10, 10]),
    ([-inf, 1], [-inf, 10]), ([-inf, 1], [inf, 10]), ([0, inf], [-inf, 10]), ([0, inf], [inf, 10]),
    ([-inf, -inf], [0, 10]), ([-inf, 1], [0, 10]), ([0, inf], [0, 10]), ([inf, inf], [0, 10]),
    ([0, 1], [0, -inf]), ([0, 1], [0, inf]), ([0, 1], [-inf, 10]), ([0, 1], [inf, 10]),
    ([0, 1], [-inf, -inf]), ([0, 1], [inf, inf]),
]

CASES = [
    # signs and zeros
    ('sign', lambda: np.sign(f([-0., 0., nan, -inf, inf, -2.5, 3]))),
    ('sign_int', lambda: np.sign(i([-5, 0, 7, IMIN]))),
    ('copysign', lambda: np.copysign(f([1, 1, -1, 0, 0, inf, nan, 2]), f([-0., 0., 0., -1, -0., -1, -1, nan]))),
    ('negative_zero', lambda: np.negative(f([0., -0., inf]))),
    ('divide_zero', lambda: np.divide(f([1, -1, 1, -1, 0, 0]), f([0., 0., -0., -0., 0, -0.]))),
    ('reciprocal', lambda: np.reciprocal(f([0., -0., inf, -inf, 2, nan]))),
    ('mul_zero', lambda: np.multiply(f([-0., 0., -1, inf]), f([1, -1, 0., 0.]))),
    # NaN in maximum / fmax
    ('maximum', lambda: np.maximum(f([nan, 1, nan, -inf, 2]), f([1, nan, nan, inf, 1]))),
    ('minimum', lambda: np.minimum(f([nan, 1, nan, -inf, 2]), f([1, nan, nan, inf, 1]))),
    ('fmax', lambda: np.fmax(f([nan, 1, nan, -inf, 2]), f([1, nan, nan, inf, 1]))),
    ('fmin', lambda: np.fmin(f([nan, 1, nan, -inf, 2]), f([1, nan, nan, inf, 1]))),
    ('max_nan', lambda: np.max(f([[1, nan, 3], [4, 5, 6]]), axis=1)),
    ('argmax_nan', lambda: np.argmax(f([[1, nan, 3, nan], [4, 5, 6, 0]]), axis=1)),
    ('argmin_nan', lambda: np.argmin(f([[1, nan, 3, nan], [4, 5, 6, 0]]), axis=1)),
    ('nanmax', lambda: np.nanmax(f([[1, nan, 3], [nan, nan, nan]]), axis=1)),
    ('nanmin', lambda: np.nanmin(f([[1, nan, 3], [nan, nan, nan]]), axis=1)),
    ('nanargmax_part', lambda: np.nanargmax(f([[1, nan, 3], [nan, 2, nan]]), axis=1)),
    ('nanmean_allnan', lambda: np.nanmean(f([[1, nan, 3], [nan, nan, nan]]), axis=1)),
    ('nansum_allnan', lambda: np.nansum(f([[1, nan, 3], [nan, nan, nan]]), axis=1)),
    ('nanvar', lambda: np.nanvar(f([[1, nan, 3], [nan, nan, 2]]), axis=1)),
    ('nanstd_ddof', lambda: np.nanstd(f([1, nan, 3, 4]), ddof=1)),
    # clip
    ('clip_nan', lambda: np.clip(f([nan, -2, 0.5, 2, inf, -inf]), 0, 1)),
    ('clip_inverted', lambda: np.clip(f([-1, 0.5, 2, 5]), 3, 1)),
    ('clip_int', lambda: np.clip(i([-5, 0, 5, IMAX]), -2, 3)),
    ('clip_nan_bounds', lambda: np.clip(f([-1, 0.5, 2]), f([nan, 0, 0]), f([1, nan, 1]))),
    # rounding
    ('round_half', lambda: np.round(f([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -0., 0.49999997]))),
    ('round_dec1', lambda: np.round(f([0.25, 0.35, 1.45, -0.25, 2.675, 0.05]), 1)),
    ('round_dec2', lambda: np.round(f([1.005, 2.675, -1.115, 0.125]), 2)),
    ('round_decm1', lambda: np.round(f([15, 25, -15, 35, 14.9, 5, -5, 123.4]), -1)),
    ('round_decm2', lambda: np.round(f([150, 250, -1250, 49.9]), -2)),
    ('round_inf', lambda: np.round(f([inf, -inf, nan, 1e30]), 2)),
    ('rint', lambda: np.rint(f([0.5, 1.5, 2.5, -0.5, -2.5, 1e30, -0.]))),
    ('fix', lambda: np.fix(f([-2.5, 2.5, -0.2, inf]))),
    ('trunc_neg', lambda: np.trunc(f([-0.5, -2.7, 0.3]))),
    ('ceil_neg', lambda: np.ceil(f([-0.5, -2.7, 0.3]))),
    ('floor_neg0', lambda: np.floor(f([-0., 0.5, -0.5]))),
    # floor_divide / remainder / fmod / divmod
    ('fdiv_int', lambda: np.floor_divide(i([7, -7, 7, -7, 0, 5, -5, IMIN, IMIN]), i([2, 2, -2, -2, 3, 0, 0, -1, 1]))),
    ('rem_int', lambda: np.remainder(i([7, -7, 7, -7, 0, 5, -5, IMIN]), i([3, 3, -3, -3, 3, 0, 0, -1]))),
    ('fmod_int', lambda: np.fmod(i([7, -7, 7, -7, 0, 5, -5, IMIN]), i([3, 3, -3, -3, 3, 0, 0, -1]))),
    ('fdiv_float', lambda: np.floor_divide(f([7, -7, 7, -7, 0, -0., 1, -1, 5.5]), f([2, 2, -2, -2, 3, 3, inf, inf, -1.5]))),
    ('rem_float', lambda: np.remainder(f([7, -7, 7, -7, 0, -0., 1, -1, 5.5, inf, nan, 3]), f([2, 2, -2, -2, 3, 3, inf, inf, -1.5, 2, 2, 0]))),
    ('fmod_float', lambda: np.fmod(f([7, -7, 7, -7, 0, -0., 1, -1, 5.5, inf, 3, -4]), f([2, 2, -2, -2, 3, 3, inf, inf, -1.5, 2, 0, 2]))),
    ('divmod_int', lambda: np.divmod(i([-7, 7, -1]), i([2, -2, 5]))),
    ('divmod_float', lambda: np.divmod(f([-7.5, 7.5, -1]), f([2, -2, 5]))),
    # power
    ('power_int', lambda: np.power(i([2, -2, 0, 3, -1, 0]), i([3, 3, 0, 0, 5, 2]))),
    ('power_float', lambda: np.power(f([-8, 0, 0, -0., 2, 1, nan, -1, inf]), f([1 / 3, -1, 0, -1, inf, nan, 0, inf, -1]))),
    ('power_int_wrap', lambda: np.power(i([3, 2, 7, -3, 5, 2]), i([21, 31, 40, 33, 100, 32]))),
    ('power_int_scalar', lambda: np.power(i([3, -3, 7]), 21)),
    ('power_one', lambda: np.power(f([1, 1, 1, -1, -1, -1, nan, 2]), f([nan, inf, -inf, inf, -inf, nan, 0, nan]))),
    ('float_power', lambda: np.float_power(f([2, -2, 4]), f([-1, 2, 0.5]))),
    ('square_int_wrap', lambda: np.square(i([46341, -46341]))),
    # int32 wrap-around
    ('add_wrap', lambda: np.add(i([IMAX, IMIN, IMAX]), i([1, -1, IMAX]))),
    ('sub_wrap', lambda: np.subtract(i([IMIN, IMAX]), i([1, -1]))),
    ('mul_wrap', lambda: np.multiply(i([123456789, IMAX, 65536, -65536, IMIN]), i([987654321, 2, 65536, 65537, -1]))),
    ('abs_int_min', lambda: np.abs(i([IMIN, -5, IMAX]))),
    ('neg_int_min', lambda: np.negative(i([IMIN, 5]))),
    ('sum_int_wrap', lambda: np.sum(i([IMAX, 1, 1]), dtype=np.int32)),
    ('cumsum_int_wrap', lambda: np.cumsum(i([IMAX, 1, 1]), dtype=np.int32)),
    ('prod_int_wrap', lambda: np.prod(i([65536, 65536, 3]), dtype=np.int32)),
    # hypot / logaddexp
    ('hypot', lambda: np.hypot(f([inf, -inf, nan, 3, 0, 1e30, 1e-30, nan]), f([nan, 1, inf, 4, -0., 1e30, 1e-30, 1]))),
    ('logaddexp', lambda: np.logaddexp(f([inf, -inf, inf, nan, 1, -inf, 100, 0]), f([inf, -inf, -inf, 1, nan, 2, 100, 1e-30]))),
    ('logaddexp2', lambda: np.logaddexp2(f([inf, -inf, inf, nan, 1, -inf, 100, 0]), f([inf, -inf, -inf, 1, nan, 2, 100, 0]))),
    # arctan2 quadrants
    ('arctan2', lambda: np.arctan2(
        f([0., -0., 0., -0., 1, -1, 1, -1, inf, -inf, inf, -inf, inf, -inf, 0, -0., 1, -1, nan, 1]),
        f([0., 0., -0., -0., inf, inf, -inf, -inf, inf, inf, -inf, -inf, 1, 1, -1, -1, 0., -0., 1, nan]))),
    # exp / log families at the extremes
    ('exp_ext', lambda: np.exp(f([88.7, 89, -87, -100, -104, -110, inf, -inf, nan, 0, -0.]))),
    ('expm1_ext', lambda: np.expm1(f([-inf, inf, 1e-10, -1e-10, -0., 1e-30, 89, -100]))),
    ('log1p_ext', lambda: np.log1p(f([-1, -2, inf, 1e-10, -0., 1e-30, -1e-7, nan]))),
    ('log_ext', lambda: np.log(f([0., -0., -1, inf, 1e-45, 1e-40, nan]))),
    ('log2_ext', lambda: np.log2(f([0., -1, inf, 1e-45, 8, 0.125]))),
    ('log10_ext', lambda: np.log10(f([0., -1, inf, 1e-45, 1000, 1e-5]))),
    ('exp2_ext', lambda: np.exp2(f([128, 127, -126, -149, -150, -inf, 0.5]))),
    ('sqrt_ext', lambda: np.sqrt(f([-0., -1, inf, 1e-45, nan]))),
    ('cbrt_ext', lambda: np.cbrt(f([-8, 0., inf, -inf, 1e-45, 27]))),
    # isclose / allclose
    ('isclose', lambda: np.isclose(f([inf, inf, -inf, nan, nan, 1, 1e10, 0, 1e-8]), f([inf, -inf, -inf, nan, 1, 1.000001, 1.0001e10, 1e-9, 0]))),
    ('isclose_eqnan', lambda: np.isclose(f([nan, nan, 1, inf]), f([nan, 1, nan, inf]), equal_nan=True)),
    ('isclose_tol', lambda: np.isclose(f([1, 100, 0]), f([1.1, 101, 0.05]), rtol=0.05, atol=0.01)),
    ('allclose_inf', lambda: np.allclose(f([inf, 1]), f([inf, 1]))),
    ('allclose_nan', lambda: np.allclose(f([nan, 1]), f([nan, 1]))),
    ('allclose_nan_eq', lambda: np.allclose(f([nan, 1]), f([nan, 1]), equal_nan=True)),
    ('isclose_int', lambda: np.isclose(i([1, 2, IMAX]), i([1, 3, IMAX]))),
    # float bits
    ('nextafter', lambda: np.nextafter(f([0., -0., 1, 1, inf, -inf, nan, 1, 0., 1e-45]), f([1, -1, 2, 0, 0, 0, 1, nan, -0., 0.]))),
    ('spacing', lambda: np.spacing(f([1, -1, 0., -0., inf, nan, 1e-45, 3.4028235e38, 1e10]))),
    ('frexp', lambda: np.frexp(f([0., -0., 1, -3, 0.5, inf, -inf, nan, 1e-45, 1e-40, 3.4028235e38]))),
    ('ldexp', lambda: np.ldexp(f([1, 1, -1, 0., -0., inf, nan, 1.5, 1]), i([-149, -150, 128, 5, 3, -2, 1, 127, 127]))),
    ('modf', lambda: np.modf(f([-3.5, 3.5, -0., inf, -inf, nan, -0.25, 2]))),
    # heaviside / sinc / i0
    ('heaviside', lambda: np.heaviside(f([-1, -0., 0., 2, nan, -inf, inf]), f([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]))),
    ('heaviside_h', lambda: np.heaviside(f([0., 0., 0., 1]), f([0, 1, nan, nan]))),
    ('sinc', lambda: np.sinc(f([0., -0., 1, -1, 0.5, 1e-8, inf, nan, 2.5]))),
    ('i0', lambda: np.i0(f([0., 1, -1, 5, -10, 30]))),
    # unwrap / interp / diff
    ('unwrap', lambda: np.unwrap(f([0, 3, 6.5, -3, 0.5, -0.5]))),
    ('unwrap_period', lambda: np.unwrap(f([1, 2, 3, 4, 5, 6, 1, 2, 3]), period=6)),
    ('unwrap_discont', lambda: np.unwrap(f([0, 2.5, 5, -1.5]), discont=4)),
    ('unwrap_2d', lambda: np.unwrap(f([[0, 3.5, 7], [0, -3.5, -7]]), axis=1)),
    ('unwrap_int', lambda: np.unwrap(i([0, 5, 10, 2]), period=8)),
    ('interp', lambda: np.interp(f([-1, 0, 0.5, 1, 2.5, 3, 4, nan]), f([0, 1, 3]), f([10, 20, 40]))),
    ('interp_lr', lambda: np.interp(f([-1, 0.5, 4]), f([0, 1, 3]), f([10, 20, 40]), left=-5, right=99)),
    ('interp_period', lambda: np.interp(f([-180, -170, -185, 185, -10, -5, 0, 365, 10]), f([190, -190, 350, -350]), f([5, 10, 3, 4]), period=360)),
    ('interp_exact_inf', lambda: np.interp(f([1, 2, 2.5, 3, 4]), f([1, 2, 3, 4]), f([1, 2, inf, 4]))),
    ('interp_nonfinite', lambda: np.array([np.interp(0.5, xp, f(fp)) for xp, fp in INTERP_NONFINITE], np.float32)),
    ('interp_dup', lambda: np.interp(f([1, 1.5]), f([0, 1, 1, 2]), f([0, 10, 20, 30]))),
    ('diff_pre_app', lambda: np.diff(f([1, 4, 9]), prepend=0, append=f([20, 30]))),
    ('diff_n2', lambda: np.diff(f([[1, 3, 6, 10], [0, 0, 1, 1]]), n=2, axis=1)),
    ('diff_bool', lambda: np.diff(np.array([True, False, False, True]))),
    ('diff_int', lambda: np.diff(i([1, 5, 2]), prepend=i([0]))),
    ('diff_n0', lambda: np.diff(f([1, 2]), n=0)),
    # cumulative / statistics dtypes
    ('cumsum_bool', lambda: np.cumsum(np.array([True, True, False, True]))),
    ('cumprod_bool', lambda: np.cumprod(np.array([True, True, False, True]))),
    ('cumsum_int', lambda: np.cumsum(i([[1, 2], [3, 4]]), axis=0)),
    ('cumprod_int', lambda: np.cumprod(i([1, -2, 3, 4]))),
    ('mean_int', lambda: np.mean(i([1, 2, 4]))),
    ('mean_bool', lambda: np.mean(np.array([True, False, True, True]))),
    ('var_ddof', lambda: np.var(f([1, 2, 3, 4]), ddof=1)),
    ('var_int_ddof', lambda: np.var(i([1, 2, 4]), ddof=2)),
    ('std_ddof', lambda: np.std(f([[1, 2], [3, 5]]), axis=0, ddof=1)),
    ('median_nan', lambda: np.median(f([[1, nan, 3], [1, 2, 3]]), axis=1)),
    ('percentile_nan', lambda: np.percentile(f([1, 2, nan, 4]), f([0, 50, 100]))),
    ('median_even', lambda: np.median(i([4, 1, 3, 2]))),
    ('quantile_inf', lambda: np.quantile(f([-inf, 1, 2, inf]), f([0.25, 0.5, 0.75]))),
    ('median_inf', lambda: np.median(f([[1, inf, inf, 3], [-inf, 2, 0, 1]]), axis=1)),
    ('median_inf_odd', lambda: np.median(f([inf, inf, inf]))),
    ('nanmedian_inf', lambda: np.nanmedian(f([[1, inf, nan, inf, 3], [nan, -inf, 2, 0, 1]]), axis=1)),
    # sorting
    ('sort_nan', lambda: np.sort(f([3, nan, -inf, 1, nan, inf, -1]))),
    ('argsort_nan', lambda: np.argsort(f([3, nan, -inf, 1, nan, inf, -1]), kind='stable')),
    ('sort_zeros', lambda: np.sort(f([0., -0., 0., -0., -1]), kind='stable')),
    ('argsort_zeros', lambda: np.argsort(f([0., -0., 0., -0., -1]), kind='stable')),
    ('argsort_stable', lambda: np.argsort(i([2, 1, 2, 1, 0, 2, 1]), kind='stable')),
    ('argsort_stable_2d', lambda: np.argsort(f([[1, 1, 0, 1], [3, 3, 3, 3]]), axis=1, kind='stable')),
    ('sort_bool', lambda: np.sort(np.array([True, False, True, False]))),
    ('sort_int_ext', lambda: np.sort(i([IMAX, IMIN, 0, -1]))),
    ('unique_nan', lambda: np.unique(f([nan, 1, nan, 0., -0., 1]))),
    ('unique_counts_nan', lambda: np.unique(f([nan, 1, nan, 2, nan]), return_counts=True)),
    ('searchsorted_nan_l', lambda: np.searchsorted(f([1, 2, 3, nan, nan]), f([nan, 2, 0, inf, 3.5]), side='left')),
    ('searchsorted_nan_r', lambda: np.searchsorted(f([1, 2, 3, nan, nan]), f([nan, 2, 0, inf, 3.5]), side='right')),
    ('searchsorted_zero', lambda: np.searchsorted(f([-1, -0., 0., 1]), f([0., -0.]), side='right')),
    ('searchsorted_int', lambda: np.searchsorted(i([1, 2, 2, 2, 5]), i([2, 2, 6, -1]), side='right')),
    ('nan_to_num', lambda: np.nan_to_num(f([nan, inf, -inf, 1]))),
    ('nan_to_num_opts', lambda: np.nan_to_num(f([nan, inf, -inf, 1]), nan=-1, posinf=9, neginf=-9)),
    ('signbit', lambda: np.signbit(f([-0., 0., -1, nan, -inf]))),
    ('isfinite_int', lambda: np.isfinite(i([1, IMIN]))),
    ('ptp_int', lambda: np.ptp(i([IMIN, IMAX]))),
    ('arange_neg', lambda: np.arange(5, -5, -3, dtype=np.int32)),
    ('arange_float', lambda: np.arange(0, 1, 0.3, dtype=np.float32)),
    ('linspace_end', lambda: np.linspace(0, 1, 5, endpoint=False, dtype=np.float32)),
    ('around_int', lambda: np.around(i([15, 25, -15]))),
]


def enc_value(v):
    v = float(v)
    if v != v:
        return 'NaN'
    if v in (inf, -inf):
        return 'Infinity' if v > 0 else '-Infinity'
    if v == 0 and np.signbit(v):
        return '-0'
    return v


def enc(a):
    if isinstance(a, tuple):
        return [enc(x) for x in a]
    a = np.asarray(a)
    if a.dtype == np.float64:
        a = a.astype(np.float32)  # results of float32 inputs NumPy widened (none intended)
    dtype = {'b': 'bool', 'i': 'int32', 'u': 'int32', 'f': 'float32'}[a.dtype.kind]
    if a.dtype.kind in 'iu':
        a = a.astype(np.int64)
    data = [bool(v) for v in a.ravel()] if dtype == 'bool' else [enc_value(v) for v in a.ravel()]
    return {'dtype': dtype, 'shape': list(a.shape), 'data': data}


out = {name: enc(fn()) for name, fn in CASES}
with open('test/fixtures/numpy_special_session14.json', 'w') as fh:
    json.dump(out, fh, separators=(',', ':'))
print(len(out), 'cases')
