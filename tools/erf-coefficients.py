"""Coefficients of tfjax's float32 erf (lib/backend/erf-approximation.ts), and their error.

erf(x) = x + x P(x^2) for |x| < 0.875; 1 - exp(-z^2) G(z - 2.4375) with z = min(|x|, 4)
beyond (sign copied). P and G are weighted least-squares fits in float64 (P relative to erf,
G weighted by erfc(z) / ulp(erf(z)): G's error matters only as much as erfc is large), then
rounded to float32. Prints the coefficients (highest degree first) and the worst error in
float32 ulps of a float32 evaluation on a dense sample of (0, 4.5] (numpy's float32 exp in
place of the SIMD one). Run: /usr/bin/python3 tools/erf-coefficients.py
"""
import math
import numpy as np

f32 = np.float32
erf = np.vectorize(math.erf)
erfc = np.vectorize(math.erfc)
SMALL, CENTER, ONE_FROM = 0.875, 2.4375, 4.0


def horner32(c, x):
    acc = np.full_like(x, f32(c[0]))
    for k in c[1:]:
        acc = (acc * x + f32(k)).astype(np.float32)
    return acc


s = np.linspace(0, SMALL * SMALL, 40001)
x = np.sqrt(s)
q = np.where(x > 0, erf(x) / np.where(x > 0, x, 1), 2 / math.sqrt(math.pi)) - 1
small = np.polyfit(s, q, 6, w=1 / (1 + q)).astype(np.float32)

z = np.linspace(SMALL, ONE_FROM, 80001)
g = erfc(z) * np.exp(z * z)
w = erfc(z) / np.spacing(erf(z).astype(np.float32)).astype(np.float64)
tail = np.polyfit(z - CENTER, g, 9, w=w / g).astype(np.float32)
print('small', [float(v) for v in small])
print('tail', [float(v) for v in tail])

bits = np.arange(f32(1e-6).view(np.uint32), f32(4.5).view(np.uint32), 97, dtype=np.uint32)
xs = bits.view(np.float32)
a = (xs + (xs * horner32(small, (xs * xs).astype(np.float32))).astype(np.float32)).astype(np.float32)
zb = np.minimum(xs, f32(ONE_FROM))
b = (f32(1) - (np.exp(-(zb * zb).astype(np.float32)).astype(np.float32) * horner32(tail, (zb - f32(CENTER)).astype(np.float32))).astype(np.float32)).astype(np.float32)
got = np.where(xs < f32(SMALL), a, b).astype(np.float64)
want = erf(xs.astype(np.float64))
ulp = np.spacing(np.abs(want.astype(np.float32))).astype(np.float64)
print('worst error', (np.abs(got - want) / ulp).max(), 'ulp over', len(xs), 'points')
