/**
 * `applyUpdates` refuses an update whose shape differs from its parameter's, naming the leaf:
 * `p + u` would broadcast silently (a [2, 1] update onto a [2, 2] weight, a gradient tree of
 * the wrong model), and a [2] parameter would even come back [2, 2].
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`optim: applyUpdates shapes [${backend}]`);

const params = { layer: { w: np.ones([2, 2]), b: np.zeros([2]) } };

test('a broadcastable update of another shape is one line naming the leaf and both shapes', () => {
  const message = /^applyUpdates: at \.layer\.w the update has shape \[2,1\], the parameter \[2,2\]$/;
  assert.throws(() => optim.applyUpdates(params, { layer: { w: np.ones([2, 1]), b: np.ones([2]) } }), (e: Error) => message.test(e.message));
  assert.throws(() => jit(optim.applyUpdates)(params, { layer: { w: np.ones([2, 1]), b: np.ones([2]) } }), (e: Error) => message.test(e.message));
});

test('a parameter never changes shape through its update', () => {
  assert.throws(() => optim.applyUpdates(params, { layer: { w: np.ones([2, 2]), b: np.ones([2, 2]) } }), /at \.layer\.b the update has shape \[2,2\], the parameter \[2\]/);
});

test('equal shapes still add, leaf by leaf', async () => {
  const out = optim.applyUpdates(params, { layer: { w: np.full([2, 2], 0.5), b: np.array([1, -1]) } });
  assert.equal(Array.from(await out.layer.w.data()), [1.5, 1.5, 1.5, 1.5]);
  assert.equal(Array.from(await out.layer.b.data()), [1, -1]);
});

test.run();
