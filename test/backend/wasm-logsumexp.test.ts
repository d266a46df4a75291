/**
 * reduce_logsumexp (lib/core/prims/logsumexp.ts) against float64: on wasm our fused kernel
 * (lib/backend/wasm-logsumexp.ts: contiguous groups and columns, padded to 4 lanes), on cpu
 * the composition of tfjs kernels. Shapes include 1 x N, N x 1, empty axes and reductions
 * longer than a summation block; values span float32's exponent range with NaN, ±inf and
 * all -inf slices.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import '../../lib/index.js'; // installs the eager evaluator
import * as lax from '../../lib/core/lax.js';
import { logSumExpWasm } from '../../lib/backend/wasm-logsumexp.js';
import { SUM_BLOCK } from '../../lib/backend/wasm-elementwise.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`reduce_logsumexp against float64 [${backend}]`);

/** log(sum(exp(x))) over `axes` of row-major data, in float64 (max-shifted). */
function reference(data: Float32Array, shape: readonly number[], axes: readonly number[]): number[] {
  const outShape = shape.filter((_, i) => !axes.includes(i));
  const n = outShape.reduce((a, b) => a * b, 1);
  const groups: number[][] = Array.from({ length: n }, () => []);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  data.forEach((v, flat) => {
    let o = 0;
    shape.forEach((d, i) => {
      if (!axes.includes(i)) o = o * d + (Math.floor(flat / strides[i]!) % d);
    });
    groups[o]!.push(v);
  });
  return groups.map((g) => {
    if (g.some(Number.isNaN)) return NaN;
    const m = Math.max(-Infinity, ...g);
    if (!Number.isFinite(m)) return m; // +inf, or all -inf / empty
    return m + Math.log(g.reduce((s, v) => s + Math.exp(v - m), 0));
  });
}

/**
 * Float32 results against float64: the max is exact, so the error is the sum's relative one
 * (a few roundings: blocked, compensated), the log's and the final addition's (ulps of the result).
 */
function close(got: ArrayLike<number>, want: readonly number[], what: string): void {
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= 4e-7 * Math.abs(w) + 2e-6;
    if (!ok) assert.unreachable(`${what}: element ${i} is ${g}, float64 ${w}`);
  }
}

/** Values: mostly spread over `scale`, with NaN, ±inf, -inf-only stretches and exponents far from 0 when asked. */
function values(n: number, seed: number, { scale, special }: { scale: number; special: boolean }): Float32Array {
  const r = fc.sample(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1, max: 1 }), { seed, numRuns: n });
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = r[i]! * scale;
    if (special && (i * 31 + seed) % 41 === 0) out[i] = [NaN, Infinity, -Infinity, -Infinity, 3e38, -3e38][(i + seed) % 6]!;
  }
  return out;
}

const shapeAndAxes = fc
  .oneof(
    fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 3 }),
    fc.constantFrom([1, 37], [37, 1], [1, 1], [3, 70], [70, 5], [2, 0, 3], [0, 4], [4 * SUM_BLOCK + 3, 8], [2, 3 * 4 * SUM_BLOCK + 4]).map((s) => [...s]),
  )
  .chain((shape) => fc.tuple(fc.constant(shape), fc.subarray([...shape.keys()], { minLength: 1 }), fc.constantFrom(1, 30, 1e4), fc.boolean(), fc.nat(1 << 20)));

test('random shapes and axes, wide values, NaN and infinities: within float32 rounding of float64', async () => {
  await fc.assert(
    fc.asyncProperty(shapeAndAxes, async ([shape, axes, scale, special, seed]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = values(n, seed, { scale, special });
      const before = tf.memory().numTensors;
      const x = tf.tensor(data, shape, 'float32');
      const y = lax.reduceLogSumExp(x, axes) as tf.Tensor;
      assert.equal(y.shape, shape.filter((_, i) => !axes.includes(i)));
      close(await y.data(), reference(data, shape, axes), `[${shape}] over [${axes}], scale ${scale}`);
      tf.dispose([x, y]);
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    }),
    { numRuns: 60 },
  );
});

test('all -inf and empty slices give -inf, a +inf +inf, a NaN NaN; large finite values do not overflow', async () => {
  const x = tf.tensor([[-Infinity, -Infinity, -Infinity, -Infinity], [Infinity, 1, -Infinity, 2], [NaN, 1, 2, 3], [3e38, 3e38, -3e38, 0], [-1e30, -1e30, -1e30, -1e30]]);
  const rows = lax.reduceLogSumExp(x, [1]) as tf.Tensor;
  const xt = tf.transpose(x);
  const cols = lax.reduceLogSumExp(xt, [0]) as tf.Tensor;
  const want = [-Infinity, Infinity, NaN, 3e38 + Math.log(2), -1e30];
  close(await rows.data(), want, 'rows');
  close(await cols.data(), want, 'columns');
  const none = tf.zeros([3, 0]);
  const empty = lax.reduceLogSumExp(none, [1]) as tf.Tensor;
  assert.equal(Array.from(await empty.data()), [-Infinity, -Infinity, -Infinity]);
  tf.dispose([x, xt, rows, cols, none, empty]);
});

test('sums far longer than a block keep float32 accuracy (1e6 equal terms: log(1e6) exactly rounded)', async () => {
  const x = tf.zeros([1_000_000]);
  const all = lax.reduceLogSumExp(x, [0]) as tf.Tensor;
  const x4 = tf.zeros([250_000, 4]);
  const cols = lax.reduceLogSumExp(x4, [0]) as tf.Tensor;
  assert.is((await all.data())[0], Math.fround(Math.log(1e6)));
  assert.equal(Array.from(await cols.data()), Array(4).fill(Math.fround(Math.log(250_000))));
  tf.dispose([x, x4, all, cols]);
});

if (backend === 'wasm') {
  test('the kernel itself, both geometries (contiguous groups, columns), against float64', async () => {
    for (const [groups, rows, cols] of [[3, 4, 1], [2, 4 * SUM_BLOCK * 3 + 8, 1], [5, 1, 4], [2, SUM_BLOCK * 2 + 5, 12], [1, 7, 8]] as const) {
      const data = values(groups * rows * cols, groups * 7 + rows, { scale: 50, special: true });
      const x = tf.tensor(data, [groups * rows * cols]);
      const y = logSumExpWasm(x, { groups, rows, cols });
      assert.equal(y.shape, [groups, cols]);
      close(await y.data(), reference(data, [groups, rows, cols], [1]), `[${groups}, ${rows}, ${cols}]`);
      tf.dispose([x, y]);
    }
    const six = tf.zeros([6]);
    assert.throws(() => logSumExpWasm(six, { groups: 1, rows: 6, cols: 1 }), /logSumExpWasm: input \[6\] as \[1, 6, 1\]/);
    six.dispose();
  });
}

test.run();
