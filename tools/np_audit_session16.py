#!/usr/bin/env python3
"""NumPy 1.24's numbers for the np audit of session 16 (test/ops/np-audit-session16.test.ts):
edge cases that JAX's lax_numpy_test.py / lax_numpy_reducers_test.py / lax_numpy_indexing_test.py
check against NumPy, only where jax.numpy agrees with NumPy (the JAX-only semantics are asserted
directly in the test). Expected dtypes are JAX's with 64-bit types disabled (NumPy's int64 is
int32, its float64 results of float32 inputs float32). Run from the repo root:

    python3 tools/np_audit_session16.py
"""
import json
import numpy as np

np.seterr(all="ignore")  # norm with ord -1 of a vector holding 0 divides by zero (the result is 0)

JS = {np.inf: "Infinity", -np.inf: "-Infinity"}


def enc(a, dtype=None):
    """{shape, dtype, data}: dtype is JAX's (x64 disabled) unless given; non-finite as JS strings."""
    a = np.asarray(a)
    if dtype is None:
        dtype = "bool" if a.dtype == bool else "int32" if a.dtype.kind in "iu" else "float32"
    if a.dtype == bool:
        data = [bool(v) for v in a.ravel()]
    else:
        data = [float(v) if np.isfinite(v) else JS.get(v, "NaN") for v in a.astype(np.float64).ravel()]
    return {"shape": list(a.shape), "dtype": dtype, "data": data}


cases = []


def case(name, inputs, out, dtype=None):
    outs = out if isinstance(out, (list, tuple)) else [out]
    dts = dtype if isinstance(dtype, (list, tuple)) else [dtype] * len(outs)
    cases.append({"name": name, "inputs": [enc(a) for a in inputs], "out": [enc(o, d) for o, d in zip(outs, dts)]})


f32 = np.float32
nan, inf = np.nan, np.inf
x234 = np.arange(24, dtype=f32).reshape(2, 3, 4) - 7
xnan = np.array([[1, nan, 3], [4, 5, 6], [nan, -1, nan]], f32)
i6 = np.array([[5, -3, 7], [-7, 2, 0]], np.int32)
e03, e30 = np.zeros((0, 3), f32), np.zeros((3, 0), f32)

# ---- reductions: empty axes, keepdims with negative and tuple axes, dtypes ----
case("sum_empty_axis0", [e03], e03.sum(0))
case("prod_empty_axis1_keepdims", [e30], e30.prod(1, keepdims=True))
case("max_empty_initial", [e30], e30.max(1, initial=-5))
case("min_empty_initial_keepdims", [e03], e03.min(0, initial=2, keepdims=True))
case("max_of_empty_rows", [e03], e03.max(1))  # axis 1 has entries: a [0] result
case("argmax_of_empty_rows", [e03], np.argmax(e03, 1), "int32")  # rows of 3 entries: fine
case("sum_tuple_neg_keepdims", [x234], x234.sum((0, -1), keepdims=True))
case("max_neg_keepdims", [x234], x234.max(-2, keepdims=True))
case("min_tuple_axes", [x234], x234.min((-1, 0)))
case("sum_int32", [i6], i6.sum(1), "int32")
case("prod_int32", [i6], i6.prod(0), "int32")
case("mean_int32", [i6], i6.mean(1), "float32")
case("sum_bool", [i6 > 0], (i6 > 0).sum(0), "int32")
case("mean_bool", [i6 > 0], (i6 > 0).mean(), "float32")
case("var_ddof1_keepdims", [x234], x234.var(-1, ddof=1, keepdims=True))
case("std_int_axis0", [i6], i6.std(0), "float32")
case("average_weights_neg_axis", [x234, np.array([1, 0, 2, 1], f32)], np.average(x234, -1, np.array([1, 0, 2, 1], f32)))
case("sum_initial_where", [x234, np.array([True, False, True, True])], x234.sum(-1, initial=10, where=np.array([True, False, True, True])))
case("max_where_initial", [x234, np.array([False, False, True, False])], x234.max(-1, initial=-100, where=np.array([False, False, True, False])))

# ---- cumulative ----
case("cumsum_axis_none", [i6], i6.cumsum(), "int32")
case("cumsum_dtype_float", [i6], i6.cumsum(1, dtype=np.float32))
case("cumprod_axis_neg", [i6], i6.cumprod(-1), "int32")
case("cumsum_bool", [i6 > 0], (i6 > 0).cumsum(), "int32")
case("cumprod_float_axis0", [x234], x234.cumprod(0))

# ---- NaN propagation ----
case("max_nan_axis1", [xnan], xnan.max(1))
case("min_nan_axis0", [xnan], xnan.min(0))
case("argmax_nan_axis1", [xnan], xnan.argmax(1), "int32")
case("argmin_nan_flat", [xnan], xnan.argmin(), "int32")
case("nanmax_axis0", [xnan], np.nanmax(xnan, 0))
case("nanargmin_axis1", [xnan], np.nanargmin(xnan, 1), "int32")
case("sort_nan", [np.array([3, nan, -inf, 1, nan, inf, 0], f32)], np.sort(np.array([3, nan, -inf, 1, nan, inf, 0], f32)))
case("sort_axis0_nan", [xnan], np.sort(xnan, 0))
case("argsort_nan_stable", [np.array([2, nan, 1, 2, nan, 1], f32)], np.argsort(np.array([2, nan, 1, 2, nan, 1], f32), kind="stable"), "int32")
case("argsort_ties_axis0", [np.array([[1, 0], [0, 0], [1, 0]], f32)], np.argsort(np.array([[1, 0], [0, 0], [1, 0]], f32), 0, kind="stable"), "int32")
case("unique_nan", [np.array([2, nan, 1, 2, nan], f32)], np.unique(np.array([2, nan, 1, 2, nan], f32)))

# ---- searchsorted ----
a_sorted = np.array([1, 2, 2, 3, inf], f32)
v_search = np.array([[2, 0, 4], [nan, inf, -inf]], f32)
case("searchsorted_left", [a_sorted, v_search], np.searchsorted(a_sorted, v_search), "int32")
case("searchsorted_right", [a_sorted, v_search], np.searchsorted(a_sorted, v_search, "right"), "int32")
a_unsorted = np.array([3, 1, 2, 2], f32)
sorter = np.argsort(a_unsorted, kind="stable").astype(np.int32)
case("searchsorted_sorter_right", [a_unsorted, np.array([2, 2.5, 0], f32), sorter], np.searchsorted(a_unsorted, np.array([2, 2.5, 0], f32), "right", sorter), "int32")

# ---- take / take_along_axis (in bounds, or clip / wrap: JAX agrees with NumPy) ----
t_idx = np.array([[0, -1], [5, -7]], np.int32)
case("take_clip_axis1", [i6, t_idx], np.take(i6, t_idx, 1, mode="clip"), "int32")
case("take_wrap_axis_none", [i6, t_idx], np.take(i6, t_idx, mode="wrap"), "int32")
case("take_neg_axis", [x234, np.array([3, -4, 1], np.int32)], np.take(x234, np.array([3, -4, 1]), -1))
tal_idx = np.array([[[2], [0], [1]]], np.int32)  # (1, 3, 1): broadcasts over axis 0
case("take_along_axis_broadcast", [x234, tal_idx], np.take_along_axis(x234, np.broadcast_to(tal_idx, (2, 3, 1)), -1))
case("take_along_axis_none", [x234, np.array([23, 0, -1], np.int32)], np.take_along_axis(x234, np.array([23, 0, -1]), None))

# ---- indexing ----
v8 = np.arange(8, dtype=f32)
case("index_neg_step", [v8], v8[::-3])
case("index_3_0_neg1", [v8], v8[3:0:-1])
case("index_oob_empty_slices", [v8], v8[-2:-10])
case("index_separated_advanced", [x234], x234[[0, 1], :, [1, 3]])
case("index_adjacent_advanced", [x234], x234[:, [2, 0], [1, -1]])
case("index_mask_3d", [x234], x234[x234 > 5])
case("index_mask_then_slice", [x234], x234[np.array([False, True]), ::-1, 1])
case("index_none_ellipsis", [x234], x234[None, ..., 0, None])
rep = np.array([1, 3, 1, -1, 1], np.int32)
upd = np.array([1, 2, 3, 4, 5], f32)


def at(ufunc, base):
    y = base.copy()
    ufunc.at(y, rep, upd)
    return y


case("at_add_repeated", [v8, upd], at(np.add, v8))
case("at_multiply_repeated", [v8, upd], at(np.multiply, v8))
case("at_min_repeated", [v8, upd], at(np.minimum, v8))
case("at_max_repeated", [v8, upd], at(np.maximum, v8))
y = v8.copy()
y[::-2] = np.array([10, 20, 30, 40], f32)
case("at_set_neg_step", [v8], y)
y = x234.copy()
y[x234 > 10] = 0
case("at_set_mask", [x234], y)

# ---- where / nonzero ----
case("where_one_arg", [i6], [a.astype(np.int32) for a in np.where(i6)], "int32")
case("nonzero_3d", [x234 > 12], [a.astype(np.int32) for a in np.nonzero(x234 > 12)], "int32")

# ---- joining and splitting ----
case("concatenate_axis_none", [i6, np.array([9], np.int32)], np.concatenate([i6, np.array([9], np.int32)], None), "int32")
case("concatenate_neg_axis", [x234, x234[..., :1]], np.concatenate([x234, x234[..., :1]], -1))
case("stack_neg_axis", [i6, i6 * 2], np.stack([i6, i6 * 2], -1), "int32")
case("stack_axis_neg3", [i6, i6 * 2], np.stack([i6, i6 * 2], -3), "int32")
case("split_beyond_size", [v8], np.split(v8, [3, 10, 12]))
case("split_decreasing", [v8], np.split(v8, [5, 2]))
case("split_negative", [v8], np.split(v8, [-3]))
case("array_split_more_than_size", [v8[:5]], np.array_split(v8[:5], 7))
case("array_split_axis1", [x234], np.array_split(x234, 2, 1))

# ---- roll ----
case("roll_tuple", [x234], np.roll(x234, (1, -2), (0, 2)))
case("roll_shifts_one_axis", [v8], np.roll(v8, (2, 3), 0))
case("roll_one_shift_two_axes", [x234], np.roll(x234, (1,), (1, 2)))
case("roll_flat_shifts", [x234], np.roll(x234, (1, 2)))
case("roll_negative_large", [v8], np.roll(v8, -19))

# ---- tensordot / einsum ----
m = np.arange(9, dtype=f32).reshape(3, 3) - 4
b = np.arange(12, dtype=f32).reshape(3, 4) / 4
case("tensordot_0", [m[0], b[0]], np.tensordot(m[0], b[0], 0))
case("tensordot_2", [x234, x234], np.tensordot(x234[0], x234[1], 2))
case("tensordot_pairs_neg", [x234, b], np.tensordot(x234, b, ([-2, -1], [0, 1])))
case("einsum_trace", [m], np.einsum("ii", m))
case("einsum_diag", [m], np.einsum("ii->i", m))
case("einsum_repeated_three", [np.arange(27, dtype=f32).reshape(3, 3, 3)], np.einsum("iii->i", np.arange(27, dtype=f32).reshape(3, 3, 3)))
case("einsum_partial_trace", [np.arange(18, dtype=f32).reshape(3, 3, 2)], np.einsum("iij->j", np.arange(18, dtype=f32).reshape(3, 3, 2)))
case("einsum_ellipsis_broadcast", [x234, b], np.einsum("...ij,jk->...ik", x234[:, :, :3], b))
case("einsum_ellipsis_middle", [x234], np.einsum("i...j->j...i", x234))
case("einsum_implicit_order", [b], np.einsum("ba", b))
case("einsum_sum_all", [x234], np.einsum("ijk->", x234))
case("einsum_outer_three", [m[0], m[1], b[0]], np.einsum("i,j,k->kji", m[0], m[1], b[0]))

# ---- linalg.norm ----
mat = np.array([[1, -2, 3], [-4, 5, -6.5], [0.5, 2, -1]], f32)
vec = np.array([3, -4, 0, 1.5], f32)
for o in [None, 0, 1, 2, 3, 0.5, inf, -inf, -1]:
    case(f"norm_vec_{o}", [vec], np.linalg.norm(vec, o))
for o in ["fro", "nuc", 1, -1, 2, -2, inf, -inf]:
    case(f"norm_mat_{o}", [mat], np.linalg.norm(mat, o))
case("norm_axis_keepdims", [x234], np.linalg.norm(x234, None, -1, True))
case("norm_matrix_axes_keepdims", [x234], np.linalg.norm(x234, "fro", (0, 2), True))
case("norm_matrix_inf_axes", [x234], np.linalg.norm(x234, inf, (2, 1)))

# ---- rounding and integer arithmetic ----
halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999997], f32)
case("round_half_even", [halves], np.round(halves))
case("round_decimals_1", [np.array([0.25, 0.35, -1.45, 2.675], f32)], np.round(np.array([0.25, 0.35, -1.45, 2.675], f32), 1))
case("round_decimals_neg1", [np.array([15, 25, -35, 44], f32)], np.round(np.array([15, 25, -35, 44], f32), -1))
num_i = np.array([7, -7, 7, -7, 0, 6, -6], np.int32)
den_i = np.array([2, 2, -2, -2, 3, -4, 4], np.int32)
case("floor_divide_int", [num_i, den_i], np.floor_divide(num_i, den_i), "int32")
case("remainder_int", [num_i, den_i], np.remainder(num_i, den_i), "int32")
case("fmod_int", [num_i, den_i], np.fmod(num_i, den_i), "int32")
num_f = np.array([7.5, -7.5, 7.5, -7.5, 0, 1, -1], f32)
den_f = np.array([2, 2, -2, -2, 3, 0.1, inf], f32)
case("floor_divide_float", [num_f, den_f], np.floor_divide(num_f, den_f))
case("remainder_float", [num_f, den_f], np.remainder(num_f, den_f))
case("fmod_float", [num_f, den_f], np.fmod(num_f, den_f))
case("power_int", [np.array([2, -3, 0, 5, -1], np.int32), np.array([10, 3, 0, 1, 7], np.int32)], np.power(np.array([2, -3, 0, 5, -1], np.int32), np.array([10, 3, 0, 1, 7], np.int32)), "int32")
case("clip_min_above_max", [np.array([1, 5, 10], f32)], np.clip(np.array([1, 5, 10], f32), 7, 3))
case("clip_array_bounds", [x234, np.array([-3, 0, 2, 4], f32), np.array([0, 1, 3, 5], f32)], np.clip(x234, np.array([-3, 0, 2, 4], f32), np.array([0, 1, 3, 5], f32)))

# ---- arange / linspace ----
case("arange_float_step", [], np.arange(0, 1, 0.3, dtype=f32))
case("arange_negative_step", [], np.arange(5, -4, -3), "int32")
case("arange_negative_float_step", [], np.arange(1, -0.1, -0.25, dtype=f32))
case("arange_empty", [], np.arange(3, 1), "int32")
case("linspace_no_endpoint", [], np.linspace(-1, 2, 7, endpoint=False, dtype=f32))
case("linspace_num0", [], np.linspace(0, 1, 0, dtype=f32))
case("linspace_num1", [], np.linspace(2, 3, 1, dtype=f32))
case("linspace_num1_no_endpoint", [], np.linspace(2, 3, 1, endpoint=False, dtype=f32))
case("linspace_descending", [], np.linspace(1, -1, 5, dtype=f32))

# ---- diff of bools (not_equal), as both ----
bools = np.array([True, False, False, True, True])
case("diff_bool", [bools], np.diff(bools))
case("diff_bool_n2", [bools], np.diff(bools, 2))

with open("test/fixtures/np-audit-session16.json", "w") as fh:
    json.dump({"numpy": np.__version__, "cases": cases}, fh, separators=(",", ":"))
print(len(cases), "cases")
