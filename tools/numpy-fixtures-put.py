#!/usr/bin/env python3
"""Reference values from NumPy for np.put, np.putAlongAxis and np.append (test/ops/put.test.ts).
Writes test/fixtures/numpy_put.json; run from the repo root:

    python3 tools/numpy-fixtures-put.py
"""
import json
import numpy as np

rng = np.random.default_rng(41)
x = rng.standard_normal((3, 4)).astype(np.float32).round(3)


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": a.astype(np.float64).ravel().tolist()}


cases = []


def case(name, args, out):
    cases.append({"name": name, "args": [arr(a) if isinstance(a, np.ndarray) else a for a in args], "out": arr(out)})


def put(a, ind, v, mode="raise"):
    y = a.copy()
    np.put(y, ind, v, mode=mode)
    return y


def put_along(a, ind, v, axis):
    y = a.copy()
    np.put_along_axis(y, ind, v, axis)
    return y


i32 = lambda *v: np.array(v, dtype=np.int32)
case("put", [x, i32(0, 5, 11), np.array([1, 2, 3], np.float32)], put(x, [0, 5, 11], [1, 2, 3]))
case("put_repeat_values", [x, i32(1, 2, 3, 4, 5), np.array([7, 8], np.float32)], put(x, [1, 2, 3, 4, 5], [7, 8]))
case("put_clip", [x, i32(-3, 40), np.array([5, 6], np.float32), "clip"], put(x, [-3, 40], [5, 6], mode="clip"))
case("put_wrap", [x, i32(-1, 13, 25), np.array([5, 6, 7], np.float32), "wrap"], put(x, [-1, 13, 25], [5, 6, 7], mode="wrap"))
case("put_repeated_index", [x, i32(2, 2), np.array([5, 6], np.float32)], put(x, [2, 2], [5, 6]))
am = np.argmax(x, axis=1)[:, None].astype(np.int32)
case("put_along_axis_rows", [x, am, 0.0, 1], put_along(x, am, 0, 1))
idx0 = np.array([[2, 0, 1, -1]], dtype=np.int32)
case("put_along_axis_cols", [x, idx0, np.array([[10, 20, 30, 40]], np.float32), 0], put_along(x, idx0, np.array([[10, 20, 30, 40]], np.float32), 0))
ix2 = np.argsort(x, axis=1)[:, :2].astype(np.int32)
case("put_along_axis_two", [x, ix2, -1.0, -1], put_along(x, ix2, -1, -1))
case("append_flat", [x, np.array([[1, 2]], np.float32), None], np.append(x, [[1, 2]]))
case("append_axis0", [x, np.ones((2, 4), np.float32), 0], np.append(x, np.ones((2, 4), np.float32), axis=0))
case("append_axis1", [x, np.zeros((3, 1), np.float32), 1], np.append(x, np.zeros((3, 1), np.float32), axis=1))

json.dump({"generated_by": "tools/numpy-fixtures-put.py", "numpy": np.__version__, "cases": cases}, open("test/fixtures/numpy_put.json", "w"))
print(len(cases), "cases")
