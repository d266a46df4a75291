#!/usr/bin/env python3
"""Reference values from NumPy for np.bincount, np.digitize, np.histogram, np.nonzero,
np.flatnonzero, np.argwhere and np.unravelIndex (test/ops/counting.test.ts). Writes
test/fixtures/numpy_counting.json; run from the repo root:

    python3 tools/numpy-fixtures-counting.py

Each case records the call's arguments and NumPy's outputs (a list: tuples are spread).
"""
import json
import numpy as np

rng = np.random.default_rng(31)


def arr(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "data": [float(f"{v:.9g}") for v in a.astype(np.float64).ravel()], "dtype": "int32" if a.dtype.kind in "iu" else "bool" if a.dtype == bool else "float32"}


cases = []


def case(fn, args, kwargs, out):
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    cases.append({"fn": fn, "args": [arr(a) if isinstance(a, np.ndarray) else a for a in args], "kwargs": {k: arr(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}, "out": [arr(o) for o in outs]})


labels = rng.integers(0, 6, 40).astype(np.int32)
w = rng.standard_normal(40).astype(np.float32).round(3)
case("bincount", [labels], {}, np.bincount(labels))
case("bincount", [labels], {"minlength": 9}, np.bincount(labels, minlength=9))
case("bincount", [labels], {"weights": w}, np.bincount(labels, weights=w).astype(np.float32))
case("bincount", [np.array([], dtype=np.int32)], {"minlength": 3}, np.bincount(np.array([], dtype=np.int32), minlength=3))

x = rng.uniform(-1, 5, 30).astype(np.float32).round(2)
inc = np.array([0, 1, 1, 2.5, 4], dtype=np.float32)
case("digitize", [x, inc], {}, np.digitize(x, inc))
case("digitize", [x, inc], {"right": True}, np.digitize(x, inc, right=True))
case("digitize", [x, inc[::-1].copy()], {}, np.digitize(x, inc[::-1]))
case("digitize", [x, inc[::-1].copy()], {"right": True}, np.digitize(x, inc[::-1], right=True))

data = rng.standard_normal((8, 25)).astype(np.float32).round(2)
h, e = np.histogram(data)
case("histogram", [data], {}, [h.astype(np.float32), e.astype(np.float32)])
h, e = np.histogram(data, bins=7, range=(-1, 1.5))
case("histogram", [data], {"bins": 7, "range": [-1, 1.5]}, [h.astype(np.float32), e.astype(np.float32)])
edges = np.array([-2, -0.5, 0, 0.3, 2], dtype=np.float32)
hw = rng.uniform(0, 2, (8, 25)).astype(np.float32).round(2)
h, e = np.histogram(data, bins=edges, weights=hw)
case("histogram", [data], {"bins": edges, "weights": hw}, [h.astype(np.float32), e.astype(np.float32)])
h, e = np.histogram(data, bins=5, density=True)
case("histogram", [data], {"bins": 5, "density": True}, [h.astype(np.float32), e.astype(np.float32)])
ints = np.array([0, 1, 1, 2, 4, 4, 4], dtype=np.int32)
h, e = np.histogram(ints, bins=4)
case("histogram", [ints], {"bins": 4}, [h.astype(np.float32), e.astype(np.float32)])
same = np.full(5, 3.0, dtype=np.float32)
h, e = np.histogram(same, bins=3)
case("histogram", [same], {"bins": 3}, [h.astype(np.float32), e.astype(np.float32)])

m = (rng.standard_normal((3, 4, 5)) > 0.6)
mf = np.where(m, rng.standard_normal((3, 4, 5)), 0).astype(np.float32)
case("nonzero", [m], {}, [a.astype(np.int32) for a in np.nonzero(m)])
case("nonzero", [mf], {}, [a.astype(np.int32) for a in np.nonzero(mf)])
case("flatnonzero", [mf], {}, np.flatnonzero(mf).astype(np.int32))
case("argwhere", [m], {}, np.argwhere(m).astype(np.int32))
case("argwhere", [np.array([0, 3, 0, 1], dtype=np.int32)], {}, np.argwhere(np.array([0, 3, 0, 1])).astype(np.int32))
case("unravelIndex", [np.array([0, 7, 22, 59, 13], dtype=np.int32), [3, 4, 5]], {}, [a.astype(np.int32) for a in np.unravel_index([0, 7, 22, 59, 13], (3, 4, 5))])

json.dump({"generated_by": "tools/numpy-fixtures-counting.py", "numpy": np.__version__, "cases": cases}, open("test/fixtures/numpy_counting.json", "w"))
print(len(cases), "cases")
