"""What the SciPy fixture generators share (tools/scipy-fixtures.py, tools/scipy-sweep-fixtures.py):
float32 inputs, JSON-safe encoding of results, and the case table."""
import numpy as np


def f32(v):
    return np.asarray(v, dtype=np.float32).astype(np.float64)


def enc(v):
    out = []
    for x in np.asarray(v, dtype=np.float64).ravel():
        if np.isnan(x):
            out.append("nan")
        elif np.isinf(x):
            out.append("inf" if x > 0 else "-inf")
        else:
            out.append(float(f"{x:.10g}"))
    return out


def case_table():
    """A dict of cases and `case(name, fn, *args)`: fn at the float32-rounded, broadcast args."""
    cases = {}

    def case(name, fn, *args):
        args = [f32(a) for a in args]
        b = np.broadcast_arrays(*args)
        with np.errstate(all="ignore"):
            want = fn(*b)
        cases[name] = {"args": [enc(a) for a in b], "want": enc(want)}

    return cases, case
