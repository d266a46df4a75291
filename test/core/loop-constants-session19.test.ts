/**
 * A loop's constants are prepared for a kernel once per loop (lib/core/lower/loop-constants.ts):
 * on wasm our product packs its B in panels before multiplying, and a weight a jitted scan,
 * foriLoop or whileLoop closes over is packed once per loop, not at every iteration. The packed
 * forms are freed when the loop ends; values are those of the loop unrolled by hand, also where
 * a carry starts as the constant itself and in nested loops.
 *
 * Regression (session 19): an RNN's jit(valueAndGrad) through lax.scan packed its two weights
 * five times per step (10% of its time).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, canReadBack, jit, lax, np, tf } from '../../lib/node.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const rtol = backend === 'webgpu' ? 1e-3 : 1e-4;
const [B, W] = [16, 128]; // [16, 128] x [128, 128]: large enough for our wasm product
const read = async (x: unknown) => Array.from(await (x as tf.Tensor).data());

/** Our wasm product's B packs while `f` runs (after a first call, so that compilation is not counted). */
function packs(f: () => unknown): number {
  tf.dispose(f() as tf.Tensor[]);
  let n = 0;
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: Record<string, tf.Tensor>, attrs: object) => {
    if (name === 'TfjaxPackPanels') n++;
    return runKernel(name, inputs, attrs as never);
  }) as typeof engine.runKernel;
  try {
    tf.dispose(f() as tf.Tensor[]);
  } finally {
    engine.runKernel = runKernel;
  }
  return n;
}

const wave = (shape: number[], f: number) => np.mul(np.sin(np.mul(np.reshape(np.arange(shape.reduce((a, b) => a * b, 1)), shape), f)), 0.1);
const [w, u] = [wave([W, W], 0.37), wave([W, W], 0.71)];
const xsOf = (t: number) => wave([t, B, W], 0.13);
const cell = (h: NdArray, x: NdArray) => np.tanh(np.add(np.matmul(h, np.transpose(w)), np.matmul(x, u)));
const rnn = jit((xs: NdArray) => lax.scan((h: NdArray, x: NdArray) => [cell(h, x), np.sum(h)], np.zeros([B, W]), xs));
const unrolled = (xs: NdArray, t: number) => {
  let h: NdArray = np.zeros([B, W]);
  const ys: NdArray[] = [];
  for (let i = 0; i < t; i++) {
    ys.push(np.sum(h));
    h = cell(h, np.take(xs, i, 0));
  }
  return [h, np.stack(ys)];
};

const test = suite('a loop packs the weights it closes over once (session 19)');
test('jit(scan): as many packs for 4 steps as for 8; the carry and ys of the loop unrolled; nothing left behind', async () => {
  const [xs4, xs8] = [xsOf(4), xsOf(8)];
  const [p4, p8] = [packs(() => rnn(xs4)), packs(() => rnn(xs8))];
  if (backend === 'wasm') {
    assert.is(p4, p8, `packs for 4 steps: ${p4}, for 8: ${p8}`);
    assert.ok(p8 <= 2, `${p8} packs for 2 weights`);
  }
  const before = tf.memory().numTensors;
  tf.dispose(rnn(xs8) as tf.Tensor[]);
  assert.is(tf.memory().numTensors, before);
  const [got, want] = [rnn(xs8), unrolled(xs8, 8)];
  for (let i = 0; i < 2; i++) allClose(await read(got[i]), await read(want[i]), { rtol, atol: 1e-5 });
  tf.dispose([xs4, xs8, ...got, ...want] as tf.Tensor[]);
});
test('jit(foriLoop) and jit(whileLoop): the weight packed once, the values of the loop unrolled', async () => {
  const step = (c: NdArray) => np.tanh(np.matmul(c, w));
  const fori = jit((c: NdArray) => lax.foriLoop(0, 6, (_i: NdArray, k: NdArray) => step(k), c));
  const whileLoop = jit((c: NdArray) => lax.whileLoop(([i]: [NdArray, NdArray]) => np.less(i, 6), ([i, k]: [NdArray, NdArray]) => [np.add(i, 1), step(k)] as [NdArray, NdArray], [np.array(0, 'int32'), c])[1]);
  const c0 = wave([B, W], 0.29);
  let want = c0;
  for (let i = 0; i < 6; i++) want = step(want);
  // whileLoop reads its predicate back each iteration: not on webgpu.
  for (const f of canReadBack() ? [fori, whileLoop] : [fori]) {
    const n = packs(() => f(c0)); // compiles first (the jaxpr's constants stay with it)
    if (backend === 'wasm') assert.is(n, 1);
    const before = tf.memory().numTensors;
    tf.dispose(f(c0) as tf.Tensor);
    assert.is(tf.memory().numTensors, before);
    const got = f(c0) as NdArray;
    allClose(await read(got), await read(want), { rtol, atol: 1e-5 });
    tf.dispose(got as tf.Tensor);
  }
});
test('a carry that starts as the constant itself, and a scan inside a scan: the values of the loops unrolled', async () => {
  // W @ c: the carry is the product's B, and is the constant's own array at the first step only.
  const own = jit(() => lax.scan((c: NdArray, _x: NdArray) => [np.tanh(np.matmul(w, c)), np.sum(c)], w, np.zeros([3]))[0]);
  let want = w;
  for (let i = 0; i < 3; i++) want = np.tanh(np.matmul(w, want));
  allClose(await read(own()), await read(want), { rtol, atol: 1e-5 });
  const inner = (c: NdArray) => lax.scan((k: NdArray, _x: NdArray) => [np.tanh(np.matmul(k, w)), null], c, np.zeros([2]))[0] as NdArray;
  const nested = jit((c: NdArray) => lax.scan((k: NdArray, _x: NdArray) => [np.add(inner(k), np.matmul(k, w)), null], c, np.zeros([3]))[0]);
  const c0 = wave([B, W], 0.41);
  let k = c0;
  for (let i = 0; i < 3; i++) {
    let j = k;
    for (let s = 0; s < 2; s++) j = np.tanh(np.matmul(j, w));
    k = np.add(j, np.matmul(k, w));
  }
  allClose(await read(nested(c0)), await read(k), { rtol, atol: 1e-4 });
  if (backend === 'wasm') assert.ok(packs(() => nested(c0)) <= 1, 'one weight, one pack');
});

test.run();
