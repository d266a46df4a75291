/**
 * The shape, creation and linear-algebra functions of `np` against NumPy's results
 * (test/fixtures/numpy_shape.json, written by tools/numpy-fixtures-shape.py): each case
 * gives the inputs, and the table below makes the same call in tfjax.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose } from '../helpers/assert.js';

await useTestBackend();

interface Case {
  inputs: { shape: number[]; data: number[] }[];
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/numpy_shape.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };

type X = NdArray;
const int = (x: X) => np.cast(x, 'int32');
const first = (xs: X[], i: number) => xs[i];

const CALLS: Record<string, (...xs: X[]) => X> = {
  tile: (a) => np.tile(a, [2, 1, 2]),
  tile_short_reps: (a) => np.tile(a, 2),
  repeat_scalar_axis: (a) => np.repeat(a, 2, 1),
  repeat_list: (a) => np.repeat(a, [1, 0, 2], 1),
  repeat_flat: (a) => np.repeat(a, 2),
  flip_axis: (a) => np.flip(a, 1),
  flip_all: (a) => np.flip(a),
  roll_axis: (a) => np.roll(a, -1, 2),
  roll_flat: (a) => np.roll(a, 4),
  roll_multi: (a) => np.roll(a, [1, 2], [0, 2]),
  rot90_1: (a) => np.rot90(a),
  rot90_2: (a) => np.rot90(a, 2),
  rot90_3_axes: (a) => np.rot90(a, -1, [1, 2]),
  moveaxis: (a) => np.moveaxis(a, [0, 1], [-1, 0]),
  swapaxes: (a) => np.swapaxes(a, 0, 2),
  take_along_axis: (a, i) => np.takeAlongAxis(a, int(i), 2),
  take_along_axis_1: (a, i) => np.takeAlongAxis(a, int(i), 1),
  vstack: (a, b) => np.vstack([a, b]),
  hstack_1d: (a, b) => np.hstack([a, b]),
  hstack_2d: (a, b) => np.hstack([a, b]),
  dstack: (a, b) => np.dstack([a, b]),
  column_stack: (a, b) => np.columnStack([a, b]),
  split_indices_0: (a) => first(np.split(a, [1, 3], 2), 0),
  split_indices_1: (a) => first(np.split(a, [1, 3], 2), 1),
  split_indices_2: (a) => first(np.split(a, [1, 3], 2), 2),
  array_split_0: (a) => first(np.arraySplit(a, 3), 0),
  array_split_1: (a) => first(np.arraySplit(a, 3), 1),
  array_split_2: (a) => first(np.arraySplit(a, 3), 2),
  diff: (a) => np.diff(a, 1, 1),
  diff_n2: (a) => np.diff(a, 2),
  ediff1d: (a, b) => np.ediff1d(a, undefined, b),
  select: (a) => np.select([np.greater(a, 0.5), np.less(a, -0.5)], [np.mul(a, 2), np.sub(a, 1)], 7),
  einsum_matmul: (a, b) => np.einsum('ij,jk->ik', a, b),
  einsum_implicit: (a, b) => np.einsum('ij,jk', a, b),
  einsum_trace: (a) => np.einsum('ii', a),
  einsum_diag: (a) => np.einsum('ii->i', a),
  einsum_batch: (a, b) => np.einsum('bij,bjk->bik', a, b),
  einsum_ellipsis: (a, b) => np.einsum('...j,jk->...k', a, b),
  einsum_outer_sum: (a, b) => np.einsum('i,j->ji', a, b),
  einsum_three: (a, b, c) => np.einsum('i,ij,j->', a, b, c),
  einsum_transpose_sum: (a) => np.einsum('ijk->kj', a),
  einsum_broadcast: (a, b) => np.einsum('...ij,...ij->...i', a, b),
  dot_vv: (a, b) => np.dot(a, b),
  dot_nd: (a, b) => np.dot(a, b),
  dot_mv: (a, b) => np.dot(a, b),
  inner: (a, b) => np.inner(a, b),
  outer: (a, b) => np.outer(a, b),
  tensordot_2: (a, b) => np.tensordot(a, b, 2),
  tensordot_axes: (a, b) => np.tensordot(a, b, [[1, 2], [0, 1]]),
  matvec: (m, v) => np.matvec(m, v),
  tril: (a) => np.tril(a),
  tril_k: (a) => np.tril(a, -1),
  triu_k: (a) => np.triu(a, 1),
  tri: () => np.tri(3, 5, 1),
  diagonal: (a) => np.diagonal(a),
  diagonal_offset: (a) => np.diagonal(a, 1),
  diagonal_axes: (a) => np.diagonal(a, -1, 1, 2),
  diag_1d: (a) => np.diag(a, -1),
  diag_2d: (a) => np.diag(a, 2),
  trace: (a) => np.trace(a, 1),
  eye: () => np.eye(3, 4, 1),
  eye_neg: () => np.eye(4, 2, -1),
  linspace: () => np.linspace(-1, 2, 7),
  linspace_open: () => np.linspace(0, 1, 4, { endpoint: false }),
  arange_stop: () => np.arange(5),
  arange_float: () => np.arange(0.5, 3),
  arange_float_step: () => np.arange(0, 1, 0.25),
  arange_negative_step: () => np.arange(5, 0, -2),
  arange_empty: () => np.arange(3, 1),
  logspace: () => np.logspace(0, 2, 5),
  logspace_base2: () => np.logspace(1, 4, 3, { endpoint: false, base: 2 }),
  geomspace: () => np.geomspace(1, 1000, 4),
  geomspace_neg: () => np.geomspace(-2, -32, 5),
  meshgrid_xy_0: (a, b) => np.meshgrid([a, b])[0],
  meshgrid_xy_1: (a, b) => np.meshgrid([a, b])[1],
  meshgrid_ij_1: (a, b) => np.meshgrid([a, b], { indexing: 'ij' })[1],
  indices: () => np.indices([2, 3]),
  fromfunction: () => np.fromfunction((i, j) => np.add(np.mul(i, 10), j), [2, 3]),
  ...Object.fromEntries(
    (['full', 'same', 'valid'] as const).flatMap((mode) => [
      [`convolve_${mode}`, (a: X, b: X) => np.convolve(a, b, mode)],
      [`convolve_swapped_${mode}`, (a: X, b: X) => np.convolve(a, b, mode)],
      [`correlate_${mode}`, (a: X, b: X) => np.correlate(a, b, mode)],
      [`correlate_swapped_${mode}`, (a: X, b: X) => np.correlate(a, b, mode)],
    ]),
  ),
  convolve_even_same: (a, b) => np.convolve(a, b, 'same'),
  correlate_even_same: (a, b) => np.correlate(a, b, 'same'),
  polyval: (p, x) => np.polyval(p, x),
  trapezoid_dx: (a) => np.trapezoid(a, { dx: 0.5, axis: 1 }),
  trapezoid_x: (a, x) => np.trapezoid(a, { x }),
  cov: (a) => np.cov(a),
  cov_cols_bias: (a) => np.cov(a, { rowvar: false, bias: true }),
  cov_y: (a, b) => np.cov(a, { y: b }),
  cov_1d: (a) => np.cov(a),
  corrcoef: (a) => np.corrcoef(a),
  cholesky: (a) => np.cholesky(a),
  norm_default: (a) => np.linalg.norm(a),
  norm_default_keepdims: (a) => np.linalg.norm(a, null, null, true),
  norm_vector_axis: (a) => np.linalg.norm(a, null, -1),
  norm_vector_ord1_keepdims: (a) => np.linalg.norm(a, 1, 1, true),
  norm_vector_inf: (a) => np.linalg.norm(a, Infinity),
  norm_vector_neginf: (a) => np.linalg.norm(a, -Infinity),
  norm_vector_0: (a) => np.linalg.norm(a, 0),
  norm_vector_p3: (a) => np.linalg.norm(a, 3),
  norm_vector_p05: (a) => np.linalg.norm(a, 0.5),
  norm_matrix_fro: (a) => np.linalg.norm(a, 'fro'),
  norm_matrix_1: (a) => np.linalg.norm(a, 1),
  norm_matrix_neg1: (a) => np.linalg.norm(a, -1),
  norm_matrix_inf: (a) => np.linalg.norm(a, Infinity),
  norm_matrix_axes_reversed: (a) => np.linalg.norm(a, 1, [2, 1]),
  norm_matrix_neginf_keepdims: (a) => np.linalg.norm(a, -Infinity, [0, 2], true),
  median_all: (a) => np.median(a),
  median_axis: (a) => np.median(a, 1),
  quantile_list_last_axis: (a) => np.quantile(a, [0.1, 0.5, 0.95], -1),
  quantile_two_axes_keepdims: (a) => np.quantile(a, 0.3, [0, 2], true),
  percentile_lower: (a) => np.percentile(a, [12.5, 40, 50, 77], 2, false, 'lower'),
  percentile_higher: (a) => np.percentile(a, [12.5, 40, 50, 77], 2, false, 'higher'),
  percentile_nearest: (a) => np.percentile(a, [12.5, 40, 50, 77], 2, false, 'nearest'),
  percentile_midpoint: (a) => np.percentile(a, [12.5, 40, 50, 77], 2, false, 'midpoint'),
};

const S = suite('np shape/linalg vs NumPy');

S('every fixture case has a call and every call a case', () => {
  assert.equal(Object.keys(CALLS).sort(), Object.keys(fixture.cases).sort());
});

for (const [name, c] of Object.entries(fixture.cases)) {
  S(name, async () => {
    const before = tf.memory().numTensors;
    const inputs = c.inputs.map((x) => tf.tensor(x.data, x.shape, 'float32'));
    const out = tf.tidy(() => CALLS[name](...inputs) as tf.Tensor);
    assert.equal(out.shape, c.shape, `${name}: shape`);
    allClose(await out.data(), c.data, { rtol: 1e-5, atol: 1e-5 }, name);
    tf.dispose([out, ...inputs]);
    assert.is(tf.memory().numTensors, before, `${name}: no tensor leaks`);
  });
}

S("arange's dtype is jax.numpy's: int32 from integers, float32 if any of start, stop, step is not", () => {
  const made = [np.arange(5), np.arange(5, 0, -2), np.arange(0.5, 3), np.arange(0, 1, 0.25), np.arange(0, 3, 1, 'float32'), np.arange(0, 2.5, 1, 'int32')];
  assert.equal(made.map((t) => t.dtype), ['int32', 'int32', 'float32', 'float32', 'float32', 'int32']);
  tf.dispose(made);
});

S('norm: int32 input gives float32; np.norm is np.linalg.norm; its gradient is x / |x|', async () => {
  const n = np.linalg.norm(np.array([3, 4], 'int32'));
  assert.is(n.dtype, 'float32');
  allClose(await (n as tf.Tensor).data(), [5], { rtol: 1e-6, atol: 0 }, 'int norm');
  assert.is(np.norm, np.linalg.norm);
  const g = grad((v: NdArray) => np.linalg.norm(v))(np.array([3, 4])) as tf.Tensor;
  allClose(await g.data(), [0.6, 0.8], { rtol: 1e-6, atol: 0 }, 'gradient');
  tf.dispose([n, g] as tf.Tensor[]);
});

S('quantile: a slice with NaN gives NaN; the gradient of the median splits between the two middle values; errors', async () => {
  const m = np.median(np.array([[1, NaN, 3], [2, 7, 5]]), 1) as tf.Tensor;
  assert.equal(Array.from(await m.data()), [NaN, 5]);
  const g = grad((v: NdArray) => np.median(v))(np.array([3, 1, 4, 1])) as tf.Tensor;
  assert.equal(Array.from(await g.data()), [0.5, 0, 0, 0.5]);
  assert.throws(() => np.quantile(np.ones([3]), 1.5), /quantile: q must be in \[0, 1\], got 1.5/);
  assert.throws(() => np.quantile(np.ones([3]), 0.5, 0, false, 'cubic' as 'linear'), /quantile: unknown method "cubic"/);
  assert.throws(() => np.median(np.ones([2, 0]), 1), /quantile: the reduced axes of shape \[2,0\] are empty/);
  tf.dispose([m, g]);
});

S('clip takes null for a missing bound; concatenate and stack promote dtypes as jax.numpy', async () => {
  const x = np.array([-5, 0.5, 5]);
  const made = [np.clip(x, null, 1), np.clip(x, 0, null), np.clip(x, undefined, undefined)];
  assert.equal(await Promise.all(made.map(async (t) => Array.from(await (t as tf.Tensor).data()))), [[-5, 0.5, 1], [0, 0.5, 5], [-5, 0.5, 5]]);
  const i = np.array([1, 2], 'int32');
  const c = np.concatenate([i, np.array([2.5])]);
  const st = np.stack([i, np.array([0.5, 1.5])], 1);
  assert.equal([c.dtype, st.dtype, np.concatenate([i, i]).dtype], ['float32', 'float32', 'int32']);
  assert.equal(Array.from(await (c as tf.Tensor).data()), [1, 2, 2.5]);
  assert.equal(Array.from(await (st as tf.Tensor).data()), [1, 0.5, 2, 1.5]);
  tf.dispose([x, i, c, st, ...made] as tf.Tensor[]);
});

S('errors name the function and the problem', () => {
  const m = np.ones([2, 3]);
  assert.throws(() => np.einsum('ij,jk->ik', m, m), /einsum: label 'j' has sizes 3 and 2/);
  assert.throws(() => np.einsum('ijk', m), /einsum: 'ijk' names 3 axes for an operand of rank 2/);
  assert.throws(() => np.repeat(m, [1, 2], 1), /repeat: need 3 non-negative integer repeats/);
  assert.throws(() => np.split(m, 4, 1), /split: axis 1 of shape \[2,3\] does not divide into 4/);
  assert.throws(() => np.geomspace(0, 1, 3), /geomspace: start \(0\) and stop \(1\)/);
  assert.throws(() => np.cholesky(m), /cholesky: need square matrices/);
  assert.throws(() => np.arange(0, 3, 0), /arange: step must not be zero/);
  assert.throws(() => np.linalg.norm(m, 3), /norm: matrix norm ord 3 is not one of 'fro', 'nuc', 1, -1, 2, -2, Infinity, -Infinity/);
  assert.throws(() => np.linalg.norm(np.ones([2, 2, 2]), 1), /norm: ord 1 with no axis needs a 1-D or 2-D array, got shape \[2,2,2\]; pass axis/);
  assert.throws(() => np.linalg.norm(m, 'fro', 0), /norm: ord 'fro' is a matrix norm; it needs two axes/);
  assert.throws(() => np.arange(0, Infinity), /arange: stop must be a finite number, got Infinity/);
  tf.dispose(m);
});

S.run();
