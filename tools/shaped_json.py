"""The {shape, data} encoding the nn fixture generators share: booleans as they are, non-finite
numbers as the strings JavaScript's Number() reads ("Infinity", "-Infinity", "NaN")."""
import numpy as np


def enc(a):
    a = np.asarray(a)
    if a.dtype == bool:
        return {"shape": list(a.shape), "data": [bool(v) for v in a.ravel()]}
    js = {np.inf: "Infinity", -np.inf: "-Infinity"}
    return {"shape": list(a.shape), "data": [float(v) if np.isfinite(v) else js.get(v, "NaN") for v in a.astype(np.float64).ravel()]}
