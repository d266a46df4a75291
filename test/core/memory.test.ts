/**
 * Memory: the transformations own theirs. Called at top level, grad / valueAndGrad / vjp /
 * jvp / vmap / jacfwd / jacrev / hessian and their compositions leave tf.memory().numTensors
 * where it was, apart from their outputs; a failing call frees what it made; eager loops in
 * `scope` stay flat.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, customVjp, grad, hessian, jacfwd, jacrev, jit, jvp, np, scope, stopGradient, tree, valueAndGrad, vjp, vmap } from '../../lib/index.js';
import { allCloseAsync } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();

type A = NdArray;

/** Distinct tensors among a result's leaves that were not already among `existing`. */
function newTensors(result: unknown, existing: unknown): tf.Tensor[] {
  const old = new Set(tree.leaves(existing));
  return [...new Set(tree.leaves(result))].filter((l): l is tf.Tensor => l instanceof tf.Tensor && !old.has(l));
}

/** Runs f(...args) and checks that numTensors grew by exactly the new tensors of its result; then frees them. */
function leavesOnlyOutputs(name: string, f: (...a: any[]) => unknown, args: unknown[]): void {
  const before = tf.memory().numTensors;
  const out = f(...args);
  const made = newTensors(out, args);
  assert.is(tf.memory().numTensors, before + made.length, `${name}: numTensors grew by ${tf.memory().numTensors - before}, its outputs are ${made.length}`);
  tf.dispose(made);
  assert.is(tf.memory().numTensors, before, `${name}: back to the start once the outputs are freed`);
}

const loss = (p: { w: A; b: A }, x: A) => np.sum(np.square(np.tanh(np.add(np.matmul(x, p.w), p.b))));
const params = () => ({ w: tf.tensor([[0.5, -0.3], [0.8, 0.1], [-0.2, 0.4]]), b: tf.tensor([0.1, -0.1]) });
const xs = () => tf.tensor([[1, 2, 3], [0.5, -1, 0], [0, 0.3, -2], [2, 1, 1]]);

const Top = suite(`memory: transformations at top level leave only their outputs [${backend}]`);

Top('grad, valueAndGrad (with argnums, hasAux), vjp, jvp', () => {
  const p = params();
  const x = xs();
  leavesOnlyOutputs('grad', grad(loss), [p, x]);
  leavesOnlyOutputs('grad argnums [0, 1]', grad(loss, { argnums: [0, 1] }), [p, x]);
  leavesOnlyOutputs('valueAndGrad', valueAndGrad(loss), [p, x]);
  leavesOnlyOutputs('grad hasAux', grad((p: { w: A; b: A }, x: A) => [loss(p, x), { n: np.sum(x) }], { hasAux: true }), [p, x]);
  leavesOnlyOutputs('grad with a number argument', grad((x: A, s: A) => np.sum(np.mul(x, s))), [x, 3]);
  leavesOnlyOutputs('jvp', (x: A, t: A) => jvp((x: A) => np.sin(np.mul(x, x)), [x], [t]), [x, tf.onesLike(x)]);
  leavesOnlyOutputs('jvp of the identity', (x: A, t: A) => jvp((x: A) => x, [x], [t]), [x, tf.onesLike(x)]);
  // vjp's forward intermediates stay alive for the pullback: in a scope, only what is returned survives.
  leavesOnlyOutputs('vjp and its pullback in a scope', (x: A) => scope(() => {
    const [out, pull] = vjp((x: A) => np.exp(np.mul(x, 2)), x);
    return [out, pull(tf.onesLike(out as tf.Tensor))];
  }), [x]);
});

Top('vmap (with inAxes null, outAxes), jacfwd, jacrev, hessian', () => {
  const p = params();
  const x = xs();
  leavesOnlyOutputs('vmap', vmap(loss, { inAxes: [null, 0] }), [p, x]);
  leavesOnlyOutputs('vmap outAxes', vmap((x: A) => np.mul(x, 2), { outAxes: 1 }), [x]);
  leavesOnlyOutputs('vmap of a constant output', vmap((_x: A) => tf.scalar(3)), [x]);
  leavesOnlyOutputs('jacfwd', jacfwd((x: A) => np.tanh(np.sum(x, 1))), [x]);
  leavesOnlyOutputs('jacrev', jacrev((x: A) => np.tanh(np.sum(x, 1))), [x]);
  leavesOnlyOutputs('hessian', hessian((v: A) => np.sum(np.mul(v, np.exp(v)))), [tf.tensor([0.5, 1])]);
});

Top('compositions: grad of grad, vmap of grad, jvp of grad, jit of vmap of grad, grad of jit, customVjp, stopGradient', () => {
  const p = params();
  const x = xs();
  const f = (v: A) => np.sum(np.mul(v, np.exp(v)));
  leavesOnlyOutputs('grad(grad)', grad((v: A) => np.sum(grad(f)(v) as A)), [tf.tensor([0.5, 1])]);
  leavesOnlyOutputs('vmap(grad)', vmap(grad(loss), { inAxes: [null, 0] }), [p, x]);
  leavesOnlyOutputs('jvp(grad)', (v: A, t: A) => jvp(grad(f), [v], [t]), [tf.tensor([0.5, 1]), tf.tensor([1, 0])]);
  const step = jit(vmap(grad(loss), { inAxes: [null, 0] }));
  tf.dispose(tree.leaves(step(p, x)) as tf.Tensor[]); // the first call traces and keeps its constants
  leavesOnlyOutputs('jit(vmap(grad)) replay', step, [p, x]);
  // jit under grad is a call whose IR is cached like any jit's: its first call stages it and may
  // keep constants (the literals a backend cannot read back to remake, webgpu's), freed by clearCache.
  const jitted = jit(loss);
  const gradJit = grad(jitted);
  const before = tf.memory().numTensors;
  tf.dispose(tree.leaves(gradJit(p, x)) as tf.Tensor[]);
  leavesOnlyOutputs('grad(jit) replay', gradJit, [p, x]);
  jitted.clearCache();
  assert.ok(tf.memory().numTensors <= before, 'grad(jit): clearCache frees what its first call kept');
  const clip = customVjp((v: A) => v, { fwd: (v: A) => [v, null], bwd: (_r: null, g: A) => [np.clip(g, -1, 1)] });
  leavesOnlyOutputs('grad of customVjp', grad((v: A) => np.sum(np.mul(clip(v) as A, 10))), [x]);
  leavesOnlyOutputs('vmap(grad) of customVjp', vmap(grad((v: A) => np.sum(np.mul(clip(v) as A, 10)))), [x]);
  leavesOnlyOutputs('grad with stopGradient', grad((v: A) => np.sum(np.mul(stopGradient(v), v))), [x]);
});

Top('a transformation that throws frees what it made', () => {
  const x = xs();
  const before = tf.memory().numTensors;
  const bad = (v: A) => {
    const y = np.exp(np.mul(v, 2)); // intermediates...
    return np.add(y, tf.ones([7])); // ...then a shape error
  };
  for (const t of [grad((v: A) => np.sum(bad(v))), vmap(bad), (v: A) => jvp(bad, [v], [v]), jacrev(bad), jit(bad)]) {
    assert.throws(() => t(x));
    assert.is(tf.memory().numTensors, before);
  }
});

Top('a jitted call that fails frees the arrays it made of number arguments (tracing errors, disposed arguments)', () => {
  const x = xs();
  const before = tf.memory().numTensors;
  const f = jit((x: A, s: A | number) => {
    if (x.shape[0] !== 99) throw new Error('a user error while tracing');
    return np.mul(x, s);
  });
  for (let i = 0; i < 3; i++) assert.throws(() => f(x, 3), /a user error while tracing/);
  const dead = tf.ones([2]);
  dead.dispose();
  assert.throws(() => jit((a: A, s: A | number) => np.mul(a, s))(dead, 2), /disposed/);
  assert.is(tf.memory().numTensors, before, 'no arrays left behind by the failed calls');
});

Top.run();

const Loops = suite(`memory: eager loops with scope stay flat [${backend}]`);

Loops('scope frees the intermediates of each iteration and returns its result', async () => {
  const x = xs();
  const before = tf.memory().numTensors;
  let total = 0;
  for (let i = 0; i < 20; i++) {
    const s = scope(() => np.sum(np.exp(np.mul(x, i / 20))));
    total += (await (s as tf.Tensor).data())[0];
    (s as tf.Tensor).dispose();
  }
  assert.is(tf.memory().numTensors, before);
  assert.ok(total > 0);
});

Loops('a training loop carrying its parameters: scope(step, params) stays flat', async () => {
  let p: { w: A; b: A } = params();
  const x = xs();
  const sgd = (p: { w: A; b: A }) => {
    const g = grad(loss)(p, x) as { w: A; b: A };
    return tree.map((w: A, gw: A) => np.sub(w, np.mul(gw, 0.05)), p, g) as { w: A; b: A };
  };
  const first = loss(p, x) as tf.Tensor;
  p = scope(() => sgd(p), p); // the first step frees the initial parameters
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) p = scope(() => sgd(p), p);
  assert.is(tf.memory().numTensors, before, 'flat over 50 steps');
  const last = loss(p, x) as tf.Tensor;
  assert.ok((await last.data())[0] < (await first.data())[0], 'and the loss went down');
});

Loops('scope keeps replaced tensors that the result still holds, and frees nothing when fn throws', async () => {
  const frozen = tf.tensor([1, 2]);
  const state = { frozen, w: tf.tensor([3]) };
  const next = scope(() => ({ frozen: state.frozen, w: np.add(state.w, 1) }), state);
  assert.ok(!frozen.isDisposed, 'a tensor passed through is kept');
  assert.ok(state.w.isDisposed, 'the replaced one is freed');
  await allCloseAsync(next.w as tf.Tensor, [4]);
  assert.throws(() => scope(() => {
    throw new Error('boom');
  }, next));
  assert.ok(!(next.w as tf.Tensor).isDisposed, 'nothing freed when fn throws');
});

Loops('scope inside a transformation does nothing (the transformation owns memory)', async () => {
  const f = (v: A) => scope(() => np.sum(np.mul(v, v)));
  await allCloseAsync(grad(f)(tf.tensor([1, 2])) as tf.Tensor, [2, 4]);
  await allCloseAsync(jit(f)(tf.tensor([1, 2])) as tf.Tensor, 5);
  await allCloseAsync(jit(f)(tf.tensor([1, 2])) as tf.Tensor, 5);
});

Loops('issue 17: code typed on NdArray disposes and clones without casts, eagerly and under transformations', async () => {
  // Typed on NdArray only (no `as tf.Tensor`): strict user code must compile and run both ways.
  const twice = (v: A): A => {
    const copy: A = np.copy(v);
    const out = np.add(copy, copy);
    if (copy !== v) copy.dispose();
    return out;
  };
  const x = tf.tensor([1, 2]);
  const before = tf.memory().numTensors;
  const y = twice(x);
  assert.is(tf.memory().numTensors, before + 1, 'only the result is left');
  assert.ok(!y.isDisposed && !x.isDisposed);
  await allCloseAsync(y as tf.Tensor, [2, 4]);
  y.dispose();
  assert.ok(y.isDisposed);
  await allCloseAsync(grad((v: A) => np.sum(twice(v)))(x) as tf.Tensor, [2, 2]);
  await allCloseAsync(jit(twice)(x) as tf.Tensor, [2, 4]);
});

Loops.run();
