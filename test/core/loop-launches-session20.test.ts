/**
 * Fewer kernel launches per step of a jitted loop (session 20):
 * - tanh joins jit's elementwise loops (wasm): an RNN cell's `tanh(h W^T + x U^T + b)` is one loop
 *   after its products, and its derivative `g * (1 - y * y)` with the tanh it differentiates is
 *   another; an operation that reads the same value twice (`y * y`) is that value's one user;
 * - a reshape of a reshape reads the first's operand, and a reshape to its operand's shape is
 *   that operand (a bias gradient's [C] -> [1, C] -> [C]);
 * - on wasm our kernels make their results in the shape asked for, and our product takes its
 *   operands' leading axes as they are: a product, a transpose or a fused loop launches no reshape.
 * - a scan's reverse mode stacks each step's residuals in the forward scan (control/scan-vjp.ts),
 *   so the backward scan computes no step again: an RNN's step runs five products, not seven.
 * Values equal eager's (float32 rounding: the fused loop computes the same operations in the same
 * order), gradients those of the loop unrolled.
 *
 * Regression (session 19): an RNN's jit(valueAndGrad) over lax.scan launched 49 kernels per step,
 * 26 of them reshapes, its tanh and tanh's derivative as separate loops, and its backward scan
 * recomputed each step's two forward products.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, jvp, lax, np, tf, valueAndGrad, vmap } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
const tol = backend === 'webgpu' ? { rtol: 1e-3, atol: 1e-5 } : { rtol: 2e-6, atol: 1e-7 };
const wasm = backend === 'wasm';
const [B, W] = [32, 128]; // [32, 128]: 4096 elements, as many as jit's elementwise fusion takes

type Fn = (...xs: NdArray[]) => NdArray | NdArray[];
const prims = (f: Fn, ...xs: NdArray[]) => jit(f).lower(...xs).jaxpr.eqns.map((e) => String(e.prim));
/** The program's reshapes that read another reshape's result, or give their operand's own shape. */
function redundantReshapes(f: Fn, ...xs: NdArray[]): string[] {
  const eqns = jit(f).lower(...xs).jaxpr.eqns;
  const reshaped = new Set(eqns.filter((e) => e.prim === 'reshape').map((e) => e.out));
  const same = (a: readonly number[], b: readonly number[]) => `${a}` === `${b}` && a.length === b.length;
  return eqns.filter((e) => e.prim === 'reshape' && (reshaped.has(e.inputs[0]!) || same(e.inputs[0]!.aval.shape, e.out.aval.shape))).map((e) => `[${e.inputs[0]!.aval.shape}] -> [${e.out.aval.shape}]`);
}
const opsOf = (f: Fn, ...xs: NdArray[]) =>
  jit(f)
    .lower(...xs)
    .jaxpr.eqns.flatMap((e) => (e.prim === 'fused_elementwise' ? (e.params as { program: { ops: { op: string }[] } }).program.ops.map((o) => o.op) : []));
const read = async (x: unknown) => Array.from(await (x as tf.Tensor).data());
const wave = (shape: number[], f: number, s = 0.1) => np.mul(np.sin(np.mul(np.reshape(np.arange(shape.reduce((a, b) => a * b, 1)), shape), f)), s);

/** Kernel launches by name while `f` runs (after a first call, so that compilation is not counted). */
async function launches(f: () => NdArray[]): Promise<Record<string, number>> {
  tf.dispose(f() as tf.Tensor[]);
  const info = await tf.profile(() => f() as tf.Tensor[]);
  const n: Record<string, number> = {};
  for (const k of info.kernels) n[k.name] = (n[k.name] ?? 0) + 1;
  return n;
}

async function sameAsEager(f: Fn, ...xs: NdArray[]) {
  const a = [jit(f)(...xs)].flat() as tf.Tensor[];
  const b = [f(...xs)].flat() as tf.Tensor[];
  for (let i = 0; i < a.length; i++) allClose(await read(a[i]), await read(b[i]), tol, `result ${i}`);
  tf.dispose([...a, ...b]);
}

const [w, u, bias] = [wave([W, W], 0.37), wave([W, W], 0.71), wave([W], 0.9)];
const cell = (h: NdArray, x: NdArray, w: NdArray, u: NdArray, b: NdArray) => np.tanh(np.add(np.add(np.matmul(h, np.transpose(w)), np.matmul(x, np.transpose(u))), b));

const T = suite('a jitted loop step launches fewer kernels (session 20)');
T('tanh joins the elementwise loop: an RNN cell is its two products and one loop (wasm); values as eager', async () => {
  const [h, x] = [wave([B, W], 0.13, 1), wave([B, W], 0.29, 1)];
  const f = (h: NdArray, x: NdArray) => cell(h, x, w, u, bias);
  if (wasm) {
    assert.equal(prims(f, h, x).filter((p) => p !== 'reshape'), ['dot', 'dot', 'fused_elementwise']);
    assert.equal(opsOf(f, h, x), ['add', 'add', 'tanh']);
  }
  await sameAsEager(f, h, x);
  // A lone tanh runs as our loop too (as exp and log): one launch either way.
  if (wasm) assert.equal(prims(np.tanh, h), ['fused_elementwise']);
  await sameAsEager(np.tanh, h);
});
T("tanh's derivative g * (1 - y * y) runs in the loop that computes y; grads as eager's", async () => {
  const [x, c] = [wave([B, W], 0.21, 3), wave([B, W], 0.33, 1)];
  const loss = (x: NdArray) => np.sum(np.mul(np.tanh(x), c));
  if (wasm) {
    assert.not.ok(prims(grad(loss), x).includes('tanh'), 'no tanh kernel');
    assert.is(prims(grad(loss), x).filter((p) => p === 'fused_elementwise').length, 1, 'one loop');
  }
  await sameAsEager(grad(loss), x);
  // y * y: the one user of y, so y is computed inside the loop that squares it.
  const sq = (x: NdArray) => np.sub(1, np.mul(np.exp(x), np.exp(x)));
  if (wasm) assert.equal(prims(sq, x), ['fused_elementwise']);
  await sameAsEager(sq, x);
});
T("a reshape of a reshape reads the first's operand; a reshape back to the operand's shape is the operand", async () => {
  const x = wave([B, W], 0.3);
  const back = (x: NdArray) => np.add(np.reshape(np.reshape(x, [1, B * W]), [B, W]), 1);
  assert.not.ok(prims(back, x).includes('reshape'), prims(back, x).join(' '));
  await sameAsEager(back, x);
  const twice = (x: NdArray) => np.sin(np.reshape(np.reshape(x, [B * W]), [W, B]));
  assert.is(prims(twice, x).filter((p) => p === 'reshape').length, 1);
  await sameAsEager(twice, x);
  const out = (x: NdArray) => [np.reshape(np.reshape(x, [B * W]), [B, W]), np.reshape(x, [W, B])];
  assert.is(prims(out, x).filter((p) => p === 'reshape').length, 1, 'a reshape to the input\'s shape returned as a result is the input');
  await sameAsEager(out, x);
  // The gradient of a bias added over rows: its sum over rows is reshaped to [1, C] and back.
  const b = wave([W], 0.5);
  const biasGrad = grad((b: NdArray, x: NdArray) => np.sum(np.square(np.tanh(np.matmul(np.add(x, b), w)))));
  assert.equal(redundantReshapes(biasGrad, b, x), []);
  await sameAsEager(biasGrad, b, x);
});
T('wasm: a product, a transpose and a fused loop launch no reshape of their own', async () => {
  const [x, x3] = [wave([B, W], 0.3), wave([2, B, W], 0.4)];
  const f = (x: NdArray, x3: NdArray, v: NdArray) => [np.matmul(x, np.transpose(v)), np.matmul(x3, v), np.matmul(np.transpose(x), x), np.transpose(x), np.tanh(np.add(x, 1))];
  if (wasm) {
    const n = await launches(() => jit(f)(x, x3, w));
    // Only the program's own reshapes (np.matmul's of x3 to [64, 128] and back) launch one.
    assert.is(n['Reshape'] ?? 0, prims(f, x, x3, w).filter((p) => p === 'reshape').length, JSON.stringify(n));
  }
  await sameAsEager(f, x, x3, w);
  // Batched operands keep their leading axes in our product: each matrix as its own product.
  const [a4, b4] = [wave([2, 3, B, W], 0.23, 1), wave([2, 3, W, W], 0.31)];
  const ab = np.matmul(a4, b4) as tf.Tensor;
  assert.equal(ab.shape, [2, 3, B, W]);
  for (const [i, j] of [[0, 0], [1, 2]] as const) {
    const one = np.matmul(np.take(np.take(a4, i, 0), j, 0), np.take(np.take(b4, i, 0), j, 0)) as tf.Tensor;
    allClose(await read(tf.slice(ab, [i, j, 0, 0], [1, 1, B, W])), await read(one), tol, `matrix ${i}, ${j}`);
    tf.dispose(one);
  }
  tf.dispose(ab);
});

// The RNN of bench/sections/rnn.ts, smaller: value and gradients of the last state's sum of squares.
const rnnLoss = (xs: NdArray) => ([w, u, b]: NdArray[]) => np.sum(np.square(lax.scan((h: NdArray, x: NdArray) => [cell(h, x, w!, u!, b!), null], np.zeros([B, W]), xs)[0] as NdArray));
const unrolledLoss = (xs: NdArray) => ([w, u, b]: NdArray[]) => {
  let h: NdArray = np.zeros([B, W]);
  for (let i = 0; i < xs.shape[0]!; i++) h = cell(h, np.take(xs, i, 0), w!, u!, b!);
  return np.sum(np.square(h));
};
T("an RNN's jit(valueAndGrad) over scan: per step five products, three loops, the rows' reshapes only (wasm); as the loop unrolled", async () => {
  const perStep = async (t: number) => {
    const step = jit(valueAndGrad(rnnLoss(wave([t, B, W], 0.17, 1))));
    return launches(() => {
      const [v, g] = step([w, u, bias]);
      return [v, ...g];
    });
  };
  if (wasm) {
    const [n4, n8] = [await perStep(4), await perStep(8)];
    const per = (k: string) => ((n8[k] ?? 0) - (n4[k] ?? 0)) / 4;
    // Forward: tanh's loop and its derivative's factor 1 - y^2 (a residual); backward: one loop.
    assert.is(per('TfjaxElementwise'), 3, JSON.stringify(n8));
    // Products: two forward, three backward (h's cotangent, W's and U's), none computed again.
    assert.is(per('TfjaxBatchMatMul'), 5, JSON.stringify(n8));
    assert.is(per('Tanh'), 0);
    assert.is(per('Reshape'), per('TfjaxSliceRows'), 'a reshape per row read, no other');
  }
  const xs = wave([5, B, W], 0.17, 1);
  const [[v, g], [v0, g0]] = [jit(valueAndGrad(rnnLoss(xs)))([w, u, bias]), valueAndGrad(unrolledLoss(xs))([w, u, bias])];
  allClose(await read(v), await read(v0), { rtol: backend === 'webgpu' ? 1e-3 : 1e-5 });
  for (let i = 0; i < 3; i++) allClose(await read(g[i]), await read(g0[i]), { rtol: backend === 'webgpu' ? 1e-3 : 1e-4, atol: 1e-5 }, `grad ${i}`);
  tf.dispose([v, v0, ...g, ...g0] as tf.Tensor[]);
});
T('scan reverse mode from stacked residuals: cotangents of consts, init and xs, reverse scans, int carries, grad of grad, vmap: as the loop unrolled', async () => {
  const rt = { rtol: backend === 'webgpu' ? 1e-3 : 1e-5, atol: 1e-6 };
  const xs = wave([4, 3], 0.7, 1);
  // A carry with an int32 counter; ys from the carry; the step reads x in its derivative (x * c).
  const body = (a: NdArray) => ([c, k]: NdArray[], x: NdArray): [NdArray[], NdArray] => [[np.sin(np.add(np.mul(np.mul(c, x), a), np.cast(k, 'float32'))), np.add(k, 1)], np.exp(np.mul(c, 0.5))];
  const looped = (reverse: boolean) => (a: NdArray, c0: NdArray, xs: NdArray) => {
    const [[c], ys] = lax.scan(body(a), [c0, np.array(0, 'int32')], xs, { reverse }) as [NdArray[], NdArray];
    return np.add(np.sum(np.square(c)), np.sum(np.mul(ys, np.reshape(np.arange(12), [4, 3]))));
  };
  const unrolled = (reverse: boolean) => (a: NdArray, c0: NdArray, xs: NdArray) => {
    let [c, k]: NdArray[] = [c0, np.array(0, 'int32')];
    const ys: NdArray[] = [];
    for (let s = 0; s < 4; s++) {
      const i = reverse ? 3 - s : s;
      const [[c1, k1], y] = body(a)([c, k], np.take(xs, i, 0));
      [c, k] = [c1!, k1!];
      ys[i] = y;
    }
    return np.add(np.sum(np.square(c)), np.sum(np.mul(np.stack(ys), np.reshape(np.arange(12), [4, 3]))));
  };
  const [a, c0] = [wave([3], 0.9, 1), wave([3], 0.4, 1)];
  for (const reverse of [false, true]) {
    const [g, g0] = [grad(looped(reverse), [0, 1, 2])(a, c0, xs) as NdArray[], grad(unrolled(reverse), [0, 1, 2])(a, c0, xs) as NdArray[]];
    const gj = jit(grad(looped(reverse), [0, 1, 2]))(a, c0, xs) as NdArray[];
    for (let i = 0; i < 3; i++) {
      allClose(await read(g[i]), await read(g0[i]), rt, `reverse ${reverse}: argument ${i}`);
      allClose(await read(gj[i]), await read(g0[i]), rt, `jit, reverse ${reverse}: argument ${i}`);
    }
    tf.dispose([...g, ...g0, ...gj] as tf.Tensor[]);
  }
  // Grad of grad (a Hessian-vector product) and vmap of grad.
  const hv = (f: typeof looped) => grad((a: NdArray) => np.sum(np.mul(grad(f(false))(a, c0, xs), c0)));
  allClose(await read(hv(looped)(a)), await read(hv(unrolled)(a)), rt, 'grad of grad');
  const fwdOverRev = (f: typeof looped) => jvp((a: NdArray) => grad(f(true))(a, c0, xs), [a], [c0])[1];
  allClose(await read(fwdOverRev(looped)), await read(fwdOverRev(unrolled)), rt, 'jvp of grad');
  const as = np.stack([a, np.mul(a, -0.5)]);
  const [vg, vg0] = [vmap((a: NdArray) => grad(looped(false))(a, c0, xs))(as), vmap((a: NdArray) => grad(unrolled(false))(a, c0, xs))(as)];
  allClose(await read(vg), await read(vg0), rt, 'vmap of grad');
});
T('vmap of the fused cell and of its gradient: each example as alone', async () => {
  const hs = wave([3, B, W], 0.11, 1);
  const x = wave([B, W], 0.29, 1);
  const f = (h: NdArray) => np.sum(np.square(cell(h, x, w, u, bias)));
  const batched = jit(vmap(grad(f)))(hs) as tf.Tensor;
  for (let i = 0; i < 3; i++) {
    const one = grad(f)(np.take(hs, i, 0)) as tf.Tensor;
    allClose(await read(tf.slice(batched, [i, 0, 0], [1, B, W])), await read(one), tol, `example ${i}`);
    tf.dispose(one);
  }
  tf.dispose(batched);
});
T.run();
