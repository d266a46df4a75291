/**
 * More of JAX's transformation API (jax/_src/api.py and its tests/api_test.py):
 * jax.eval_shape with ShapeDtypeStruct, jax.linear_transpose, jax.jacobian, grad's allow_int,
 * the dtypes of JS scalars returned under vmap and jit (Python scalars' weak dtypes), and
 * lax.cond / lax.switch's predicate and index types (lax.cond takes any number, `pred != 0`;
 * lax.switch only integers).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, ShapeDtypeStruct, evalShape, grad, jacobian, jacrev, jit, lax, linearTranspose, np, shapeDtypeStruct, valueAndGrad, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;

// ---------------------------------------------------------------- eval_shape

const Shapes = suite(`jax api: evalShape [${backend}]`);

Shapes('evalShape gives the output tree of ShapeDtypeStruct from descriptors and arrays, and runs nothing', () => {
  const w = np.ones([3, 4]);
  const before = tf.memory().numTensors;
  const out = evalShape((x: A, p: { w: A }) => ({ y: np.matmul(x, p.w), n: 3, half: 0.5, flag: true, i: np.argmax(x, -1) }), shapeDtypeStruct([8, 3]), { w });
  assert.is(tf.memory().numTensors, before, 'no tensor is left behind');
  assert.ok(out.y instanceof ShapeDtypeStruct);
  assert.equal([[...out.y.shape], out.y.dtype], [[8, 4], 'float32']);
  // JS scalars returned: int32 for an integer, float32 otherwise, bool for a boolean (as jax.jit returns them).
  assert.equal([out.n.dtype, out.half.dtype, out.flag.dtype], ['int32', 'float32', 'bool']);
  assert.equal([[...out.i.shape], out.i.dtype], [[8], 'int32']);
  // Plain { shape, dtype } objects are descriptors too; a JS integer argument is an int32 scalar, as under jit.
  const [a, b] = evalShape((x: A, k: number) => [np.sum(x, 0), np.mul(k, 2)], { shape: [5, 2], dtype: 'float32' }, 7);
  assert.equal([[...a.shape], a.dtype, [...b.shape], b.dtype], [[2], 'float32', [], 'int32']);
  assert.match(errorOf(() => evalShape((x: A) => np.matmul(x, x), shapeDtypeStruct([8, 3]))), /^matmul: .*\[8,3\]/);
  assert.is(errorOf(() => shapeDtypeStruct([2, -1])), 'shapeDtypeStruct: shape must be a list of non-negative integers, got [2,-1]');
  assert.is(errorOf(() => evalShape((x: A) => x, 'x')), 'evalShape: the argument at [0] must be an array, a number, a boolean or a shapeDtypeStruct, got string');
});

// ---------------------------------------------------------------- linear_transpose

const Transpose = suite(`jax api: linearTranspose, jacobian [${backend}]`);

Transpose('linearTranspose of x -> A x is y -> A^T y; several primals give one cotangent each, as a list', async () => {
  const A0 = () => np.array([[1, 2, 3], [4, 5, 6]]);
  const fT = linearTranspose((x: A) => np.matmul(A0(), x), shapeDtypeStruct([3]));
  const [ct] = fT(np.array([1, -1]));
  await allCloseAsync(T(ct), [-3, -3, -3]);
  // JAX's test: f(x, y) = (x + 2y, 3x - y) transposes to ct -> (ct0 + 3 ct1, 2 ct0 - ct1); primals may be arrays.
  const g = (x: A, y: A) => [np.add(x, np.mul(y, 2)), np.sub(np.mul(x, 3), y)];
  const gT = linearTranspose(g, np.zeros([2]), { shape: [2], dtype: 'float32' });
  const [cx, cy] = gT([np.array([1, 2]), np.array([10, 20])]);
  await allCloseAsync(T(cx), [31, 62]);
  await allCloseAsync(T(cy), [-8, -16]);
  assert.is(errorOf(() => linearTranspose((x: A) => np.cast(x, 'int32'), shapeDtypeStruct([3]))), 'linearTranspose: only float32 -> float32 functions can be transposed, got (f32[3]) -> (i32[3])');
  assert.match(errorOf(() => fT(np.array([1, 2, 3]))), /^vjp: cotangent 0 has shape \[3\], the output has \[2\]$/);
});

Transpose('jacobian is jacrev (jax.jacobian)', async () => {
  const f = (x: A) => np.mul(np.sin(x), x);
  const x = np.array([0.5, 1, 2]);
  assert.is(jacobian, jacrev);
  await allCloseAsync(T(jacobian(f)(x)), await T(jacrev(f)(x)).array() as number[][]);
});

// ---------------------------------------------------------------- allow_int

const Ints = suite(`jax api: grad with allowInt [${backend}]`);

Ints('grad with allowInt gives zero gradients of the input dtype for int32 inputs (JAX: float0 zeros)', async () => {
  const f = (x: A, i: A) => np.sum(np.mul(x, np.cast(i, 'float32')));
  const [gx, gi] = grad(f, { argnums: [0, 1], allowInt: true })(np.array([1, 2]), np.array([3, 4], 'int32')) as A[];
  await allCloseAsync(T(gx), [3, 4]);
  assert.equal([T(gi).dtype, [...T(gi).shape]], ['int32', [2]]);
  await allCloseAsync(T(gi), [0, 0]);
  const [v, g] = valueAndGrad((i: A) => np.sum(np.cast(i, 'float32')), { allowInt: true })(np.array([[1, 2]], 'int32'));
  await allCloseAsync(T(v), 3);
  assert.equal([T(g).dtype, [...T(g).shape]], ['int32', [1, 2]]);
  // Without it, a one-line error names the argument (test/core/errors.test.ts pins the message).
  assert.match(errorOf(() => grad(f, { argnums: 1 })(np.array([1, 2]), np.array([3, 4], 'int32'))), /^grad: argnums includes argument 1, whose dtype is int32; /);
});

// ---------------------------------------------------------------- JS scalars returned

const Scalars = suite(`jax api: JS scalars returned under vmap and jit [${backend}]`);

Scalars('vmap(x => 3) is int32 (a weak int, as jit gives), 3.5 float32, true bool, broadcast over the axis', async () => {
  const xs = np.array([1, 2]);
  const three = T(vmap((_x: A) => 3)(xs));
  assert.equal([three.dtype, [...three.shape]], ['int32', [2]]);
  await allCloseAsync(three, [3, 3]);
  assert.is(T(vmap((_x: A) => 3.5)(xs)).dtype, 'float32');
  const yes = T(vmap((_x: A) => true)(xs));
  assert.equal([yes.dtype, Array.from(await yes.data())], ['bool', [1, 1]]);
  const both = vmap((x: A) => ({ k: 2, y: np.mul(x, 2) }))(xs) as { k: tf.Tensor; y: tf.Tensor };
  assert.equal([both.k.dtype, both.y.dtype], ['int32', 'float32']);
  assert.is(T(jit((_x: A) => 3)(xs)).dtype, 'int32');
  const j = T(jit((_x: A) => false)(xs));
  assert.equal([j.dtype, Array.from(await j.data())], ['bool', [0]]);
});

// ---------------------------------------------------------------- cond and switch

const Branches = suite(`jax api: lax.cond predicates and lax.switch indices [${backend}]`);

Branches('lax.cond takes a number or a float predicate as pred != 0 (0.5 and NaN are true), as JAX', async () => {
  const pick = (p: A | number) => lax.cond(p as A, (x: A) => x, (x: A) => np.neg(x), np.array(2));
  await allCloseAsync(T(pick(0.5)), 2);
  await allCloseAsync(T(pick(np.array(0.5))), 2);
  await allCloseAsync(T(pick(np.array(NaN))), 2);
  await allCloseAsync(T(pick(np.array(0))), -2);
  await allCloseAsync(T(pick(-3)), 2);
  await allCloseAsync(T(pick(np.array(-3, 'int32'))), 2);
  await allCloseAsync(T(vmap(pick)(np.array([0.25, 0]))), [2, -2]);
});

Branches('lax.switch refuses a float or bool index (JAX: "Index type must be an integer"), in one line', async () => {
  const branches = [(x: A) => x, (x: A) => np.neg(x), (x: A) => np.mul(x, 10)];
  assert.is(errorOf(() => lax.switch(np.array(1.5), branches, np.array(2))), 'lax.switch: the index must be an integer, got f32[]');
  assert.is(errorOf(() => lax.switch(1.5, branches, np.array(2))), 'lax.switch: the index must be an integer, got 1.5');
  assert.is(errorOf(() => lax.switch(true as unknown as number, branches, np.array(2))), 'lax.switch: the index must be an integer, got true');
  assert.is(errorOf(() => lax.switch(np.cast(np.array(1), 'bool'), branches, np.array(2))), 'lax.switch: the index must be an integer, got bool[]');
  assert.ok(errorOf(() => vmap((i: A) => lax.switch(i, branches, np.array(2)))(np.array([0, 1]))).startsWith('lax.switch: the index must be an integer'));
  await allCloseAsync(T(lax.switch(np.array(2, 'int32'), branches, np.array(2))), 20);
  await allCloseAsync(T(lax.switch(7, branches, np.array(2))), 20);
  await allCloseAsync(T(vmap((i: A) => lax.switch(i, branches, np.array(2)))(np.array([0, 1, 2], 'int32'))), [2, -2, 20]);
});

Shapes.run();
Transpose.run();
Ints.run();
Scalars.run();
Branches.run();
