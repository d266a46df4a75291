/**
 * jax.numpy's semantic rules (issue 16) with NumPy's results as expected values
 * (test/fixtures/numpy.json, from tools/numpy-fixtures.py), on every backend: weak typing
 * of JS numbers, int32 + float32 promotion, true and floor division, means of int and bool,
 * logical ops on numbers, negative indices and slices, negative transpose axes, NaN in
 * argmax/argmin and sign. Also: no tensor leaks from the promoting ops.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { np } from '../../lib/index.js';
import { checkCase, loadCases } from '../helpers/numpy-cases.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
const Semantics = suite(`numpy semantics [${backend}]`);

for (const [name, c] of loadCases('semantics')) Semantics(name, () => checkCase(name, c));

Semantics('promoting ops leak no tensors under tidy', () => {
  const x = tf.tensor([1, 2, 3], undefined, 'int32');
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    np.mul(x, 0.5);
    np.div(x, 2);
    np.add(x, tf.scalar(1.5));
    np.logicalAnd(x, 0);
    np.where(np.less(x, 2), x, 0.5);
    np.sliceAxis(x, 0, null, null, -1);
    np.take(x, tf.tensor([-1], undefined, 'int32'));
  });
  assert.is(tf.memory().numTensors, before);
  x.dispose();
});

Semantics.run();
