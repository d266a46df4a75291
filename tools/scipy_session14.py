"""Reference values for test/scipy/scipy-session14.test.ts: jax.scipy's edge values (infinities,
poles, parameter limits, out-of-domain quantiles and parameters) from SciPy 1.10 at float32 inputs,
and 3-D convolutions.
Where JAX's documented semantics differ from SciPy 1.10's, the JAX value is written here by rule
(see each comment).
Run: /usr/bin/python3 tools/scipy_session14.py > test/fixtures/scipy_session14.json
"""
import json
import sys

import numpy as np
import scipy.signal as sig
import scipy.special as sp
import scipy.stats as st
from scipy_fixture_helpers import case_table

cases, case = case_table()
nan, inf = np.nan, np.inf
eps = float(np.finfo(np.float32).eps)


def jax_gamma(x):
    # JAX: gammasgn(x) * exp(gammaln(x)): NaN at the negative integers and -inf, -inf at -0
    # (SciPy 1.10 gives inf at the negative poles; SciPy >= 1.15 agrees with JAX).
    x = np.asarray(x, dtype=np.float64)
    pole = (x < 0) & (np.floor(x) == x)
    return np.where(pole | np.isnan(x), nan, np.where((x == 0) & np.signbit(x), -inf, sp.gamma(x)))


def jax_betainc(a, b, x):
    # JAX (XLA's betainc, as SciPy >= 1.16): a = 0 or b = inf puts the mass at 0, b = 0 or
    # a = inf at 1; NaN for a NaN anywhere (SciPy 1.10 returns 0 / 1 at x = 0 / 1 for a NaN a or b).
    a_zero = (a == 0) | (b == inf)
    b_zero = (b == 0) | (a == inf)
    interior = (a > 0) & (b > 0) & np.isfinite(a) & np.isfinite(b) & (x >= 0) & (x <= 1)
    out = np.where(interior, sp.betainc(np.where(interior, a, 1), np.where(interior, b, 1), np.where(interior, x, 0.5)), 0.0)
    out = np.where(~interior & ((b_zero & (x != 1)) | (a_zero & (x == 0))), 0.0, out)
    out = np.where(~interior & ((a_zero & (x != 0)) | (b_zero & (x == 1))), 1.0, out)
    bad = (a < 0) | (b < 0) | (x < 0) | (x > 1) | (a_zero & b_zero) | np.isnan(a) | np.isnan(b) | np.isnan(x)
    return np.where(bad, nan, out)


gx = [-inf, -0.0, 0.0, inf, nan, -1, -2, -10, -1.5, -0.5, 0.5, 5, 30]
case("gamma", jax_gamma, gx)
case("gammaln", sp.gammaln, [inf, 0, -1, -2.5, 0.5, 1e10])
# JAX's testGammaIncBoundaryValues samples (those SciPy 1.10 and >= 1.16 agree on).
ga = [0, 0, 0, 1, nan, 1, nan, 0, 1, 1, inf, inf, inf, inf]
gxs = [0, 1, 2, 0, 1, nan, nan, inf, inf, -1, 0, 1, inf, -1]
case("gammainc", sp.gammainc, ga, gxs)
case("gammaincc", sp.gammaincc, ga, gxs)
# JAX's testBetaIncBoundaryValues grid (SciPy >= 1.16's samples, tiny left out as JAX does).
A, B, X = np.meshgrid([nan, -0.5, inf, 0, eps, 1], [nan, -0.5, inf, 0, eps, 1], [nan, -0.5, 0, 0.5, 1, 1.5])
case("betainc", jax_betainc, A.ravel(), B.ravel(), X.ravel())
case("erfc", sp.erfc, [-inf, -3, 0, 3, inf, nan])
case("ndtr", sp.ndtr, [-inf, -10, 0, 10, inf])
case("log_ndtr", sp.log_ndtr, [-inf, -20, 0, 10, inf])
case("norm.cdf", st.norm.cdf, [-inf, 0, inf], 0.5, 2)
case("norm.logcdf", st.norm.logcdf, [-inf, 0, inf], 0.5, 2)
case("norm.sf", st.norm.sf, [-inf, 0, inf], 0.5, 2)
q = [-0.1, 0, 0.3, 1, 1.5]
case("expon.ppf", st.expon.ppf, q, 1.5, 2)
case("cauchy.ppf", st.cauchy.ppf, q, 0.5, 2)
case("cauchy.isf", st.cauchy.isf, q, 0.5, 2)
case("beta.pdf_negative_shapes", st.beta.pdf, [0, 0.5, 1], -1.1, -1.1)
case("beta.pdf_negative_scale", st.beta.pdf, [0, 0.5, 1], 1, 1, 0, -1)
case("beta.pdf_ends", st.beta.pdf, [0, 1], 1, 1)
case("beta.logpdf_zero_shape", st.beta.logpdf, [0.5, 0.5], [0, 2], [2, 0])
# JAX >= 0.7 (as SciPy): a NaN y propagates through xlogy / xlog1py even where x = 0.
case("xlogy", sp.xlogy, [0, 0, 0, 1], [nan, 0, 3, nan])
case("xlog1py", sp.xlog1py, [0, 0, 0], [nan, -1, 3])

# Added functions: gumbel_r / gumbel_l (JAX's ppf is NaN at q = 0 and 1, where SciPy gives -inf / inf),
# bernoulli.ppf (JAX's, no loc: 0 for q <= 1 - p), boxcox, boxcox1p, poch, loggamma (real), comb with repetition.
gxr = [-30, -3, -0.5, 0, 0.7, 2, 10, 40]
for name, dist in [("gumbel_r", st.gumbel_r), ("gumbel_l", st.gumbel_l)]:
    for m in ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]:
        case(f"{name}.{m}", getattr(dist, m), gxr, 0.5, 2)
    case(f"{name}.ppf", lambda p, loc, scale, d=dist: np.where((p > 0) & (p < 1), d.ppf(p, loc, scale), nan), [-0.1, 0, 1e-6, 0.1, 0.5, 0.9, 1 - 1e-6, 1, 1.2], 0.5, 2)
    case(f"{name}.logpdf_bad_scale", getattr(dist, "logpdf"), [0.3, 0.3], 0, [0, -1])
case("bernoulli.ppf", lambda q, p: np.where((q >= 0) & (q <= 1) & (p >= 0) & (p <= 1), np.where(q <= 1 - p, 0.0, 1.0), nan),
     [0, 0.2, 0.7, 0.71, 1, 0.5, 1.2, -0.1, 0.5], [0.3, 0.3, 0.3, 0.3, 0.3, 0, 0.3, 0.3, 1.5])
case("boxcox", sp.boxcox, [0.5, 1, 2, 10, 3, 1e-3, 0, -1], [0, 0.5, -1, 2.5, 1e-7, 0.3, 2, 0.5])
case("boxcox1p", sp.boxcox1p, [-0.5, 0, 1e-6, 2, 10, -1, -2], [0, 0.5, -1, 2.5, 1e-7, 2, 0.5])
case("poch", sp.poch, [1, 2.5, 0.5, 3, 10, -1.5, 4], [0, 3, 1.5, -1, 2.2, 2, 0.5])
case("loggamma", sp.loggamma, [1e-3, 0.5, 1, 3, 30, 1e4])
# comb(N, 0, repetition=True) is 1 for N >= 0 in JAX and SciPy >= 1.17 (1.10 gives 0 at N = 0).
case("comb_repetition", lambda n, k: np.where((k == 0) & (n >= 0), 1.0, sp.comb(n, k, repetition=True)), [0, 0, 5, 5, 10, 3, -1], [0, 4, 0, 2, 3, 7, 2])

# JAX's testConvolutions' 3-D shapes: convolve / correlate in every mode, either input larger
# (including 'same' with the smaller first, whose centring pads negatively).
rng = np.random.RandomState(14)
conv3d = []
for xs, ys in [((3, 3, 2), (2, 2, 2)), ((2, 2, 2), (4, 4, 2)), ((5, 5, 2), (3, 3, 2)), ((2, 2, 2), (5, 5, 2))]:
    a = (rng.randint(-8, 9, xs) / 4).astype(np.float32)  # quarters: exact in float32, short in JSON
    b = (rng.randint(-8, 9, ys) / 4).astype(np.float32)
    for op in ["convolve", "correlate"]:
        for mode in ["full", "same", "valid"]:
            want = getattr(sig, op)(a.astype(np.float64), b.astype(np.float64), mode=mode, method="direct")
            conv3d.append({"op": op, "mode": mode, "a": a.ravel().tolist(), "a_shape": list(xs), "b": b.ravel().tolist(),
                           "b_shape": list(ys), "want": [round(float(v), 8) for v in want.ravel()], "shape": list(want.shape)})

json.dump({"cases": cases, "conv3d": conv3d}, sys.stdout, separators=(",", ":"))
print()
