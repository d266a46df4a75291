"""Reference values for lib/scipy (test/scipy/*.test.ts) from SciPy 1.10 (Debian's python3-scipy).

Inputs are float32-representable (rounded through numpy.float32), values are SciPy's float64
results at those inputs. Non-finite numbers are written as the strings "nan", "inf", "-inf".
Run: /usr/bin/python3 tools/scipy-fixtures.py > test/fixtures/scipy.json
"""
import json
import sys

import numpy as np
import scipy
import scipy.special as sp
import scipy.stats as st
from scipy_fixture_helpers import case_table, enc, f32


cases, case = case_table()


wide = np.concatenate([np.linspace(-9, 6, 31), [-0.3, 1e-3, 0.7]])
case("erf", sp.erf, wide / 2)
case("erfc", sp.erfc, np.concatenate([np.linspace(-3, 9, 25), [1e-3, 0.2]]))
case("erfinv", sp.erfinv, [-1, -0.999, -0.9, -0.5, -1e-3, 0, 1e-4, 0.3, 0.7, 0.99, 0.99999, 1, 1.5])
case("ndtr", sp.ndtr, np.concatenate([np.linspace(-12, 8, 41), [-37, 0.1]]))
case("ndtri", sp.ndtri, [0, 1e-37, 1e-30, 1e-10, 1e-5, 0.001, 0.05, 0.1353, 0.2, 0.5, 0.7, 0.8646, 0.95, 0.999, 0.9999999, 1, -0.1, 1.1])
case("log_ndtr", sp.log_ndtr, [-100, -40, -20, -12, -10.5, -10, -9.5, -7, -5, -3, -1, -0.1, 0, 0.1, 1, 3, 4, 5, 6, 8, 10, 15])
pos = [0.01, 0.1, 0.5, 1, 1.5, 2, 2.5, 3.7, 5, 10, 20.5, 35, 100, 1000, 1e5]
case("gammaln", sp.gammaln, pos + [-0.5, -1.5, -2.5, -10.3, 0, -1, -2])
# JAX's gamma is NaN at the negative integers (gammasgn * exp(gammaln); SciPy 1.10 gives inf there, >= 1.15 NaN).
case("gamma", lambda x: np.where((x < 0) & (np.floor(x) == x), np.nan, sp.gamma(x)), [0.01, 0.1, 0.5, 1, 1.5, 2, 2.5, 3.7, 5, 10, 20.5, 30, -0.5, -1.5, -2.5, -3.2, 0, -1, -2])
case("digamma", sp.digamma, pos + [-0.5, -1.5, -2.3])
grid_a = np.repeat([0.5, 1, 2.5, 7, 30], 5)
grid_b = np.tile([0.3, 1, 3, 12, 40], 5)
case("betaln", sp.betaln, grid_a, grid_b)
case("beta", sp.beta, grid_a, grid_b)
case("polygamma", sp.polygamma, [1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 0, 1], [0.1, 1, 3.5, 50, 0.5, 2, 20, 0.25, 7, 1.5, 2.5, 0])
case("zeta", sp.zeta, [2, 2, 3, 1.5, 4.5, 10, 1.1, 2, 1, 0.5], [1, 0.3, 2, 1, 5, 1, 1, 30, 1, 1])
case("multigammaln_3", lambda a: sp.multigammaln(a, 3), [1.5, 2, 3.5, 10])
ga = [0.5, 0.5, 1, 1, 2.5, 2.5, 3, 5, 5, 10, 10, 20, 20, 50, 50, 100, 100, 0.1, 7, 1, 2]
gx = [0.1, 3, 0.5, 4, 1, 6, 3, 2, 9, 8, 14, 15, 30, 45, 60, 90, 115, 0.01, 0.7, 0, 40]
case("gammainc", sp.gammainc, ga, gx)
case("gammaincc", sp.gammaincc, ga, gx)
case("expit", sp.expit, [-90, -20, -3, -0.5, 0, 0.5, 3, 20, 90])
case("logit", sp.logit, [0, 1e-6, 0.01, 0.25, 0.3, 0.45, 0.5, 0.55, 0.7, 0.9, 0.999, 1, 1.5, -0.1])
case("xlogy", sp.xlogy, [0, 0, 0, 1, 2.5, -3, 0.5], [0, -1, 1, 0, 3, 0.5, 2])
case("xlog1py", sp.xlog1py, [0, 0, 1, 2.5, -3, 0.5], [-1, -2, -1, 3, 0.5, 1e-5])
case("entr", sp.entr, [-1, 0, 1e-10, 0.3, 1, 2.5])
case("rel_entr", sp.rel_entr, [0, 0, 1, 0.3, 2, -1, 1], [0, -1, 0, 0.4, 0.5, 1, -1])
case("kl_div", sp.kl_div, [0, 0, 1, 0.3, 2, -1, 0], [0, -1, 0, 0.4, 0.5, 1, 2])
case("factorial", lambda n: sp.factorial(n, exact=False), [-1, 0, 1, 3.5, 5, 10, 20])
case("comb", lambda n, k: sp.comb(n, k, exact=False), [5, 5, 5, -1, 10, 30, 5.5], [2, 6, -1, 2, 5, 15, 2])

# logsumexp: the named variants, on one 2 x 3 input.
lse_a = f32([[1.0, 2.0, 3.0], [-np.inf, -np.inf, -np.inf]])
lse_b = f32([[1.0, -2.0, 0.5], [1.0, 1.0, 1.0]])
with np.errstate(all="ignore"):
    lse = {
        "all": enc(sp.logsumexp(lse_a[:1])),
        "axis1": enc(sp.logsumexp(lse_a, axis=1)),
        "b_axis1": enc(sp.logsumexp(lse_a, axis=1, b=lse_b)),
        "b_axis1_sign": [enc(v) for v in sp.logsumexp(lse_a, axis=1, b=lse_b, return_sign=True)],
        "b_neg_sign": [enc(v) for v in sp.logsumexp(f32([1, 2]), b=f32([1, -1]), return_sign=True)],
        "b_zero_inf": enc(sp.logsumexp(f32([np.inf, 1]), b=f32([0, 1]))),
    }
cases["logsumexp"] = {"a": enc(lse_a), "b": enc(lse_b), "want": lse}

# scipy.stats: each function at float32 inputs, with loc and scale where the distribution has them.
xs = [-3, -0.5, 0, 0.5, 1, 2.5, 7]
qs = [1e-6, 0.01, 0.2, 0.5, 0.8, 0.99]
for fn in ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]:
    case(f"norm.{fn}", getattr(st.norm, fn), xs + [-30], 1.5, 2)
    case(f"logistic.{fn}", getattr(st.logistic, fn), xs + [-30], 0.5, 1.5)
    case(f"laplace.{fn}", getattr(st.laplace, fn), xs, -0.5, 2)
    case(f"cauchy.{fn}", getattr(st.cauchy, fn), xs + [-300], 0.5, 2)
    case(f"expon.{fn}", getattr(st.expon, fn), xs, -1, 2)
    case(f"gamma.{fn}", getattr(st.gamma, fn), xs, 2.5, -1, 1.5)
    case(f"chi2.{fn}", getattr(st.chi2, fn), xs, 3, 0, 1)
for dist, extra in [("norm", (1.5, 2)), ("logistic", (0.5, 1.5)), ("laplace", (-0.5, 2)), ("cauchy", (0.5, 2)), ("expon", (-1, 2)), ("uniform", (-1, 3))]:
    case(f"{dist}.ppf", getattr(st, dist).ppf, qs, *extra)
for dist in ["norm", "logistic", "cauchy"]:
    case(f"{dist}.isf", getattr(st, dist).isf, qs, 1.5, 2)
case("t.logpdf", st.t.logpdf, xs, 3, 0.5, 2)
case("t.logpdf_df", st.t.logpdf, [0.5] * 4, [0.5, 1, 10, 1000])
case("uniform.logpdf", st.uniform.logpdf, xs, -1, 3)
case("uniform.cdf", st.uniform.cdf, xs, -1, 3)
case("beta.logpdf", st.beta.logpdf, [-0.1, 0, 0.1, 0.5, 0.9, 1, 1.2, 0, 1], [2, 2, 2, 2, 2, 2, 2, 1, 2], [3, 3, 3, 3, 3, 3, 3, 1, 0.5])
case("beta.logpdf_loc_scale", st.beta.logpdf, [0, 1, 2, 3], 2.5, 1.5, -1, 5)
ks = [-1, 0, 1, 2, 2.5, 3, 7, 12]
case("poisson.logpmf", st.poisson.logpmf, ks, 3.5)
case("poisson.pmf", st.poisson.pmf, ks, 3.5)
case("poisson.cdf", st.poisson.cdf, ks, 3.5)
case("poisson.logpmf_loc", st.poisson.logpmf, ks, 2, 1)
case("bernoulli.logpmf", st.bernoulli.logpmf, [-1, 0, 0.5, 1, 2], 0.3)
case("bernoulli.cdf", st.bernoulli.cdf, [-1, 0, 0.5, 1, 2], 0.3)
case("binom.logpmf", st.binom.logpmf, ks, 10, 0.3)
case("binom.pmf", st.binom.pmf, ks, 10, 0.3)
case("geom.logpmf", st.geom.logpmf, ks, 0.3)
case("geom.cdf", st.geom.cdf, ks, 0.3)

mvn_mean = f32([0.5, -1.0, 2.0])
mvn_cov = f32([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
mvn_x = f32([[0.0, 0.0, 0.0], [1.0, -2.0, 2.5], [3.0, 1.0, -1.0]])
cases["mvn"] = {"x": enc(mvn_x), "mean": enc(mvn_mean), "cov": enc(mvn_cov), "want": enc(st.multivariate_normal.logpdf(mvn_x, mvn_mean, mvn_cov))}
dir_x = f32([[0.2, 0.5, 0.1], [0.3, 0.25, 0.6], [0.5, 0.25, 0.3]])
dir_alpha = f32([2.0, 3.0, 0.7])
cases["dirichlet"] = {"x": enc(dir_x), "alpha": enc(dir_alpha), "want": enc(st.dirichlet.logpdf(dir_x / dir_x.sum(0), dir_alpha))}  # SciPy's simplex check is tighter than float32's sums

json.dump({"scipy": scipy.__version__, "cases": cases}, sys.stdout, separators=(",", ":"))
