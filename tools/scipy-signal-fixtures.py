"""Reference values for test/scipy/signal.test.ts, optimize.test.ts and the map_coordinates tests of
scipy-sweep.test.ts, from SciPy 1.10 (float64 results at float32-representable inputs).
Run: /usr/bin/python3 tools/scipy-signal-fixtures.py > test/fixtures/scipy_signal.json
"""
import json

import numpy as np
import scipy.ndimage as nd
import scipy.optimize as opt
import scipy.signal as sig

rng = np.random.default_rng(0)


def r(*shape):
    return np.round(rng.normal(size=shape), 3).astype(np.float32).astype(np.float64)


def flat(a):
    return [float(f"{v:.10g}") for v in np.asarray(a, dtype=np.float64).ravel()]


out = {}
pairs = {"1d": (r(7), r(3)), "1d_swap": (r(2), r(5)), "1d_even": (r(6), r(4)), "2d": (r(5, 6), r(3, 2)), "2d_swap": (r(2, 3), r(4, 4))}
for name, (a, b) in pairs.items():
    for fn in ["convolve", "correlate"]:
        for mode in ["full", "same", "valid"]:
            y = getattr(sig, fn)(a, b, mode=mode, method="direct")
            out[f"{fn}_{name}_{mode}"] = {"a": flat(a), "a_shape": a.shape, "b": flat(b), "b_shape": b.shape, "want": flat(y), "shape": y.shape}
a, b = pairs["2d"]
for fn in ["convolve2d", "correlate2d"]:
    for mode in ["full", "same", "valid"]:
        for fill in [0, 1.5]:
            y = getattr(sig, fn)(a, b, mode=mode, boundary="fill", fillvalue=fill)
            out[f"{fn}_{mode}_{fill}"] = {"want": flat(y), "shape": y.shape}

for mode in ["full", "same", "valid"]:
    y = sig.correlate2d(*pairs["2d_swap"], mode=mode)
    out[f"correlate2d_swap_{mode}"] = {"want": flat(y), "shape": y.shape}
img = r(4, 5)
coords = np.array([[-1.3, -0.5, 0, 0.4, 1.5, 2.5, 3, 3.7, 4.2, 5.5, 1.2], [-0.6, 4.5, 2.2, 0, 5.2, 1.5, 3.49, 4, -2.5, 7.1, 2.51]], dtype=np.float32).astype(np.float64)
scipy_mode = {"constant": "grid-constant", "nearest": "nearest", "wrap": "grid-wrap", "mirror": "mirror", "reflect": "reflect"}
mc = {"img": flat(img), "coords": flat(coords)}
# Order 0 at coordinates rounded half away from zero first: JAX's rounding (SciPy rounds halves up).
half_away = np.sign(coords) * np.floor(np.abs(coords) + 0.5)
for order in [0, 1]:
    for mode, sm in scipy_mode.items():
        mc[f"{order}_{mode}"] = flat(nd.map_coordinates(img, half_away if order == 0 else coords, order=order, mode=sm, cval=0.75))
out["map_coordinates"] = mc


def rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


res = opt.minimize(rosen, [-1.2, 1.0], method="BFGS")
out["rosen"] = {"x0": [-1.2, 1.0], "x": flat(res.x)}
A = np.array([[3.0, 1, 0], [1, 2, 0.5], [0, 0.5, 1]])
bq = np.array([1.0, -2, 0.5])
res = opt.minimize(lambda x: 0.5 * x @ A @ x - bq @ x, np.zeros(3), method="BFGS")
out["quadratic"] = {"A": flat(A), "b": flat(bq), "x": flat(res.x), "fun": float(res.fun), "hess_inv": flat(np.linalg.inv(A))}
print(json.dumps({"generator": "tools/scipy-signal-fixtures.py", "cases": out}, separators=(",", ":")))
