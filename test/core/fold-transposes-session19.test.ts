/**
 * jit folds transposes of the last two axes into products (lib/core/jit/fold-transposes.ts), as
 * XLA folds them into a dot's dimension numbers: `x @ W.T` reads W transposed in the product,
 * `transpose(a @ b)` is `b^T @ a^T`, and the weight gradients reverse mode makes of `x @ W.T`
 * launch no transpose. Values equal eager's; transposes of other axes, and products something
 * else also reads, are left as they are.
 *
 * Regression (session 19): each of these ran a transpose kernel (an RNN's backward scan: two
 * [256, 256] transposes per step).
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, tf } from '../../lib/index.js';
import { allCloseAsync } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
const tol = backend === 'webgpu' ? { rtol: 1e-4, atol: 1e-5 } : { rtol: 1e-5, atol: 1e-6 };

type Fn = (...xs: NdArray[]) => NdArray;
/** The optimised program's equations (primitive and params) for these arguments. */
const eqnsOf = (f: Fn, ...xs: NdArray[]) => jit(f).lower(...xs).jaxpr.eqns.map((e) => ({ prim: String(e.prim), params: e.params }));
const countOf = (f: Fn, prim: string, ...xs: NdArray[]) => eqnsOf(f, ...xs).filter((e) => e.prim === prim).length;
const products = (f: Fn, ...xs: NdArray[]) => eqnsOf(f, ...xs).filter((e) => e.prim === 'dot' || e.prim === 'fused_matmul').map((e) => [e.params.transposeA, e.params.transposeB]);
const seq = (shape: number[], k = 1) => np.reshape(np.sin(np.mul(np.arange(shape.reduce((a, b) => a * b, 1)), k)), shape);

async function sameAsEager(f: Fn, ...xs: NdArray[]) {
  const [a, b] = [jit(f)(...xs), f(...xs)];
  await allCloseAsync(a as tf.Tensor, b as tf.Tensor, tol);
  tf.dispose([a, b] as tf.Tensor[]);
}

const F = suite('jit folds transposes into products (session 19)');
F('x @ W.T: the product reads W transposed, no transpose runs; batched operands too', async () => {
  const [x, w] = [seq([3, 4]), seq([5, 4], 0.7)];
  const linear = (x: NdArray, w: NdArray) => np.matmul(x, np.transpose(w));
  assert.is(countOf(linear, 'transpose', x, w), 0);
  assert.equal(products(linear, x, w), [[false, true]]);
  await sameAsEager(linear, x, w);
  const [xb, wb] = [seq([2, 3, 4]), seq([2, 5, 4], 0.3)];
  const batched = (x: NdArray, w: NdArray) => np.matmul(x, np.transpose(w, [0, 2, 1]));
  assert.is(countOf(batched, 'transpose', xb, wb), 0);
  await sameAsEager(batched, xb, wb);
  const both = (a: NdArray, b: NdArray) => np.matmul(np.transpose(a), np.transpose(b));
  assert.equal(products(both, seq([4, 3]), seq([5, 4])), [[true, true]]);
  await sameAsEager(both, seq([4, 3]), seq([5, 4]));
});
F('transpose(a @ b) is one product, b^T a^T', async () => {
  const [a, b] = [seq([3, 4]), seq([4, 5], 0.4)];
  const f = (a: NdArray, b: NdArray) => np.transpose(np.matmul(a, b));
  assert.is(countOf(f, 'transpose', a, b), 0);
  assert.equal(products(f, a, b), [[true, true]]);
  await sameAsEager(f, a, b);
  const g = (a: NdArray, b: NdArray) => np.transpose(np.matmul(np.transpose(a, [0, 2, 1]), b), [0, 2, 1]);
  const [ab, bb] = [seq([2, 4, 3]), seq([2, 4, 5], 0.2)];
  assert.is(countOf(g, 'transpose', ab, bb), 0);
  await sameAsEager(g, ab, bb);
});
F('left alone: transposes of other axes, and a product something else reads', async () => {
  const x = seq([2, 3, 4]);
  const w = seq([3, 4, 4], 0.5);
  const other = (x: NdArray, w: NdArray) => np.matmul(np.transpose(x, [1, 0, 2]), w);
  assert.is(countOf(other, 'transpose', x, w), 1);
  await sameAsEager(other, x, w);
  const [a, b] = [seq([3, 4]), seq([4, 3], 0.4)];
  const shared = (a: NdArray, b: NdArray) => np.add(np.matmul(a, b), np.transpose(np.matmul(a, b)));
  assert.is(eqnsOf(shared, a, b).filter((e) => e.prim === 'dot' || e.prim === 'fused_matmul').length, 1, 'the product runs once');
  assert.is(countOf(shared, 'transpose', a, b), 1);
  await sameAsEager(shared, a, b);
});
F("the weight gradient of x @ W.T launches no transpose and equals eager's", async () => {
  const [x, w] = [seq([6, 4]), seq([5, 4], 0.7)];
  const loss = (w: NdArray, x: NdArray) => np.sum(np.square(np.tanh(np.matmul(x, np.transpose(w)))));
  const g = grad(loss);
  assert.is(countOf(g, 'transpose', w, x), 0);
  await sameAsEager(g, w, x);
});
F('property: any flags, ranks 2 and 3, with and without an outer transpose: jit = eager', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), async (m, k, n, ta, tb, outer, batched) => {
        const lead = batched ? [2] : [];
        const perm = batched ? [0, 2, 1] : [1, 0];
        const a = seq([...lead, ...(ta ? [k, m] : [m, k])], 0.9);
        const b = seq([...lead, ...(tb ? [n, k] : [k, n])], 0.6);
        const f = (a: NdArray, b: NdArray) => {
          const y = np.matmul(ta ? np.transpose(a, perm) : a, tb ? np.transpose(b, perm) : b);
          return outer ? np.transpose(y, perm) : y;
        };
        assert.is(countOf(f, 'transpose', a, b), 0);
        await sameAsEager(f, a, b);
        tf.dispose([a, b] as tf.Tensor[]);
      },
    ),
    { numRuns: 24 },
  );
});
F.run();
