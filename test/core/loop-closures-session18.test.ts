/**
 * Loop bodies (lax.scan, lax.foriLoop, lax.whileLoop) that close over traced values stage the
 * work they do on them inside the body, as JAX's jaxprs do (omnistaging), as cond branches do
 * since session 17: `jax.make_jaxpr(lambda w: lax.fori_loop(0, 3, lambda i, c: c + jnp.sin(w), 0.))`
 * has its `sin` in the loop's body, not before the loop. The values are the same either way;
 * the derivatives, batching and jit through such bodies are checked here too.
 *
 * Regression (session 18): that work was computed once before the loop (in the enclosing jaxpr).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, canReadBack, grad, jit, lax, makeJaxpr, np, tf, vmap } from '../../lib/node.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
/** webgpu's sin and cos (SwiftShader's, e.g.) are good to about 2e-4 relative; cpu and wasm's to float32 rounding. */
const rtol = backend === 'webgpu' ? 1e-3 : 1e-5;

const read = async (x: unknown) => Array.from(await (x as tf.Tensor).data());
/** whileLoop reads its predicate back synchronously, which webgpu cannot do. */
const whileRuns = canReadBack();

/** The primitives at a jaxpr's top level and in the body jaxprs (params `body`, `cond`) of its loop. */
function primsOf(f: (w: NdArray) => unknown, w: NdArray): { top: string[]; inner: string[] } {
  const j = makeJaxpr(f)(w);
  const top = j.eqns.map((e) => String(e.prim));
  const loop = j.eqns.find((e) => e.prim === 'scan' || e.prim === 'while')!;
  const bodies = ['body', 'cond'].map((k) => loop.params[k] as { eqns: { prim: string }[] } | undefined);
  const inner = bodies.flatMap((b) => (b ? b.eqns.map((e) => String(e.prim)) : []));
  j.dispose();
  return { top, inner };
}

// c + sin(2 w) per step: the closed-over work is sin(2 w).
const scanF = (w: NdArray) => lax.scan((c: NdArray, x: NdArray) => [np.add(c, np.mul(np.sin(np.mul(w, 2)), x)), c], np.array(0), np.arange(1, 4))[0] as NdArray;
const foriF = (w: NdArray) => lax.foriLoop(0, 3, (_i: NdArray, c: NdArray) => np.add(c, np.sin(np.mul(w, 2))), np.array(0));
const whileF = (w: NdArray) => lax.whileLoop((c: NdArray) => np.less(c, np.exp(w)), (c: NdArray) => np.add(c, np.sin(np.mul(w, 2))), np.array(0));

const L = suite('loop bodies that close over traced values (session 18)');

L('the IR: the work on closed-over values is inside the loop body, none before it (scan, foriLoop, whileLoop)', () => {
  const w = np.array(0.7);
  for (const [name, f] of [
    ['scan', scanF],
    ['foriLoop', foriF],
    ['whileLoop', whileF],
  ] as const) {
    const { top, inner } = primsOf(f, w);
    assert.not.ok(top.includes('sin') || top.includes('mul') || top.includes('exp'), `${name}: top level ${top}`);
    assert.ok(inner.includes('sin'), `${name}: body ${inner}`);
    if (name === 'whileLoop') assert.ok(inner.includes('exp'), `whileLoop: cond ${inner}`);
  }
  w.dispose();
});

L('values, grad, jit and vmap through scan and foriLoop with closed-over work', async () => {
  const w = 0.7;
  // scan: sum_x x sin(2w) = 6 sin(2w), d/dw = 12 cos(2w); foriLoop: 3 sin(2w), d/dw = 6 cos(2w).
  const cases: [string, (w: NdArray) => NdArray, number, number][] = [
    ['scan', scanF, 6 * Math.sin(2 * w), 12 * Math.cos(2 * w)],
    ['foriLoop', foriF, 3 * Math.sin(2 * w), 6 * Math.cos(2 * w)],
  ];
  for (const [name, f, value, slope] of cases) {
    const x = np.array(w);
    const outs = [f(x), jit(f)(x), grad(f)(x), jit(grad(f))(x)];
    const [v, jv, g, jg] = await Promise.all(outs.map(read));
    allClose(v!, [value], { rtol }, `${name} value`);
    allClose(jv!, [value], { rtol }, `${name} jit value`);
    allClose(g!, [slope], { rtol }, `${name} grad`);
    allClose(jg!, [slope], { rtol }, `${name} jit(grad)`);
    const ws = np.array([w, 0]);
    const vg = vmap(grad(f))(ws);
    allClose(await read(vg), [slope, slope / Math.cos(2 * w)], { rtol }, `${name} vmap(grad)`);
    tf.dispose([x, ws, vg as tf.Tensor, ...(outs as tf.Tensor[])]);
  }
});

L('whileLoop: closed-over work in the condition and the body, eager and jit', async () => {
  if (!whileRuns) return void console.log('  (skipped on webgpu: lax.whileLoop reads its predicate back synchronously)');
  // Steps of sin(1.4) ~ 0.9854 while c < exp(0.7) ~ 2.0138: three steps.
  const x = np.array(0.7);
  const [e, j] = [whileF(x), jit(whileF)(x)];
  allClose(await read(e), [3 * Math.sin(1.4)], { rtol }, 'eager');
  allClose(await read(j), [3 * Math.sin(1.4)], { rtol }, 'jit');
  tf.dispose([x, e as tf.Tensor, j as tf.Tensor]);
});

L.run();
