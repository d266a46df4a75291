/**
 * Collectives over named axes under `vmap(f, { axisName })`: values against explicit sums,
 * maxima and gathers over the mapped axis; jvp and grad against finite differences and
 * against the same program written without collectives; JAX's transpose convention
 * (psum's cotangent is psummed); nested axes; jit around and inside; errors; memory.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, allGather, axisIndex, axisSize, grad, jit, jvp, makeJaxpr, np, pmax, pmean, pmin, ppermute, psum, psumScatter, vmap } from '../../lib/index.js';
import { allClose, allCloseAsync, errorOf, toNested } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
fc.configureGlobal({ includeErrorInReport: true });
const RUNS = backend === 'webgpu' ? 3 : 12;

type A = NdArray;
/** Members' values: [n, k] normal floats from a seed (n members of the axis, k entries each). */
const data = (n: number, k: number, seed: number) => tf.randomNormal([n, k], 0, 1, 'float32', seed);
const rows = async (t: A) => (await toNested(t as tf.Tensor)) as number[][];
const dims = fc.record({ n: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 3 }), seed: fc.integer({ min: 0, max: 1e6 }) });

// ---------------------------------------------------------------- values

const Values = suite(`collectives: values under vmap(axisName) [${backend}]`);

Values('psum, pmean, pmax, pmin: every member gets the reduction over the mapped axis', async () => {
  await fc.assert(
    fc.asyncProperty(dims, async ({ n, k, seed }) => {
      const x = data(n, k, seed);
      const xs = await rows(x);
      const col = (f: (v: number[]) => number) => Array.from({ length: k }, (_, j) => f(xs.map((r) => r[j])));
      const sum = col((v) => v.reduce((a, b) => a + b, 0));
      const cases: [string, (v: A) => A, number[]][] = [
        ['psum', (v) => psum(v, 'i'), sum],
        ['pmean', (v) => pmean(v, 'i'), sum.map((s) => s / n)],
        ['pmax', (v) => pmax(v, 'i'), col((v) => Math.max(...v))],
        ['pmin', (v) => pmin(v, 'i'), col((v) => Math.min(...v))],
      ];
      for (const [name, f, want] of cases) {
        const out = vmap(f, { axisName: 'i' })(x) as tf.Tensor;
        assert.equal(out.shape, [n, k], name);
        await allCloseAsync(out, Array.from({ length: n }, () => want), { rtol: 1e-5, atol: 1e-5 }, name);
        out.dispose();
      }
      x.dispose();
    }),
    { numRuns: RUNS },
  );
});

Values('psum, pmean, pmax, pmin take a pytree of arrays, reducing each leaf (as JAX\'s collectives do), and its gradient', async () => {
  const x = np.array([1, 3, 2]);
  const out = vmap((v: A) => psum({ a: v, b: [np.mul(v, 2)] }, 'i'), { axisName: 'i' })(x) as { a: tf.Tensor; b: tf.Tensor[] };
  await allCloseAsync(out.a, [6, 6, 6]);
  await allCloseAsync(out.b[0], [12, 12, 12]);
  const m = vmap((v: A) => pmean([v, np.square(v)], 'i'), { axisName: 'i' })(x) as tf.Tensor[];
  await allCloseAsync(m[1], [14 / 3, 14 / 3, 14 / 3]);
  const mx = vmap((v: A) => pmax({ v }, 'i'), { axisName: 'i' })(x) as { v: tf.Tensor };
  await allCloseAsync(mx.v, [3, 3, 3]);
  // The 3 members each give psum(x)·psum(2x) = 2S², S = sum(x) = 6: the total 6S² has gradient 12S = 72 in every entry.
  const g = grad((v: A) => np.sum(vmap((u: A) => { const s = psum({ p: u, q: np.mul(u, 2) }, 'i'); return np.mul(s.p, s.q); }, { axisName: 'i' })(v)))(x) as tf.Tensor;
  await allCloseAsync(g, [72, 72, 72]);
});

Values('allGather stacks (or, tiled, concatenates) every member in index order; axisIndex counts members', async () => {
  await fc.assert(
    fc.asyncProperty(dims, async ({ n, k, seed }) => {
      const x = data(n, k, seed);
      const xs = await rows(x);
      const each = <T>(v: T) => Array.from({ length: n }, () => v);
      const g0 = vmap((v: A) => allGather(v, 'i'), { axisName: 'i' })(x) as tf.Tensor;
      assert.equal(await toNested(g0), each(xs));
      const g1 = vmap((v: A) => allGather(v, 'i', { axis: 1 }), { axisName: 'i' })(x) as tf.Tensor;
      assert.equal(await toNested(g1), each(xs[0].map((_, j) => xs.map((r) => r[j]))));
      const gt = vmap((v: A) => allGather(v, 'i', { tiled: true }), { axisName: 'i' })(x) as tf.Tensor;
      assert.equal(await toNested(gt), each(xs.flat()));
      const idx = vmap((v: A) => np.add(axisIndex('i'), np.zeros([], 'int32')), { axisName: 'i' })(x) as tf.Tensor;
      assert.equal(await toNested(idx), [...Array(n).keys()]);
      tf.dispose([x, g0, g1, gt, idx]);
    }),
    { numRuns: RUNS },
  );
});

Values('a value the mapped axis does not vary: psum multiplies by the axis size, pmax keeps it, allGather repeats it', async () => {
  const x = np.array([1, 2, 3]);
  const c = np.array([5, 7]);
  const f = (_v: A) => [psum(c, 'i'), pmax(c, 'i'), allGather(c, 'i'), psum(1, 'i'), np.array(axisSize('i'))];
  const [s, m, g, one, size] = vmap(f, { axisName: 'i' })(x) as tf.Tensor[];
  assert.equal(await toNested(s), [[15, 21], [15, 21], [15, 21]]);
  assert.equal(await toNested(m), [[5, 7], [5, 7], [5, 7]]);
  assert.equal(await toNested(g), [[[5, 7], [5, 7], [5, 7]], [[5, 7], [5, 7], [5, 7]], [[5, 7], [5, 7], [5, 7]]]);
  assert.equal(await toNested(one), [3, 3, 3]);
  assert.equal(await toNested(size), [3, 3, 3]);
});

Values('int32: psum and allGather keep the dtype and exact values', async () => {
  const x = np.array([[1, -2], [30, 4], [5, 600]], 'int32');
  const s = vmap((v: A) => psum(v, 'i'), { axisName: 'i' })(x) as tf.Tensor;
  assert.is(s.dtype, 'int32');
  assert.equal(await toNested(s), [[36, 602], [36, 602], [36, 602]]);
  const g = vmap((v: A) => allGather(v, 'i', { tiled: true }), { axisName: 'i' })(x) as tf.Tensor;
  assert.is(g.dtype, 'int32');
  assert.equal(((await toNested(g)) as number[][])[1], [1, -2, 30, 4, 5, 600]);
});

// ---------------------------------------------------------------- nested axes

const Nested = suite(`collectives: nested named axes [${backend}]`);

Nested('inner and outer axes: psum over each, over both, allGather across the outer from the inner, both indices', async () => {
  const m = np.reshape(np.arange(6, undefined, undefined, 'float32'), [2, 3]); // outer 'i' of 2, inner 'j' of 3
  const run = (f: (v: A) => A) => vmap(vmap(f, { axisName: 'j' }), { axisName: 'i' })(m) as tf.Tensor;
  assert.equal(await toNested(run((v) => psum(v, 'j'))), [[3, 3, 3], [12, 12, 12]]);
  assert.equal(await toNested(run((v) => psum(v, 'i'))), [[3, 5, 7], [3, 5, 7]]);
  assert.equal(await toNested(run((v) => psum(v, ['i', 'j']))), [[15, 15, 15], [15, 15, 15]]);
  assert.equal(await toNested(run((v) => pmax(v, ['j', 'i']))), [[5, 5, 5], [5, 5, 5]]);
  assert.equal(await toNested(run((v) => allGather(v, 'i'))), [[[0, 3], [1, 4], [2, 5]], [[0, 3], [1, 4], [2, 5]]]);
  const ij = run(() => np.add(np.mul(axisIndex('i'), 10), axisIndex('j')));
  assert.equal(await toNested(ij), [[0, 1, 2], [10, 11, 12]]);
  // The same name twice: the innermost binding wins.
  const shadow = vmap(vmap((v: A) => psum(v, 'i'), { axisName: 'i' }), { axisName: 'i' })(m) as tf.Tensor;
  assert.equal(await toNested(shadow), [[3, 3, 3], [12, 12, 12]]);
});

// ---------------------------------------------------------------- derivatives

const Deriv = suite(`collectives: derivatives [${backend}]`);

/** A program over a member's x: every collective, nonlinearly mixed. */
function member(v: A): A {
  const s = psum(np.square(v), 'i');
  const g = allGather(np.sin(v), 'i', { tiled: true });
  return np.add(np.mul(np.tanh(v), s), np.add(np.mul(pmax(v, 'i'), pmin(np.mul(v, 0.5), 'i')), np.sum(np.mul(g, g))));
}
/** The same program on all members' X [n, k] at once, written with plain reductions. */
function explicit(x: A): A {
  const n = x.shape[0];
  const s = np.sum(np.square(x), 0, true);
  const g = np.reshape(np.sin(x), [-1]);
  const mm = np.mul(np.max(x, 0, true), np.min(np.mul(x, 0.5), 0, true));
  return np.add(np.mul(np.tanh(x), s), np.add(np.broadcastTo(mm, x.shape), np.mul(np.ones([n, 1]), np.sum(np.mul(g, g)))));
}
const mapped = (x: A) => vmap(member, { axisName: 'i' })(x) as A;
/** A member's scalar loss: its share of the members' total. */
const memberLoss = (v: A) => np.sum(member(v));
const total = (f: (x: A) => A) => (x: A) => np.sum(f(x));

/** Central differences of sum(F(X)) in each coordinate (float32 F, step h). */
async function numericGrad(F: (x: A) => A, x: number[][], h = 1e-2): Promise<number[][]> {
  const at = async (d: number[][]) => {
    const t = tf.tensor(d);
    const v = (await (np.sum(F(t)) as tf.Tensor).data())[0];
    t.dispose();
    return v;
  };
  const out: number[][] = [];
  for (let r = 0; r < x.length; r++) {
    out.push([]);
    for (let c = 0; c < x[r].length; c++) {
      const plus = x.map((row) => [...row]);
      const minus = x.map((row) => [...row]);
      plus[r][c] += h;
      minus[r][c] -= h;
      out[r].push(((await at(plus)) - (await at(minus))) / (2 * h));
    }
  }
  return out;
}

/** Members' values whose extrema are separated (pmax/pmin are not differentiable at ties). */
const separated = (xs: number[][]) => xs[0].every((_, j) => {
  const v = xs.map((r) => r[j]).sort((a, b) => a - b);
  return v.every((e, i) => i === 0 || e - v[i - 1] > 0.1);
});

Deriv('the mapped program equals the explicit one; jvp and grad (inside and outside vmap) equal its derivatives and finite differences', async () => {
  await fc.assert(
    fc.asyncProperty(dims, async ({ n, k, seed }) => {
      const x = data(n, k, seed);
      const xs = await rows(x);
      fc.pre(separated(xs));
      await allCloseAsync(mapped(x) as tf.Tensor, explicit(x) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 }, 'value');
      const t = data(n, k, seed + 1);
      const [, tm] = jvp(mapped, [x], [t]);
      const [, te] = jvp(explicit, [x], [t]);
      await allCloseAsync(tm as tf.Tensor, te as tf.Tensor, { rtol: 1e-4, atol: 1e-4 }, 'jvp vs explicit');
      // Finite differences of the tangent: (F(x + h t) - F(x - h t)) / 2h.
      const h = 1e-2;
      const fd = np.div(np.sub(mapped(np.add(x, np.mul(t, h))), mapped(np.sub(x, np.mul(t, h)))), 2 * h);
      await allCloseAsync(tm as tf.Tensor, fd as tf.Tensor, { rtol: 2e-2, atol: 2e-2 }, 'jvp vs finite differences');
      // grad inside vmap: the gradient of the members' total (psum's cotangent is psummed).
      const inside = vmap(grad(memberLoss), { axisName: 'i' })(x) as tf.Tensor;
      const outside = grad(total(mapped))(x) as tf.Tensor;
      const ref = grad(total(explicit))(x) as tf.Tensor;
      await allCloseAsync(outside, ref, { rtol: 1e-4, atol: 1e-4 }, 'grad outside vmap vs explicit');
      await allCloseAsync(inside, ref, { rtol: 1e-4, atol: 1e-4 }, 'grad inside vmap vs explicit');
      allClose(await rows(inside), await numericGrad(mapped, xs), { rtol: 2e-2, atol: 2e-2 }, 'grad vs finite differences');
    }),
    { numRuns: backend === 'webgpu' ? 2 : 6 },
  );
});

Deriv("JAX's convention: grad(x => psum(x, 'i')) under an axis of size 4 is 4 (psum transposes to psum)", async () => {
  const g = vmap(grad((v: A) => psum(v, 'i')), { axisName: 'i' })(np.ones([4])) as tf.Tensor;
  assert.equal(await toNested(g), [4, 4, 4, 4]);
  // pmean's is 1: the mean's cotangents are averaged.
  const gm = vmap(grad((v: A) => pmean(np.square(v), 'i')), { axisName: 'i' })(np.array([1, 2, 3, 4])) as tf.Tensor;
  assert.equal(await toNested(gm), [2, 4, 6, 8]);
});

Deriv('allGather: its cotangent is the member slice of the summed cotangent (reduce-scatter), tiled or not', async () => {
  const w = np.array([[1, 2], [3, 4], [5, 6]]);
  const x = np.array([[0.5, -1], [2, 0], [1, 1]]);
  for (const tiled of [false, true]) {
    const f = (v: A) => np.sum(np.mul(np.reshape(allGather(v, 'i', { tiled }), [3, 2]), w));
    const g = vmap(grad(f), { axisName: 'i' })(x) as tf.Tensor;
    // Each of the 3 members' loss sees every member's x against w: d(total)/dx_j = 3 w_j.
    assert.equal(await toNested(g), [[3, 6], [9, 12], [15, 18]], `tiled ${tiled}`);
  }
});

Deriv('ppermute: values move from source to destination (zeros where none arrives); the cotangent goes back along the inverse permutation', async () => {
  const x = np.array([[1, 2], [3, 4], [5, 6]]);
  const ring = [[0, 1], [1, 2], [2, 0]] as const;
  assert.equal(await toNested(vmap((v: A) => ppermute(v, 'i', ring), { axisName: 'i' })(x) as tf.Tensor), [[5, 6], [1, 2], [3, 4]]);
  assert.equal(await toNested(vmap((v: A) => ppermute(v, 'i', [[0, 2]]), { axisName: 'i' })(x) as tf.Tensor), [[0, 0], [0, 0], [1, 2]]);
  // An argument the axis does not map is every member's value.
  const c = vmap((v: A, u: A) => np.add(ppermute(u, 'i', [[1, 0]]), np.mul(v, 0)), { axisName: 'i', inAxes: [0, null] })(x, np.array([7, 8])) as tf.Tensor;
  assert.equal(await toNested(c), [[7, 8], [0, 0], [0, 0]]);
  const w = np.array([[1, 0], [0, 1], [1, 1]]);
  // Member k's x lands on member dest(k), whose loss weighs it by w[dest(k)].
  const g = vmap(grad((v: A, wi: A) => np.sum(np.mul(ppermute(v, 'i', ring), wi))), { axisName: 'i' })(x, w) as tf.Tensor;
  assert.equal(await toNested(g), [[0, 1], [1, 1], [1, 0]]);
  const [, t] = jvp((v: A) => vmap((u: A) => ppermute(u, 'i', ring), { axisName: 'i' })(v), [x], [np.mul(x, 10)]);
  assert.equal(await toNested(t as tf.Tensor), [[50, 60], [10, 20], [30, 40]]);
  assert.equal(await toNested(jit(vmap((v: A) => ppermute(v, 'i', ring), { axisName: 'i' }))(x) as tf.Tensor), [[5, 6], [1, 2], [3, 4]]);
});

Deriv('psumScatter: member i keeps slice i of the members\' sum (tiled: block i); its cotangent is the all-gathered cotangent', async () => {
  const x = np.reshape(np.arange(0, 18, 1, 'float32'), [3, 3, 2]);
  const sum = await toNested(np.sum(x, 0) as tf.Tensor);
  assert.equal(await toNested(vmap((v: A) => psumScatter(v, 'i'), { axisName: 'i' })(x) as tf.Tensor), sum);
  const flat = np.reshape(x, [3, 6]);
  assert.equal(await toNested(vmap((v: A) => psumScatter(v, 'i', { tiled: true }), { axisName: 'i' })(flat) as tf.Tensor), sum);
  const byColumn = vmap((v: A) => psumScatter(v, 'i', { scatterDimension: 1 }), { axisName: 'i' })(np.transpose(x, [0, 2, 1])) as tf.Tensor;
  assert.equal(await toNested(byColumn), sum);
  const w = np.reshape(np.arange(0, 6, 1, 'float32'), [3, 2]);
  const g = vmap(grad((v: A, wi: A) => np.sum(np.mul(psumScatter(v, 'i'), wi))), { axisName: 'i' })(x, w) as tf.Tensor;
  assert.equal(await toNested(g), [await toNested(w), await toNested(w), await toNested(w)]);
  assert.is(errorOf(() => vmap((v: A) => psumScatter(v, 'i'), { axisName: 'i' })(np.ones([3, 2]))), "psumScatter: dimension 0 of f32[2] must equal the size 3 of axis 'i'");
  assert.is(errorOf(() => vmap((v: A) => ppermute(v, 'i', [[0, 1], [2, 1]]), { axisName: 'i' })(x)), 'ppermute: member 1 is a destination twice in [[0,1],[2,1]]');
  assert.is(errorOf(() => vmap((v: A) => ppermute(v, 'i', [[0, 3]]), { axisName: 'i' })(x)), "ppermute: each pair must be [source, destination] with indices in [0, 3) (the size of axis 'i'), got [0,3]");
});

Deriv('pmax shares the derivative equally among tied members', async () => {
  const g = vmap(grad((v: A) => pmax(v, 'i')), { axisName: 'i' })(np.array([3, 1, 3])) as tf.Tensor;
  // Three members' outputs, each the max: total cotangent 3, split over the two tied maxima.
  assert.equal(await toNested(g), [1.5, 0, 1.5]);
});

// ---------------------------------------------------------------- jit

const Jit = suite(`collectives: jit around and inside vmap(axisName) [${backend}]`);

Jit('jit(vmap(f)) and vmap(jit(f)) equal the eager vmap; grad under jit too', async () => {
  const x = data(3, 2, 7);
  const eager = mapped(x) as tf.Tensor;
  await allCloseAsync(jit(mapped)(x) as tf.Tensor, eager, { rtol: 1e-5, atol: 1e-5 }, 'jit(vmap)');
  await allCloseAsync(vmap(jit(member), { axisName: 'i' })(x) as tf.Tensor, eager, { rtol: 1e-5, atol: 1e-5 }, 'vmap(jit)');
  const g = grad(total(mapped))(x) as tf.Tensor;
  await allCloseAsync(jit(vmap(grad(memberLoss), { axisName: 'i' }))(x) as tf.Tensor, g, { rtol: 1e-4, atol: 1e-4 }, 'jit(vmap(grad))');
  // Under vmap the collectives are plain reductions in the traced program.
  const j = makeJaxpr(vmap((v: A) => psum(v, 'i'), { axisName: 'i' }))(x);
  assert.ok(/reduce_sum/.test(String(j)) && !/psum/.test(String(j)), String(j));
  j.dispose();
});

// ---------------------------------------------------------------- errors and memory

const Errors = suite(`collectives: errors and memory [${backend}]`);

Errors('a collective outside any binding of its axis names the axis and the collective', () => {
  const x = np.array([1, 2]);
  const hint = (op: string, name: string) => `${op}: axis name '${name}' is not bound: call it inside vmap(f, { axisName: '${name}' }) or pmap(..., { axisName: '${name}' })`;
  assert.is(errorOf(() => psum(x, 'i')), hint('psum', 'i'));
  assert.is(errorOf(() => pmean(x, 'i')), hint('pmean', 'i'));
  assert.is(errorOf(() => allGather(x, 'batch')), hint('allGather', 'batch'));
  assert.is(errorOf(() => axisIndex('i')), hint('axisIndex', 'i'));
  assert.is(errorOf(() => vmap((v: A) => psum(v, 'j'), { axisName: 'i' })(x)), hint('psum', 'j'));
  assert.is(errorOf(() => jit((v: A) => pmax(v, 'i'))(x)), hint('pmax', 'i'));
  assert.is(errorOf(() => vmap((v: A) => allGather(v, 'i', { axis: 2 }), { axisName: 'i' })(x)), 'allGather: axis 2 is out of range for an array of rank 1');
  assert.is(errorOf(() => vmap((v: A) => v, { axisName: '' })(x)), 'vmap: axisName must be a non-empty string, got ""');
});

Errors('no tensors leak from vmap/grad/jit with collectives', () => {
  const x = data(3, 2, 11);
  const f = jit(vmap(grad(memberLoss), { axisName: 'i' }));
  f(x).dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 2; i++) {
    tf.dispose([mapped(x) as tf.Tensor, vmap(grad(memberLoss), { axisName: 'i' })(x) as tf.Tensor, grad(total(mapped))(x) as tf.Tensor, f(x) as tf.Tensor]);
  }
  assert.is(tf.memory().numTensors, before);
  x.dispose();
});

Values.run();
Nested.run();
Deriv.run();
Jit.run();
Errors.run();
