/**
 * scipy.optimize.minimize (lib/scipy/optimize.ts, JAX's BFGS) against SciPy 1.10's BFGS
 * (test/fixtures/scipy_signal.json, tools/scipy-signal-fixtures.py): Rosenbrock from
 * (-1.2, 1) and a 3-D quadratic with args; the result's fields; JAX's test_fixes4594
 * (a badly scaled quadratic); errors. Tolerances: x within 2e-4 of SciPy's (JAX's own test
 * tolerance, float32 gradients near the minimum); the quadratic's inverse Hessian within 5e-3
 * (relative) of inv(A): BFGS recovers it exactly only with exact line searches (here 1.6e-3 off).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, np, scipy } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`scipy.optimize.minimize against SciPy [${backend}]`);
const { minimize } = scipy.optimize;

const cases = (JSON.parse(readFileSync(new URL('../fixtures/scipy_signal.json', import.meta.url), 'utf8')) as { cases: Record<string, Record<string, number[]>> }).cases;
const read = async (y: NdArray) => Array.from((await (y as tf.Tensor).data()) as Float32Array);

const rosen = (x: NdArray) => {
  const n = x.shape[0]!;
  const [head, tail] = [np.sliceAxis(x, 0, 0, n - 1), np.sliceAxis(x, 0, 1, n)];
  return np.sum(np.add(np.mul(100, np.square(np.sub(tail, np.square(head)))), np.square(np.sub(1, head))));
};

test('Rosenbrock from (-1.2, 1): converges to SciPy’s minimum', async () => {
  const c = cases['rosen']!;
  const r = minimize(rosen, np.array(c['x0']!), [], { method: 'BFGS' });
  assert.ok(r.success, `success (status ${r.status})`);
  assert.is(r.status, 0);
  allClose(await read(r.x), c['x']!, { atol: 2e-4, rtol: 2e-4 });
  assert.ok((await read(r.fun))[0]! < 1e-8, 'fun at the minimum');
  assert.ok(Math.max(...(await read(r.jac)).map(Math.abs)) < 1e-5, 'jac below gtol');
  assert.ok(r.nit > 10 && r.nit < 100 && r.nfev > r.nit && r.njev === r.nfev, `counts: nit ${r.nit}, nfev ${r.nfev}`);
  assert.equal(r.hessInv.shape, [2, 2]);
});

test('a quadratic with args: x = A^-1 b, hessInv near inv(A), fun', async () => {
  const c = cases['quadratic']!;
  const A = np.reshape(np.array(c['A']!), [3, 3]);
  const q = (x: NdArray, b: NdArray) => np.sub(np.mul(0.5, np.dot(x, np.matmul(A, x))), np.dot(b, x));
  const r = minimize(q, np.zeros([3]), [np.array(c['b']!)], { method: 'bfgs' });
  assert.ok(r.success);
  allClose(await read(r.x), c['x']!, { atol: 2e-5, rtol: 2e-5 });
  allClose(await read(r.fun), [c['fun'] as unknown as number], { rtol: 1e-5 });
  allClose(await read(r.hessInv), c['hess_inv']!, { atol: 1e-3, rtol: 5e-3 });
});

test('JAX’s test_fixes4594 (mean((1e4 I x)^2) from ones): reaches 0; maxiter stops with status 1', async () => {
  const A = np.mul(np.eye(2), 1e4);
  const f = (x: NdArray) => np.mean(np.square(np.matmul(A, x)));
  allClose(await read(minimize(f, np.ones([2]), [], { method: 'BFGS' }).x), [0, 0], { atol: 1e-6 });
  const r = minimize(rosen, np.array([-1.2, 1]), [], { method: 'BFGS', options: { maxiter: 3 } });
  assert.equal([r.status, r.success, r.nit], [1, false, 3]);
});

test('errors name what is wrong', () => {
  assert.throws(() => minimize(rosen, np.ones([2]), [], { method: 'Nelder-Mead' }), /minimize: method must be 'BFGS', got 'Nelder-Mead'/);
  assert.throws(() => minimize(rosen, np.ones([2, 2]), [], { method: 'BFGS' }), /minimize: x0 must be 1-D/);
  assert.throws(() => jit((x: NdArray) => minimize(rosen, x, [], { method: 'BFGS' }).x)(np.ones([2])), /minimize: runs eagerly/);
});

test.run();
