"""Reference values for test/ops/lax-api*.test.ts: lax's special functions (float64, SciPy)
(the convolutions and scans are checked against loops in the tests).
Run: python3 tools/numpy-fixtures-lax.py  (writes test/fixtures/lax.json)."""
import json
from scipy import special

xs_pos = [0.1, 0.5, 1.0, 1.5, 2.5, 7.3, 30.0]
xs_neg = [-0.5, -1.5, -2.3, -7.7]
lgamma_x = xs_pos + xs_neg
digamma_x = xs_pos + xs_neg
erfc_x = [-3.0, -1.0, -0.2, 0.0, 0.3, 1.0, 2.5, 5.0, 9.0]
erfinv_x = [-0.999, -0.5, 0.0, 0.1, 0.7, 0.99]

out = {
    "lgamma": {"x": lgamma_x, "y": [float(special.gammaln(x)) for x in lgamma_x]},
    "digamma": {"x": digamma_x, "y": [float(special.digamma(x)) for x in digamma_x]},
    "erfc": {"x": erfc_x, "y": [float(special.erfc(x)) for x in erfc_x]},
    "erfInv": {"x": erfinv_x, "y": [float(special.erfinv(x)) for x in erfinv_x]},
}
with open("test/fixtures/lax.json", "w") as f:
    json.dump(out, f, indent=1)
print("wrote test/fixtures/lax.json")
