/**
 * Masked transformations and freezing (optax's `masked`, `set_to_zero`, `freeze`,
 * `selective_transform`): which leaves change, where the inner state lives, prefix and
 * function masks, under jit, and the frozen leaves kept out of global quantities.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`optim: masked updates and freezing [${backend}]`);

/** A tree of tensors as a tree of plain number lists. */
async function read(t: unknown): Promise<unknown> {
  const [ls, def] = tree.flatten<tf.Tensor>(t);
  return tree.unflatten(def, await Promise.all(ls.map(async (x) => Array.from(await x.data(), Number))));
}

test.before.each(() => {
  tf.engine().startScope();
});
test.after.each(() => {
  tf.engine().endScope();
});

const params = () => ({ encoder: { w: np.array([1, 2]), b: np.array([0.5]) }, head: { w: np.array([3, -1]) } });
const grads = () => ({ encoder: { w: np.array([0.1, -0.2]), b: np.array([1]) }, head: { w: np.array([2, 4]) } });

test('masked: the inner transformation on the selected leaves, the others pass through; state only where selected', async () => {
  const opt = optim.masked(optim.traceMomentum(0.9), { encoder: true, head: false });
  const p = params();
  let s = opt.init(p);
  assert.equal(await read(s), { innerState: { trace: { encoder: { w: [0, 0], b: [0] }, head: { w: null } } } });
  let u: ReturnType<typeof grads> = grads();
  for (let i = 0; i < 2; i++) [u, s] = opt.update(grads(), s, p);
  // Momentum on the encoder after two equal gradients: g + 0.9 g; the head's gradient unchanged.
  const flat = (await read(u)) as { encoder: { w: number[]; b: number[] }; head: { w: number[] } };
  allClose(flat.encoder.w, [0.19, -0.38]);
  allClose(flat.encoder.b, [1.9]);
  assert.equal(flat.head.w, [2, 4]);
});

test('masked: a function mask, and one trace under jit', async () => {
  const bigOnly = (t: unknown) => tree.map((x: NdArray) => (x as tf.Tensor).shape[0] > 1, t);
  const opt = optim.masked(optim.scale(10), bigOnly);
  const p = params();
  const s = opt.init(p);
  const step = jit((g: unknown, st: unknown) => opt.update(g as ReturnType<typeof grads>, st as typeof s, p));
  for (let i = 0; i < 2; i++) {
    const [u] = step(grads(), s) as [ReturnType<typeof grads>, unknown];
    const r = (await read(u)) as { encoder: { w: number[]; b: number[] }; head: { w: number[] } };
    allClose(r.encoder.w, [1, -2]);
    assert.equal(r.encoder.b, [1]);
    allClose(r.head.w, [20, 40]);
  }
  assert.is(step.cacheSize(), 1);
});

test('freeze: frozen leaves (mask true) get zero updates, held by applyUpdates even with weight decay', async () => {
  const opt = optim.chain(optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 0.5 }), optim.freeze({ encoder: true, head: false }));
  const p0 = params();
  let p = p0;
  let s = opt.init(p);
  for (let i = 0; i < 3; i++) {
    const [u, s2] = opt.update(grads(), s, p);
    [p, s] = [optim.applyUpdates(p, u), s2];
  }
  const r = (await read(p)) as { encoder: { w: number[]; b: number[] }; head: { w: number[] } };
  assert.equal(r.encoder, { b: [0.5], w: [1, 2] });
  assert.ok(r.head.w.every((x, i) => x !== [3, -1][i]), 'the head trains');
  // A boolean mask freezes everything.
  const all = optim.freeze(true);
  const [u] = all.update(grads(), all.init(p0));
  assert.equal(await read(u), { encoder: { b: [0], w: [0, 0] }, head: { w: [0, 0] } });
});

test('selectiveTransform: the inner optimiser never sees frozen leaves (no state, not in the clipping norm)', async () => {
  const inner = optim.chain(optim.clipByGlobalNorm(1), optim.scaleByLearningRate(optim.constant(1)));
  const opt = optim.selectiveTransform(inner, { freezeMask: { encoder: false, head: true } });
  const p = params();
  const s = opt.init(p);
  const [u] = opt.update(grads(), s, p);
  const r = (await read(u)) as { encoder: { w: number[]; b: number[] }; head: { w: number[] } };
  assert.equal(r.head.w, [0, 0]);
  // The norm is the encoder's alone: sqrt(0.01 + 0.04 + 1); clipped to 1, then -lr.
  const n = Math.sqrt(0.01 + 0.04 + 1);
  allClose(r.encoder.w, [-0.1 / n, 0.2 / n], { rtol: 1e-6 });
  allClose(r.encoder.b, [-1 / n], { rtol: 1e-6 });
});

test('masked: a mask that does not fit the parameters names the place', () => {
  const opt = optim.masked(optim.scale(2), { encoder: true, decoder: false });
  assert.throws(() => opt.init(params()), (e: Error) => e.message === 'masked: mask at the root: keys [decoder, encoder] do not match the value\'s keys [encoder, head]');
});

test('freezeFor: frozen leaves and their momentum held for the first steps, the learning-rate count advancing (swav\'s prototypes)', async () => {
  const lr = optim.linear({ init: 0.2, end: 0.05, steps: 4 });
  const opt = optim.freezeFor(optim.sgd({ learningRate: lr, momentum: 0.9, weightDecay: 0.1 }), { freezeMask: { encoder: false, prototypes: true }, steps: 2 });
  const w0 = { encoder: [1, -2], prototypes: [0.5, 0.25, -1] };
  const gradAt = (k: number) => ({ encoder: [0.3 * (k + 1), -0.1], prototypes: [0.2, -0.4 * k, 1 - k] });
  const step = jit((g: unknown, st: unknown, p: unknown) => {
    const [u, s2] = opt.update(g as Record<string, NdArray>, st as ReturnType<typeof opt.init>, p as Record<string, NdArray>);
    return [optim.applyUpdates(p as Record<string, NdArray>, u), s2];
  });
  const toTree = (t: typeof w0) => ({ encoder: np.array(t.encoder), prototypes: np.array(t.prototypes) });
  let p: unknown = toTree(w0);
  let s: unknown = opt.init(p);
  // float64 reference: torch SGD per leaf; the prototypes start at step 2 with an empty momentum buffer.
  const ref = { encoder: [...w0.encoder], prototypes: [...w0.prototypes] };
  const buf = { encoder: [0, 0], prototypes: [0, 0, 0] };
  for (let k = 0; k < 5; k++) {
    [p, s] = step(toTree(gradAt(k)), s, p) as [unknown, unknown];
    for (const leaf of ['encoder', 'prototypes'] as const) {
      if (leaf === 'prototypes' && k < 2) continue;
      ref[leaf] = ref[leaf].map((w, i) => {
        buf[leaf][i] = 0.9 * buf[leaf][i] + gradAt(k)[leaf][i] + 0.1 * w;
        return w - lr.at(k) * buf[leaf][i];
      });
    }
    const r = (await read(p)) as typeof w0;
    allClose(r.encoder, ref.encoder, { rtol: 1e-5, atol: 1e-6 }, `step ${k} encoder`);
    allClose(r.prototypes, ref.prototypes, { rtol: 1e-5, atol: 1e-6 }, `step ${k} prototypes`);
    const trace = ((await read(s)) as { inner: [unknown, { trace: typeof w0 }, unknown] }).inner[1].trace;
    allClose(trace.prototypes, buf.prototypes, { rtol: 1e-5, atol: 1e-6 }, `step ${k} prototypes' momentum`);
  }
  assert.is(step.cacheSize(), 1);
  assert.throws(() => optim.freezeFor(optim.sgd({ learningRate: 0.1 }), { freezeMask: true, steps: -1 }), (e: Error) => e.message === 'freezeFor: steps must be an integer >= 0, got -1');
});

test.run();
