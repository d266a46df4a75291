#!/usr/bin/env python3
"""Reference values from NumPy for test/ops/numpy-semantics.test.ts (issue 16).

Writes test/fixtures/numpy.json: for each case, its inputs and NumPy's result, with the
dtype jax.numpy gives (NumPy's float64/int64 results read as float32/int32, which is what
jax.numpy returns with x64 disabled). JS numbers are weakly typed in tfjax, as Python
scalars are in NumPy 2 (NEP 50) and JAX, so a case's number arguments are Python scalars.
Run: python3 tools/numpy-fixtures.py (needs numpy >= 2).
"""
import json
import math
import os

import warnings

import numpy as np

np.seterr(all='ignore')  # NaN and inf results are part of the cases
warnings.simplefilter('ignore')
assert int(np.__version__.split('.')[0]) >= 2, 'NEP 50 weak scalars need numpy 2'

F = np.float32
I = np.int32


def enc_arg(v):
    """An argument: a Python scalar (weakly typed) stays a number; an array is {dtype, shape, data}."""
    return v if type(v) in (int, float) else enc(v)


def enc(v):
    """A result, always as {dtype, shape, data} (NumPy scalars included)."""
    a = np.asarray(v)
    kind = {'f': 'float32', 'i': 'int32', 'u': 'int32', 'b': 'bool'}[a.dtype.kind]
    data = [num(x) for x in a.astype(np.float64).ravel().tolist()]
    return {'dtype': kind, 'shape': list(a.shape), 'data': data}


def num(x):
    if math.isnan(x):
        return 'nan'
    if math.isinf(x):
        return 'inf' if x > 0 else '-inf'
    return x


cases = {}
group = 'semantics'  # the semantic rules run on every backend (test/core); the functions on cpu and wasm (test/ops)


def case(name, fn, *args):
    out = fn(*args)
    cases[name] = {'group': group, 'args': [enc_arg(a) for a in args], 'out': [enc(o) for o in out] if isinstance(out, tuple) else enc(out)}


# ---- semantics: promotion with weak scalars, true and floor division, logical ops, indexing ----
ia = np.array([3, -7, 4], I)
fa = np.array([0.5, -1.25, 2.0], F)
ba = np.array([True, False, True])
case('mul int32 by weak float', np.multiply, ia, 0.5)
case('add int32 and weak int', np.add, ia, 1)
case('add bool and weak int', np.add, ba, 1)
case('add int32 and float32', np.add, ia, fa)
case('mul bool and float32', np.multiply, ba, fa)
case('mul two numbers', np.multiply, 2, 2)
case('mul int and float numbers', np.multiply, 2, 0.5)
case('true division of int32', np.true_divide, ia, np.array([2, 2, -3], I))
case('true division of int32 by weak int', np.true_divide, ia, 2)
case('floorDivide int32', np.floor_divide, ia, np.array([2, 2, -3], I))
case('floorDivide float32', np.floor_divide, fa, F(0.75))
case('mean of int32', np.mean, np.array([1, 2, 4], I))
case('mean of bool', np.mean, np.array([True, False, False, True]))
case('logicalAnd numbers', np.logical_and, 3, 0)
case('logicalOr float32 and number', np.logical_or, np.array([0.0, 0.5, -1.0], F), 0)
case('logicalNot int32', np.logical_not, np.array([0, 2, -1], I))
case('less int32 than weak float', np.less, ia, 3.5)
case('where with int32 and weak float', lambda c, x, y: np.where(c, x, y), ba, ia, 0.5)
x6 = np.arange(6, dtype=F) * F(1.5)
case('take negative indices', lambda x, i: np.take(x, i), x6, np.array([-1, 0, -6], I))
case('slice -3:-1', lambda x: x[-3:-1], x6)
case('slice ::-1', lambda x: x[::-1], x6)
case('slice 4:0:-2', lambda x: x[4:0:-2], x6)
case('slice -10:100', lambda x: x[-10:100], x6)
x234 = np.arange(24, dtype=F).reshape(2, 3, 4)
case('transpose negative perm', lambda x: np.transpose(x, (-1, 0, -2)), x234)
nanrow = np.array([[1.0, np.nan, 5.0, np.nan], [2.0, 7.0, 7.0, -1.0]], F)
case('argmax first NaN', lambda x: np.argmax(x, axis=-1), nanrow)
case('argmin first NaN', lambda x: np.argmin(x, axis=-1), nanrow)
case('sqrt of int32', np.sqrt, np.array([4, 2, 9], I))
case('sum of bool', np.sum, np.array([True, False, True]))
case('floor and ceil of int32', lambda x: (np.floor(x), np.ceil(x)), np.array([3, -2], I))
case('sign NaN', np.sign, np.array([np.nan, -2.0, 0.0, 3.0], F))

# ---- elementwise maths ----
group = 'functions'
u = np.array([-0.9, -0.3, 0.0, 0.4, 0.95], F)
r = np.array([-3.5, -1.0, -0.0, 0.25, 2.0, 40.0], F)
p = np.array([0.001, 0.5, 1.0, 3.0, 1e4], F)
case('ceil', np.ceil, r)
case('tan', np.tan, u)
case('arcsin', np.arcsin, np.array([-1.0, -0.5, 0.0, 0.3, 1.0, 1.5], F))
case('arccos', np.arccos, np.array([-1.0, -0.5, 0.0, 0.3, 0.9999, 1.0], F))
case('arctan', np.arctan, r)
ys = np.array([1.0, -1.0, 0.0, 2.0, -2.0, 0.0, 3.0, -0.0], F)
xs = np.array([1.0, 1.0, -1.0, -0.5, -0.5, 0.0, 0.0, -1.0], F)
case('arctan2', np.arctan2, ys, xs)
case('sinh', np.sinh, np.array([-5.0, -1e-4, 0.0, 0.5, 3.0], F))
case('cosh', np.cosh, np.array([-5.0, -1e-4, 0.0, 0.5, 3.0], F))
case('arcsinh', np.arcsinh, np.array([-1e20, -2.0, -1e-5, 0.0, 0.5, 1e3], F))
case('arccosh', np.arccosh, np.array([1.0, 1.0001, 2.0, 1e3, 1e20, 0.5], F))
case('arctanh', np.arctanh, np.array([-1.0, -0.5, 1e-5, 0.0, 0.9, 1.0], F))
case('log2', np.log2, p)
case('log10', np.log10, p)
case('exp2', np.exp2, np.array([-3.0, 0.0, 0.5, 10.0], F))
case('cbrt', np.cbrt, np.array([-27.0, -0.001, 0.0, 8.0, 1e6], F))
case('logaddexp', np.logaddexp, np.array([0.0, -np.inf, 100.0, -3.0, np.inf], F), np.array([0.0, -np.inf, 1.0, 5.0, 2.0], F))
special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -2.5, 3.0], F)
case('isnan', np.isnan, special)
case('isinf', np.isinf, special)
case('signbit', np.signbit, special)
case('copysign', np.copysign, np.array([1.0, -2.0, 3.0, 4.0], F), np.array([-0.0, 5.0, -1.0, 0.0], F))
case('fmax', np.fmax, np.array([np.nan, 1.0, np.nan, -2.0], F), np.array([3.0, np.nan, np.nan, 5.0], F))
case('fmin', np.fmin, np.array([np.nan, 1.0, np.nan, -2.0], F), np.array([3.0, np.nan, np.nan, 5.0], F))
case('nanToNum', np.nan_to_num, special)
iy = np.array([7, -7, 7, -7, 5], I)
iz = np.array([2, 2, -2, -2, 0], I)
case('remainder int32', np.remainder, iy, iz)
case('remainder float32', np.remainder, np.array([5.5, -5.5, 5.5, -5.5], F), np.array([2.0, 2.0, -2.0, -2.0], F))
case('divmod int32', np.divmod, iy[:4], iz[:4])
case('modf', np.modf, np.array([-2.5, 3.75, 0.0, np.inf, -np.inf], F))
case('isclose', np.isclose, np.array([1.0, 1.0, np.nan, np.inf, 1e-9, 100.0], F), np.array([1.000001, 1.1, np.nan, np.inf, 0.0, 100.002], F))
case('clip with array bounds', np.clip, np.array([-5.0, 0.5, 5.0, 2.0], F), np.array([-1.0, 1.0, -1.0, 3.0], F), np.array([1.0, 2.0, 4.0, 4.0], F))

# ---- reductions ----
m = np.array([[1.5, -2.0, 0.0, 3.0], [4.0, 0.5, -1.0, 2.0], [-3.0, 1.0, 2.5, 0.25]], F)
case('prod all', np.prod, m)
case('prod axis 1', lambda x: np.prod(x, axis=1), m)
case('prod int32 axis 0', lambda x: np.prod(x, axis=0), np.array([[2, -3, 5], [7, 1, -1]], I))
case('any axis 0', lambda x: np.any(x, axis=0), np.array([[0, 0, 1], [0, 0, 0]], I))
case('all axis 1', lambda x: np.all(x, axis=1), np.array([[1.0, 2.0], [0.0, 3.0]], F))
case('countNonzero axis 1', lambda x: np.count_nonzero(x, axis=1), m)
case('argmin axis 0', lambda x: np.argmin(x, axis=0), m)
case('argmin int32', lambda x: np.argmin(x), np.array([5, -2147483648, 3], I))
case('std ddof 1 axis 0', lambda x: np.std(x, axis=0, ddof=1), m)
case('average with weights', lambda x, w: np.average(x, axis=1, weights=w), m, np.array([1.0, 2.0, 0.5, 0.0], F))
case('cumsum axis 1', lambda x: np.cumsum(x, axis=1), m)
case('cumsum flattened int32', lambda x: np.cumsum(x).astype(I), np.array([[1, 2, 3], [4, 5, 6]], I))
case('cumprod axis 0', lambda x: np.cumprod(x, axis=0), m)
mn = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [-2.0, 4.0, np.nan]], F)
for name, fn in [('nansum', np.nansum), ('nanprod', np.nanprod), ('nanmean', np.nanmean), ('nanmax', np.nanmax), ('nanmin', np.nanmin), ('nanvar', np.nanvar), ('nanstd', np.nanstd)]:
    case(name + ' axis 1', lambda x, fn=fn: fn(x, axis=1), mn)
mn2 = np.array([[1.0, np.nan, 3.0], [np.nan, -1.0, -5.0]], F)
case('nanargmax axis 1', lambda x: np.nanargmax(x, axis=1), mn2)
case('nanargmin axis 1', lambda x: np.nanargmin(x, axis=1), mn2)

# ---- sorting and searching ----
s = np.array([[3.0, np.nan, -1.0, 3.0, 0.5], [2.0, 2.0, 2.0, -np.inf, 1.0]], F)
case('sort axis -1', lambda x: np.sort(x, axis=-1), s)
case('argsort stable', lambda x: np.argsort(x, axis=-1, kind='stable'), s)
case('sort axis 0', lambda x: np.sort(x, axis=0), m)
t = np.array([[1.0, 5.0, 3.0, 5.0, 2.0], [0.0, -1.0, 4.0, 4.0, 4.0]], F)
topk_idx = np.argsort(-t, axis=-1, kind='stable')[:, :3]
case('topK 3', lambda x: (np.take_along_axis(x, topk_idx, -1), topk_idx.astype(I)), t)
edges = np.array([0.0, 1.0, 1.0, 2.5, 4.0], F)
vals = np.array([[-1.0, 1.0, 3.0], [4.0, 9.0, 0.0]], F)
case('searchsorted left', lambda a, v: np.searchsorted(a, v, side='left'), edges, vals)
case('searchsorted right', lambda a, v: np.searchsorted(a, v, side='right'), edges, vals)

# ---- bitwise (int32) ----
ba_ = np.array([12, -12, 2147483647, -2147483648, 0, 5], I)
bb_ = np.array([10, 7, -1, -1, -3, 3], I)
case('bitwiseAnd', np.bitwise_and, ba_, bb_)
case('bitwiseOr', np.bitwise_or, ba_, bb_)
case('bitwiseXor', np.bitwise_xor, ba_, bb_)
case('bitwiseNot', np.bitwise_not, ba_)
case('bitwiseAnd bool', np.bitwise_and, np.array([True, True, False]), np.array([True, False, False]))
case('leftShift', np.left_shift, np.array([1, -3, 1, 3, 1073741825, -1], I), np.array([3, 2, 31, 30, 1, 0], I))
case('rightShift', np.right_shift, np.array([16, -16, -1, 2147483647, -2147483648, 7], I), np.array([2, 2, 5, 30, 31, 0], I))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'numpy.json')
with open(out, 'w') as f:
    json.dump({'generator': 'tools/numpy-fixtures.py', 'numpy': np.__version__, 'cases': cases}, f, indent=None, separators=(',', ':'))
    f.write('\n')
print(f'wrote {len(cases)} cases to {os.path.normpath(out)}')
