/**
 * Collectives under `vmap(f, { axisName })` against JAX's semantics (jax/_src/lax/parallel.py,
 * tests/batching_test.py):
 * - dtypes: psum of bool counts in int32, pmean of int32/bool is float32 (`psum(x) / n`),
 *   pmax/pmin of bool stay bool, psum of a JS integer is an int32; the same under jit;
 * - several axis names: axisIndex over ['i', 'j'] is the row-major position, axisSize the product;
 * - pytrees for allGather, ppermute and psumScatter (JAX maps them over the leaves);
 * - collectives inside lax.scan / cond / switch / whileLoop / remat bodies under vmap(axisName),
 *   values and gradients against the same program without control flow;
 * - shapes and values JAX defines: allGather's axis (negative, tiled), psumScatter,
 *   ppermute's partial permutations (zeros where nothing arrives), unmapped inputs.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, allGather, axisIndex, axisSize, grad, jit, lax, np, pmax, pmean, pmin, ppermute, psum, psumScatter, remat, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf, toNested } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
/** webgpu cannot read a loop predicate back synchronously (lax.whileLoop's impl needs it). */
const whileRuns = backend !== 'webgpu';

type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;
const f32 = (v: number[]) => np.array(v);
const on = (f: (...a: A[]) => unknown, opts: Parameters<typeof vmap>[1] = {}) => vmap(f, { axisName: 'i', ...opts });

// ---------------------------------------------------------------- dtypes

const DTypes = suite(`collectives-jax: dtypes [${backend}]`);

DTypes('pmean of int32 and of bool is float32, as JAX\'s psum(x) / n (it threw before)', async () => {
  for (const wrap of [(f: (v: A) => A) => f, (f: (v: A) => A) => jit(f) as (v: A) => A]) {
    const m = T(on(wrap((v) => pmean(v, 'i')))(np.array([1, 2, 4], 'int32')));
    assert.is(m.dtype, 'float32');
    await allCloseAsync(m, [7 / 3, 7 / 3, 7 / 3], { rtol: 1e-6 });
    const b = T(on(wrap((v) => pmean(v, 'i')))(np.array([true, false, true, true])));
    assert.is(b.dtype, 'float32');
    await allCloseAsync(b, [0.75, 0.75, 0.75, 0.75]);
  }
  // pmean of a JS number: psum(2) / n = 2.
  const c = T(on((_v: A) => pmean(2, 'i'))(f32([5, 6, 7])));
  assert.is(c.dtype, 'float32');
  assert.equal(await toNested(c), [2, 2, 2]);
});

DTypes('psum of bool counts the trues in int32 (JAX converts bool to int32 first), under jit too (jit threw before)', async () => {
  const x = np.array([true, false, true]);
  for (const f of [on((v) => psum(v, 'i')), on(jit((v: A) => psum(v, 'i'))), jit(on((v) => psum(v, 'i')))]) {
    const s = T(f(x));
    assert.is(s.dtype, 'int32');
    assert.equal(await toNested(s), [2, 2, 2]);
  }
});

DTypes('pmax / pmin of bool are an any / all and stay bool, eagerly and under jit (jit threw before)', async () => {
  const x = np.array([true, false, true]);
  for (const wrap of [(f: (v: A) => A) => f, (f: (v: A) => A) => jit(f) as (v: A) => A]) {
    const mx = T(on(wrap((v) => pmax(v, 'i')))(x));
    const mn = T(on(wrap((v) => pmin(v, 'i')))(x));
    assert.is(mx.dtype, 'bool');
    assert.is(mn.dtype, 'bool');
    assert.equal(await toNested(mx), [1, 1, 1]);
    assert.equal(await toNested(mn), [0, 0, 0]);
  }
});

DTypes('psum of a JS integer is an int32 (JAX: a Python int times the axis size), of a fraction a float32', async () => {
  const n = T(on((_v: A) => psum(1, 'i'))(f32([0, 0, 0, 0])));
  assert.is(n.dtype, 'int32');
  assert.equal(await toNested(n), [4, 4, 4, 4]);
  const h = T(on((_v: A) => psum(0.5, 'i'))(f32([0, 0, 0, 0])));
  assert.is(h.dtype, 'float32');
  assert.equal(await toNested(h), [2, 2, 2, 2]);
});

// ---------------------------------------------------------------- several axis names

const Names = suite(`collectives-jax: several axis names [${backend}]`);

const grid = () => np.reshape(np.arange(6, undefined, undefined, 'float32'), [2, 3]);
const nested = (f: (v: A) => A) => vmap(vmap(f, { axisName: 'j' }), { axisName: 'i' })(grid()) as tf.Tensor;

Names('psum / pmean / pmax over the inner, the outer and both names', async () => {
  assert.equal(await toNested(nested((v) => psum(v, 'j'))), [[3, 3, 3], [12, 12, 12]]);
  assert.equal(await toNested(nested((v) => psum(v, 'i'))), [[3, 5, 7], [3, 5, 7]]);
  assert.equal(await toNested(nested((v) => psum(v, ['i', 'j']))), [[15, 15, 15], [15, 15, 15]]);
  assert.equal(await toNested(nested((v) => pmax(v, ['j', 'i']))), [[5, 5, 5], [5, 5, 5]]);
  await allCloseAsync(nested((v) => pmean(v, ['i', 'j'])), [[2.5, 2.5, 2.5], [2.5, 2.5, 2.5]]);
});

Names('axisIndex over [i, j] is i * size(j) + j and axisSize the product (JAX\'s axis_index / axis_size of a tuple; threw before)', async () => {
  const idx = nested((_v) => axisIndex(['i', 'j']));
  assert.is(idx.dtype, 'int32');
  assert.equal(await toNested(idx), [[0, 1, 2], [3, 4, 5]]);
  assert.equal(await toNested(nested((_v) => axisIndex(['j', 'i']))), [[0, 2, 4], [1, 3, 5]]);
  assert.equal(await toNested(nested((v) => np.add(np.mul(v, 0), axisSize(['i', 'j'])))), [[6, 6, 6], [6, 6, 6]]);
  assert.is(errorOf(() => axisIndex([])), 'axisIndex: no axis name given');
  // A missing name (psum used as a plain reducer, psum(x)) said "axisName is not iterable".
  assert.is(errorOf(() => nested((v) => (psum as (x: unknown) => unknown)(v) as NdArray)), "psum: the axis name must be a string or a list of them, got none (as psum(x, 'batch') under vmap(f, { axisName: 'batch' }))");
  assert.is(
    errorOf(() => nested((_v) => axisIndex(['i', 'k']))),
    "axisIndex: axis name 'k' is not bound: call it inside vmap(f, { axisName: 'k' }) or pmap(..., { axisName: 'k' })",
  );
});

// ---------------------------------------------------------------- pytrees

const Trees = suite(`collectives-jax: pytrees [${backend}]`);

Trees('allGather, ppermute and psumScatter map over the leaves of a pytree, as JAX\'s (they crashed before)', async () => {
  const x = f32([1, 2, 3]);
  const g = on((v) => allGather({ a: v, b: [np.mul(v, 10)] }, 'i'))(x) as { a: tf.Tensor; b: tf.Tensor[] };
  assert.equal(await toNested(g.a), [[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  assert.equal(await toNested(g.b[0]!), [[10, 20, 30], [10, 20, 30], [10, 20, 30]]);
  const p = on((v) => ppermute([v, np.cast(v, 'int32')], 'i', [[0, 1], [1, 2], [2, 0]]))(x) as tf.Tensor[];
  assert.equal(await toNested(p[0]!), [3, 1, 2]);
  assert.is(p[1]!.dtype, 'int32');
  assert.equal(await toNested(p[1]!), [3, 1, 2]);
  const rows = np.reshape(np.arange(9, undefined, undefined, 'float32'), [3, 3]);
  const s = on((v) => psumScatter({ r: v }, 'i'))(rows) as { r: tf.Tensor };
  assert.equal(await toNested(s.r), [9, 12, 15]);
});

// ---------------------------------------------------------------- control flow

const Control = suite(`collectives-jax: collectives inside control flow under vmap(axisName) [${backend}]`);

const xs = () => f32([1, 2, 3, 4]);
/** sum over 2 steps of psum(row^2): the rows are x and 2x. */
const scanned = (v: A) => lax.scan((c: A, r: A) => [np.add(c, psum(np.square(r), 'i')), c] as [A, A], np.zeros([]), np.stack([v, np.mul(v, 2)]))[0] as A;
const unrolled = (v: A) => np.add(psum(np.square(v), 'i'), psum(np.square(np.mul(v, 2)), 'i'));

Control('lax.scan with psum / axisIndex in its body: values, grad (JAX: psum transposes to psum), jit (unbound axis before)', async () => {
  await allCloseAsync(T(on(scanned)(xs())), [150, 150, 150, 150]);
  await allCloseAsync(T(on(unrolled)(xs())), [150, 150, 150, 150]);
  // Each member's gradient of its loss: psum's transpose sums the 4 members' cotangents (4), times 2v + 8v.
  await allCloseAsync(T(on(grad(scanned))(xs())), [40, 80, 120, 160]);
  await allCloseAsync(T(on(grad(unrolled))(xs())), [40, 80, 120, 160]);
  await allCloseAsync(T(grad((v: A) => np.sum(on(scanned)(v) as A))(xs())), [40, 80, 120, 160]);
  await allCloseAsync(T(jit(on(grad(scanned)))(xs())), [40, 80, 120, 160]);
  // Nothing batched enters the body, yet axisIndex makes the carry per member.
  const counted = on((_v) => lax.scan((c: A, _r: A) => [np.add(c, axisIndex('i')), c] as [A, A], np.zeros([], 'int32'), np.zeros([3]))[0] as A)(xs());
  assert.equal(await toNested(T(counted)), [0, 3, 6, 9]);
  // Over the outer of two names, from inside the inner vmap's scan.
  const outer = vmap(vmap((v: A) => lax.scan((c: A, r: A) => [np.add(c, psum(r, 'i')), c] as [A, A], np.zeros([]), np.stack([v]))[0] as A, { axisName: 'j' }), { axisName: 'i' })(grid());
  assert.equal(await toNested(T(outer)), [[3, 5, 7], [3, 5, 7]]);
});

Control('lax.cond / switch with an unbatched index, a psum in a branch (unbound axis before)', async () => {
  const c = on((v, p) => lax.cond(p, (u: A) => psum(u, 'i'), (u: A) => u, v), { inAxes: [0, null] })(xs(), np.array(true));
  assert.equal(await toNested(T(c)), [10, 10, 10, 10]);
  const s = on((v, k) => lax.switch(k, [(u: A) => u, (u: A) => pmax(u, 'i')], v), { inAxes: [0, null] })(xs(), np.array(1, 'int32'));
  assert.equal(await toNested(T(s)), [4, 4, 4, 4]);
  // Unmapped operands, axisIndex in the chosen branch: the result is per member.
  const idx = on((v, p) => lax.cond(p, (u: A) => np.add(u, axisIndex('i')), (u: A) => u, v), { inAxes: [null, null], axisSize: 3 })(np.array(1, 'int32'), np.array(true));
  assert.equal(await toNested(T(idx)), [1, 2, 3]);
});

Control('remat around a psum: grad under vmap as without remat', async () => {
  const loss = (v: A) => np.sum(np.mul(psum(v, 'i'), v));
  const want = await toNested(T(on(grad(loss))(xs())));
  assert.equal(await toNested(T(on(grad(remat(loss)))(xs()))), want);
  assert.equal(want, [20, 20, 20, 20]);
});

Control('lax.whileLoop with axisIndex in its predicate, psum in its body', async () => {
  if (!whileRuns) return void console.log('  (skipped on webgpu: lax.whileLoop reads its predicate back synchronously)');
  const steps = on((_v) => lax.whileLoop((c: A) => np.less(c, axisIndex('i')), (c: A) => np.add(c, 1), np.zeros([], 'int32')))(xs());
  assert.equal(await toNested(T(steps)), [0, 1, 2, 3]);
  const summed = on((v) => lax.whileLoop((c: A) => np.less(c, 25), (c: A) => np.add(c, psum(v, 'i')), np.zeros([])))(xs());
  assert.equal(await toNested(T(summed)), [30, 30, 30, 30]);
});

// ---------------------------------------------------------------- JAX's shapes and values

const Shapes = suite(`collectives-jax: shapes and values JAX defines [${backend}]`);

Shapes('allGather: untiled stacks a new axis at `axis` (negative counts in the result), tiled concatenates along it', async () => {
  const x = np.reshape(np.arange(12, undefined, undefined, 'float32'), [3, 2, 2]);
  const shape = (axis: number, tiled: boolean) => T(on((v) => allGather(v, 'i', { axis, tiled }))(x)).shape;
  assert.equal(shape(0, false), [3, 3, 2, 2]);
  assert.equal(shape(2, false), [3, 2, 2, 3]);
  assert.equal(shape(-1, false), [3, 2, 2, 3]);
  assert.equal(shape(0, true), [3, 6, 2]);
  assert.equal(shape(-1, true), [3, 2, 6]);
  const m = np.array([[1, 2], [3, 4]]);
  assert.equal(await toNested(T(on((v) => allGather(v, 'i', { axis: -1 }))(m))), [[[1, 3], [2, 4]], [[1, 3], [2, 4]]]);
  assert.equal(await toNested(T(on((v) => allGather(v, 'i', { axis: 0, tiled: true }))(m))), [[1, 2, 3, 4], [1, 2, 3, 4]]);
  assert.is(errorOf(() => on((v) => allGather(v, 'i', { tiled: true }))(f32([1, 2]))), 'allGather: tiled needs an array of rank >= 1 to concatenate along, got f32[]');
});

Shapes('psumScatter: member k keeps slice (tiled: block) k of the sum; a dimension that does not fit is a one-line error', async () => {
  const x = np.reshape(np.arange(16, undefined, undefined, 'float32'), [4, 4]);
  // JAX's docstring: pmap(psum_scatter(x, 'i')) of arange(16).reshape(4, 4) is [24, 28, 32, 36].
  assert.equal(await toNested(T(on((v) => psumScatter(v, 'i'))(x))), [24, 28, 32, 36]);
  assert.equal(await toNested(T(on((v) => psumScatter(v, 'i', { tiled: true }))(x))), [[24], [28], [32], [36]]);
  const y = np.reshape(np.arange(12, undefined, undefined, 'float32'), [2, 3, 2]);
  assert.equal(await toNested(T(on((v) => psumScatter(v, 'i', { scatterDimension: -1 }))(y))), [[6, 10, 14], [8, 12, 16]]);
  assert.is(errorOf(() => on((v) => psumScatter(v, 'i'))(np.ones([2, 3]))), "psumScatter: dimension 0 of f32[3] must equal the size 2 of axis 'i'");
  assert.is(errorOf(() => on((v) => psumScatter(v, 'i'))(np.array([[true, false], [true, true]]))), 'psumScatter: expected a float32 or int32 array, got bool[2]');
});

Shapes('ppermute: members no pair sends to get zeros; a repeated source or destination is a one-line error', async () => {
  assert.equal(await toNested(T(on((v) => ppermute(v, 'i', [[0, 1], [1, 2]]))(xs()))), [0, 1, 2, 0]);
  assert.equal(await toNested(T(on((v) => ppermute(v, 'i', [[0, 1], [1, 0]]))(np.array([5, 6], 'int32')))), [6, 5]);
  assert.is(errorOf(() => on((v) => ppermute(v, 'i', [[0, 1], [0, 2]]))(xs())), 'ppermute: member 0 is a source twice in [[0,1],[0,2]]');
  assert.is(errorOf(() => on((v) => ppermute(v, 'i', [[0, 1], [2, 1]]))(xs())), 'ppermute: member 1 is a destination twice in [[0,1],[2,1]]');
  // The transpose is the inverse permutation: member 0's cotangent comes from member 1.
  const g = grad((v: A) => np.sum(np.mul(on((u) => ppermute(u, 'i', [[0, 1], [1, 2]]))(v) as A, f32([1, 2, 3, 4]))))(xs());
  assert.equal(await toNested(T(g)), [2, 3, 0, 0]);
});

Shapes('unmapped values: psum multiplies by the axis size, pmean and pmax keep them; axisSize with no mapped input', async () => {
  const r = on((v, w) => np.add(v, psum(w, 'i')), { inAxes: [0, null] })(xs(), f32([10, 20]));
  assert.equal(await toNested(T(r)), [[41, 81], [42, 82], [43, 83], [44, 84]]);
  assert.equal(await toNested(T(on((w) => psum(w, 'i'), { inAxes: null, axisSize: 3 })(f32([10, 20])))), [[30, 60], [30, 60], [30, 60]]);
  assert.equal(await toNested(T(on((w) => pmean(w, 'i'), { inAxes: null, axisSize: 3 })(f32([10, 20])))), [[10, 20], [10, 20], [10, 20]]);
  assert.equal(await toNested(T(on((w) => np.add(w, axisIndex('i')), { inAxes: null, axisSize: 3 })(np.array(10, 'int32')))), [10, 11, 12]);
});

DTypes.run();
Names.run();
Trees.run();
Control.run();
Shapes.run();
