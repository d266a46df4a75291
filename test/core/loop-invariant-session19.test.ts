/**
 * Loop-invariant work runs once per loop (lib/core/control/loop-invariant.ts): a loop body's work
 * on what it closes over alone (a weight's transpose, a scaled bias) is staged inside the body, as
 * JAX's jaxprs (session 18), and hoisted when the loop runs, as XLA's loop-invariant code motion
 * does: a jitted scan, foriLoop or whileLoop launches as many kernels as the same loop with that
 * work written before it. Values, gradients and batching are unchanged; debug callbacks and
 * broadcasts stay in the body. Also: a scan reads its rows of xs without copying xs back to
 * JavaScript each step (tfjs wasm's Slice did, which made a scan of T steps copy xs T times).
 *
 * Regressions (session 19): a jitted loop ran its closed-over work at every iteration (T kernel
 * launches of it, where the loop written with it outside launched one); on wasm a scan of T steps
 * called the backend's readSync T times.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, canReadBack, debug, grad, jit, lax, np, tf, vmap } from '../../lib/node.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const rtol = backend === 'webgpu' ? 1e-3 : 1e-5;
const T = 8;

const read = async (x: unknown) => Array.from(await (x as tf.Tensor).data());

/** Kernel launches while `f` runs (after a first call, so that compilation is not counted). */
async function launches(f: () => unknown): Promise<number> {
  tf.dispose(f() as tf.Tensor);
  const info = await tf.profile(() => f() as tf.Tensor);
  return info.kernels.length;
}

const w0 = np.array([[0.5, -0.25, 1], [0.75, 0.1, -0.5], [0.2, 0.3, 0.4]]);
const b0 = np.array([0.1, -0.2, 0.3]);
const xs0 = np.reshape(np.sin(np.arange(T * 2 * 3)), [T, 2, 3]);

// An RNN step as users write it: the transpose and the scaled bias inside the body...
const rnnInside = (w: NdArray, b: NdArray, xs: NdArray) =>
  lax.scan((h: NdArray, x: NdArray) => [np.tanh(np.add(np.add(np.matmul(h, np.transpose(w)), x), np.mul(b, 2))), np.sum(h)], np.zeros([2, 3]), xs);
// ...and written with them before the loop.
const rnnOutside = (w: NdArray, b: NdArray, xs: NdArray) => {
  const [wt, b2] = [np.transpose(w), np.mul(b, 2)];
  return lax.scan((h: NdArray, x: NdArray) => [np.tanh(np.add(np.add(np.matmul(h, wt), x), b2)), np.sum(h)], np.zeros([2, 3]), xs);
};
const loss = (rnn: typeof rnnInside) => (w: NdArray, b: NdArray) => np.sum(np.square(rnn(w, b, xs0)[0] as NdArray));

const H = suite('loop-invariant work runs once per loop (session 19)');
H('jit(scan): the body\'s work on closed-over values launches once, as written before the loop; the same carry and ys', async () => {
  const [inside, outside] = [jit(rnnInside), jit(rnnOutside)];
  assert.is(await launches(() => inside(w0, b0, xs0)[0]), await launches(() => outside(w0, b0, xs0)[0]));
  const [a, b] = [inside(w0, b0, xs0), outside(w0, b0, xs0)];
  allClose(await read(a[0]), await read(b[0]), { rtol });
  allClose(await read(a[1]), await read(b[1]), { rtol });
  tf.dispose([...a, ...b] as tf.Tensor[]);
});
H('jit(foriLoop) and jit(whileLoop): the same, for the body and the predicate', async () => {
  const fori = (inside: boolean) => jit((w: NdArray) => {
    const s = np.sin(np.mul(w, 2));
    return lax.foriLoop(0, T, (_i: NdArray, c: NdArray) => np.add(c, inside ? np.sin(np.mul(w, 2)) : s), np.zeros([3, 3]));
  });
  assert.is(await launches(() => fori(true)(w0)), await launches(() => fori(false)(w0)));
  allClose(await read(fori(true)(w0)), await read(fori(false)(w0)), { rtol });
  if (!canReadBack()) return; // whileLoop reads its predicate back synchronously, which webgpu cannot
  const loop = (inside: boolean) => jit((w: NdArray) => {
    const [lim, step] = [np.mul(np.sum(np.abs(w)), 2), np.exp(w)];
    return lax.whileLoop((c: NdArray) => np.less(np.sum(c), inside ? np.mul(np.sum(np.abs(w)), 2) : lim), (c: NdArray) => np.add(c, inside ? np.exp(w) : step), np.zeros([3, 3]));
  });
  assert.is(await launches(() => loop(true)(w0)), await launches(() => loop(false)(w0)));
  allClose(await read(loop(true)(w0)), await read(loop(false)(w0)), { rtol });
});
H('gradients and vmap through a scan with hoisted work are those of the loop written with it outside', async () => {
  for (const argnums of [0, 1] as const) {
    const [gi, go] = [jit(grad(loss(rnnInside), { argnums }))(w0, b0), jit(grad(loss(rnnOutside), { argnums }))(w0, b0)];
    allClose(await read(gi), await read(go), { rtol });
    tf.dispose([gi, go] as tf.Tensor[]);
  }
  const ws = np.stack([w0, np.mul(w0, -0.5)]);
  const [vi, vo] = [jit(vmap(loss(rnnInside), { inAxes: [0, null] }))(ws, b0), jit(vmap(loss(rnnOutside), { inAxes: [0, null] }))(ws, b0)];
  allClose(await read(vi), await read(vo), { rtol });
  tf.dispose([vi, vo, ws] as tf.Tensor[]);
});
H('a debug callback on closed-over values still runs at every step; a broadcast of them stays in the body', async () => {
  let calls = 0;
  const f = jit((w: NdArray) =>
    lax.scan((c: NdArray, x: NdArray) => {
      debug.callback(() => calls++, np.sum(w));
      return [np.add(c, np.mul(np.broadcastTo(np.sum(w), [3]), x)), null];
    }, np.zeros([3]), np.ones([T, 3]))[0] as NdArray,
  );
  const out = f(w0);
  await read(out);
  assert.is(calls, T);
  allClose(await read(out), Array(3).fill(T * 2.5), { rtol });
  out.dispose();
});
H.run();

const R = suite('lax.scan reads its rows without copying xs back (session 19)');
R('eager and jitted scans over T rows call the backend\'s readSync no more often than for one row', async () => {
  if (backend !== 'wasm' && backend !== 'cpu') return; // webgpu reads nothing back synchronously
  const b = tf.backend() as unknown as { readSync: (id: unknown) => unknown };
  const original = b.readSync;
  const counted = (n: number, jitted: boolean) => {
    const xs = np.ones([n, 4, 4]);
    const f = (xs: NdArray) => lax.scan((c: NdArray, x: NdArray) => [np.add(c, x), null], np.zeros([4, 4]), xs)[0] as NdArray;
    const g = jitted ? jit(f) : f;
    tf.dispose(g(xs) as tf.Tensor);
    let reads = 0;
    b.readSync = function (this: unknown, id: unknown) {
      reads++;
      return original.call(this, id);
    };
    try {
      tf.dispose(g(xs) as tf.Tensor);
    } finally {
      b.readSync = original;
      xs.dispose();
    }
    return reads;
  };
  for (const jitted of [false, true]) assert.is(counted(16, jitted), counted(1, jitted), jitted ? 'jit' : 'eager');
});
R.run();
