/**
 * Session 13's follow-ups in the SSL pieces: swav.hardAssignments on a score array without a
 * prototype axis is a one-line error naming it, and infoNce's targets out of [0, M) raise as
 * PyTorch's cross_entropy does ("Target 7 is out of bounds") where they are concrete (under jit
 * they are traced and not checked). Reference numbers: PyTorch 1.13 (python3).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as ssl from '../../lib/ssl/index.js';
import * as swav from '../../lib/ssl/swav/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const S = suite(`ssl follow-ups session 13 [${backend}]`);

const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());
const anchors = () => np.array([[1, 0], [0, 1], [1, 1]], 'float32');
const candidates = () => np.array([[1, 0], [0, 1], [1, 1], [1, -1]], 'float32');
const T = (v: number[]) => np.array(v, 'int32');

S('swav.hardAssignments: a rank-0 or prototype-less score array is a one-line error naming it and the shape', async () => {
  assert.is(errorOf(() => swav.hardAssignments(np.array(3))), 'hardAssignments: scores must be [..., K] with K >= 1 prototypes (e.g. [B, K]), got []');
  assert.is(errorOf(() => swav.hardAssignments(np.zeros([2, 0]))), 'hardAssignments: scores must be [..., K] with K >= 1 prototypes (e.g. [B, K]), got [2,0]');
  assert.equal(await read(swav.hardAssignments(np.array([[0.1, 0.9], [2, -1]], 'float32'))), [0, 1, 1, 0]);
});

S('infoNce: a concrete target outside [0, M) is a one-line error naming the first, as PyTorch\'s cross_entropy raises', async () => {
  // torch: F.cross_entropy(logits [3, 4], tensor([0, 7, 2])) raises IndexError "Target 7 is out of bounds."
  assert.is(errorOf(() => ssl.infoNce(anchors(), candidates(), T([0, 7, 2]))), 'infoNce: targets[1] = 7 is out of range for 4 candidates (must be in [0, 4))');
  assert.is(errorOf(() => ssl.infoNce(anchors(), candidates(), T([4, 0, 9]))), 'infoNce: targets[0] = 4 is out of range for 4 candidates (must be in [0, 4))');
  assert.is(errorOf(() => ssl.infoNce(anchors(), candidates(), T([0, -1, 2]))), 'infoNce: targets[1] = -1 is out of range for 4 candidates (must be in [0, 4))');
  // Inside grad the targets are still concrete (closed over), so they are checked there too.
  assert.ok(errorOf(() => valueAndGrad((a: NdArray) => ssl.infoNce(a, candidates(), T([0, 5, 1])))(anchors())).startsWith('infoNce: targets[1] = 5'));
  // In range: torch's values (temperature 0.07).
  allClose(await read(ssl.infoNce(anchors(), candidates(), T([0, 1, 2]))), [0.025049960240721703], { rtol: 1e-4 });
  allClose(await read(ssl.infoNce(anchors(), candidates(), T([3, 0, 1]))), [7.576413631439209], { rtol: 1e-5 });
});

S('infoNce under jit: traced targets are not checked (documented), in-range ones give the eager value', async () => {
  const f = jit((t: NdArray) => ssl.infoNce(anchors(), candidates(), t));
  allClose(await read(f(T([3, 0, 1])) as NdArray), [7.576413631439209], { rtol: 1e-5 });
  const out = await read(f(T([0, 7, 2])) as NdArray); // no error: the values are not known while tracing
  assert.ok(Number.isFinite(out[0]));
});

S.run();
