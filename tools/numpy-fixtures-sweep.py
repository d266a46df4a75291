"""NumPy reference values for test/ops/numpy-sweep.test.ts -> test/fixtures/numpy_sweep.json.

Run: python3 tools/numpy-fixtures-sweep.py (NumPy 2). Inputs are float32 / int32 / bool as
tfjax's; each case is the NumPy call the test's case of the same name makes with tfjax's API.
NumPy's in-place functions (fill_diagonal, place) are applied to a copy, as jax.numpy's
inplace=False. polydiv's remainder is padded to u's length, as jax.numpy returns it.
"""
import json
import numpy as np

f = lambda v: np.array(v, np.float32)
i = lambda v: np.array(v, np.int32)


def inplace(fn, a, *args):
    fn(a, *args)
    return a


CASES = [
    ('where1_2d', lambda: np.where(f([[0,1],[2,0]]))),
    ('where_1arg', lambda: np.where(f([0,1,0,2]))),
    ('concat_none', lambda: np.concatenate([np.arange(4).reshape(2,2),f([9])],None)),
    ('unique_axis0', lambda: np.unique(i([[1,0,0],[1,0,0],[2,3,4]]),axis=0)),
    ('unique_axis1', lambda: np.unique(i([[1,0,1],[2,3,2]]),axis=1,return_index=True,return_inverse=True,return_counts=True)),
    ('gradient_1d', lambda: np.gradient(f([1,2,4,7,11]))),
    ('gradient_e2', lambda: np.gradient(f([1,2,4,7,11]),edge_order=2)),
    ('gradient_coords_e2', lambda: np.gradient(f([1,2,4,7,11]),f([0,1,1.5,3.5,4]),edge_order=2)),
    ('gradient_2d', lambda: np.gradient(f([[1,2,6],[3,4,5]]),2,f([1,2,4]))),
    ('gradient_axis', lambda: np.gradient(i([[1,2,6],[3,4,5]]),axis=-1)),
    ('gradient_axes_spacing', lambda: np.gradient(f([[1,2,6],[3,4,5]]),3,axis=(1,0))),
    ('nancumsum', lambda: np.nancumsum(f([[1,np.nan],[2,3]]),0)),
    ('nancumprod', lambda: np.nancumprod(f([1,np.nan,2,3]))),
    ('nancumsum_int', lambda: np.nancumsum(i([1,2]))),
    ('cumulative_sum_init', lambda: np.cumulative_sum(i([[1,2],[3,4]]),axis=1,include_initial=True)),
    ('cumulative_prod', lambda: np.cumulative_prod(f([1,2,3]))),
    ('diagflat', lambda: np.diagflat(f([[1,2],[3,4]]),1)),
    ('fill_diag_tall', lambda: inplace(np.fill_diagonal, np.zeros((4,3),np.float32), f([1,2]))),
    ('fill_diag_3d', lambda: inplace(np.fill_diagonal, np.zeros((2,2,2),np.int32), 7.9)),
    ('diag_idx_from', lambda: np.diag_indices_from(np.zeros((3,3)))),
    ('mask_indices', lambda: np.mask_indices(3,np.triu,1)),
    ('hist_edges', lambda: np.histogram_bin_edges(f([1,2,5]),4)),
    ('hist_edges_range', lambda: np.histogram_bin_edges(f([1,2,5]),2,(0,10))),
    ('vecmat', lambda: np.vecmat(f([[1,2],[3,4]]),f([[1,0,1],[2,1,0]]))),
    ('array_equiv', lambda: [np.array_equiv(f([1,2]),f([[1,2],[1,2]])),np.array_equiv(f([1,2]),f([[1,2],[1,3]])),np.array_equiv(f([1,2]),f([1,2,3]))]),
    ('polydiv', lambda: [np.polydiv(f([3,5,2]),f([2,1]))[0], np.array([0,0,np.polydiv(f([3,5,2]),f([2,1]))[1][0]],np.float32)]),
    ('poly', lambda: np.poly(f([1,2,3]))),
    ('float_power', lambda: np.float_power(i([2,3]),i([-1,2])).astype(np.float32)),
    ('ldexp', lambda: np.ldexp(f([1,3,1e-30]),i([3,-1,120]))),
    ('ldexp_num', lambda: np.ldexp(np.float32(5),-2)),
    ('bitwise_count', lambda: np.bitwise_count(i([7,-3,0,-2147483648,2147483647]))),
    ('place', lambda: inplace(np.place, np.arange(6).reshape(2,3), f([[0,1,0],[1,1,1]]), i([9,8]))),
    ('block2d', lambda: np.block([[np.ones((2,2),np.float32),np.zeros((2,1),np.float32)],[f([[5,6,7]])]])),
    ('block1d', lambda: np.block([f([1,2]),np.float32(3)])),
    ('block_depth', lambda: np.block([[f([1,2])],[f([3,4])]])),
    ('unique_counts', lambda: list(np.unique_counts(f([np.nan,1,np.nan,1])))),
    ('unique_all', lambda: list(np.unique_all(i([[3,1],[3,2]])))),
    ('fabs_int', lambda: np.fabs(i([-2,3])).astype(np.float32)),
    ('amax', lambda: np.amax(f([[1,5],[3,2]]),0)),
    ('permute_dims', lambda: np.permute_dims(np.zeros((2,3,4)),(2,0,1))),
]


def ser(x):
    if isinstance(x, (list, tuple)):
        return [ser(y) for y in x]
    a = np.asarray(x)
    kind = {'f': 'float32', 'i': 'int32', 'u': 'int32', 'b': 'bool'}[a.dtype.kind]
    values = [None if isinstance(v, float) and v != v else v for v in a.astype(bool if kind == 'bool' else float).ravel().tolist()]
    return {'shape': list(a.shape), 'dtype': kind, 'values': values}


out = {name: ser(fn()) for name, fn in CASES}
with open('test/fixtures/numpy_sweep.json', 'w') as fh:
    json.dump(out, fh)
