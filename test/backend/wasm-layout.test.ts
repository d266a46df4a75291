/**
 * Data movement on wasm (lib/core/lower/wasm-kernels.ts): transposes of more than four
 * merged axes as rank-4 moves (lib/core/lower/transpose-steps.ts), and unit-stride slices
 * as rows of contiguous memory (lib/backend/wasm-slice.ts), against an index-by-index
 * reference: exact, NaN and infinities included, eagerly, under jit and under grad (the
 * backward of a slice is a pad, of a transpose the inverse transpose). On cpu the same
 * checks run tfjs's kernels.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as lax from '../../lib/core/lax.js';
import { transposeSteps } from '../../lib/core/lower/transpose-steps.js';
import { sliceRowsViewOf } from '../../lib/backend/wasm-slice.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`wasm data movement: transposes and slices [${backend}]`);

const sizeOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
const stridesOf = (shape: readonly number[]) => shape.map((_, i) => sizeOf(shape.slice(i + 1)));

/** y = x.transpose(perm), row-major, index by index. */
function transposeRef(x: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): number[] {
  const out = perm.map((p) => shape[p]!);
  const xs = stridesOf(shape);
  const os = stridesOf(out);
  return Array.from({ length: sizeOf(out) }, (_, flat) => x[perm.reduce((o, p, i) => o + (Math.floor(flat / os[i]!) % out[i]!) * xs[p]!, 0)]!);
}

/** y = x[start:limit], row-major. */
function sliceRef(x: ArrayLike<number>, shape: readonly number[], start: readonly number[], limit: readonly number[]): number[] {
  const out = limit.map((l, i) => l - start[i]!);
  const xs = stridesOf(shape);
  const os = stridesOf(out);
  return Array.from({ length: sizeOf(out) }, (_, flat) => x[out.reduce((o, _d, i) => o + (start[i]! + (Math.floor(flat / os[i]!) % out[i]!)) * xs[i]!, 0)]!);
}

/** Distinct values (so a misplaced element shows), with NaN and infinities where asked. */
function values(n: number, special: boolean): Float32Array {
  const v = Float32Array.from({ length: n }, (_, i) => i * 0.5 - 3);
  if (special) for (let i = 0; i < n; i += 7) v[i] = [NaN, Infinity, -Infinity][(i / 7) % 3]!;
  return v;
}

function same(got: ArrayLike<number>, want: readonly number[], what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.unreachable(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
}

const shapes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 });
const transposeCase = shapes.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length }), fc.boolean()));

test('transposeSteps: every permutation as rank-2 to rank-4 moves that compose to it', () => {
  fc.assert(
    fc.property(transposeCase, ([shape, perm]) => {
      const x = Array.from({ length: sizeOf(shape) }, (_, i) => i);
      let y = x;
      for (const step of transposeSteps(shape, perm)) {
        assert.ok(step.shape.length >= 2 && step.shape.length <= 4, `a step of rank ${step.shape.length}`);
        assert.is(sizeOf(step.shape), x.length);
        y = transposeRef(y, step.shape, step.perm);
      }
      same(y, transposeRef(x, shape, perm), `[${shape}] by [${perm}]`);
    }),
    { numRuns: 300 },
  );
  // The ViT's qkv permutation and its inverse: two moves each.
  assert.equal(transposeSteps([64, 65, 3, 3, 64], [2, 0, 3, 1, 4]), [{ shape: [4160, 3, 192], perm: [1, 0, 2] }, { shape: [192, 65, 3, 64], perm: [0, 2, 1, 3] }]);
  assert.is(transposeSteps([3, 64, 3, 65, 64], [1, 3, 0, 2, 4]).length, 2);
  assert.equal(transposeSteps([2, 3, 4], [0, 1, 2]), []);
});

test('transposes of any rank, eagerly and under jit: exact, NaN and infinities kept', async () => {
  const f = jit((x: tf.Tensor, perm: number[]) => lax.transpose(x, perm), { staticArgnums: [1] });
  await fc.assert(
    fc.asyncProperty(transposeCase, async ([shape, perm, special]) => {
      const data = values(sizeOf(shape), special);
      const before = tf.memory().numTensors;
      const x = tf.tensor(data, shape);
      const want = transposeRef(data, shape, perm);
      for (const [how, y] of [['eager', lax.transpose(x, perm)], ['jit', f(x, perm)]] as const) {
        assert.equal((y as tf.Tensor).shape, perm.map((p) => shape[p]!));
        same(await (y as tf.Tensor).data(), want, `${how} [${shape}] by [${perm}]`);
        if (y !== x) (y as tf.Tensor).dispose();
      }
      x.dispose();
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    }),
    { numRuns: 60 },
  );
  f.clearCache();
  // Empty arrays keep their shape.
  const e = lax.transpose(tf.zeros([2, 0, 3, 1, 2]), [4, 2, 0, 3, 1]) as tf.Tensor;
  assert.equal(e.shape, [2, 3, 2, 1, 0]);
  e.dispose();
});

const sliceCase = shapes.chain((s) =>
  fc.tuple(
    fc.constant(s),
    fc.tuple(...s.map((d) => fc.tuple(fc.integer({ min: 0, max: d }), fc.integer({ min: 0, max: d })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const))),
    fc.boolean(),
  ),
);

test('unit-stride slices of any rank, eagerly and under jit: exact, empty ones included', async () => {
  const f = jit((x: tf.Tensor, start: number[], limit: number[]) => lax.slice(x, start, limit), { staticArgnums: [1, 2] });
  await fc.assert(
    fc.asyncProperty(sliceCase, async ([shape, ranges, special]) => {
      const [start, limit] = [ranges.map((r) => r[0]), ranges.map((r) => r[1])];
      const data = values(sizeOf(shape), special);
      const before = tf.memory().numTensors;
      const x = tf.tensor(data, shape);
      const want = sliceRef(data, shape, start, limit);
      for (const [how, y] of [['eager', lax.slice(x, start, limit)], ['jit', f(x, start, limit)]] as const) {
        assert.equal((y as tf.Tensor).shape, limit.map((l, i) => l - start[i]!));
        same(await (y as tf.Tensor).data(), want, `${how} [${shape}][${start}:${limit}]`);
        if (y !== x) (y as tf.Tensor).dispose();
      }
      x.dispose();
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    }),
    { numRuns: 150 },
  );
  f.clearCache();
});

test('on wasm our copy kernel takes the slices it should (rows of contiguous floats)', () => {
  if (backend !== 'wasm') return;
  const x = tf.zeros([3, 64, 3, 65, 64]);
  const view = (start: number[], limit: number[]) => {
    const v = sliceRowsViewOf(x, start, limit);
    return v && { rows: v.rows, stride: v.stride, offset: v.offset, width: v.width };
  };
  assert.equal(view([1, 0, 0, 0, 0], [2, 64, 3, 65, 64]), { rows: 1, stride: 0, offset: 798720, width: 798720 }); // the ViT's k
  assert.equal(view([0, 0, 1, 0, 0], [3, 64, 2, 65, 64]), { rows: 192, stride: 12480, offset: 4160, width: 4160 });
  assert.equal(view([0, 5, 0, 0, 2], [1, 6, 1, 1, 3]), { rows: 1, stride: 0, offset: 5 * 12480 + 2, width: 1 });
  assert.equal(view([0, 0, 0, 0, 2], [1, 1, 1, 4, 3]), { rows: 4, stride: 64, offset: 2, width: 1 });
  assert.is(view([0, 0, 0, 0, 2], [2, 2, 1, 1, 3]), null); // three ranged axes: tfjs's kernel
  assert.is(view([0, 0, 0, 0, 0], [0, 64, 3, 65, 64]), null); // empty
  x.dispose();
});

test("grad through a ViT-like qkv split (5-axis transpose, slices): the reference's pads and inverse transposes", async () => {
  const [n, t, h, hd] = [2, 5, 3, 4];
  const shape = [n, t, 3, h, hd];
  const weights = values(sizeOf(shape) / 3, true).map((v) => (Number.isFinite(v) ? v : 0.25));
  const w = tf.tensor(weights, [n, h, t, hd]);
  // sum over q, k, v of (part i + 1) * w * part, part i = transpose(x, [2, 0, 3, 1, 4])[i].
  const loss = (x: NdArray) => {
    const moved = lax.transpose(x, [2, 0, 3, 1, 4]);
    let total: NdArray | null = null;
    for (let i = 0; i < 3; i++) {
      const part = lax.reshape(lax.slice(moved, [i, 0, 0, 0, 0], [i + 1, n, h, t, hd]), [n, h, t, hd]);
      const term = np.sum(np.mul(part, np.mul(w, i + 1)));
      total = total ? np.add(total, term) : term;
    }
    return total!;
  };
  const data = values(sizeOf(shape), false);
  // d/dx: (i + 1) * w placed back at x's layout: [n, h, t, hd] -> [n, t, h, hd] at qkv index i.
  const wt = transposeRef(weights, [n, h, t, hd], [0, 2, 1, 3]);
  const want = Array.from({ length: sizeOf(shape) }, (_, flat) => {
    const [ni, ti, i, hi, di] = stridesOf(shape).map((s, k) => Math.floor(flat / s) % shape[k]!);
    return (i! + 1) * wt[((ni! * t + ti!) * h + hi!) * hd + di!]!;
  });
  const x = tf.tensor(data, shape);
  const before = tf.memory().numTensors;
  const g = grad(loss);
  const jg = jit(grad(loss));
  for (const [how, y] of [['grad', g(x)], ['jit(grad)', jg(x)]] as const) {
    same(await (y as tf.Tensor).data(), want, how);
    (y as tf.Tensor).dispose();
  }
  jg.clearCache();
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  tf.dispose([x, w]);
});

test.run();
