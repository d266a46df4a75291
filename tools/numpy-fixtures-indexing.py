#!/usr/bin/env python3
"""Reference values from NumPy for np.index (x[idx]) and np.at (JAX's x.at[idx] updates,
whose repeated-index semantics are NumPy's ufunc.at) in test/ops/indexing.test.ts.
Writes test/fixtures/numpy_indexing.json; run from the repo root:

    python3 tools/numpy-fixtures-indexing.py

An index is written as a list of entries: {"int": i}, {"slice": [start, stop, step]} (null
for a default), null (a new axis), "..." and {"array": nested list, "dtype": "int32" | "bool"}.
"""
import json
import numpy as np

rng = np.random.default_rng(23)
x345 = rng.standard_normal((3, 4, 5)).astype(np.float32).round(3)
v7 = rng.standard_normal(7).astype(np.float32).round(3)
pos = (np.abs(rng.standard_normal((3, 4, 5))) + 0.5).astype(np.float32).round(3)


def enc(e):
    if e is None or e is Ellipsis:
        return None if e is None else "..."
    if isinstance(e, int):
        return {"int": e}
    if isinstance(e, slice):
        return {"slice": [e.start, e.stop, e.step]}
    a = np.asarray(e)
    return {"array": a.tolist(), "dtype": "bool" if a.dtype == bool else "int32"}


def dec(e):
    if e is None or e == "...":
        return None if e is None else Ellipsis
    if "int" in e:
        return e["int"]
    if "slice" in e:
        return slice(*e["slice"])
    return np.asarray(e["array"], dtype=bool if e["dtype"] == "bool" else np.int64)


def num(a):
    return [float(f"{v:.9g}") for v in np.asarray(a, dtype=np.float64).ravel()]


def arr(a):
    return {"shape": list(np.shape(a)), "data": num(a)}


gets, updates = [], []


def get(name, x, idx):
    out = x[tuple(idx)]
    gets.append({"name": name, "x": arr(x), "index": [enc(e) for e in idx], "out": arr(out)})


def update(name, x, idx, op, values=None):
    y = x.astype(np.float64).copy()
    key = tuple(dec(enc(e)) for e in idx)
    ufunc = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
             "power": np.power, "min": np.minimum, "max": np.maximum}
    if op == "set":
        y[key] = values
    elif op == "apply":
        np.square.at(y, key)
    else:
        ufunc[op].at(y, key, values)
    case = {"name": name, "x": arr(x), "index": [enc(e) for e in idx], "op": op, "out": arr(y.astype(np.float32))}
    if values is not None:
        case["values"] = arr(values)
    updates.append(case)


S = slice
get("int", x345, [1])
get("negative_int", x345, [-1])
get("int_int_int", x345, [2, -1, 0])
get("slice_start", x345, [S(1, None)])
get("slice_reverse", x345, [S(None, None, -1)])
get("slice_negative_step_bounds", v7, [S(5, 1, -2)])
get("slice_negative_start", v7, [S(-2, None, -1)])
get("slice_step", x345, [S(None), S(None, None, 2), S(1, 4)])
get("slice_clamped", v7, [S(-100, 100)])
get("slice_empty", v7, [S(4, 2)])
get("ellipsis_int", x345, [Ellipsis, 0])
get("int_ellipsis", x345, [0, Ellipsis])
get("newaxis", x345, [None])
get("newaxis_both_ends", x345, [None, Ellipsis, None])
get("int_slice_int", x345, [1, S(None), 2])
get("array", x345, [np.array([0, 2])])
get("array_negative", x345, [np.array([-1, 0])])
get("arrays_adjacent", x345, [S(None), np.array([0, 2]), np.array([1, 3])])
get("arrays_separated", x345, [np.array([0, 2]), S(None), np.array([1, 3])])
get("int_and_array_separated", x345, [0, S(None), np.array([1, 3])])
get("int_and_array_adjacent", x345, [S(None), 1, np.array([1, 3])])
get("arrays_broadcast", x345, [np.array([[0], [2]]), np.array([1, 3])])
get("array_2d_last", x345, [S(1, 3), S(None), np.array([[1, 2], [3, 4]])])
get("ellipsis_array", x345, [Ellipsis, np.array([4, 0])])
get("newaxis_array_slice", x345, [None, np.array([1]), None, S(1, 3)])
get("int_newaxis_array", x345, [1, None, np.array([0, 1])])
get("array_repeated", v7, [np.array([3, 3, 0, 6])])
get("array_empty", x345, [np.array([], dtype=np.int64)])
get("mask_full", x345, [x345 > 0.5])
get("mask_axis1", x345, [S(None), np.array([True, False, True, False])])
get("mask_leading", x345, [x345[:, :, 0] > 0])

update("set_int", x345, [1], "set", np.float32(7))
update("set_slice_values", x345, [S(None), S(1, 3)], "set", rng.standard_normal((3, 2, 5)).astype(np.float32).round(3))
update("set_reverse_broadcast", x345, [Ellipsis, S(None, None, -2)], "set", np.array([1, 2, 3], dtype=np.float32))
update("set_arrays", x345, [np.array([0, 2]), S(None), np.array([1, 3])], "set", rng.standard_normal((2, 4)).astype(np.float32).round(3))
update("set_mask", x345, [x345 < 0], "set", np.float32(0))
update("add_repeated", v7, [np.array([1, 1, 3, 1])], "add", np.array([1, 2, 3, 4], dtype=np.float32))
update("add_rows_repeated", x345, [np.array([0, 2, 0])], "add", rng.standard_normal((3, 4, 5)).astype(np.float32).round(3))
update("subtract_repeated", v7, [np.array([2, 2, -1])], "subtract", np.array([0.5, 1.5, 2.0], dtype=np.float32))
update("multiply_repeated", v7, [np.array([0, 0, 4])], "multiply", np.array([2, 3, -1], dtype=np.float32))
update("divide_repeated", v7, [np.array([6, 6])], "divide", np.array([2, 4], dtype=np.float32))
update("power_slice", pos, [S(None), 0], "power", np.float32(1.5))
update("min_repeated", v7, [np.array([1, 1, 5])], "min", np.array([-3, 0.25, 0], dtype=np.float32))
update("max_repeated", v7, [np.array([1, 1, 5])], "max", np.array([-3, 0.25, 0], dtype=np.float32))
update("apply_repeated", v7, [np.array([2, 2, 4])], "apply")
update("apply_slice", x345, [1, S(None, 2)], "apply")

json.dump({"generated_by": "tools/numpy-fixtures-indexing.py", "numpy": np.__version__, "gets": gets, "updates": updates},
          open("test/fixtures/numpy_indexing.json", "w"))
print(len(gets), "gets,", len(updates), "updates")
