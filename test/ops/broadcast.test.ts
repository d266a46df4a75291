/** np.broadcastShapes / np.broadcastArrays: NumPy's broadcast_shapes and broadcast_arrays. */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { np } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

await useTestBackend();
const Broadcast = suite('np.broadcastShapes / np.broadcastArrays');

Broadcast('shapes align on the right; 1 stretches; an empty list is a scalar', () => {
  // The values numpy.broadcast_shapes gives for the same arguments.
  assert.equal(np.broadcastShapes([3, 1], [4]), [3, 4]);
  assert.equal(np.broadcastShapes([2, 1, 3], [5, 1], []), [2, 5, 3]);
  assert.equal(np.broadcastShapes([0], [1]), [0]);
  assert.equal(np.broadcastShapes([], []), []);
  assert.equal(np.broadcastShapes(), []);
  assert.match(errorOf(() => np.broadcastShapes([3], [4])), /broadcastShapes: shapes \[3\] and \[4\] cannot be broadcast together/);
});

Broadcast('arrays come back at the common shape, with their own values and dtypes', () => {
  tf.tidy(() => {
    const [a, b] = np.broadcastArrays(tf.tensor2d([[1], [2]]), tf.tensor1d([10, 20, 30], 'int32')) as tf.Tensor[];
    assert.equal([a.shape, b.shape], [[2, 3], [2, 3]]);
    assert.equal([...a.dataSync()], [1, 1, 1, 2, 2, 2]);
    assert.equal([b.dtype, [...b.dataSync()]], ['int32', [10, 20, 30, 10, 20, 30]]);
    assert.match(errorOf(() => np.broadcastArrays(tf.zeros([2]), tf.zeros([3]))), /broadcastArrays: shapes \[2\] and \[3\]/);
  });
});

Broadcast.run();
