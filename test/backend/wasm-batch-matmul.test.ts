/**
 * Matrix products (the `dot` primitive, batched and large unbatched ones): on wasm our SIMD
 * kernel (lib/backend/wasm-batch-matmul.ts: blocks of 4 rows x 8 columns, tails of rows, of
 * vectors and of lanes, B packed in panels of 8 columns), on cpu tfjs's. Against float64: each entry within the bound of a
 * float32 sum of k products, k u sum |a||b| (u = 2^-24), NaN and infinities as float64 gives
 * them; with transposed operands, under jit and under grad.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as lax from '../../lib/core/lax.js';
import * as np from '../../lib/ops/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`batched matmul against float64 [${backend}]`);

const U = 2 ** -24;
/**
 * NaN and infinities in the operands, except on webgpu: tfjs's webgpu product (not ours)
 * gives NaN for some entries whose float64 value is infinite (seen: 70x65x60).
 */
const SPECIALS = backend !== 'webgpu';

/** C[i] = op(A[i]) op(B[i]) in float64, with the error bound of a float32 sum of k products per entry. */
function reference(a: Float32Array, b: Float32Array, batch: number, m: number, k: number, n: number, ta: boolean, tb: boolean) {
  const want = new Float64Array(batch * m * n);
  const bound = new Float64Array(batch * m * n);
  for (let i = 0; i < batch; i++)
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let [s, abs] = [0, 0];
        for (let q = 0; q < k; q++) {
          const x = a[i * m * k + (ta ? q * m + r : r * k + q)]!;
          const y = b[i * k * n + (tb ? c * k + q : q * n + c)]!;
          s += x * y;
          abs += Math.abs(x * y);
        }
        want[(i * m + r) * n + c] = s;
        bound[(i * m + r) * n + c] = 1.01 * k * U * abs;
      }
  return { want, bound };
}

function close(got: ArrayLike<number>, { want, bound }: { want: Float64Array; bound: Float64Array }, what: string): void {
  assert.is(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i]!, want[i]!];
    const ok = Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= bound[i]! + 1e-30;
    if (!ok) assert.unreachable(`${what}: entry ${i} is ${g}, float64 ${w} (bound ${bound[i]})`);
  }
}

function values(n: number, seed: number, special: boolean): Float32Array {
  const r = fc.sample(fc.float({ noNaN: true, noDefaultInfinity: true, min: -4, max: 4 }), { seed, numRuns: n });
  const v = Float32Array.from(r);
  if (special) for (let i = seed % 5; i < n; i += 23) v[i] = [NaN, Infinity, -Infinity][i % 3]!;
  return v;
}

const dims = fc.tuple(
  fc.oneof(fc.tuple(fc.integer({ min: 2, max: 4 })), fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 3 }))),
  fc.integer({ min: 1, max: 13 }),
  fc.integer({ min: 1, max: 11 }),
  fc.integer({ min: 1, max: 19 }),
  fc.boolean(),
  fc.boolean(),
  fc.boolean(),
  fc.nat(1 << 20),
);

const product = jit((a: NdArray, b: NdArray) => np.matmul(a, b));

test('random batches, sizes, transposes, NaN and infinities: within k u sum|a||b| of float64, eagerly and under jit', async () => {
  await fc.assert(
    fc.asyncProperty(dims, async ([lead, m, k, n, ta, tb, special, seed]) => {
      const batch = lead.reduce((x, y) => x * y, 1);
      const [ad, bd] = [values(batch * m * k, seed, special && SPECIALS), values(batch * k * n, seed + 1, special && SPECIALS)];
      const before = tf.memory().numTensors;
      const a = tf.tensor(ad, [...lead, ...(ta ? [k, m] : [m, k])]);
      const b = tf.tensor(bd, [...lead, ...(tb ? [n, k] : [k, n])]);
      const [x, y] = [ta ? np.swapaxes(a, -1, -2) : a, tb ? np.swapaxes(b, -1, -2) : b];
      const want = reference(ad, bd, batch, m, k, n, ta, tb);
      for (const [how, c] of [['eager', np.matmul(x, y)], ['jit', product(x, y)]] as const) {
        assert.equal((c as tf.Tensor).shape, [...lead, m, n]);
        close(await (c as tf.Tensor).data(), want, `${how} [${lead}] ${m}x${k}x${n}${ta ? ' A^T' : ''}${tb ? ' B^T' : ''}`);
        (c as tf.Tensor).dispose();
      }
      tf.dispose([a, b, x as tf.Tensor, y as tf.Tensor]);
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    }),
    { numRuns: 80 },
  );
  if (backend === 'wasm') assert.ok(tf.getKernel('TfjaxBatchMatMul', 'wasm') !== undefined, 'our kernel never ran');
});

test('unbatched products large enough for our kernel (>= 2^18 multiply-adds), plain and transposed, and A^T B with a large B (as (B^T A)^T)', async () => {
  for (const [m, k, n, ta, tb] of [[70, 65, 60, false, false], [130, 47, 43, true, false], [64, 96, 50, false, true], [33, 129, 65, true, true], [12, 1100, 1000, true, false]] as const) {
    // NaN and infinities in A only where k is short (over 1100 terms every entry would be NaN).
    const [ad, bd] = [values(m * k, m, k < 200 && SPECIALS), values(k * n, n, false)];
    const before = tf.memory().numTensors;
    const [a, b] = [tf.tensor(ad, ta ? [k, m] : [m, k]), tf.tensor(bd, tb ? [n, k] : [k, n])];
    const [x, y] = [ta ? np.swapaxes(a, 0, 1) : a, tb ? np.swapaxes(b, 0, 1) : b];
    const want = reference(ad, bd, 1, m, k, n, ta, tb);
    // Explicit transposes, and the dot primitive's transpose flags (as grad's rules bind them).
    for (const c of [product(x, y) as tf.Tensor, lax.dot(a, b, ta, tb) as tf.Tensor]) {
      close(await c.data(), want, `${m}x${k}x${n}${ta ? ' A^T' : ''}${tb ? ' B^T' : ''}`);
      c.dispose();
    }
    tf.dispose([a, b, x as tf.Tensor, y as tf.Tensor]);
    assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  }
});

test('large fused products under jit, relu(x W + b) and x W + b (our product, then bias and ReLU in one pass; a last axis not a multiple of 4 by tfjs add): within the bound, NaN kept', async () => {
  const layer = jit((x: NdArray, w: NdArray, b: NdArray) => np.relu(np.add(np.matmul(x, w), b)));
  const affine = jit((x: NdArray, w: NdArray, b: NdArray) => np.add(np.matmul(x, w), b));
  for (const [m, k, n] of [[70, 65, 64], [64, 96, 50]] as const) {
    const [xd, wd, bd] = [values(m * k, m, false), values(k * n, n, false), values(n, k, false)];
    // A NaN in row 3 and an infinity in row 5 (those rows only: the others stay finite).
    if (SPECIALS) [xd[3 * k + 1], xd[5 * k + 2]] = [NaN, Infinity];
    const before = tf.memory().numTensors;
    const [x, w, b] = [tf.tensor(xd, [m, k]), tf.tensor(wd, [k, n]), tf.tensor(bd, [n])];
    const { want, bound } = reference(xd, wd, 1, m, k, n, false, false);
    for (const [name, f, relu] of [['relu(x W + b)', layer, true], ['x W + b', affine, false]] as const) {
      const plus = Float64Array.from(want, (v, i) => v + bd[i % n]!);
      const expect = relu ? plus.map((v) => (Number.isNaN(v) ? v : Math.max(v, 0))) : plus;
      // One more rounding: the bias added to the float32 sum.
      const widened = Float64Array.from(bound, (e, i) => e + U * Math.abs(plus[i]!));
      const c = f(x, w, b) as tf.Tensor;
      close(await c.data(), { want: expect, bound: widened }, `${name} ${m}x${k}x${n}`);
      c.dispose();
    }
    tf.dispose([x, w, b]);
    assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  }
});

test("a ViT's attention shapes ([6, 65, 64] x [6, 64, 65] and back)", async () => {
  for (const [m, k, n] of [[65, 64, 65], [65, 65, 64], [64, 65, 65]] as const) {
    const [ad, bd] = [values(6 * m * k, m, false), values(6 * k * n, n, false)];
    const [a, b] = [tf.tensor(ad, [6, m, k]), tf.tensor(bd, [6, k, n])];
    const c = np.matmul(a, b) as tf.Tensor;
    close(await c.data(), reference(ad, bd, 6, m, k, n, false, false), `${m}x${k}x${n}`);
    tf.dispose([a, b, c]);
  }
});

test('grad of sum(w * A B) over batches: w B^T and A^T w, eagerly and under jit', async () => {
  const [batch, m, k, n] = [3, 6, 5, 11];
  const [ad, bd, wd] = [values(batch * m * k, 1, false), values(batch * k * n, 2, false), values(batch * m * n, 3, false)];
  const [a, b, w] = [tf.tensor(ad, [batch, m, k]), tf.tensor(bd, [batch, k, n]), tf.tensor(wd, [batch, m, n])];
  const loss = (x: NdArray, y: NdArray) => np.sum(np.mul(w, np.matmul(x, y)));
  // dA[i] = w[i] B[i]^T ([m, n] x [n, k]); dB[i] = A[i]^T w[i] ([k, m] x [m, n]).
  const wantA = reference(wd, bd, batch, m, n, k, false, true);
  const wantB = reference(ad, wd, batch, k, m, n, true, false);
  const before = tf.memory().numTensors;
  const g = grad(loss, { argnums: [0, 1] });
  const jg = jit(g);
  for (const [how, f] of [['grad', g], ['jit(grad)', jg]] as const) {
    const [da, db] = f(a, b) as [tf.Tensor, tf.Tensor];
    close(await da.data(), wantA, `${how}: dA`);
    close(await db.data(), wantB, `${how}: dB`);
    tf.dispose([da, db]);
  }
  jg.clearCache();
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  tf.dispose([a, b, w]);
});

test('an inner size of 0 gives zeros (an empty sum), plain, batched, transposed and fused with a bias, eagerly and under jit', async () => {
  // Freed memory full of 7s: an output left unwritten would read them back.
  tf.dispose(tf.fill([4096], 7));
  const fused = jit((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => np.relu(np.add(np.matmul(a, b), c)));
  const plain = jit((a: tf.Tensor, b: tf.Tensor) => np.matmul(a, b));
  const transposed = jit((a: tf.Tensor, bt: tf.Tensor) => np.matmul(a, np.swapaxes(bt, -1, -2)));
  for (const [sa, sb] of [[[3, 0], [0, 4]], [[2, 3, 0], [0, 5]], [[2, 3, 0], [2, 0, 2]]] as const) {
    const [a, b] = [tf.ones([...sa]), tf.ones([...sb])];
    const bt = np.swapaxes(b, -1, -2) as tf.Tensor;
    for (const y of [np.matmul(a, b), plain(a, b), transposed(a, bt)] as tf.Tensor[]) {
      assert.ok((await y.data()).every((v) => v === 0), `[${sa}] x [${sb}]: ${await y.data()}`);
      y.dispose();
    }
    tf.dispose([a, b, bt]);
  }
  const [a, b, c] = [tf.ones([3, 0]), tf.ones([0, 4]), tf.tensor([1, -2, 3, -4])];
  const y = fused(a, b, c) as tf.Tensor;
  assert.equal(Array.from(await y.data()), [1, 0, 3, 0, 1, 0, 3, 0, 1, 0, 3, 0]);
  tf.dispose([a, b, c, y]);
});

test.run();
