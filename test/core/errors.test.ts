/**
 * Errors users meet, with the exact text that tells them what went wrong: incompatible
 * shapes name the op and both shapes (eagerly and under every transformation); grad of a
 * non-scalar output says so; vmap axes that do not match name the argument; a tracer that
 * escaped its transformation, or is read for a value, is caught with a message instead of
 * giving a wrong number.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, grad, hessian, jacfwd, jacrev, jit, jvp, makeJaxpr, np, valueAndGrad, vjp, vmap } from '../../lib/index.js';
import * as lax from '../../lib/core/lax.js';
import { useCoreTestBackend } from './setup.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';

const backend = await useCoreTestBackend();

type A = NdArray;


// ---------------------------------------------------------------- shapes

const Shapes = suite(`errors: incompatible shapes name the op and both shapes [${backend}]`);

Shapes('elementwise ops (np broadcasting and the strict primitive)', () => {
  assert.is(errorOf(() => np.add(np.ones([2, 3]), np.ones([4]))), 'add: shapes [2,3] and [4] cannot be broadcast together');
  assert.is(errorOf(() => np.mul(np.ones([5, 1, 3]), np.ones([2, 4]))), 'mul: shapes [5,1,3] and [2,4] cannot be broadcast together');
  assert.is(errorOf(() => lax.add(np.ones([2, 3]), np.ones([3, 2]))), 'add: incompatible shapes [2,3] and [3,2] (dimension 0)');
  assert.match(errorOf(() => np.where(np.greater(np.ones([2]), 0), np.ones([3]), 0)), /^where: shapes \[2\] and \[3\] .*cannot be broadcast together$/);
});

Shapes('matmul, dot, conv, concatenate, reshape', () => {
  assert.is(errorOf(() => np.matmul(np.ones([2, 3]), np.ones([4, 5]))), 'matmul: inner dimensions differ: [2,3] @ [4,5]');
  assert.is(errorOf(() => lax.dot(np.ones([2, 3]), np.ones([4, 5]))), 'dot: contracting dims differ (3 vs 4): f32[2,3] @ f32[4,5]');
  assert.is(
    errorOf(() => np.conv2d(np.ones([1, 4, 4, 3]), np.ones([3, 3, 2, 4]))),
    'conv: filter expects 2 input channels, input has 3 (input f32[1,4,4,3], filter f32[3,3,2,4], strides [1,1], dilation [1,1], groups 1)',
  );
  assert.is(errorOf(() => np.concatenate([np.ones([2, 3]), np.ones([3, 3])], 1)), 'concatenate: shapes float32[2,3], float32[3,3] do not agree off axis 1');
  assert.is(errorOf(() => np.reshape(np.ones([2, 3]), [4, 2])), 'reshape: cannot reshape [2,3] to [4,2]');
});

Shapes('the same messages under jit, grad and vmap (vmap reports the per-example shapes)', () => {
  const bad = (x: A, y: A) => np.add(x, y);
  const msg = 'add: shapes [2,3] and [4] cannot be broadcast together';
  assert.is(errorOf(() => jit(bad)(np.ones([2, 3]), np.ones([4]))), msg);
  assert.is(errorOf(() => grad((x: A, y: A) => np.sum(bad(x, y)))(np.ones([2, 3]), np.ones([4]))), msg);
  assert.is(errorOf(() => vmap(bad)(np.ones([5, 2, 3]), np.ones([5, 4]))), msg);
  assert.is(errorOf(() => makeJaxpr(bad)(np.ones([2, 3]), np.ones([4]))), msg);
  assert.is(errorOf(() => jit((a: A, b: A) => np.matmul(a, b))(np.ones([2, 3]), np.ones([4, 5]))), 'matmul: inner dimensions differ: [2,3] @ [4,5]');
});

Shapes('dtype errors name the op and the operands', () => {
  assert.is(errorOf(() => lax.add(np.ones([2]), np.array([1, 2], 'int32'))), 'add: operands must have the same dtype, got f32[2] and i32[2]');
  assert.is(errorOf(() => np.take(np.ones([3]), np.array([0.5]))), 'gather: indices must be int32, got f32[1]');
  assert.is(errorOf(() => lax.log(np.array([1], 'int32'))), 'log: expected a float32 array, got i32[1]');
});

Shapes.run();

// ---------------------------------------------------------------- transformations

const Transforms = suite(`errors: transformation misuse [${backend}]`);

Transforms('grad of a non-scalar output says so', () => {
  assert.is(
    errorOf(() => grad((x: A) => np.mul(x, 2))(np.ones([2, 3]))),
    'grad requires a scalar float32 output, got f32[2,3]; use vjp or jacrev for non-scalar outputs, or reduce it (e.g. np.sum)',
  );
  assert.match(errorOf(() => grad((x: A) => np.argmax(x))(np.ones([3]))), /^grad requires a scalar float32 output, got i32\[\]/);
  assert.is(errorOf(() => grad(() => 'text')(np.ones([2]))), 'grad: the function returned string at .; it must return arrays');
});

Transforms('vmap: mapped sizes that differ name both arguments', () => {
  const f = (x: A, y: A) => np.add(x, y);
  assert.is(
    errorOf(() => vmap(f)(np.ones([3, 2]), np.ones([4, 2]))),
    'vmap: the argument at argument 1 has size 4 on its mapped axis 0, but the argument at argument 0 has size 3',
  );
  assert.is(
    errorOf(() => vmap((p: { w: A }, y: A) => np.add(p.w, y))({ w: np.ones([3, 2]) }, np.ones([4, 2]))),
    'vmap: the argument at argument 1 has size 4 on its mapped axis 0, but the argument at argument 0 (.w) has size 3',
  );
  assert.is(
    errorOf(() => vmap(f, { inAxes: [1, 0] })(np.ones([2, 3]), np.ones([2, 2]))),
    'vmap: the argument at argument 1 has size 2 on its mapped axis 0, but the argument at argument 0 has size 3',
  );
});

Transforms('vmap: inAxes that do not fit the arguments name the argument', () => {
  assert.is(errorOf(() => vmap((x: A) => x, { inAxes: 2 })(np.ones([3]))), 'vmap: inAxes 2 for the argument at argument 0 is out of range for its shape [3]');
  assert.is(errorOf(() => vmap((x: A) => x, { inAxes: 0 })(tf.scalar(1))), 'vmap: inAxes 0 for the argument at argument 0 is out of range for its shape []');
  assert.is(errorOf(() => vmap((x: A, _y: A) => x, { inAxes: [0] })(np.ones([3]), np.ones([3]))), 'vmap: inAxes at the root: got an array of length 1 where the value is an array of length 2');
  assert.is(
    errorOf(() => vmap((p: { a: A }) => p.a, { inAxes: [{ b: 0 }] })({ a: np.ones([3]) })),
    "vmap: inAxes at [0]: keys [b] do not match the value's keys [a]",
  );
  assert.is(errorOf(() => vmap((x: A) => x, { inAxes: null })(np.ones([3]))), 'vmap: no argument is mapped (every inAxes is null); give the size with { axisSize }');
  assert.is(errorOf(() => vmap((x: A) => x, { inAxes: [null] })(np.ones([3]))), 'vmap: no argument is mapped (every inAxes is null); give the size with { axisSize }');
});

Transforms('vmap: an axisSize that is not a size, or disagrees with a mapped argument, is named', () => {
  assert.is(errorOf(() => vmap((x: A) => x, { axisSize: 2 })(np.ones([3]))), 'vmap: the argument at argument 0 has size 3 on its mapped axis 0, but axisSize is 2');
  assert.is(errorOf(() => vmap((x: A) => x, { axisSize: -1 })(np.ones([3]))), 'vmap: axisSize must be a non-negative integer, got -1');
});

Transforms('vmap: outAxes that do not fit name the output', () => {
  const f = (x: A) => ({ y: np.mul(x, 2) });
  assert.is(errorOf(() => vmap(f, { outAxes: { y: null } })(np.ones([2, 3]))), 'vmap: the output at .y is batched, but outAxes says it is not (null)');
  assert.is(errorOf(() => vmap(f, { outAxes: 3 })(np.ones([2, 3]))), 'vmap: outAxes 3 for the output at .y is out of range for its batched rank 2');
  assert.is(errorOf(() => vmap((x: A) => np.mul(x, 2), { outAxes: -3 })(np.ones([2, 3]))), 'vmap: outAxes -3 for the output is out of range for its batched rank 2');
});

Transforms('vjp and jvp check cotangent / tangent structures and shapes', () => {
  const [, pull] = vjp((x: A) => ({ a: x }), np.ones([2]));
  assert.is(errorOf(() => pull({ b: np.ones([2]) })), 'vjp: the cotangent and the output have different structures at the root: an object with keys [a] vs an object with keys [b]');
  const [, pull2] = vjp((x: A) => x, np.ones([2]));
  assert.is(errorOf(() => pull2(np.ones([3]))), 'vjp: cotangent 0 has shape [3], the output has [2]');
  assert.is(errorOf(() => pull2(np.ones([2], 'int32'))), 'vjp: cotangent 0 has dtype int32, the output float32; they must match');
  assert.is(errorOf(() => jvp((x: A) => x, [np.ones([2])], [np.ones([3])])), 'jvp: tangent 0 has shape [3], its primal [2]');
  assert.match(errorOf(() => jvp((x: A) => x, [np.ones([2])], [[np.ones([2])]])), /^jvp: primals and tangents have different structures at \[0\]: a leaf vs an array of length 1$/);
});

Transforms('issue 11 item 9: differentiating with respect to an int32 or bool input names the argument and its dtype', async () => {
  const f = (p: { w: A; n: A }, k: A) => np.sum(np.mul(p.w, np.cast(np.add(p.n, k), 'float32')));
  const p = { w: np.ones([2]), n: np.array([1, 2], 'int32') };
  const k = np.array([3, 4], 'int32');
  const tail = "only float32 inputs can be differentiated: cast it with np.cast(x, 'float32'), or leave it out of argnums";
  assert.is(errorOf(() => grad(f)(p, k)), `grad: argnums includes argument 0 (at .n), whose dtype is int32; ${tail}`);
  assert.is(errorOf(() => grad(f, { argnums: [1] })(p, k)), `grad: argnums includes argument 1, whose dtype is int32; ${tail}`);
  assert.is(errorOf(() => valueAndGrad((b: A) => np.sum(np.cast(b, 'float32')))(np.array([true], 'bool'))), `grad: argnums includes argument 0, whose dtype is bool; ${tail}`);
  const g = (x: A) => np.cast(x, 'float32');
  assert.is(errorOf(() => jacrev(g)(k)), `jacrev: argnums includes argument 0, whose dtype is int32; ${tail}`);
  assert.is(errorOf(() => jacfwd(g)(k)), `jacfwd: argnums includes argument 0, whose dtype is int32; ${tail}`);
  assert.is(errorOf(() => hessian((x: A) => np.sum(g(x)))(k)), `hessian: argnums includes argument 0, whose dtype is int32; ${tail}`);
  assert.is(
    errorOf(() => jvp(g, [k], [k])),
    "jvp: the primal argument 0 has dtype int32, which has no tangents; close over it instead, or cast it with np.cast(x, 'float32')",
  );
  assert.is(errorOf(() => jvp((x: A) => x, [np.ones([2])], [k])), 'jvp: the tangent of argument 0 has dtype int32, its primal float32; they must match');
  // Integer inputs left out of argnums are fine; vjp, like JAX's, gives them zero cotangents.
  await allCloseAsync(grad((w: A, kk: A) => f({ w, n: p.n }, kk))(p.w, k) as tf.Tensor, [4, 6]);
  const [, pull] = vjp((w: A, kk: A) => f({ w, n: p.n }, kk), p.w, k);
  const [cw, ck] = pull(tf.scalar(1));
  await allCloseAsync(cw as tf.Tensor, [4, 6]);
  await allCloseAsync(ck as tf.Tensor, [0, 0]);
});

Transforms('issue 11 item 16: a disposed array names itself and the op it was passed to, eagerly and under every transformation', () => {
  const gone = np.ones([2, 3]) as tf.Tensor;
  gone.dispose();
  const y = np.ones([2, 3]);
  const msg = (where: string) => `a disposed array (shape [2,3], dtype float32) was passed to ${where}; it was freed (dispose, tf.tidy or scope) before this use`;
  assert.is(errorOf(() => np.add(y, gone)), msg('add (argument 1)'));
  assert.is(errorOf(() => np.relu(gone)), msg('relu (argument 0)'));
  assert.is(errorOf(() => grad((v: A) => np.sum(v))(gone)), msg('reduce_sum (argument 0)'));
  assert.is(errorOf(() => grad((v: A) => np.sum(np.mul(v, gone)))(y)), msg('mul (argument 1)'));
  assert.is(errorOf(() => vmap((v: A) => np.sum(v))(gone)), msg('reduce_sum (argument 0)'));
  assert.is(errorOf(() => jit((v: A) => np.sum(np.mul(v, gone)))(y)), msg('mul (argument 1)'));
  const step = jit((_n: number, p: { w: A }) => np.sum(p.w), { staticArgnums: [0] });
  step(1, { w: y });
  assert.is(errorOf(() => step(1, { w: gone })), msg('jit (argument 1 at .w)'), 'a replayed trace checks its arguments too');
});

Transforms('makeJaxpr of a function closing over an outer tracer says to pass it as an argument', () => {
  assert.is(
    errorOf(() => grad((x: A) => np.sum(makeJaxpr((y: A) => np.mul(y, x))(np.ones([2])) as never))(np.ones([2]))),
    'jit/makeJaxpr: the traced function closes over a value of an outer transformation (Tracer<vjp>(f32[2])); pass it as an argument instead',
  );
});

Transforms.run();

// ---------------------------------------------------------------- tracers

const Tracers = suite(`errors: tracers outside their transformation, and read for values [${backend}]`);

const ESCAPED = /^a (vjp|jvp|vmap|jit) tracer f32\[2\] escaped its transformation \(it was stored or returned outside the function being transformed\) and cannot be used any more$/;

Tracers('a tracer leaked out of grad, jvp, vmap or jit and used later: "escaped its transformation"', () => {
  let g: A | undefined;
  grad((x: A) => {
    g = np.mul(x, 2);
    return np.sum(x);
  })(np.ones([2]));
  let t: A | undefined;
  jvp((x: A) => {
    t = np.exp(x);
    return x;
  }, [np.ones([2])], [np.ones([2])]);
  let v: A | undefined;
  vmap((x: A) => {
    v = x;
    return x;
  })(np.ones([3, 2]));
  let j: A | undefined;
  jit((x: A) => {
    j = x;
    return x;
  })(np.ones([2]));
  for (const [kind, leaked] of [['vjp', g], ['jvp', t], ['vmap', v], ['jit', j]] as const) {
    const uses: [string, () => unknown][] = [
      ['an op', () => np.add(leaked!, 1)],
      ['an op with a concrete array', () => np.mul(np.ones([2]), leaked!)],
      ['inside another grad', () => grad((y: A) => np.sum(np.mul(y, leaked!)))(np.ones([2]))],
      ['as an argument of grad', () => grad((y: A) => np.sum(y))(leaked!)],
      ['as an argument of vmap', () => vmap((y: A) => np.exp(y))(leaked!)],
      ['as an argument of jit', () => jit((y: A) => np.exp(y))(leaked!)],
    ];
    for (const [how, use] of uses) {
      const msg = errorOf(use);
      assert.match(msg, ESCAPED, `${kind} tracer used in ${how}: ${msg}`);
      assert.ok(msg.startsWith(`a ${kind} tracer`), `${kind} tracer used in ${how} names its transformation: ${msg}`);
    }
  }
});

Tracers('dataSync, data and arraySync on a tracer say it has no concrete value', () => {
  const noValue = /^a (vjp|jit|vmap|jvp) tracer f32\[2\] has no concrete value: it stands for every value of its shape while the function is transformed\. Read values outside the transformed function, or use np\.where \/ stopGradient instead of JavaScript control flow on array values\.$/;
  assert.match(errorOf(() => grad((x: A) => (x.dataSync(), np.sum(x)))(np.ones([2]))), noValue);
  assert.match(errorOf(() => jit((x: A) => (x.dataSync(), x))(np.ones([2]))), noValue);
  assert.match(errorOf(() => vmap((x: A) => (x.arraySync(), x))(np.ones([3, 2]))), noValue);
  assert.match(errorOf(() => jvp((x: A) => (void x.data(), x), [np.ones([2])], [np.ones([2])])), noValue);
  assert.match(errorOf(() => grad((x: A) => (x.dataSync(), np.sum(x)))(np.ones([2]))), /^a vjp tracer/);
});

Tracers('JavaScript control flow or arithmetic on a tracer throws instead of comparing NaN', () => {
  const msg = /tracer f32\[2\] has no concrete value/;
  // `x > 0` would otherwise be false for every input, and Number(x) NaN.
  assert.match(errorOf(() => grad((x: A) => ((x as unknown as number) > 0 ? np.sum(x) : np.sum(np.neg(x))))(np.ones([2]))), msg);
  assert.match(errorOf(() => grad((x: A) => np.mul(np.sum(x), Number(x)))(np.ones([2]))), msg);
  assert.match(errorOf(() => jit((x: A) => np.mul(x, (x as unknown as number) + 1))(np.ones([2]))), msg);
  // Text is fine: a tracer prints as its kind and type.
  let text = '';
  grad((x: A) => {
    text = `${x}`;
    return np.sum(x);
  })(np.ones([2]));
  assert.is(text, 'Tracer<vjp>(f32[2])');
});

Tracers.run();
