"""Reference values for test/scipy/scipy-sweep.test.ts, signal.test.ts and optimize.test.ts from SciPy 1.10.

Inputs are float32-representable, values SciPy's float64 results at those inputs; non-finite
numbers are written as "nan" / "inf" / "-inf".
Run: /usr/bin/python3 tools/scipy-sweep-fixtures.py > test/fixtures/scipy_sweep.json
"""
import json

import numpy as np
import scipy.ndimage as nd
import scipy.optimize as opt
import scipy.signal as sig
import scipy.special as sp
import scipy.stats as st
from scipy_fixture_helpers import case_table, enc, f32


cases, case = case_table()


# special.betainc: small, unit, large and very unequal shapes, both sides of the mean, the edges.
ba = [0.5, 2, 2, 10, 100, 1000, 3, 0.1, 5, 1, 1, 50, 0.5, 7, 2, 2, 0, 2]
bb = [0.5, 3, 3, 20, 100, 1500, 0.2, 0.1, 5000, 1, 4, 0.5, 30, 7, 3, 3, 1, -1]
bx = [0.3, 0.5, 0.99, 0.3, 0.52, 0.4, 0.999, 0.5, 0.001, 0.25, 1e-4, 0.995, 0.02, 0.5, 0, 1, 0.5, 0.5]
# JAX's betainc (as SciPy >= 1.16) is 1 at a = 0 for x > 0 (all the mass at 0); SciPy 1.10 gives NaN.
case("betainc", lambda a, b, x: np.where((a == 0) & (b > 0) & (x > 0) & (x <= 1), 1.0, sp.betainc(a, b, x)), ba, bb, bx)
gi = slice(0, 13)
case("betainc_dx", lambda a, b, x: st.beta.pdf(x, a, b), ba[gi], bb[gi], bx[gi])
h = 1e-6
case("betainc_da", lambda a, b, x: (sp.betainc(a + h, b, x) - sp.betainc(a - h, b, x)) / (2 * h), [2, 10, 0.5, 3], [3, 20, 0.5, 7], [0.5, 0.3, 0.3, 0.6])
bessel_x = [0, 1e-3, 0.1, 1, 2.5, 5, 7.9, 8, 8.1, 15, 30, 80, 88, 100, 1e4, -0.5, -3, -20]
case("i0e", sp.i0e, bessel_x)
case("i1e", sp.i1e, bessel_x)
case("i0", sp.i0, bessel_x[:13] + [-0.5, -3, -20])
case("i1", sp.i1, bessel_x[:13] + [-0.5, -3, -20])
case("exp1", sp.exp1, [1e-6, 0.01, 0.3, 0.999, 1, 1.001, 2, 5, 10, 30, 80, 0])
case("expi", sp.expi, [1e-6, 0.01, 0.3, 1, 2, 5, 10, 19.9, 20.1, 40, 80, -1e-3, -0.5, -1, -3, -30, 0])
case("spence", sp.spence, [0, 1e-4, 0.1, 0.3, 0.5, 0.7, 1, 1.2, 1.5, 1.7, 2, 2.5, 10, 1e3, -1])
gx = [-0.5, -1.5, -2.5, 0.5, 3, 1e-3, -1e-3]
case("gammasgn", sp.gammasgn, gx)

tx = [-40, -6, -3, -1, -0.1, 0, 0.1, 0.7, 2, 5, 30]
tdf = [1, 2.5, 10, 100]
X, D = np.meshgrid(tx, tdf)
for m in ["cdf", "sf"]:
    case(f"t.{m}", getattr(st.t, m), X.ravel(), D.ravel())
case("t.cdf_loc", st.t.cdf, [0.5, 3, -2], [4, 4, 4], [1, 1, -1], [2, 0.5, 3])
bex = [-0.1, 0, 1e-3, 0.2, 0.5, 0.8, 0.999, 1, 1.2]
for m in ["cdf", "sf", "logcdf", "logsf"]:
    case(f"beta.{m}", getattr(st.beta, m), np.tile(bex, 3), np.repeat([0.5, 2, 8], 9), np.repeat([0.7, 5, 9], 9))
case("beta.cdf_loc", st.beta.cdf, [1.5, 2.5, 3.2], 2, 3, 1, 2.5)
bk = [-1, 0, 1, 2.5, 3, 5, 9, 10, 12]
for m in ["cdf", "sf"]:
    case(f"binom.{m}", getattr(st.binom, m), np.tile(bk, 3), 10, np.repeat([0.01, 0.3, 0.9], 9))
case("binom.cdf_loc", st.binom.cdf, [3, 5, 7], 20, 0.4, [1, 2, 3])
fx = [-1, 0, 0.01, 0.5, 1, 2, 5, 30, 1e3]
fd1 = [1, 2, 5, 30]
fd2 = [3, 12, 100]
FX, F1, F2 = [a.ravel() for a in np.meshgrid(fx, fd1, fd2, indexing="ij")]
for m in ["logpdf", "pdf", "cdf", "sf"]:
    case(f"f.{m}", getattr(st.f, m), FX, F1, F2)
case("f.pdf_loc", st.f.pdf, [1.5, 3, 6], 4, 9, 1, 2)

tnx = [-3, -1, -0.5, 0, 0.3, 1, 1.5, 2.9, 4, 9.5, 12]
tna = [-1, -1, -1, -1, -1, -1, 2, 2, 2, 9, 9]
tnb = [1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 3, 3, 3, 10, 10]
for m in ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]:
    case(f"truncnorm.{m}", getattr(st.truncnorm, m), tnx, tna, tnb)
case("truncnorm.logpdf_loc", st.truncnorm.logpdf, [0.5, 2, 3.5], -1, 2, 1, 1.5)
vx = [-3, -1, 0, 0.5, 2, 3.1]
for m in ["logpdf", "pdf"]:
    case(f"vonmises.{m}", getattr(st.vonmises, m), np.tile(vx, 3), np.repeat([0.1, 2, 400], 6))
case("vonmises.logpdf_loc", st.vonmises.logpdf, [0.5, 2], 3, 1, 1)
gnx = [-4, -1.5, -0.2, 0, 0.2, 1, 3]
for m in ["logpdf", "pdf", "cdf"]:
    case(f"gennorm.{m}", getattr(st.gennorm, m), np.tile(gnx, 3), np.repeat([0.5, 2, 8], 7))
case("gennorm.logpdf_loc", st.gennorm.logpdf, [0.5, 2], 1.5, 1, 2)
px = [0.5, 1, 1.5, 3, 10, 1e3]
for m in ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]:
    case(f"pareto.{m}", getattr(st.pareto, m), np.tile(px, 2), np.repeat([0.5, 3], 6))
case("pareto.logpdf_loc", st.pareto.logpdf, [2, 5, 9], 2, 1, 2)
case("pareto.ppf", st.pareto.ppf, [0, 0.1, 0.5, 0.99, 1, 1.5], 2.5)
nk = [-1, 0, 1, 2.5, 3, 10, 40]
for m in ["logpmf", "pmf"]:
    case(f"nbinom.{m}", getattr(st.nbinom, m), np.tile(nk, 2), np.repeat([3, 12.5], 7), np.repeat([0.3, 0.8], 7))
    case(f"betabinom.{m}", getattr(st.betabinom, m), np.tile([-1, 0, 1, 2.5, 5, 12, 13], 2), 12, np.repeat([0.5, 3], 7), np.repeat([2, 0.7], 7))
case("nbinom.logpmf_loc", st.nbinom.logpmf, [3, 5], 4, 0.4, 2)

mx = np.array([[3, 0, 2], [1, 1, 3], [0, 0, 5], [2, 2, 2]], dtype=float)
mp = np.array([0.2, 0.3, 0.5])
cases["multinomial"] = {"x": enc(mx), "p": enc(f32(mp)), "want": enc([st.multinomial.logpmf(r, 5, f32(mp)) for r in mx])}

ra = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9], [3, 2, 3, 8, 4]], dtype=float)
cases["rankdata"] = {"x": enc(ra), **{m: enc(st.rankdata(ra, method=m)) for m in ["average", "min", "max", "dense", "ordinal"]},
                     **{f"{m}_axis1": enc(st.rankdata(ra, method=m, axis=1)) for m in ["average", "min", "max", "dense", "ordinal"]},
                     "average_axis0": enc(st.rankdata(ra, axis=0))}
mo = np.array([[1, 2, 1, 3, 2, 1], [3, 1, 3, 2, 1, 3], [1, 2, 2, 3, 1, 2]], dtype=float)
cases["mode"] = {"x": enc(mo), **{f"axis{a}": [enc(r) for r in st.mode(mo, axis=a, keepdims=False)] for a in [0, 1]},
                 "none": [enc(r) for r in st.mode(mo, axis=None, keepdims=False)]}

print(json.dumps({"generator": "tools/scipy-sweep-fixtures.py", "cases": cases}, separators=(",", ":")))
