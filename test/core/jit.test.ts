/**
 * jit: one trace per input signature (tree structure, shapes, dtypes, static arguments),
 * cached and replayed; makeJaxpr's readable IR; the rewrites (dead code, common
 * subexpressions, fused matmul/conv + bias + ReLU) keep results equal; memory stays flat.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, grad, jit, lax, makeJaxpr, np, tree, valueAndGrad, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
fc.configureGlobal({ includeErrorInReport: true });

type A = NdArray;
const f32 = (data: number[] | number[][], shape?: number[]) => np.array(data as number[], 'float32', shape);


async function treeClose(actual: unknown, expected: unknown, tol = { rtol: 1e-5, atol: 1e-6 }): Promise<void> {
  const [al, ad] = tree.flatten(actual);
  const [el, ed] = tree.flatten(expected);
  tree.assertSameStructure(ad, ed, 'actual and expected');
  for (let i = 0; i < al.length; i++) await allCloseAsync(al[i] as tf.Tensor, el[i] as tf.Tensor, tol);
}

// ---------------------------------------------------------------- tracing and the cache

const Cache = suite(`jit: one trace per signature [${backend}]`);

Cache('repeated calls with the same shapes trace once; new shapes, dtypes and structures trace again', async () => {
  let traces = 0;
  const f = jit((x: A, y: A) => {
    traces++;
    return np.add(np.mul(x, 2), y);
  });
  for (let i = 0; i < 5; i++) await allCloseAsync(f(f32([i, 1]), f32([1, 1])) as tf.Tensor, [2 * i + 1, 3]);
  assert.is(traces, 1, 'same shapes: one trace');
  assert.is(f.cacheSize(), 1);
  f(f32([1, 2, 3]), f32([1, 1, 1]));
  assert.is(traces, 2, 'new shape: a new trace');
  f(f32([1, 2, 3]), f32([1, 1, 1]));
  assert.is(traces, 2, 'that shape again: cached');
  f(np.array([1, 2], 'int32'), np.array([1, 1], 'int32'));
  assert.is(traces, 3, 'new dtype: a new trace');
  f(f32([4, 5]), f32([0, 0]));
  assert.is(traces, 3, 'the first signature is still cached');
  assert.is(f.cacheSize(), 3);
});

Cache('pytree structure is part of the signature; key insertion order is not', () => {
  let traces = 0;
  const f = jit((p: { a: A; b?: A; c?: A }) => {
    traces++;
    return np.sum(p.a);
  });
  f({ a: f32([1]), b: f32([2]) });
  f({ b: f32([3]), a: f32([4]) });
  assert.is(traces, 1, 'same keys in another order: the same structure');
  f({ a: f32([1]), c: f32([2]) });
  assert.is(traces, 2, 'other keys: a new trace');
  f({ a: f32([1]), b: [f32([2])] } as never);
  assert.is(traces, 3, 'a leaf became a list: a new trace');
});

Cache('static arguments are baked in and part of the key', async () => {
  let traces = 0;
  const f = jit(
    (x: A, power: number, opts: { scale: number }) => {
      traces++;
      let y = x;
      for (let i = 1; i < power; i++) y = np.mul(y, x);
      return np.mul(y, opts.scale);
    },
    { staticArgnums: [1, 2] },
  );
  await allCloseAsync(f(f32([2, 3]), 2, { scale: 1 }) as tf.Tensor, [4, 9]);
  await allCloseAsync(f(f32([2, 3]), 2, { scale: 1 }) as tf.Tensor, [4, 9]);
  assert.is(traces, 1);
  await allCloseAsync(f(f32([2, 3]), 3, { scale: 1 }) as tf.Tensor, [8, 27]);
  assert.is(traces, 2, 'a new static value: a new trace');
  await allCloseAsync(f(f32([2, 3]), 3, { scale: 0.5 }) as tf.Tensor, [4, 13.5]);
  assert.is(traces, 3);
  await allCloseAsync(f(f32([2, 3]), 2, { scale: 1 }) as tf.Tensor, [4, 9]);
  assert.is(traces, 3, 'old static values hit the cache');
});

Cache('issue 11 item 1: static functions and objects are keyed by identity or contents, never by their JSON text', async () => {
  let traces = 0;
  const apply = jit(
    (x: A, g: (v: A) => A) => {
      traces++;
      return g(x);
    },
    { staticArgnums: [1] },
  );
  const scaleBy = (c: number) => (v: A) => np.mul(v, c);
  await allCloseAsync(apply(f32([1, 2]), scaleBy(2)) as tf.Tensor, [2, 4]);
  await allCloseAsync(apply(f32([1, 2]), scaleBy(3)) as tf.Tensor, [3, 6], {}, 'a closure with the same source is another function');
  const twice = scaleBy(2);
  apply(f32([1, 2]), twice);
  apply(f32([1, 2]), twice);
  assert.is(traces, 3, 'the same function object hits its trace');

  const lookup = jit((x: A, m: Map<string, number>) => np.mul(x, m.get('s') ?? 0), { staticArgnums: [1] });
  await allCloseAsync(lookup(f32([1]), new Map([['s', 2]])) as tf.Tensor, [2]);
  await allCloseAsync(lookup(f32([1]), new Map([['s', 5]])) as tf.Tensor, [5], {}, 'Maps with other contents: another trace');

  // JSON writes NaN, ±Infinity as null and -0 as 0: every one of them must key on its own.
  const plus = jit((x: A, v: number) => np.add(x, v), { staticArgnums: [1] });
  for (const v of [Infinity, -Infinity, NaN]) await allCloseAsync(plus(f32([1]), v) as tf.Tensor, [v]);
  assert.is(plus.cacheSize(), 3);
  const sgn = jit((x: A, z: number) => np.div(x, z), { staticArgnums: [1] });
  await allCloseAsync(sgn(f32([1]), 0) as tf.Tensor, [Infinity]);
  await allCloseAsync(sgn(f32([1]), -0) as tf.Tensor, [-Infinity]);

  // Within one trace, common-subexpression elimination must not merge pads that differ only in a non-JSON value.
  const both = jit((x: A) => np.sub(np.pad(x, [[1, 0]], Infinity), np.pad(x, [[1, 0]], -Infinity)));
  await allCloseAsync(both(f32([1])) as tf.Tensor, [Infinity, 0]);

  assert.match(errorOf(() => apply(f32([1]), f32([1]) as never)), /jit: static argument 1: an array \(tensor\) cannot be a static value/);
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  const id = jit((x: A, _o: unknown) => x, { staticArgnums: [1] });
  assert.match(errorOf(() => id(f32([1]), cyc)), /jit: static argument 1\.self: a cyclic structure/);
});

Cache('JS numbers as dynamic arguments are scalars: the value changes, the trace does not', async () => {
  let traces = 0;
  const f = jit((x: A, s: A | number) => {
    traces++;
    return np.mul(x, s);
  });
  await allCloseAsync(f(f32([1, 2]), 3) as tf.Tensor, [3, 6]);
  await allCloseAsync(f(f32([1, 2]), -1) as tf.Tensor, [-1, -2]);
  assert.is(traces, 1);
});

Cache('a JS number argument is weakly typed, as a Python scalar under jax.jit: jit(f)(i32, 3) has the dtype of f(i32, 3)', async () => {
  const add = (x: A, s: number) => np.add(x, s);
  const i = np.array([1, 2], 'int32');
  const eager = add(i, 3) as tf.Tensor;
  const jitted = jit(add)(i, 3) as tf.Tensor;
  assert.is(jitted.dtype, eager.dtype);
  assert.is(jitted.dtype, 'int32');
  await allCloseAsync(jitted, [4, 5]);
  const half = jit(add)(i, 0.5) as tf.Tensor; // a non-integral number is a weak float
  assert.is(half.dtype, 'float32');
  await allCloseAsync(half, [1.5, 2.5]);
  await allCloseAsync(jit(add)(f32([1, 2]), 3) as tf.Tensor, [4, 5]);
  // So an integer argument can be an index, as eagerly (a float32 scalar start was an error).
  const x = f32([1, 2, 3, 4]);
  await allCloseAsync(jit((i: number) => lax.dynamicSlice(x, [i], [2]))(1) as tf.Tensor, [2, 3]);
});

Cache('negative staticArgnums count from the end, as in JAX', async () => {
  let traces = 0;
  const f = jit((x: A, flag: boolean) => {
    traces++;
    return flag ? np.mul(x, 2) : x;
  }, { staticArgnums: [-1] });
  await allCloseAsync(f(f32([1, 2]), true) as tf.Tensor, [2, 4]);
  await allCloseAsync(f(f32([1, 2]), false) as tf.Tensor, [1, 2]);
  await allCloseAsync(f(f32([3, 4]), true) as tf.Tensor, [6, 8]);
  assert.is(traces, 2);
  assert.is(makeJaxpr((x: A, k: number) => np.mul(x, k), { staticArgnums: [-1] })(f32([1]), 5).invars.length, 1, 'k is static: one input');
});

Cache('replays give the traced function\'s results (property over random inputs)', async () => {
  let traces = 0;
  const body = (x: A, w: A) => {
    traces++;
    return { y: np.tanh(np.matmul(x, w)), s: np.sum(np.exp(np.mul(x, 0.1))) };
  };
  const f = jit(body);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.float({ min: -2, max: 2, noNaN: true }), { minLength: 12, maxLength: 12 }), async (vals) => {
      const x = tf.tensor(vals.slice(0, 6), [2, 3]);
      const w = tf.tensor(vals.slice(6), [3, 2]);
      await treeClose(f(x, w), body(x, w));
    }),
    { numRuns: backend === 'webgpu' ? 5 : 30 },
  );
  assert.is(f.cacheSize(), 1);
});

Cache('jit inside another transformation applies its cached trace as a call (jit-call.test.ts has more)', async () => {
  let traces = 0;
  const f = jit((x: A) => {
    traces++;
    return np.sum(np.mul(x, x));
  });
  await allCloseAsync(grad(f)(f32([1, 2])) as tf.Tensor, [2, 4]);
  await allCloseAsync(vmap(f)(f32([[1, 2], [3, 4]])) as tf.Tensor, [5, 25]);
  assert.is(f.cacheSize(), 1, 'one cache entry: grad and vmap both see f at f32[2]');
  assert.is(traces, 1);
});

Cache('constants the function closes over are owned by the trace', async () => {
  const w = f32([1, 2]);
  const f = jit((x: A) => np.mul(x, w));
  await allCloseAsync(f(f32([3, 3])) as tf.Tensor, [3, 6]);
  w.dispose();
  await allCloseAsync(f(f32([1, 1])) as tf.Tensor, [1, 2]);
});

Cache('outputs that are inputs are copies: disposing one leaves the other', async () => {
  const f = jit((x: A, y: A) => [x, x, np.add(y, 1)]);
  const x = f32([1, 2]);
  const [a, b] = f(x, f32([0])) as tf.Tensor[];
  a.dispose();
  await allCloseAsync(b, [1, 2]);
  await allCloseAsync(x, [1, 2]);
});

Cache('clearCache frees the traces and their constants', () => {
  const c = f32([1, 2, 3]);
  const f = jit((x: A) => np.add(np.mul(x, c), np.sum(c)));
  const before = tf.memory().numTensors;
  (f(f32([1, 1, 1])) as tf.Tensor).dispose();
  assert.is(f.cacheSize(), 1);
  f.clearCache();
  assert.is(f.cacheSize(), 0);
  assert.is(tf.memory().numTensors, before + 1, 'only the argument made inside the call is left');
});

Cache('the function must return arrays: the error names where', () => {
  const f = jit((x: A) => ({ ok: x, bad: 'text' }));
  assert.match(errorOf(() => f(f32([1]))), /jit: the function must return arrays .* at \.bad it returned string/);
});

Cache('a JS number returned is a scalar array (jax.jit returns a Python scalar as an array), eagerly and under grad / vmap', async () => {
  const f = jit((x: A) => ({ x, k: 5, h: 0.5 }));
  const out = f(f32([2])) as unknown as { x: tf.Tensor; k: tf.Tensor; h: tf.Tensor };
  assert.is(out.k.dtype, 'int32');
  await allCloseAsync(out.k, 5);
  await allCloseAsync(out.h, 0.5);
  await allCloseAsync(grad((x: A) => np.add(x, jit((_a: A) => 5)(x)))(tf.scalar(2)) as tf.Tensor, 1);
  await allCloseAsync((vmap(jit((a: A) => [a, 5]))(f32([2, 3])) as tf.Tensor[])[1], [5, 5]);
});

Cache.run();

// ---------------------------------------------------------------- makeJaxpr

const Jaxpr = suite(`jit: makeJaxpr [${backend}]`);

Jaxpr('prints readable IR: typed variables, one equation per line, parameters', () => {
  const j = makeJaxpr((x: A, w: A) => np.sum(np.exp(np.matmul(x, w)), 1))(f32([[1, 2]]), f32([[1], [2]]));
  const text = String(j);
  assert.equal(text.split('\n'), [
    '{ lambda  ; a:f32[1,2] b:f32[2,1] .',
    '    c:f32[1,1] = dot[transposeA=false transposeB=false] a b',
    '    d:f32[1,1] = exp c',
    '    e:f32[1] = reduce_sum[axes=[1]] d',
    '  in ( e ) }',
  ]);
  j.dispose();
});

Jaxpr('constants are listed before the inputs; grad and vmap appear as the primitives they apply', () => {
  const jg = makeJaxpr(grad((x: A) => np.sum(np.mul(x, np.exp(x)))))(f32([0.5, 1]));
  const text = String(jg);
  assert.match(text, /^\{ lambda [a-z]+:f32\[[\d,]*\].* ; [a-z]+:f32\[2\] \./);
  assert.match(text, /= exp /);
  assert.match(text, /= mul /);
  assert.ok(!/vjp|grad/.test(text), 'only primitives in the IR');
  jg.dispose();
  // vmap of f has as many primitive applications as f, whatever the batch size.
  const f = (x: A) => np.sum(np.tanh(np.mul(x, x)));
  const n1 = makeJaxpr(f)(f32([1, 2, 3])).eqns.length;
  const n8 = makeJaxpr(vmap(f))(tf.ones([8, 3])).eqns.length;
  const n64 = makeJaxpr(vmap(f))(tf.ones([64, 3])).eqns.length;
  assert.is(n8, n64, 'no loop over the batch');
  assert.ok(n8 <= n1 + 1, `vmap adds no per-example work (${n1} vs ${n8})`);
});

Jaxpr.run();

// ---------------------------------------------------------------- rewrites

const Rewrite = suite(`jit: rewrites [${backend}]`);

const prims = (f: { lower(...a: never[]): { jaxpr: { eqns: readonly { prim: string }[] } } }, ...args: unknown[]) =>
  (f.lower as (...a: unknown[]) => { jaxpr: { eqns: readonly { prim: string }[] } })(...args).jaxpr.eqns.map((e) => e.prim);

Rewrite('dead code elimination drops unused equations', async () => {
  const f = (x: A) => {
    np.sin(np.cos(x)); // unused
    const kept = np.exp(x);
    np.sum(kept); // unused
    return np.mul(kept, 2);
  };
  const x = f32([0.1, 0.2]);
  const raw = makeJaxpr(f)(x).eqns.map((e) => e.prim);
  const jf = jit(f);
  const opt = prims(jf, x);
  assert.equal(raw, ['cos', 'sin', 'exp', 'reduce_sum', 'mul'], 'raw trace');
  assert.equal(opt, ['exp', 'mul']);
  assert.ok(opt.length < raw.length);
  await allCloseAsync(jf(x) as tf.Tensor, f(x) as tf.Tensor, { rtol: 1e-6 });
});

Rewrite('common subexpressions are computed once', async () => {
  const f = (x: A) => np.add(np.mul(np.exp(x), np.exp(x)), np.exp(x));
  const x = f32([0.3, -0.2]);
  const raw = makeJaxpr(f)(x).eqns.map((e) => e.prim);
  assert.is(raw.filter((p) => p === 'exp').length, 3);
  const jf = jit(f);
  const opt = prims(jf, x);
  assert.is(opt.filter((p) => p === 'exp').length, 1);
  assert.ok(opt.length < raw.length);
  await allCloseAsync(jf(x) as tf.Tensor, f(x) as tf.Tensor, { rtol: 1e-6 });
});

Rewrite('matmul + bias + relu fuse into one fused_matmul; results equal the unfused program and eager', async () => {
  const layer = (x: A, w: A, b: A) => np.relu(np.add(np.matmul(x, w), b));
  const x = f32([[1, -2, 3], [0.5, 0.1, -1]]);
  const w = f32([[0.2, -1], [0.4, 0.3], [-0.5, 0.8]]);
  const b = f32([0.1, -0.4]);
  const fused = jit(layer);
  const unfused = jit(layer, { fuse: false });
  const p = prims(fused, x, w, b);
  assert.ok(p.includes('fused_matmul'), `fused: ${p}`);
  assert.ok(!p.includes('dot') && !p.includes('max') && !p.includes('add'), `nothing left unfused: ${p}`);
  const eqn = fused.lower(x, w, b).jaxpr.eqns.find((e) => e.prim === 'fused_matmul')!;
  assert.is(eqn.params.activation, 'relu');
  assert.is(eqn.params.hasBias, true);
  assert.ok(prims(unfused, x, w, b).includes('dot'));
  const eager = layer(x, w, b) as tf.Tensor;
  await allCloseAsync(fused(x, w, b) as tf.Tensor, eager, { rtol: 1e-6, atol: 1e-6 });
  await allCloseAsync(unfused(x, w, b) as tf.Tensor, eager, { rtol: 1e-6, atol: 1e-6 });
  // matmul + bias alone, and matmul + relu alone, fuse too.
  const biasOnly = jit((x: A, w: A, b: A) => np.add(np.matmul(x, w), b));
  const e2 = biasOnly.lower(x, w, b).jaxpr.eqns.find((e) => e.prim === 'fused_matmul')!;
  assert.is(e2.params.activation, 'linear');
  await allCloseAsync(biasOnly(x, w, b) as tf.Tensor, np.add(np.matmul(x, w), b) as tf.Tensor, { rtol: 1e-6, atol: 1e-6 });
  const reluOnly = jit((x: A, w: A) => np.relu(np.matmul(x, w)));
  assert.ok(prims(reluOnly, x, w).includes('fused_matmul'));
  await allCloseAsync(reluOnly(x, w) as tf.Tensor, np.relu(np.matmul(x, w)) as tf.Tensor, { rtol: 1e-6, atol: 1e-6 });
});

Rewrite('max(x, 0) is rewritten to relu and fuses with its matmul (webgpu, whose constants are not read back, keeps max); NaN stays NaN', async () => {
  const layer = (x: A, w: A, b: A) => np.maximum(np.add(np.matmul(x, w), b), 0);
  const x = f32([[1, -2, 3], [0.5, NaN, -1]]);
  const w = f32([[0.2, -1], [0.4, 0.3], [-0.5, 0.8]]);
  const b = f32([0.1, -0.4]);
  const jf = jit(layer);
  const p = prims(jf, x, w, b);
  if (backend === 'webgpu') assert.ok(p.includes('max'), `webgpu: ${p}`);
  else {
    assert.ok(p.includes('fused_matmul') && !p.includes('max') && !p.includes('relu'), `fused: ${p}`);
    assert.is(jf.lower(x, w, b).jaxpr.eqns.find((e) => e.prim === 'fused_matmul')!.params.activation, 'relu');
  }
  const got = await (jf(x, w, b) as tf.Tensor).data();
  assert.ok(Number.isNaN(got[2]!) && Number.isNaN(got[3]!), `the NaN row stays NaN: ${got}`);
  await allCloseAsync(jf(x, w, b) as tf.Tensor, layer(x, w, b) as tf.Tensor, { rtol: 1e-6, atol: 1e-6 });
  // A max with another constant, or with 0 broadcasting x up, is no relu.
  assert.ok(prims(jit((v: A) => np.maximum(v, 0.5)), x).includes('max'));
  assert.ok(prims(jit((v: A) => np.maximum(v, np.zeros([2, 3]))), f32([1, 2, 3])).includes('max'));
});

Rewrite('a bias held as a [1, n] array (not a reshaped vector) fuses too: an RNN step matmul(h, w) + x', async () => {
  // tfjs's wasm fused kernels read the bias's rank from its buffer, where this one is rank 2.
  const step = (h: A, w: A, x: A) => np.tanh(np.add(np.matmul(h, w), x));
  const h = f32([[0.5, -1]]);
  const w = f32([[0.2, -1], [0.4, 0.3]]);
  const x = f32([[0.1, -0.4]]);
  const jf = jit(step);
  assert.ok(prims(jf, h, w, x).includes('fused_matmul'));
  await allCloseAsync(jf(h, w, x) as tf.Tensor, step(h, w, x) as tf.Tensor, { rtol: 1e-6, atol: 1e-6 });
});

Rewrite('a matmul whose output is used elsewhere is not fused away', async () => {
  const f = (x: A, w: A, b: A) => {
    const h = np.matmul(x, w);
    return [np.relu(np.add(h, b)), np.sum(h)];
  };
  const x = f32([[1, 2]]);
  const w = f32([[1, -1], [2, 0.5]]);
  const b = f32([0.5, -5]);
  const jf = jit(f);
  await treeClose(jf(x, w, b), f(x, w, b));
});

Rewrite('conv + bias + relu fuse into fused_conv with equal results', async () => {
  const layer = (x: A, w: A, b: A) => np.relu(np.add(np.conv2d(x, w, { strides: 2, padding: 'SAME' }), b));
  const x = tf.tensor(Array.from({ length: 2 * 5 * 5 * 3 }, (_, i) => Math.sin(i)), [2, 5, 5, 3]);
  const w = tf.tensor(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i) * 0.3), [3, 3, 3, 4]);
  const b = f32([0.1, -0.5, 0, 0.3]);
  const fused = jit(layer);
  assert.ok(prims(fused, x, w, b).includes('fused_conv'));
  await allCloseAsync(fused(x, w, b) as tf.Tensor, layer(x, w, b) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 });
  await allCloseAsync(jit(layer, { fuse: false })(x, w, b) as tf.Tensor, layer(x, w, b) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 });
  // conv + bias alone and conv + relu alone (on wasm: our kernel's epilogue with one part each).
  const biasOnly = (x: A, w: A, b: A) => np.add(np.conv2d(x, w, { strides: 1, padding: 'VALID' }), b);
  const reluOnly = (x: A, w: A) => np.relu(np.conv2d(x, w, { strides: [1, 2], padding: 'SAME' }));
  const w8 = tf.tensor(Array.from({ length: 3 * 3 * 3 * 8 }, (_, i) => Math.cos(i) * 0.3), [3, 3, 3, 8]);
  const b8 = f32([0.1, -0.5, 0, 0.3, 1, 2, -3, 4]);
  assert.ok(prims(jit(biasOnly), x, w8, b8).includes('fused_conv') && prims(jit(reluOnly), x, w).includes('fused_conv'));
  await allCloseAsync(jit(biasOnly)(x, w8, b8) as tf.Tensor, biasOnly(x, w8, b8) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 });
  await allCloseAsync(jit(reluOnly)(x, w) as tf.Tensor, reluOnly(x, w) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 });
});

// Elementwise fusion (wasm only): random chains of add/sub/mul/div/maximum/minimum/neg/relu/sign
// over full arrays, per-channel vectors, per-row values and scalars, optionally summed over all but the last axis.
const EW_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'neg', 'relu', 'sign'] as const;
const ewCase = fc.record({
  h: fc.constantFrom(16, 24),
  // Rows of 5, 7 and 65 end in a vector of fewer lanes (sums need whole vectors: those chains fuse without their sum).
  c: fc.constantFrom(4, 8, 12, 5, 7, 65),
  kinds: fc.array(fc.constantFrom('full', 'channel', 'row', 'scalar'), { minLength: 1, maxLength: 3 }),
  ops: fc.array(fc.record({ op: fc.constantFrom(...EW_OPS), a: fc.nat(), b: fc.nat() }), { minLength: 2, maxLength: 7 }),
  reduce: fc.boolean(),
  // Also return sums over rows of these intermediate values (merged into the loops that make them).
  sumsOf: fc.array(fc.nat(), { maxLength: 2 }),
  seed: fc.nat(1000),
});

Rewrite('elementwise chains (and sums of them, and sums of their intermediates) fuse into generated loops on wasm with the results of the separate kernels', async () => {
  await fc.assert(
    fc.asyncProperty(ewCase, async ({ h, c, kinds, ops, reduce, sumsOf, seed }) => {
      const shape = [64, h, c];
      const leafShapes = [shape, ...kinds.map((k) => (k === 'full' ? shape : k === 'channel' ? [1, 1, c] : k === 'row' ? [64, h, 1] : [1, 1, 1]))];
      // Values with exact zeros and signed zeros (relu/sign ties), NaN and infinities.
      const special = [0, -0, NaN, Infinity, -Infinity];
      const leaves = leafShapes.map((s, i) => {
        const n = s.reduce((a, b) => a * b, 1);
        const v = Array.from({ length: n }, (_, k) => ((k * 7 + i * 13 + seed) % 53 === 0 ? special[(k + i) % special.length]! : Math.sin(k * 0.37 + i + seed) * 3));
        return tf.tensor(v, s, 'float32');
      });
      const f = (...xs: A[]) => {
        const vals: A[] = [...xs];
        for (const { op, a, b } of ops) {
          const x = vals[vals.length - 1 - (a % vals.length)]!;
          const y = vals[b % vals.length]!;
          vals.push(op === 'neg' || op === 'relu' || op === 'sign' ? np[op](x) : np[op](x, y));
        }
        const full = (t: A) => (t as tf.Tensor).shape.join() === shape.join();
        const last = vals[vals.length - 1]!;
        const sums = sumsOf.map((k) => vals[xs.length + (k % ops.length)]!).filter(full).map((t) => np.sum(t, [0, 1]));
        return [reduce && full(last) ? np.sum(last, [0, 1]) : last, ...sums];
      };
      const jf = jit(f);
      const fused = prims(jf, ...leaves).includes('fused_elementwise');
      if (backend !== 'wasm') assert.not.ok(fused, 'fusion is wasm-only');
      const gots = jf(...leaves) as tf.Tensor[];
      const wants = f(...leaves) as tf.Tensor[];
      for (let o = 0; o < wants.length; o++) {
        const got = await gots[o]!.data();
        const want = await wants[o]!.data();
        assert.is(got.length, want.length);
        const summed = o > 0 || reduce;
        for (let i = 0; i < got.length; i++) {
          const [g, w] = [got[i]!, want[i]!];
          // Sums add in another order than tfjs's; everything else is the same float32 ops.
          const ok = Number.isNaN(w) ? Number.isNaN(g) : summed ? g === w || Math.abs(g - w) <= 1e-5 * (Math.abs(w) + 1) : Object.is(g, w) || g === w;
          if (!ok) assert.unreachable(`output ${o}, element ${i}: fused ${g}, separate kernels ${w} (fused: ${fused})`);
        }
      }
      tf.dispose([...leaves, ...gots, ...wants]);
    }),
    {
      numRuns: 25,
      // Found by this property: a sum merged into a loop after the loop's own result once took the result's place.
      examples: [[{ h: 16, c: 4, kinds: ['full'], ops: [...Array(4).fill({ op: 'add', a: 0, b: 0 }), { op: 'sign', a: 1, b: 0 }], reduce: false, sumsOf: [3], seed: 0 }]],
    },
  );
});

Rewrite('exp, log and erf fuse on wasm (alone too: ours are SIMD, tfjs\'s scalar), within 3 ulp of the separate kernels, on rows of 12 and of 65 (a last vector of one lane)', async () => {
  for (const c of [12, 65]) {
    const x = tf.tensor(Array.from({ length: 512 * c }, (_, k) => (k % 97 === 0 ? [NaN, Infinity, -Infinity, 0, -0][k % 5]! : Math.sin(k * 0.37) * 30)), [512, c]);
    const r = tf.tensor(Array.from({ length: 512 }, (_, k) => Math.cos(k) * 5), [512, 1]);
    const chains: [string, (x: A, r: A) => A][] = [
      ['exp(x)', (x) => np.exp(x)],
      ['log(x * x)', (x) => np.log(np.mul(x, x))],
      ['exp(x - row)', (x, r) => np.exp(np.sub(x, r))],
      ['erf(x / row)', (x, r) => np.erf(np.div(x, r))],
    ];
    for (const [name, f] of chains) {
      const jf = jit(f);
      if (backend === 'wasm') assert.equal(prims(jf, x, r), ['fused_elementwise'], name);
      const [gt, wt] = [jf(x, r) as tf.Tensor, f(x, r) as tf.Tensor];
      const [got, want] = [await gt.data(), await wt.data()];
      tf.dispose([gt, wt]);
      for (let i = 0; i < got.length; i++) {
        const [g, w] = [got[i]!, want[i]!];
        // Ours within 2 ulp of the true value, the C library's within 1: 3 ulp apart at most (denormals: absolutely).
        const ok = Number.isNaN(w) ? Number.isNaN(g) : g === w || Math.abs(g - w) <= 3 * 2 ** -23 * Math.abs(w) || Math.abs(g - w) <= 3 * 2 ** -149;
        if (!ok) assert.unreachable(`${name} on rows of ${c}, element ${i}: fused ${g}, separate kernels ${w}`);
      }
    }
    x.dispose();
    r.dispose();
  }
});

Rewrite('BatchNorm-like chains fuse on wasm: relu((x - mean) * scale + shift) is one loop, sum(x * y) another, a sum of squares joins the loop of what it squares', async () => {
  const x = tf.randomNormal([32, 8, 8, 16], 0, 1, 'float32', 1);
  const y = tf.randomNormal([32, 8, 8, 16], 0, 1, 'float32', 2);
  const [m, s, b] = [0, 1, 2].map((i) => tf.randomNormal([1, 1, 1, 16], 0, 1, 'float32', 10 + i));
  const bn = (x: A, m: A, s: A, b: A) => np.relu(np.add(np.mul(np.sub(x, m), s), b));
  const dot = (x: A, y: A) => np.sum(np.mul(x, y), [0, 1, 2]);
  const ops = (f: ReturnType<typeof jit>, ...args: A[]) => {
    const e = f.lower(...args).jaxpr.eqns.find((q) => q.prim === 'fused_elementwise');
    return e ? (e.params.program as { ops: { op: string }[]; reduce?: { op: string } }) : null;
  };
  const [jbn, jdot] = [jit(bn), jit(dot)];
  if (backend === 'wasm') {
    assert.equal(ops(jbn, x, m, s, b)?.ops.map((o) => o.op), ['sub', 'mul', 'add', 'relu']);
    assert.equal(prims(jbn, x, m, s, b), ['fused_elementwise']);
    const p = ops(jdot, x, y);
    assert.equal([p?.ops.map((o) => o.op), p?.reduce?.op], [['mul'], 'sum']);
  }
  // BatchNorm's statistics: the sum of squares of x - mean is made in the loop that makes x - mean.
  const stats = (x: A, m: A, s: A, b: A) => {
    const xc = np.sub(x, m);
    return [np.sum(np.mul(xc, xc), [0, 1, 2]), np.relu(np.add(np.mul(xc, s), b))];
  };
  const jstats = jit(stats);
  if (backend === 'wasm') {
    const eqns = jstats.lower(x, m, s, b).jaxpr.eqns;
    const merged = eqns.find((e) => e.extraOuts?.length);
    assert.ok(merged, `one loop makes x - mean and its sum of squares: ${eqns.map((e) => e.prim)}`);
    assert.equal((merged!.params.program as { ops: { op: string }[] }).ops.map((o) => o.op), ['sub', 'mul']);
  }
  await treeClose(jstats(x, m, s, b), stats(x, m, s, b), { rtol: 1e-5, atol: 1e-5 });
  await allCloseAsync(jbn(x, m, s, b) as tf.Tensor, bn(x, m, s, b) as tf.Tensor, { rtol: 0, atol: 0 });
  await allCloseAsync(jdot(x, y) as tf.Tensor, dot(x, y) as tf.Tensor, { rtol: 1e-5, atol: 1e-5 });
  tf.dispose([x, y, m, s, b]);
});

Rewrite('a jitted training step (valueAndGrad of an MLP) equals the eager one', async () => {
  const params = { w1: tf.randomNormal([4, 8], 0, 0.5, 'float32', 1), b1: tf.zeros([8]), w2: tf.randomNormal([8, 3], 0, 0.5, 'float32', 2), b2: tf.zeros([3]) };
  const x = tf.randomNormal([5, 4], 0, 1, 'float32', 3);
  const y = tf.tensor([0, 2, 1, 1, 0], [5], 'int32');
  const loss = (p: typeof params, x: A, y: A) => np.crossEntropy(np.add(np.matmul(np.relu(np.add(np.matmul(x, p.w1), p.b1)), p.w2), p.b2), y);
  const step = jit(valueAndGrad(loss));
  const [l1, g1] = step(params, x, y);
  const [l0, g0] = valueAndGrad(loss)(params, x, y);
  await treeClose([l1, g1], [l0, g0], { rtol: 1e-5, atol: 1e-6 });
});

Rewrite.run();

// ---------------------------------------------------------------- memory

const Memory = suite(`jit: memory [${backend}]`);

Memory('a jitted valueAndGrad called many times leaves numTensors flat after the first call', async () => {
  const params = { w: tf.randomNormal([6, 4], 0, 0.3, 'float32', 5), b: tf.zeros([4]) };
  const x = tf.randomNormal([8, 6], 0, 1, 'float32', 6);
  const loss = (p: typeof params, x: A) => np.mean(np.square(np.tanh(np.add(np.matmul(x, p.w), p.b))));
  const step = jit(valueAndGrad(loss));
  const dispose = (out: unknown) => tf.dispose(tree.leaves(out) as tf.Tensor[]);
  dispose(step(params, x)); // warm-up: traces and keeps the program's constants
  const before = tf.memory().numTensors;
  // 1000 calls as the issue asks; on webgpu (SwiftShader, ~1 ms per kernel) 100.
  const n = backend === 'webgpu' ? 100 : 1000;
  for (let i = 0; i < n; i++) dispose(step(params, x));
  assert.is(tf.memory().numTensors, before, `after ${n} calls`);
  const [v] = step(params, x);
  assert.is(tf.memory().numTensors, before + 3, 'one call leaves exactly its outputs (value, dw, db)');
  await allCloseAsync(v as tf.Tensor, valueAndGrad(loss)(params, x)[0] as tf.Tensor, { rtol: 1e-5 });
});

Memory('a failing trace frees what it made', () => {
  const f = jit((x: A, i: A) => np.take(np.exp(x), i));
  const x = f32([1, 2]);
  (f(x, np.array([0], 'int32')) as tf.Tensor).dispose();
  const bad = np.array([[0.5]], 'float32');
  const before = tf.memory().numTensors;
  // A dtype error at trace time (a new signature) leaves nothing behind, nor does the cache keep it.
  assert.match(errorOf(() => f(x, bad)), /gather: indices must be int32/);
  assert.is(tf.memory().numTensors, before);
  assert.is(f.cacheSize(), 1);
});

Memory.run();
