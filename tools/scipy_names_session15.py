"""SciPy 1.10 fixtures for the jax.scipy names added in session 15 (test/scipy/scipy-names-session15.test.ts):
stats.gaussian_kde, stats.sem, stats.wrapcauchy, integrate.trapezoid, cluster.vq.vq,
interpolate.RegularGridInterpolator, signal.fftconvolve / detrend, special.bernoulli.
Writes test/fixtures/scipy_names_session15.json. Inputs are float32-rounded (tfjax computes in float32)."""
import json
import os

import numpy as np
from scipy import integrate, interpolate, signal, special, stats
from scipy.cluster import vq

from scipy_fixture_helpers import enc, f32

rng = np.random.default_rng(15)
out = {}


def put(name, **arrays):
    out[name] = {k: (enc(v) if not isinstance(v, (str, int)) else v) for k, v in arrays.items()} | {
        k + "_shape": list(np.shape(v)) for k, v in arrays.items() if not isinstance(v, (str, int))
    }


# gaussian_kde: 1-D with each bandwidth rule, weighted 2-D, far points (log density deep in the tail).
data1 = f32(rng.normal(size=20))
pts1 = f32([-12.0, -3.0, -0.5, 0.0, 0.7, 2.5, 12.0])
for bw in ["scott", "silverman", 0.3]:
    k = stats.gaussian_kde(data1, bw_method=bw)
    put(f"kde1_{bw}", data=data1, points=pts1, pdf=k.pdf(pts1), logpdf=k.logpdf(pts1), cov=k.covariance,
        box=k.integrate_box_1d(-0.5, 1.0))
# d/dx logpdf of the 1-D scott estimate, analytically (float64): a weighted mean of -(x - x_j) / h^2.
k = stats.gaussian_kde(data1)
h2 = k.covariance[0, 0]
px = f32([-1.3, 0.2, 1.9])
z = np.exp(-0.5 * (px[:, None] - data1[None, :]) ** 2 / h2)
put("kde1_grad", points=px, grad=(z * -(px[:, None] - data1[None, :]) / h2).sum(1) / z.sum(1))
data2 = f32(rng.normal(size=(2, 30)) * np.array([[1.0], [2.0]]) + np.array([[0.0], [1.0]]))
w2 = f32(rng.uniform(0.5, 2.0, size=30))
pts2 = f32([[0.0, 1.0, -2.0, 8.0], [1.0, -1.0, 3.0, -9.0]])
k2 = stats.gaussian_kde(data2, weights=w2)
put("kde2_weighted", data=data2, weights=w2, points=pts2, pdf=k2.pdf(pts2), logpdf=k2.logpdf(pts2), cov=k2.covariance, neff=k2.neff)

# sem: axes, ddof, NaN propagation and omission.
xs = f32([[1, 2, 1, 3, 2, 1], [3, 1, 3, 2, 1, 3], [1, 2, 2, 3, 1, 2]])
xn = f32([[1, 2, 3, np.nan, 4, 2], [4, 5, 4, 3, np.nan, 1], [7, np.nan, 8, 7, 9, np.nan]])
put("sem", x=xs, axis0=stats.sem(xs), axis1=stats.sem(xs, axis=1), flat=stats.sem(xs, axis=None),
    ddof0=stats.sem(xs, axis=1, ddof=0), nan_propagate=stats.sem(xn), nan_omit=np.asarray(stats.sem(xn, nan_policy="omit")), xnan=xn)

# wrapcauchy: inside, the support's ends, outside it, and invalid c (JAX: NaN for c outside (0, 1); SciPy 1.10 also NaN).
wx = f32([0.0, 0.5, np.pi, 6.28, -0.1, 6.5, 1.0, 1.0, 1.0, 1.0])
wc = f32([0.5, 0.3, 0.9, 0.5, 0.5, 0.5, 0.0, 1.0, -0.2, 0.99])
with np.errstate(all="ignore"):
    wl = stats.wrapcauchy.logpdf(wx, wc)
# SciPy 1.10 gives NaN for c outside (0, 1) and -inf outside [0, 2 pi]: JAX's values too.
put("wrapcauchy", x=wx, c=wc, logpdf=wl, pdf=np.exp(wl))

# trapezoid
ty = f32(rng.normal(size=(3, 5)))
tx = f32(np.sort(rng.uniform(0, 3, size=5)))
put("trapezoid", y=ty, x=tx, with_x=integrate.trapezoid(ty, tx), dx=integrate.trapezoid(ty, dx=0.5), axis0=integrate.trapezoid(ty, axis=0))

# vq: 2-D and 1-D, with a tie (the first code wins).
obs = f32(rng.normal(size=(6, 3)))
book = f32(rng.normal(size=(4, 3)))
code, dist = vq.vq(obs, book)
obs1 = f32([0.0, 1.0, 2.5, -3.0])
book1 = f32([0.0, 2.0, 3.0])
code1, dist1 = vq.vq(obs1, book1)
put("vq", obs=obs, book=book, code=code, dist=dist, obs1=obs1, book1=book1, code1=code1, dist1=dist1)

# RegularGridInterpolator: uneven 2-D grid, trailing value axis, points inside, on the grid, outside.
gx = f32([0.0, 1.0, 2.5, 4.0])
gy = f32([-1.0, 0.0, 2.0])
gv = f32(rng.normal(size=(4, 3)))
gv3 = f32(rng.normal(size=(4, 3, 2)))
xi = f32([[0.5, -0.5], [1.0, 0.0], [2.5, 1.9], [4.0, 2.0], [3.9, -0.99], [1.75, 1.0], [-0.1, 0.0], [4.5, 1.0], [2.0, 2.1]])
lin = interpolate.RegularGridInterpolator((gx, gy), gv)
near = interpolate.RegularGridInterpolator((gx, gy), gv, method="nearest")
ext = interpolate.RegularGridInterpolator((gx, gy), gv, bounds_error=False, fill_value=None)
trail = interpolate.RegularGridInterpolator((gx, gy), gv3, fill_value=0.0, bounds_error=False)
lin_nb = interpolate.RegularGridInterpolator((gx, gy), gv, bounds_error=False)
near_nb = interpolate.RegularGridInterpolator((gx, gy), gv, method="nearest", bounds_error=False)
inside = xi[:6]
eps = 1e-6
gpt = f32([[1.75, 1.0]])
gradient = [(lin(gpt + eps * e) - lin(gpt - eps * e))[0] / (2 * eps) for e in np.eye(2)]
put("rgi", gx=gx, gy=gy, values=gv, values3=gv3, xi=xi, linear=lin_nb(xi), nearest=near_nb(xi[:6]), xi_near=xi[:6],
    extrapolate=ext(xi), trailing=trail(xi), gpoint=gpt, grad=np.array(gradient))

# fftconvolve: shapes neither larger in every dimension ('full', 'same'), and 'valid' with swapped inputs.
fa = f32(rng.normal(size=(3, 1)))
fb = f32(rng.normal(size=(1, 4)))
fc = f32(rng.normal(size=(2, 5)))
fd = f32(rng.normal(size=(4, 2)))
f1 = f32(rng.normal(size=3))
f2 = f32(rng.normal(size=7))
put("fftconvolve", a=fa, b=fb, full_ab=signal.fftconvolve(fa, fb), same_ab=signal.fftconvolve(fa, fb, mode="same"),
    c=fc, d=fd, full_cd=signal.fftconvolve(fc, fd), same_cd=signal.fftconvolve(fc, fd, mode="same"),
    f1=f1, f2=f2, valid_12=signal.fftconvolve(f1, f2, mode="valid"), same_12=signal.fftconvolve(f1, f2, mode="same"))

# detrend: linear, constant, breakpoints (one of them a one-point piece), along axis 0.
dy = f32(rng.normal(size=(7, 3)) + np.arange(7)[:, None] * 0.5)
put("detrend", y=dy, linear0=signal.detrend(dy, axis=0), constant=signal.detrend(dy, type="constant"),
    bp=signal.detrend(dy, axis=0, bp=[3, 6]), last=signal.detrend(dy))

# bernoulli: the first few exactly, B_84 (the last even one within float32's range), B_86 (beyond: inf).
b = special.bernoulli(90)
put("bernoulli", b90=b.astype(np.float32).astype(np.float64))

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "scipy_names_session15.json")
with open(path, "w") as fh:
    json.dump(out, fh, separators=(",", ":"))
print(path, os.path.getsize(path), "bytes")
