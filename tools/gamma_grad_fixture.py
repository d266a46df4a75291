"""Reference values of the implicit reparameterization gradient of Gamma(a, 1) samples,
d(log x)/da at fixed CDF = -(dP(a, x)/da) / (x * density(a, x)), in 50-digit arithmetic
(mpmath), for test/random/gamma-grad-binomial.test.ts. Points: a on a grid from 0.01 to 1000
and x at CDF quantiles 1e-3 .. 0.999, plus two whose x underflows float32 (given by log x).
a and log x are rounded to float32 first, so the reference is for the exact inputs the test
passes. Run: /usr/bin/python3 tools/gamma_grad_fixture.py > test/fixtures/gamma-grad.json
"""
import json

import mpmath
import numpy as np
from scipy.special import gammaincinv

mpmath.mp.dps = 50


def dlogx_da(a, logx):
    a, x = mpmath.mpf(a), mpmath.exp(mpmath.mpf(logx))
    dp_da = mpmath.diff(lambda s: mpmath.gammainc(s, 0, x, regularized=True), a)
    x_pdf = mpmath.exp(a * mpmath.log(x) - x - mpmath.loggamma(a))
    return float(-dp_da / x_pdf)


points = []
for a in [0.01, 0.1, 0.5, 1.0, 2.5, 10.0, 100.0, 1000.0]:
    for u in [1e-3, 0.05, 0.5, 0.95, 0.999]:
        x = gammaincinv(a, u)
        if x == 0 or not np.isfinite(np.log(x)) or np.float32(x) == 0:
            continue
        points.append((a, float(np.log(x))))
points += [(0.01, -200.0), (0.1, -50.0)]

out = []
for a, logx in points:
    a32, l32 = float(np.float32(a)), float(np.float32(logx))
    out.append({"a": a32, "logx": l32, "dlogx_da": dlogx_da(a32, l32)})
print(json.dumps(out, indent=1))
