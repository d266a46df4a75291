#!/usr/bin/env python3
"""Reference values from NumPy for the shape, creation and linear-algebra functions of `np`
(test/ops/numpy-shape.test.ts). Writes test/fixtures/numpy_shape.json; run from the repo root:

    python3 tools/numpy-fixtures-shape.py

Each case names its inputs (small float32 arrays) and NumPy's result; the test maps the case
name to the same call in tfjax.
"""
import json
import numpy as np

rng = np.random.default_rng(16)


def arr(*shape):
    return rng.standard_normal(shape).astype(np.float32).round(3)


cases = {}


def case(name, inputs, out):
    out = np.asarray(out)
    cases[name] = {
        "inputs": [{"shape": list(np.shape(x)), "data": [float(f"{v:.9g}") for v in np.asarray(x, dtype=np.float64).ravel()]} for x in inputs],
        "shape": list(out.shape),
        "data": [float(f"{v:.9g}") for v in out.astype(np.float64).ravel()],
    }


a23, a234, v4, v5, v3 = arr(2, 3), arr(2, 3, 4), arr(4), arr(5), arr(3)
m33, m34, m45 = arr(3, 3), arr(3, 4), arr(4, 5)

case("tile", [a23], np.tile(a23, (2, 1, 2)))
case("tile_short_reps", [a234], np.tile(a234, 2))
case("repeat_scalar_axis", [a23], np.repeat(a23, 2, axis=1))
case("repeat_list", [a23], np.repeat(a23, [1, 0, 2], axis=1))
case("repeat_flat", [a23], np.repeat(a23, 2))
case("flip_axis", [a234], np.flip(a234, 1))
case("flip_all", [a234], np.flip(a234))
case("roll_axis", [a234], np.roll(a234, -1, axis=2))
case("roll_flat", [a23], np.roll(a23, 4))
case("roll_multi", [a234], np.roll(a234, (1, 2), axis=(0, 2)))
case("rot90_1", [a234], np.rot90(a234))
case("rot90_2", [a234], np.rot90(a234, 2))
case("rot90_3_axes", [a234], np.rot90(a234, -1, axes=(1, 2)))
case("moveaxis", [a234], np.moveaxis(a234, [0, 1], [-1, 0]))
case("swapaxes", [a234], np.swapaxes(a234, 0, 2))
idx = np.array([[[2, 0, -1, 1]], [[0, 0, 3, -4]]])
case("take_along_axis", [a234, idx], np.take_along_axis(a234, np.where(idx < 0, idx + 4, idx), axis=2))
idx1 = np.array([[[1, 0, 1, 1], [0, 1, 1, 0]]])
case("take_along_axis_1", [a234, idx1], np.take_along_axis(a234, idx1, axis=1))
case("vstack", [v3, a23], np.vstack([v3, a23]))
case("hstack_1d", [v3, v4], np.hstack([v3, v4]))
case("hstack_2d", [a23, m33[:2]], np.hstack([a23, m33[:2]]))
case("dstack", [a23, a23], np.dstack([a23, a23]))
case("column_stack", [v3, m33], np.column_stack([v3, m33]))
for i, part in enumerate(np.split(a234, [1, 3], axis=2)):
    case(f"split_indices_{i}", [a234], part)
for i, part in enumerate(np.array_split(v5, 3)):
    case(f"array_split_{i}", [v5], part)
case("diff", [a234], np.diff(a234, axis=1))
case("diff_n2", [a234], np.diff(a234, n=2))
case("ediff1d", [a23, v3], np.ediff1d(a23, to_begin=v3))
case("select", [a23], np.select([a23 > 0.5, a23 < -0.5], [a23 * 2, a23 - 1], default=7))
case("einsum_matmul", [m34, m45], np.einsum("ij,jk->ik", m34, m45))
case("einsum_implicit", [m34, m45], np.einsum("ij,jk", m34, m45))
case("einsum_trace", [m33], np.einsum("ii", m33))
case("einsum_diag", [m33], np.einsum("ii->i", m33))
b245 = arr(2, 4, 5)
case("einsum_batch", [a234, b245], np.einsum("bij,bjk->bik", a234, b245))
case("einsum_ellipsis", [a234, m45], np.einsum("...j,jk->...k", a234, m45))
case("einsum_outer_sum", [v3, v4], np.einsum("i,j->ji", v3, v4))
case("einsum_three", [v3, m34, v4], np.einsum("i,ij,j->", v3, m34, v4))
case("einsum_transpose_sum", [a234], np.einsum("ijk->kj", a234))
b1 = arr(1, 3, 4)
case("einsum_broadcast", [b1, a234], np.einsum("...ij,...ij->...i", b1, a234))
case("dot_vv", [v4, v4], np.dot(v4, v4))
case("dot_nd", [a234, m45], np.dot(a234, m45))
case("dot_mv", [m34, v4], np.dot(m34, v4))
c54 = arr(5, 4)
case("inner", [a234, c54], np.inner(a234, c54))
case("outer", [v3, a23], np.outer(v3, a23))
c342 = arr(3, 4, 2)
case("tensordot_2", [a234, c342], np.tensordot(a234, c342, 2))
case("tensordot_axes", [a234, c342], np.tensordot(a234, c342, ([1, 2], [0, 1])))
mv = arr(2, 3, 4)
case("matvec", [mv, v4], np.einsum("...mn,...n->...m", mv, v4))
case("tril", [m34], np.tril(m34))
case("tril_k", [a234], np.tril(a234, -1))
case("triu_k", [m34], np.triu(m34, 1))
case("tri", [], np.tri(3, 5, 1))
case("diagonal", [m34], np.diagonal(m34))
case("diagonal_offset", [m34], np.diagonal(m34, 1))
case("diagonal_axes", [a234], np.diagonal(a234, -1, 1, 2))
case("diag_1d", [v3], np.diag(v3, -1))
case("diag_2d", [m34], np.diag(m34, 2))
case("trace", [m34], np.trace(m34, 1))
case("eye", [], np.eye(3, 4, 1))
case("eye_neg", [], np.eye(4, 2, -1))
case("linspace", [], np.linspace(-1, 2, 7))
case("linspace_open", [], np.linspace(0, 1, 4, endpoint=False))
case("arange_stop", [], np.arange(5))
case("arange_float", [], np.arange(0.5, 3))
case("arange_float_step", [], np.arange(0, 1, 0.25))
case("arange_negative_step", [], np.arange(5, 0, -2))
case("arange_empty", [], np.arange(3, 1))
case("logspace", [], np.logspace(0, 2, 5))
case("logspace_base2", [], np.logspace(1, 4, 3, endpoint=False, base=2))
case("geomspace", [], np.geomspace(1, 1000, 4))
case("geomspace_neg", [], np.geomspace(-2, -32, 5))
X, Y = np.meshgrid(v3, v4)
case("meshgrid_xy_0", [v3, v4], X)
case("meshgrid_xy_1", [v3, v4], Y)
X, Y = np.meshgrid(v3, v4, indexing="ij")
case("meshgrid_ij_1", [v3, v4], Y)
case("indices", [], np.indices((2, 3)))
case("fromfunction", [], np.fromfunction(lambda i, j: i * 10 + j, (2, 3)))
for mode in ("full", "same", "valid"):
    case(f"convolve_{mode}", [v5, v3], np.convolve(v5, v3, mode))
    case(f"convolve_swapped_{mode}", [v3, v5], np.convolve(v3, v5, mode))
    case(f"correlate_{mode}", [v5, v3], np.correlate(v5, v3, mode))
    case(f"correlate_swapped_{mode}", [v3, v5], np.correlate(v3, v5, mode))
v4b = arr(4)
case("convolve_even_same", [v5, v4b], np.convolve(v5, v4b, "same"))
case("correlate_even_same", [v5, v4b], np.correlate(v5, v4b, "same"))
case("polyval", [v3, a23], np.polyval(v3, a23))
case("trapezoid_dx", [a234], np.trapezoid(a234, dx=0.5, axis=1))
xs = np.sort(arr(4))
case("trapezoid_x", [a234, xs], np.trapezoid(a234, x=xs))
obs = arr(3, 6)
case("cov", [obs], np.cov(obs))
case("cov_cols_bias", [obs], np.cov(obs, rowvar=False, bias=True))
o1, o2 = arr(6), arr(6)
case("cov_y", [o1, o2], np.cov(o1, o2))
case("cov_1d", [o1], np.cov(o1))
case("corrcoef", [obs], np.corrcoef(obs))
spd = (lambda a: a @ a.T + 3 * np.eye(4, dtype=np.float32))(arr(4, 4))
case("cholesky", [spd], np.linalg.cholesky(spd.astype(np.float64)))
v5z = v5.copy()
v5z[[1, 3]] = 0
case("norm_default", [a234], np.linalg.norm(a234))
case("norm_default_keepdims", [a234], np.linalg.norm(a234, keepdims=True))
case("norm_vector_axis", [a234], np.linalg.norm(a234, axis=-1))
case("norm_vector_ord1_keepdims", [a234], np.linalg.norm(a234, ord=1, axis=1, keepdims=True))
case("norm_vector_inf", [v5], np.linalg.norm(v5, ord=np.inf))
case("norm_vector_neginf", [v5], np.linalg.norm(v5, ord=-np.inf))
case("norm_vector_0", [v5z], np.linalg.norm(v5z, ord=0))
case("norm_vector_p3", [v5], np.linalg.norm(v5, ord=3))
case("norm_vector_p05", [v5], np.linalg.norm(v5, ord=0.5))
case("norm_matrix_fro", [m34], np.linalg.norm(m34, ord="fro"))
case("norm_matrix_1", [m34], np.linalg.norm(m34, ord=1))
case("norm_matrix_neg1", [m34], np.linalg.norm(m34, ord=-1))
case("norm_matrix_inf", [m34], np.linalg.norm(m34, ord=np.inf))
case("norm_matrix_axes_reversed", [a234], np.linalg.norm(a234, ord=1, axis=(2, 1)))
case("norm_matrix_neginf_keepdims", [a234], np.linalg.norm(a234, ord=-np.inf, axis=(0, 2), keepdims=True))
case("median_all", [a234], np.median(a234))
case("median_axis", [a234], np.median(a234, axis=1))
case("quantile_list_last_axis", [a234], np.quantile(a234, [0.1, 0.5, 0.95], axis=-1))
case("quantile_two_axes_keepdims", [a234], np.quantile(a234, 0.3, axis=(0, 2), keepdims=True))
for m in ["lower", "higher", "nearest", "midpoint"]:
    case(f"percentile_{m}", [a234], np.percentile(a234, [12.5, 40, 50, 77], axis=2, method=m))

with open("test/fixtures/numpy_shape.json", "w") as f:
    json.dump({"numpy": np.__version__, "generator": "tools/numpy-fixtures-shape.py", "cases": cases}, f, separators=(",", ":"))
print(len(cases), "cases")
