import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { backendName, getBackend, ready, setBackend } from '../../lib/backend/node.js';
import { testBackendName, useTestBackend } from '../helpers/backend.js';
import { allClose, allCloseAsync, toNested } from '../helpers/assert.js';

const name = await useTestBackend();

const Backend = suite(`backend [${name}]`);

Backend('setBackend selects TFJAX_BACKEND and getBackend reports it', async () => {
  assert.is(name, testBackendName());
  await ready();
  assert.is(getBackend(), name);
  assert.is(backendName(), name);
  assert.is(tf.getBackend(), name);
});

Backend('matMul of two small matrices', async () => {
  const a = tf.tensor2d([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const b = tf.tensor2d([
    [7, 8],
    [9, 10],
    [11, 12],
  ]);
  const c = tf.matMul(a, b);
  assert.equal(c.shape, [2, 2]);
  assert.equal(Array.from(await c.data()), [58, 64, 139, 154]);
  assert.equal(await toNested(c), [
    [58, 64],
    [139, 154],
  ]);
  await allCloseAsync(c, [
    [58, 64],
    [139, 154],
  ]);
  tf.dispose([a, b, c]);
});

Backend('a larger matMul runs on the backend itself', async () => {
  // 64x64 is above webgpu's CPU-forwarding threshold, so it runs in a shader there.
  const n = 64;
  const av = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const bv = Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const expected = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) expected[i * n + j]! += av[i * n + k]! * bv[k * n + j]!;
  const c = tf.matMul(tf.tensor2d(av, [n, n]), tf.tensor2d(bv, [n, n]));
  await allCloseAsync(c, Array.from(expected), { rtol: 1e-4, atol: 1e-4 });
  tf.dispose(c);
});

Backend('setBackend rejects unknown names', async () => {
  let err: unknown;
  try {
    await setBackend('tpu' as never);
  } catch (e) {
    err = e;
  }
  assert.instance(err, Error);
  assert.match(String((err as Error).message), /unknown backend/);
  assert.is(getBackend(), name);
});

Backend.run();

const Assert = suite('assert helpers');

Assert('allClose passes within tolerance and accepts nested arrays', () => {
  allClose([1, 2, 3], [1, 2, 3 + 1e-7]);
  allClose([[1, 2], [3, 4]], Float32Array.from([1, 2, 3, 4]));
  allClose(2, 2);
  allClose([2, 2, 2], 2);
  allClose([NaN, Infinity], [NaN, Infinity]);
});

Assert('allClose names the max abs error, its index and the tolerance', () => {
  try {
    allClose([[1, 2], [3, 4.5]], [[1, 2.01], [3, 4]], { rtol: 0, atol: 1e-3 }, 'values');
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.instance(e, assert.Assertion);
    const msg = (e as Error).message;
    assert.match(msg, /^values: /);
    assert.match(msg, /max abs error among violations 0\.5/);
    assert.match(msg, /index \[1, 1\]/);
    assert.match(msg, /atol=0\.001/);
    assert.match(msg, /2 of 4 elements differ/);
  }
  // uvu's assert.throws re-throws Assertion errors, so check by hand.
  const message = (fn: () => void): string => {
    try {
      fn();
    } catch (e) {
      return (e as Error).message;
    }
    return '(did not throw)';
  };
  assert.match(message(() => allClose([1, 2], [1, 2, 3])), /size mismatch/);
  assert.match(message(() => allClose([NaN], [1])), /not close/);
  assert.match(message(() => allClose([1, 2], [1, 2.5])), /index \[1\]/);
});

Assert.run();
