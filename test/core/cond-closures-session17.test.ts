/**
 * lax.cond / lax.switch branches that close over traced values (JAX's usual style,
 * `lax.cond(p, lambda: f(x), lambda: g(x))`): what a branch computes from them is staged inside
 * the branch, as JAX's omnistaging does, so only the branch taken runs it. Loop bodies' effects
 * (debug.print / debug.callback) on values they close over happen once per iteration, as in JAX.
 *
 * Regression (session 17): such work was computed outside the cond on every path. Under jit
 * both branches ran (swav.sinkhorn's first scaling version took 483 ms where one branch takes
 * 140); a side effect in the branch not taken happened; and the derivative of the branch not
 * taken reached the result: `grad(x => cond(x > 0, () => log(x), () => 0))(0)` was NaN (JAX: 0).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, canReadBack, debug, grad, jit, jvp, lax, makeJaxpr, np, psum, tf, vmap } from '../../lib/node.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const read = async (x: unknown) => Array.from(await (x as tf.Tensor).data());
/** On webgpu (no synchronous read-back) a cond runs every branch and selects, and whileLoop is refused. */
const oneBranchRuns = canReadBack();

/** The primitives of a jaxpr's top level, and those inside its cond's branches. */
function primsOf(f: (x: NdArray) => NdArray, x: NdArray): { top: string[]; branches: string[][] } {
  const j = makeJaxpr(f)(x);
  const cond = j.eqns.find((e) => e.prim === 'cond')!;
  const branches = (cond.params.branches as { eqns: { prim: string }[] }[]).map((b) => b.eqns.map((e) => e.prim));
  const top = j.eqns.map((e) => String(e.prim));
  j.dispose();
  return { top, branches };
}

const Cond = suite('lax.cond branches and loop bodies that close over values (session 17)');

Cond('the IR: each branch holds its own work, nothing of it is left outside the cond', () => {
  const f = (x: NdArray) => lax.cond(np.greater(np.sum(x), 0), () => np.sin(np.mul(x, 2)), () => np.cos(np.mul(x, 3)));
  const { top, branches } = primsOf(f, np.array([1, 2]));
  assert.not.ok(top.includes('sin') || top.includes('cos'), `top level: ${top}`);
  assert.ok(branches[0]!.includes('cos') && !branches[0]!.includes('sin'), `false branch: ${branches[0]}`);
  assert.ok(branches[1]!.includes('sin') && !branches[1]!.includes('cos'), `true branch: ${branches[1]}`);
});

Cond('grad: the branch not taken gives no derivative (log at 0 is not NaN), eager, jit, vmap', async () => {
  const f = (x: NdArray) => lax.cond(np.greater(x, 0), () => np.log(x), () => np.zerosLike(x));
  for (const [name, g] of [
    ['grad', grad(f)],
    ['jit(grad)', jit(grad(f))],
  ] as const) {
    const at0 = g(np.array(0));
    allClose(await read(at0), [0], { atol: 0, rtol: 0 }, name);
    const at2 = g(np.array(2));
    allClose(await read(at2), [0.5], { rtol: 1e-6 }, name);
    tf.dispose([at0 as tf.Tensor, at2 as tf.Tensor]);
  }
  // Under vmap the backward cond's predicate is batched: both branches' derivatives are taken and
  // each example selects its own (log's 1/0 is not selected). JAX gives [0, 1, 0.5].
  const v = tf.tidy(() => vmap(grad(f))(np.array([0, 1, 2])) as tf.Tensor);
  allClose(await read(v), [0, 1, 0.5], { atol: 0, rtol: 1e-6 });
  v.dispose();
});

Cond('jvp: the tangent is the taken branch\'s', async () => {
  const f = (x: NdArray) => lax.cond(np.greater(x, 0), () => np.sqrt(x), () => np.mul(x, 0));
  const [y, t] = jvp(f, [np.array(0)], [np.array(1)]);
  allClose(await read(t), [0], { atol: 0, rtol: 0 });
  tf.dispose([y as tf.Tensor, t as tf.Tensor]);
});

Cond('under jit, a callback in the branch not taken does not run', async () => {
  const hits: string[] = [];
  const f = jit((x: NdArray) =>
    lax.cond(
      np.greater(x, 0),
      () => (debug.callback(() => hits.push('positive'), x), np.mul(x, 2)),
      () => (debug.callback(() => hits.push('not positive'), x), np.neg(x)),
    ),
  );
  const r = [f(np.array(3)), f(np.array(-1))] as tf.Tensor[];
  allClose([...(await read(r[0])), ...(await read(r[1]))], [6, 1]);
  tf.dispose(r);
  if (oneBranchRuns) assert.equal(hits, ['positive', 'not positive']);
  f.clearCache();
});

Cond('lax.switch with closures: only the chosen branch runs, the values are right', async () => {
  const hits: number[] = [];
  const branch = (k: number, x: NdArray) => () => (debug.callback(() => hits.push(k), x), np.add(np.mul(x, k), k));
  const f = jit((i: NdArray, x: NdArray) => lax.switch(i, [branch(0, x), branch(1, x), branch(2, x)]));
  const r = f(np.array(2, 'int32'), np.array([1, 2]));
  allClose(await read(r), [4, 6]);
  if (oneBranchRuns) assert.equal(hits, [2]);
  (r as tf.Tensor).dispose();
  f.clearCache();
});

Cond('nested conds and a while loop: a branch closing over the loop carry and over the outer argument', async () => {
  if (!oneBranchRuns) return void console.log('  (skipped on webgpu: lax.whileLoop reads its predicate back synchronously)');
  const f = (x: NdArray) =>
    lax.whileLoop(
      (c: NdArray) => np.less(c, 20),
      (c: NdArray) => lax.cond(np.greater(x, 0), () => lax.cond(np.less(c, 5), () => np.add(c, x), () => np.mul(c, 2)), () => np.add(c, 100)),
      np.array(1),
    );
  for (const [x, want] of [
    [2, 20],
    [-1, 101],
  ]) {
    const eager = f(np.array(x));
    const jitted = jit(f)(np.array(x));
    allClose(await read(eager), [want!], {}, `x = ${x}`);
    allClose(await read(jitted), [want!], {}, `jit, x = ${x}`);
    tf.dispose([eager as tf.Tensor, jitted as tf.Tensor]);
  }
});

Cond('a collective in a closing-over branch under vmap with an axis name', async () => {
  const f = vmap((x: NdArray) => lax.cond(np.greater(psum(x, 'i'), 0), () => np.div(x, psum(x, 'i')), () => np.zerosLike(x)), { axisName: 'i' });
  const pos = f(np.array([1, 3]));
  const neg = f(np.array([-1, -3]));
  allClose(await read(pos), [0.25, 0.75]);
  allClose(await read(neg), [0, 0], { atol: 0, rtol: 0 });
  tf.dispose([pos as tf.Tensor, neg as tf.Tensor]);
});

Cond('loop bodies: a callback on a value the body closes over runs once per iteration (fori, while, scan; eager and jit)', () => {
  if (!oneBranchRuns) return void console.log('  (skipped on webgpu: lax.whileLoop reads its predicate back synchronously)');
  const x = np.array(5);
  let hits = 0;
  const seen = (y: NdArray) => debug.callback(() => void hits++, y);
  const loops: [string, (y: NdArray) => unknown][] = [
    ['foriLoop', (y) => lax.foriLoop(0, 3, (_i: NdArray, c: NdArray) => (seen(y), np.add(c, y)), np.array(0))],
    ['whileLoop', (y) => lax.whileLoop((c: NdArray) => np.less(c, 15), (c: NdArray) => (seen(y), np.add(c, y)), np.array(0))],
    ['scan', (y) => lax.scan((c: NdArray, r: NdArray) => (seen(y), [np.add(c, y), r]), np.array(0), np.arange(3))],
  ];
  for (const [name, loop] of loops) {
    for (const [how, f] of [
      ['eager', loop],
      ['jit', jit(loop)],
    ] as const) {
      hits = 0;
      tf.dispose(tf.tidy(() => (f(x), [])));
      assert.is(hits, 3, `${name}, ${how}`);
    }
  }
  x.dispose();
});

Cond('eagerly, a callback on a concrete value in the branch not taken does not run', () => {
  if (!oneBranchRuns) return;
  const hits: string[] = [];
  const x = np.array(2);
  const r = lax.cond(np.array(true), () => (debug.callback(() => hits.push('taken'), x), x), () => (debug.callback(() => hits.push('not taken'), x), x));
  assert.equal(hits, ['taken']);
  tf.dispose([r as tf.Tensor, x]);
});

Cond.run();
