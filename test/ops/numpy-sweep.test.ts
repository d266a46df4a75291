/**
 * A sweep of np against jax.numpy's public names and NumPy's edge cases (values from
 * tools/numpy-fixtures-sweep.py in test/fixtures/numpy_sweep.json, NumPy 2): the functions
 * added for missing jax.numpy names (gradient, nancumsum/nancumprod, cumulative_sum/prod,
 * diagflat, fill_diagonal, diag_indices_from, mask_indices, histogram_bin_edges, vecmat,
 * array_equiv, polydiv, poly, float_power, ldexp, bitwise_count, place, block, the unique_*
 * family, NumPy's and the array API's other names), and three fixes: where(cond) alone
 * (nonzero), concatenate with axis null (flattened), unique with an axis.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { type NumericLike, allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const S = suite(`np sweep [${backend}]`);

interface Rec {
  readonly shape: number[];
  readonly dtype: string;
  readonly values: (number | boolean | null)[];
}
type Want = Rec | readonly Want[];
const fx = JSON.parse(readFileSync(new URL('../fixtures/numpy_sweep.json', import.meta.url), 'utf8')) as Record<string, Want>;

const f = (v: NumericLike) => np.array(v as number[], 'float32');
const i = (v: NumericLike) => np.array(v as number[], 'int32');

/** A result: an array or (nested) lists of them. */
type Out = NdArray | readonly Out[];

/** Each case calls tfjax as the fixture's case of the same name calls NumPy. */
const CASES: Record<string, () => Out> = {
  where1_2d: () => np.where(f([[0, 1], [2, 0]])),
  where_1arg: () => np.where(f([0, 1, 0, 2])),
  concat_none: () => np.concatenate([np.reshape(np.arange(4), [2, 2]), f([9])], null),
  unique_axis0: () => np.unique(i([[1, 0, 0], [1, 0, 0], [2, 3, 4]]), { axis: 0 }),
  unique_axis1: () => np.unique(i([[1, 0, 1], [2, 3, 2]]), { axis: 1, returnIndex: true, returnInverse: true, returnCounts: true }),
  gradient_1d: () => np.gradient(f([1, 2, 4, 7, 11])),
  gradient_e2: () => np.gradient(f([1, 2, 4, 7, 11]), { edgeOrder: 2 }),
  gradient_coords_e2: () => np.gradient(f([1, 2, 4, 7, 11]), f([0, 1, 1.5, 3.5, 4]), { edgeOrder: 2 }),
  gradient_2d: () => np.gradient(f([[1, 2, 6], [3, 4, 5]]), 2, f([1, 2, 4])),
  gradient_axis: () => np.gradient(i([[1, 2, 6], [3, 4, 5]]), { axis: -1 }),
  gradient_axes_spacing: () => np.gradient(f([[1, 2, 6], [3, 4, 5]]), 3, { axis: [1, 0] }),
  nancumsum: () => np.nancumsum(f([[1, NaN], [2, 3]]), 0),
  nancumprod: () => np.nancumprod(f([1, NaN, 2, 3])),
  nancumsum_int: () => np.nancumsum(i([1, 2])),
  cumulative_sum_init: () => np.cumulativeSum(i([[1, 2], [3, 4]]), { axis: 1, includeInitial: true }),
  cumulative_prod: () => np.cumulativeProd(f([1, 2, 3])),
  diagflat: () => np.diagflat(f([[1, 2], [3, 4]]), 1),
  fill_diag_tall: () => np.fillDiagonal(np.zeros([4, 3]), f([1, 2])),
  fill_diag_3d: () => np.fillDiagonal(np.zeros([2, 2, 2], 'int32'), 7.9),
  diag_idx_from: () => np.diagIndicesFrom(np.zeros([3, 3])),
  mask_indices: () => np.maskIndices(3, np.triu, 1),
  hist_edges: () => np.histogramBinEdges(f([1, 2, 5]), 4),
  hist_edges_range: () => np.histogramBinEdges(f([1, 2, 5]), 2, [0, 10]),
  vecmat: () => np.vecmat(f([[1, 2], [3, 4]]), f([[1, 0, 1], [2, 1, 0]])),
  array_equiv: () => [np.arrayEquiv(f([1, 2]), f([[1, 2], [1, 2]])), np.arrayEquiv(f([1, 2]), f([[1, 2], [1, 3]])), np.arrayEquiv(f([1, 2]), f([1, 2, 3]))],
  polydiv: () => np.polydiv(f([3, 5, 2]), f([2, 1])),
  poly: () => np.poly(f([1, 2, 3])),
  float_power: () => np.floatPower(i([2, 3]), i([-1, 2])),
  ldexp: () => np.ldexp(f([1, 3, 1e-30]), i([3, -1, 120])),
  ldexp_num: () => np.ldexp(5, -2),
  bitwise_count: () => np.bitwiseCount(i([7, -3, 0, -2147483648, 2147483647])),
  place: () => np.place(np.reshape(np.arange(6), [2, 3]), f([[0, 1, 0], [1, 1, 1]]), i([9, 8])),
  block2d: () => np.block([[np.ones([2, 2]), np.zeros([2, 1])], [f([[5, 6, 7]])]]),
  block1d: () => np.block([f([1, 2]), 3]),
  block_depth: () => np.block([[f([1, 2])], [f([3, 4])]]),
  unique_counts: () => ((u) => [u.values, u.counts])(np.uniqueCounts(f([NaN, 1, NaN, 1]))),
  unique_all: () => ((u) => [u.values, u.indices, u.inverseIndices, u.counts])(np.uniqueAll(i([[3, 1], [3, 2]]))),
  fabs_int: () => np.fabs(i([-2, 3])),
  amax: () => np.amax(f([[1, 5], [3, 2]]), 0),
  permute_dims: () => np.permuteDims(np.zeros([2, 3, 4]), [2, 0, 1]),
};

/** Asserts shape, dtype and values (NaN matches NaN; null in the fixture is NaN) of a result against NumPy's. */
async function check(got: Out, want: Want, what: string): Promise<void> {
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${what}: a list of ${want.length} arrays expected`);
    const list = got as readonly Out[];
    assert.is(list.length, want.length, `${what}: list length`);
    for (let k = 0; k < want.length; k++) await check(list[k], want[k], `${what}[${k}]`);
    return;
  }
  const w = want as Rec;
  const t = got as tf.Tensor;
  assert.equal([...t.shape], w.shape, `${what}: shape`);
  assert.is(t.dtype, w.dtype, `${what}: dtype`);
  const values = w.values.map((v) => (v === null ? NaN : Number(v)));
  allClose(Array.from(await t.data(), Number), values, { rtol: 1e-6, atol: 1e-6 }, what);
}

for (const [name, run] of Object.entries(CASES))
  S(`${name} matches NumPy`, async () => {
    assert.ok(fx[name] !== undefined, `no fixture for ${name}`);
    await check(run(), fx[name], name);
  });

S('where(cond) with size traces under jit (nonzero padded with fillValue)', async () => {
  const rows = jit((m: NdArray) => np.where(m, { size: 3, fillValue: -1 })[0]);
  allClose(Array.from(await (rows(f([0, 2, 0, 5])) as tf.Tensor).data()), [1, 3, -1], {}, 'where(m, { size:  3 })');
  const twoArgs = np.where as unknown as (c: NdArray, x: NdArray) => NdArray;
  assert.match(errorOf(() => twoArgs(f([1]), f([1]))), 'give cond, x and y, or cond alone');
});

S('gradient: jit and grad go through it; too few samples and bad spacing are one-line errors', async () => {
  const xs = f([0, 1, 1.5, 3.5, 4]);
  const g = jit((y: NdArray, x: NdArray) => np.gradient(y, x) as NdArray);
  allClose(Array.from(await (g(f([1, 2, 4, 7, 11]), xs) as tf.Tensor).data()), [1, 3, 3.5, 6.7, 8], { rtol: 1e-5 }, 'jit(gradient)');
  // sum(gradient(y)) = (y1 - y0) + (y2 - y0)/2 + (y3 - y1)/2 + (y4 - y2)/2 + (y4 - y3): its derivative in y is [-1.5, 0.5, 0, -0.5, 1.5].
  const dy = grad((y: NdArray) => np.sum(np.gradient(y) as NdArray))(f([1, 2, 4, 7, 11]));
  allClose(Array.from(await (dy as tf.Tensor).data()), [-1.5, 0.5, 0, -0.5, 1.5], {}, 'grad(sum(gradient))');
  assert.match(errorOf(() => np.gradient(f([1]))), 'gradient: axis 0 of shape [1] needs at least 2 samples');
  assert.match(errorOf(() => np.gradient(f([1, 2, 3]), { edgeOrder: 2 }) && np.gradient(f([1, 2]), { edgeOrder: 2 })), 'needs at least 3 samples for edgeOrder 2');
  assert.match(errorOf(() => np.gradient(f([1, 2, 3]), f([0, 1]))), 'gradient: spacing [2] for axis 0 must be a scalar or 1-D of length 3');
  assert.match(errorOf(() => np.gradient(f([[1, 2], [3, 4]]), 1, 2, 3)), 'gradient: 3 spacings given for 2 axes');
});

S('cumulativeSum needs an axis past 1-D; block needs evenly nested lists; unique with an axis reads values', async () => {
  assert.match(errorOf(() => np.cumulativeSum(i([[1, 2], [3, 4]]))), 'cumulativeSum: axis is required for an array of rank 2');
  assert.match(errorOf(() => np.cumulativeProd(f(2))), 'cumulativeProd: x must have at least one axis');
  assert.match(errorOf(() => np.block([[f([1])], f([2])])), 'block: the lists at the top are not all nested to the same depth');
  assert.match(errorOf(() => jit((x: NdArray) => np.unique(x, { axis: 0 }) as NdArray)(f([[1], [1]]))), 'unique: with an axis the result');
  assert.match(errorOf(() => np.fillDiagonal(np.zeros([2, 3, 3]), 1)), 'fillDiagonal: every axis must have the same length');
  assert.match(errorOf(() => np.ldexp(f([1]), f([0.5]))), 'ldexp: the exponent x2 must be an integer');
});

S('aliases are the same functions: np.var, np.delete, divide, multiply, subtract, power, negative, acos, invert', () => {
  assert.is(np.var, np.variance);
  assert.is(np.delete, np.deleteAt);
  assert.is(np.divide, np.div);
  assert.is(np.trueDivide, np.div);
  assert.is(np.multiply, np.mul);
  assert.is(np.subtract, np.sub);
  assert.is(np.power, np.pow);
  assert.is(np.negative, np.neg);
  assert.is(np.acos, np.arccos);
  assert.is(np.atan2, np.arctan2);
  assert.is(np.invert, np.bitwiseNot);
  assert.is(np.absolute, np.abs);
  assert.is(np.concat, np.concatenate);
  assert.equal([np.ndim(np.zeros([2, 3])), np.size(np.zeros([2, 3])), np.size(np.zeros([2, 3]), -1), np.ndim(3)], [2, 6, 3, 0]);
  assert.equal([np.isscalar(3), np.isscalar(f(1)), np.isscalar(f([1]))], [true, true, false]);
});

S('floatPower and ldexp of plain numbers are float32 (2 ** -1 is 0.5, not an int32 power)', async () => {
  const p = np.floatPower(2, -1) as tf.Tensor;
  assert.is(p.dtype, 'float32');
  allClose(Array.from(await p.data()), [0.5], {}, 'floatPower(2, -1)');
  allClose(Array.from(await (np.ldexp(3, -2) as tf.Tensor).data()), [0.75], {}, 'ldexp(3, -2)');
});

S.run();
