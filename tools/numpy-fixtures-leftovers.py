"""NumPy reference values for test/ops/numpy-leftovers.test.ts -> test/fixtures/numpy_leftovers.json.

Run: /usr/bin/python3 tools/numpy-fixtures-leftovers.py (NumPy 1.24 or later).
frexp, nextafter and spacing are NumPy's float32 loops; every float32 is stored as its bit
pattern (an unsigned 32-bit integer), so the test compares bit for bit (NaN, -0 and
subnormals included). packbits/unpackbits give uint8 values (tfjax holds them in int32);
mgrid/ogrid's int64/float64 are tfjax's int32/float32.
"""
import json
import numpy as np

rng = np.random.default_rng(7)


def bits(a):
    return np.ascontiguousarray(a, np.float32).view(np.uint32).ravel().tolist()


special = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, -5.5, 0.1, 1e-45, -1e-45, 2e-45, 1.1754944e-38, -1.1754944e-38,
                    1.1754942e-38, 3.4028235e38, -3.4028235e38, np.inf, -np.inf, np.nan, 16777216.0, 1e30, 7e-40], np.float32)
random_bits = rng.integers(0, 2**32, size=120, dtype=np.uint64).astype(np.uint32)
random = random_bits.view(np.float32)
random = random[np.isfinite(random)]
xs = np.concatenate([special, random])

ys = np.concatenate([np.array([1.0, -1.0, 0.0, -0.0, np.inf, -np.inf, np.nan], np.float32), rng.standard_normal(xs.size - 7).astype(np.float32) * 1e3])
ys[::9] = xs[::9]  # some equal pairs
ys = ys.astype(np.float32)

with np.errstate(all='ignore'):
    m, e = np.frexp(xs)
    out = {
        'xs': bits(xs),
        'ys': bits(ys),
        'frexp_m': bits(m),
        'frexp_e': e.astype(np.int32).tolist(),
        'nextafter': bits(np.nextafter(xs, ys)),
        'nextafter_inf': bits(np.nextafter(xs, np.float32(np.inf))),
        'spacing': bits(np.spacing(xs)),
    }

b = np.array([[1, 0, 1, 1, 0, 0, 1, 0, 1, 1], [0, 1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0, 0, 1, 1, 0]], bool)
out['pack'] = {
    'none_big': np.packbits(b).tolist(),
    'none_little': np.packbits(b, bitorder='little').tolist(),
    'axis1': np.packbits(b, axis=1).tolist(),
    'axis0_little': np.packbits(b, axis=0, bitorder='little').tolist(),
    'int_axis_last': np.packbits(np.array([[3, 0, -2, 0, 0, 0, 0, 9, 1]], np.int32) != 0, axis=-1).tolist(),
}
u = np.array([[7, 255, 0], [128, 1, 96]], np.uint8)
out['unpack'] = {
    'none_big': np.unpackbits(u).tolist(),
    'axis1': np.unpackbits(u, axis=1).tolist(),
    'axis0_little': np.unpackbits(u, axis=0, bitorder='little').tolist(),
    'count5': np.unpackbits(u, axis=1, count=5).tolist(),
    'count_neg3': np.unpackbits(u, axis=1, count=-3).tolist(),
    'count30': np.unpackbits(u, axis=1, count=30).tolist(),
    'none_count11_little': np.unpackbits(u, count=11, bitorder='little').tolist(),
}


def grid(a):
    return {'shape': list(a.shape), 'values': a.ravel().tolist()}


out['grid'] = {
    'mgrid_2d': grid(np.mgrid[0:3, 1:5]),
    'mgrid_1d': grid(np.mgrid[2:7:2]),
    'mgrid_num': grid(np.mgrid[0:1:5j]),
    'mgrid_mixed': grid(np.mgrid[-1:1:0.5, 0:2]),
    'mgrid_neg_step': grid(np.mgrid[5:0:-2, 0:2:3j]),
    'ogrid': [grid(g) for g in np.ogrid[0:3, 0:2:3j]],
}

path = 'test/fixtures/numpy_leftovers.json'
with open(path, 'w') as fh:
    json.dump(out, fh, separators=(',', ':'))
print(path, len(json.dumps(out)), 'bytes', xs.size, 'floats')
