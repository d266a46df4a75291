/**
 * Session 16's audit of np against the semantics JAX's lax_numpy_test.py,
 * lax_numpy_reducers_test.py and lax_numpy_indexing_test.py check: empty axes, keepdims with
 * negative and tuple axes, dtypes, cumulative ops, NaN, sorting and searching, take /
 * take_along_axis, indexing and index updates, joining and splitting, roll, tensordot/einsum,
 * norms, rounding, integer division, arange/linspace. Where jax.numpy agrees with NumPy the
 * numbers are NumPy 1.24's (test/fixtures/np-audit-session16.json from
 * tools/np_audit_session16.py), checked eagerly and under jit; JAX's own semantics (errors,
 * out-of-bound modes, wrap_negative_indices) are asserted directly, each with what JAX does.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import type { DType } from '../../lib/core/aval.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();

interface Encoded {
  shape: number[];
  dtype: DType;
  data: (number | string | boolean)[];
}
interface Case {
  name: string;
  inputs: Encoded[];
  out: Encoded[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/np-audit-session16.json', import.meta.url), 'utf8')) as { cases: Case[] };

const decode = (e: Encoded): tf.Tensor => tf.tensor(e.data.map(Number), e.shape, e.dtype);
type Op = (...a: NdArray[]) => NdArray | NdArray[];

/** A vector or matrix ord from the case name's Python repr (None, inf, -inf, 'fro', numbers). */
const ordOf = (text: string): number | 'fro' | 'nuc' | null =>
  text === 'None' ? null : text === 'fro' || text === 'nuc' ? text : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);

/** What each fixture case computes, as tools/np_audit_session16.py does with NumPy. */
const OPS: Record<string, Op> = {
  sum_empty_axis0: (x) => np.sum(x, 0),
  prod_empty_axis1_keepdims: (x) => np.prod(x, 1, true),
  max_empty_initial: (x) => np.max(x, 1, false, { initial: -5 }),
  min_empty_initial_keepdims: (x) => np.min(x, 0, true, { initial: 2 }),
  max_of_empty_rows: (x) => np.max(x, 1),
  argmax_of_empty_rows: (x) => np.argmax(x, 1),
  sum_tuple_neg_keepdims: (x) => np.sum(x, [0, -1], true),
  max_neg_keepdims: (x) => np.max(x, -2, true),
  min_tuple_axes: (x) => np.min(x, [-1, 0]),
  sum_int32: (x) => np.sum(x, 1),
  prod_int32: (x) => np.prod(x, 0),
  mean_int32: (x) => np.mean(x, 1),
  sum_bool: (x) => np.sum(x, 0),
  mean_bool: (x) => np.mean(x),
  var_ddof1_keepdims: (x) => np.var(x, -1, true, 1),
  std_int_axis0: (x) => np.std(x, 0),
  average_weights_neg_axis: (x, w) => np.average(x, -1, w),
  sum_initial_where: (x, m) => np.sum(x, -1, false, { initial: 10, where: m }),
  max_where_initial: (x, m) => np.max(x, -1, false, { initial: -100, where: m }),
  cumsum_axis_none: (x) => np.cumsum(x),
  cumsum_dtype_float: (x) => np.cumsum(x, 1, 'float32'),
  cumprod_axis_neg: (x) => np.cumprod(x, -1),
  cumsum_bool: (x) => np.cumsum(x),
  cumprod_float_axis0: (x) => np.cumprod(x, 0),
  max_nan_axis1: (x) => np.max(x, 1),
  min_nan_axis0: (x) => np.min(x, 0),
  argmax_nan_axis1: (x) => np.argmax(x, 1),
  argmin_nan_flat: (x) => np.argmin(x),
  nanmax_axis0: (x) => np.nanmax(x, 0),
  nanargmin_axis1: (x) => np.nanargmin(x, 1),
  sort_nan: (x) => np.sort(x),
  sort_axis0_nan: (x) => np.sort(x, 0),
  argsort_nan_stable: (x) => np.argsort(x),
  argsort_ties_axis0: (x) => np.argsort(x, 0),
  unique_nan: (x) => np.unique(x),
  searchsorted_left: (a, v) => np.searchsorted(a, v),
  searchsorted_right: (a, v) => np.searchsorted(a, v, 'right'),
  searchsorted_sorter_right: (a, v, s) => np.searchsorted(a, v, 'right', s),
  take_clip_axis1: (x, i) => np.take(x, i, 1, 'clip'),
  take_wrap_axis_none: (x, i) => np.take(x, i, null, 'wrap'),
  take_neg_axis: (x, i) => np.take(x, i, -1),
  take_along_axis_broadcast: (x, i) => np.takeAlongAxis(x, i, -1),
  take_along_axis_none: (x, i) => np.takeAlongAxis(x, i, null),
  index_neg_step: (x) => np.index(x, '::-3'),
  index_3_0_neg1: (x) => np.index(x, '3:0:-1'),
  index_oob_empty_slices: (x) => np.index(x, '-2:-10'),
  index_separated_advanced: (x) => np.index(x, [0, 1], ':', [1, 3]),
  index_adjacent_advanced: (x) => np.index(x, ':', [2, 0], [1, -1]),
  index_mask_3d: (x) => np.index(x, np.greater(x, 5)),
  index_mask_then_slice: (x) => np.index(x, np.array([false, true]), '::-1', 1),
  index_none_ellipsis: (x) => np.index(x, null, '...', 0, null),
  at_add_repeated: (x, u) => np.at(x, REPEATED).add(u),
  at_multiply_repeated: (x, u) => np.at(x, REPEATED).multiply(u),
  at_min_repeated: (x, u) => np.at(x, REPEATED).min(u),
  at_max_repeated: (x, u) => np.at(x, REPEATED).max(u),
  at_set_neg_step: (x) => np.at(x, '::-2').set(np.array([10, 20, 30, 40])),
  at_set_mask: (x) => np.at(x, np.greater(x, 10)).set(0),
  where_one_arg: (x) => np.where(x),
  nonzero_3d: (x) => np.nonzero(x),
  concatenate_axis_none: (a, b) => np.concatenate([a, b], null),
  concatenate_neg_axis: (a, b) => np.concatenate([a, b], -1),
  stack_neg_axis: (a, b) => np.stack([a, b], -1),
  stack_axis_neg3: (a, b) => np.stack([a, b], -3),
  split_beyond_size: (x) => np.split(x, [3, 10, 12]),
  split_decreasing: (x) => np.split(x, [5, 2]),
  split_negative: (x) => np.split(x, [-3]),
  array_split_more_than_size: (x) => np.arraySplit(x, 7),
  array_split_axis1: (x) => np.arraySplit(x, 2, 1),
  roll_tuple: (x) => np.roll(x, [1, -2], [0, 2]),
  roll_shifts_one_axis: (x) => np.roll(x, [2, 3], 0),
  roll_one_shift_two_axes: (x) => np.roll(x, [1], [1, 2]),
  roll_flat_shifts: (x) => np.roll(x, [1, 2]),
  roll_negative_large: (x) => np.roll(x, -19),
  tensordot_0: (a, b) => np.tensordot(a, b, 0),
  tensordot_2: (a, b) => np.tensordot(np.index(a, 0), np.index(b, 1), 2),
  tensordot_pairs_neg: (a, b) => np.tensordot(a, b, [[-2, -1], [0, 1]]),
  einsum_trace: (m) => np.einsum('ii', m),
  einsum_diag: (m) => np.einsum('ii->i', m),
  einsum_repeated_three: (x) => np.einsum('iii->i', x),
  einsum_partial_trace: (x) => np.einsum('iij->j', x),
  einsum_ellipsis_broadcast: (x, b) => np.einsum('...ij,jk->...ik', np.index(x, ':', ':', ':3'), b),
  einsum_ellipsis_middle: (x) => np.einsum('i...j->j...i', x),
  einsum_implicit_order: (b) => np.einsum('ba', b),
  einsum_sum_all: (x) => np.einsum('ijk->', x),
  einsum_outer_three: (a, b, c) => np.einsum('i,j,k->kji', a, b, c),
  norm_axis_keepdims: (x) => np.linalg.norm(x, null, -1, true),
  norm_matrix_axes_keepdims: (x) => np.linalg.norm(x, 'fro', [0, 2], true),
  norm_matrix_inf_axes: (x) => np.linalg.norm(x, Infinity, [2, 1]),
  round_half_even: (x) => np.round(x),
  round_decimals_1: (x) => np.round(x, 1),
  round_decimals_neg1: (x) => np.round(x, -1),
  floor_divide_int: (a, b) => np.floorDivide(a, b),
  remainder_int: (a, b) => np.remainder(a, b),
  fmod_int: (a, b) => np.fmod(a, b),
  floor_divide_float: (a, b) => np.floorDivide(a, b),
  remainder_float: (a, b) => np.remainder(a, b),
  fmod_float: (a, b) => np.fmod(a, b),
  power_int: (a, b) => np.pow(a, b),
  clip_min_above_max: (x) => np.clip(x, 7, 3),
  clip_array_bounds: (x, lo, hi) => np.clip(x, lo, hi),
  arange_float_step: () => np.arange(0, 1, 0.3),
  arange_negative_step: () => np.arange(5, -4, -3),
  arange_negative_float_step: () => np.arange(1, -0.1, -0.25),
  arange_empty: () => np.arange(3, 1),
  linspace_no_endpoint: () => np.linspace(-1, 2, 7, false),
  linspace_num0: () => np.linspace(0, 1, 0),
  linspace_num1: () => np.linspace(2, 3, 1),
  linspace_num1_no_endpoint: () => np.linspace(2, 3, 1, false),
  linspace_descending: () => np.linspace(1, -1, 5),
  diff_bool: (x) => np.diff(x),
  diff_bool_n2: (x) => np.diff(x, 2),
};
// The repeated, negative positions of the ufunc.at cases ([1, 3, 1, -1, 1]).
const REPEATED = [1, 3, 1, -1, 1];

function opOf(name: string): Op {
  const vec = /^norm_vec_(.+)$/.exec(name);
  if (vec) return (x) => np.linalg.norm(x, ordOf(vec[1]) as number | null);
  const mat = /^norm_mat_(.+)$/.exec(name);
  if (mat) return (x) => np.linalg.norm(x, ordOf(mat[1]));
  const op = OPS[name];
  if (!op) throw new Error(`no op for fixture case ${name}`);
  return op;
}

/** Products through the SVD (Jacobi sweeps in float32) get a looser relative tolerance. */
const tolOf = (name: string) => (/^norm_mat_(nuc|2|-2)$/.test(name) ? { rtol: 1e-4, atol: 1e-5 } : { rtol: 1e-5, atol: 1e-5 });
// Eager ops that read values (boolean masks, np.where(x) / nonzero without size) cannot run under jit.
const EAGER_ONLY = /mask|where_one_arg|nonzero|unique|^at_|^arange|^linspace/;

const Fixture = suite(`np audit session 16: NumPy's numbers [${backend}]`);
for (const c of fixture.cases) {
  Fixture(c.name, () => {
    tf.tidy(() => {
      const inputs = c.inputs.map(decode);
      const op = opOf(c.name);
      const runs = EAGER_ONLY.test(c.name) || inputs.length === 0 ? [op] : [op, jit(op)];
      for (const f of runs) {
        const got = f(...inputs);
        const outs = (Array.isArray(got) ? got : [got]) as tf.Tensor[];
        assert.is(outs.length, c.out.length, `${c.name}: number of outputs`);
        outs.forEach((o, k) => {
          const want = c.out[k];
          assert.equal([...o.shape], want.shape, `${c.name}[${k}] shape`);
          assert.is(o.dtype, want.dtype, `${c.name}[${k}] dtype`);
          allClose(Array.from(o.dataSync()), want.data.map(Number), tolOf(c.name), `${c.name}[${k}]`);
        });
      }
    });
  });
}
Fixture.run();

const F = (v: number[]) => np.array(v, 'float32');
const I = (v: number[]) => np.array(v, 'int32');
const read = (x: NdArray) => Array.from((x as tf.Tensor).dataSync());

const Jax = suite(`np audit session 16: jax.numpy's own semantics [${backend}]`);

Jax('take_along_axis: indices must be integers (JAX\'s TypeError)', () => {
  tf.tidy(() => {
    // testTakeAlongAxisRequiresIntIndices: "take_along_axis indices must be of integer type, got float32".
    assert.match(errorOf(() => np.takeAlongAxis(I([10, 20, 30]), F([1]), 0)), /^takeAlongAxis: indices must be of integer type \(int32\), got float32/);
    assert.match(errorOf(() => np.takeAlongAxis(I([10, 20, 30]), np.array([true]), 0)), /got bool/);
  });
});

Jax('take_along_axis: out-of-bound modes and wrap_negative_indices (JAX)', () => {
  tf.tidy(() => {
    // testTakeAlongAxisOutOfBounds: fill by default (NaN), clip clamps after wrapping negatives.
    const x = np.arange(10, undefined, 1, 'float32');
    const idx = I([-11, -10, -9, -5, -1, 0, 1, 5, 9, 10, 11]);
    allClose(read(np.takeAlongAxis(x, idx, 0)), [NaN, 0, 1, 5, 9, 0, 1, 5, 9, NaN, NaN]);
    assert.equal(read(np.takeAlongAxis(x, idx, 0, { mode: 'clip' })), [0, 0, 1, 5, 9, 0, 1, 5, 9, 9, 9]);
    // testTakeAlongAxisWrapNegativeIndices / testTakeAlongAxisClipNoWrapNegativeIndices.
    const y = I([10, 20, 30]);
    const neg = I([-1, -2]);
    assert.equal(read(np.takeAlongAxis(y, neg, 0, { mode: 'clip', wrapNegativeIndices: true })), [30, 20]);
    assert.equal(read(np.takeAlongAxis(y, neg, 0, { mode: 'promise_in_bounds', wrapNegativeIndices: true })), [30, 20]);
    assert.equal(read(np.takeAlongAxis(y, neg, 0, { mode: 'clip', wrapNegativeIndices: false })), [10, 10]);
    assert.equal(read(np.takeAlongAxis(y, neg, 0, { mode: 'fill', fillValue: 7, wrapNegativeIndices: false })), [7, 7]);
    const traced = jit((a: NdArray, i: NdArray) => np.takeAlongAxis(a, i, 0, { mode: 'fill', fillValue: 7, wrapNegativeIndices: false }));
    assert.equal(read(traced(y, I([-1, 1]))), [7, 20]);
  });
});

Jax('take_along_axis of an empty axis: zeros of the result\'s shape (JAX)', () => {
  tf.tidy(() => {
    // jnp.take_along_axis returns lax.full(out_shape, 0, a.dtype) when the axis is empty.
    const empty = np.takeAlongAxis(np.zeros([2, 0], 'float32'), np.zeros([2, 3], 'int32'), 1);
    assert.equal([...(empty as tf.Tensor).shape], [2, 3]);
    assert.equal(read(empty), [0, 0, 0, 0, 0, 0]);
    // testTakeAlongAxisWithEmptyArgs.
    const none = np.takeAlongAxis(np.ones([4, 0, 3], 'int32'), np.ones([4, 0, 3], 'int32'), 1);
    assert.equal([...(none as tf.Tensor).shape], [4, 0, 3]);
  });
});

Jax('take: a non-empty take from an empty axis is an error; empty takes and fill_value (JAX)', () => {
  tf.tidy(() => {
    // testTakeEmpty: jnp raises IndexError("Cannot do a non-empty jnp.take() from an empty axis.").
    assert.match(errorOf(() => np.take(np.ones([2, 0, 4]), I([0]), 1)), /^take: cannot take 1 entries from the empty axis 1 of shape \[2,0,4\]/);
    assert.equal([...(np.take(np.ones([2, 0, 4]), np.zeros([0], 'int32'), 1) as tf.Tensor).shape], [2, 0, 4]);
    assert.equal([...(np.take(np.zeros([0]), np.zeros([0], 'int32')) as tf.Tensor).shape], [0]);
    // testTakeOptionalArgs: out-of-bound entries read fill_value.
    assert.equal(read(np.take(np.arange(5, undefined, 1, 'float32'), I([0, 2, 4, 6]), null, { fillValue: 10 })), [0, 2, 4, 10]);
  });
});

Jax('argmax/argmin of an empty axis: JAX\'s message', () => {
  // testArgMinMaxEmpty: ValueError "attempt to get argmax of an empty sequence" (nanargmax: argmax too).
  for (const [name, f] of [['argmax', np.argmax], ['argmin', np.argmin], ['argmax', np.nanargmax], ['argmin', np.nanargmin]] as const) {
    assert.match(errorOf(() => tf.tidy(() => { f(np.zeros([0])); })), new RegExp(`^${name}: attempt to get ${name} of an empty sequence`));
    assert.match(errorOf(() => tf.tidy(() => { f(np.zeros([2, 0]), 1); })), new RegExp(`^${name}: attempt to get ${name} of an empty sequence`));
    // Along the non-empty axis the result is simply empty.
    tf.tidy(() => assert.equal([...(f(np.zeros([2, 0]), 0) as tf.Tensor).shape], [0]));
  }
});

Jax('reductions: where must be a bool array (JAX)', () => {
  tf.tidy(() => {
    const x = np.reshape(np.arange(6, undefined, 1, 'float32'), [2, 3]);
    // testReducerWhereNonBooleanError*: "where must be None or a boolean array" (NumPy refuses the cast too).
    const cases = [
      ['sum', () => np.sum(x, null, false, { where: I([1, 0, 1]) })],
      ['prod', () => np.prod(x, null, false, { where: F([1, 0, 1]) })],
      ['max', () => np.max(x, null, false, { where: I([1, 0, 1]), initial: 0 })],
      ['sum', () => np.mean(x, null, false, { where: I([1, 0, 1]) })],
    ] as const;
    for (const [name, f] of cases) assert.match(errorOf(f), new RegExp(`^${name}: where must be a boolean array`));
  });
});

Jax('reductions: initial is a scalar, a number or a 0-d array (JAX)', () => {
  tf.tidy(() => {
    const x = np.reshape(np.arange(6, undefined, 1, 'float32'), [2, 3]);
    // A 0-d array initial (testReducerWhereNonBooleanErrorInitial passes jnp.array(0, dtype)), taken in x's dtype.
    assert.equal(read(np.sum(x, -1, false, { initial: np.array(10, 'int32') })), [13, 22]);
    assert.equal(read(np.max(x, 1, false, { initial: np.array(4, 'float32'), where: np.array([true, false, true]) })), [4, 5]);
    assert.equal(read(np.min(np.zeros([2, 0]), 1, true, { initial: np.array(7.5, 'float32') })), [7.5, 7.5]);
    assert.equal(read(np.prod(I([2, 3]), null, false, { initial: np.array(2.9, 'float32') })), [12]); // initial cast to int32: 2
    // testReducerBadInitial: "initial value must be a scalar. Got array of shape (1, 2, 3)".
    assert.match(errorOf(() => np.sum(x, -1, false, { initial: np.zeros([1, 2, 3]) })), /^sum: initial value must be a scalar, got an array of shape \[1,2,3\]/);
    assert.match(errorOf(() => np.max(x, -1, false, { initial: np.zeros([2]) })), /^max: initial value must be a scalar/);
  });
});

Jax('x.at[idx].get / updates take wrap_negative_indices (JAX)', () => {
  tf.tidy(() => {
    const x = np.add(np.arange(5, undefined, 1, 'int32'), 1); // [1, 2, 3, 4, 5]
    // testIndexOutOfBounds (wrapping, the default).
    const idx = I([-10, -6, -5, -4, 0, 3, 4, 5, 6, 100]);
    assert.equal(read(np.at(x, idx).get({ mode: 'clip' })), [1, 1, 1, 2, 1, 4, 5, 5, 5, 5]);
    assert.equal(read(np.at(x, idx).get({ mode: 'fill', fillValue: 7 })), [7, 7, 1, 2, 1, 4, 5, 7, 7, 7]);
    // testWrapNegativeIndices1D: without wrapping a negative index is out of bounds (filled, or clamped to 0).
    const neg = I([-1, 2, -5]);
    assert.equal(read(np.at(x, neg).get({ mode: 'fill', fillValue: 99, wrapNegativeIndices: false })), [99, 3, 99]);
    assert.equal(read(np.at(x, neg).get({ mode: 'clip', wrapNegativeIndices: false })), [1, 3, 1]);
    assert.equal(read(np.at(x, neg).get({ mode: 'fill', fillValue: 99 })), [5, 3, 1]);
    // A negative integer index behaves the same.
    assert.equal(read(np.at(x, -1).get({ mode: 'fill', fillValue: 99, wrapNegativeIndices: false })), [99]);
    // Updates: dropped ('fill' / 'drop') or clamped ('clip').
    const z = F([0, 0, 0]);
    assert.equal(read(np.at(z, I([-1, 1])).add(1, { mode: 'drop', wrapNegativeIndices: false })), [0, 1, 0]);
    assert.equal(read(np.at(z, I([-1, 9])).add(1, { mode: 'clip', wrapNegativeIndices: false })), [1, 0, 1]);
    assert.equal(read(np.at(z, I([-1, 9])).add(1, { mode: 'clip' })), [0, 0, 2]);
    assert.equal(read(np.at(z, -1).set(5, { wrapNegativeIndices: false })), [0, 0, 0]);
    assert.equal(read(np.at(z, I([-1, 0])).max(F([4, 2]), { wrapNegativeIndices: false })), [2, 0, 0]);
    // Traced indices too.
    assert.equal(read(jit((a: NdArray, i: NdArray) => np.at(a, i).get({ mode: 'fill', fillValue: 99, wrapNegativeIndices: false }))(x, neg)), [99, 3, 99]);
    assert.equal(read(jit((a: NdArray, i: NdArray) => np.at(a, i).add(1, { wrapNegativeIndices: false }))(z, I([-1, 1]))), [0, 1, 0]);
  });
});

Jax('power: an integer base with a negative scalar exponent is an error (JAX and NumPy)', () => {
  tf.tidy(() => {
    // jnp.power(int, -1) lowers to lax.integer_pow: TypeError "Integers cannot be raised to negative powers"
    // (NumPy: ValueError "Integers to negative integer powers are not allowed").
    assert.match(errorOf(() => np.pow(I([2, 3]), -1)), /^pow: integers cannot be raised to negative powers \(int32 \*\* -1;/);
    assert.match(errorOf(() => np.power(np.array([true]), -2)), /^pow: integers cannot be raised to negative powers/);
    assert.match(errorOf(() => np.pow(2, -1)), /^pow: integers cannot be raised to negative powers/);
    // A float base, or a non-integral exponent (a weak float), is fine.
    assert.equal(read(np.pow(F([2, 4]), -1)), [0.5, 0.25]);
    allClose(read(np.pow(I([4]), -0.5)), [0.5]);
    assert.equal(read(np.pow(I([2, 3]), 0)), [1, 1]);
  });
});

Jax('roll: shifts and axes broadcast together (NumPy and jax.numpy)', () => {
  tf.tidy(() => {
    assert.match(errorOf(() => np.roll(np.zeros([2, 3]), [1, 2, 3], [0, 1])), /^roll: 3 shifts and 2 axes do not broadcast together/);
    // No axes, no shifts: unchanged.
    assert.equal(read(np.roll(F([1, 2, 3]), [], [])), [1, 2, 3]);
    assert.equal(read(np.roll(F([1, 2, 3]), 1, [])), [1, 2, 3]);
  });
});

Jax.run();
