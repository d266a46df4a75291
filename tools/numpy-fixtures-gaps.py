"""NumPy reference values for test/ops/numpy-gaps.test.ts -> test/fixtures/numpy_gaps.json.

Run: python3 tools/numpy-fixtures-gaps.py (NumPy 2). Inputs are float32 / int32 as tfjax's.
"""
import json
import numpy as np

x = (np.arange(1, 13, dtype=np.float32).reshape(3, 4) ** 1.5).astype(np.float32)
xi = np.array([[1, 2, 9], [4, 7, 3]], dtype=np.int32)
out = {'x': x.tolist(), 'xi': xi.tolist()}


def rec(name, a):
    a = np.asarray(a)
    out[name] = {'shape': list(a.shape), 'dtype': str(a.dtype), 'values': a.ravel().tolist()}


rec('pad_ramp', np.pad(x, [[2, 1], [1, 3]], mode='linear_ramp', end_values=[[5, -4], [2, 3]]))
rec('pad_ramp_int', np.pad(xi, 3, mode='linear_ramp', end_values=20))
rec('pad_max', np.pad(x, [[2, 1], [1, 3]], mode='maximum', stat_length=[[1, 2], [2, 1]]))
rec('pad_min', np.pad(x, 2, mode='minimum'))
rec('pad_mean', np.pad(x, [1, 2], mode='mean', stat_length=2))
rec('pad_mean_int', np.pad(xi, 2, mode='mean'))
rec('pad_median', np.pad(x, [[1, 1], [2, 0]], mode='median', stat_length=[[2, 3], [1, 4]]))
rec('pad_median_int', np.pad(xi, 1, mode='median', stat_length=2))
rec('pad_constant_pairs', np.pad(xi, [[1, 1], [2, 1]], constant_values=[[7, 8], [-1, -2]]))

with open('test/fixtures/numpy_gaps.json', 'w') as f:
    json.dump(out, f)
