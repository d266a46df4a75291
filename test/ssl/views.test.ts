/**
 * `encodeViews`: per-view forwards thread BatchNorm state view after view (as separate calls
 * would), a concatenated batch is one forward split back into its views (sizes may differ),
 * and bad input is a one-line error; `viewsOf` / `twoViews` read the seed's batch forms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as nn from '../../lib/nn/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

const chain = { encoder: nn.sequential([nn.linear({ in: 4, out: 6 }), nn.batchNorm({ features: 6 }), nn.relu()]), projector: nn.linear({ in: 6, out: 3 }) };
const init = () => {
  const [k1, k2] = random.split(random.key(0));
  const e = chain.encoder.init(k1);
  const p = chain.projector.init(k2);
  return { params: { encoder: e.params, projector: p.params }, state: { encoder: e.state, projector: p.state } };
};
const a = tf.randomNormal([3, 4], 0, 1, 'float32', 1);
const b = tf.randomNormal([5, 4], 0, 1, 'float32', 2);

const Views = suite('ssl.encodeViews');
Views('per view: the same as one call per view, state threaded in view order', async () => {
  const { params, state } = init();
  const r = ssl.encodeViews(chain, params, state, [a, b], { train: true });
  const [ha, s1] = chain.encoder.apply(params.encoder, state.encoder, a, { train: true });
  const [hb, s2] = chain.encoder.apply(params.encoder, s1, b, { train: true });
  await allCloseAsync(r.outputs.encoder[0] as tf.Tensor, ha as tf.Tensor);
  await allCloseAsync(r.outputs.encoder[1] as tf.Tensor, hb as tf.Tensor);
  await allCloseAsync((r.state.encoder as any)[1].mean, s2[1].mean);
  assert.equal((r.outputs.projector[1] as tf.Tensor).shape, [5, 3]);
  tf.dispose([...tensorsIn([r, ha, hb, s1, s2, params, state])]);
});
Views('concatenated: one forward (one BatchNorm update) split back into views of their own sizes', async () => {
  const { params, state } = init();
  const r = ssl.encodeViews(chain, params, state, [a, b], { train: true, batching: 'concat' });
  const [y, s] = chain.encoder.apply(params.encoder, state.encoder, tf.concat([a, b], 0), { train: true });
  assert.equal((r.outputs.encoder[0] as tf.Tensor).shape, [3, 6]);
  assert.equal((r.outputs.encoder[1] as tf.Tensor).shape, [5, 6]);
  await allCloseAsync(tf.concat([r.outputs.encoder[0] as tf.Tensor, r.outputs.encoder[1] as tf.Tensor], 0), y as tf.Tensor);
  await allCloseAsync((r.state.encoder as any)[1].var, s[1].var);
  tf.dispose([...tensorsIn([r, y, s, params, state])]);
});
Views('errors name what was wrong', () => {
  const { params, state } = init();
  assert.is(errorOf(() => ssl.encodeViews(chain, params, state, [])), 'encodeViews: expected at least one view, got none');
  assert.is(errorOf(() => ssl.encodeViews(chain, { encoder: params.encoder }, state, [a])), "encodeViews: no parameters for stage 'projector' (params hold encoder)");
  const c = tf.zeros([3, 5]);
  assert.is(errorOf(() => ssl.encodeViews(chain, params, state, [a, c], { batching: 'concat' })), 'encodeViews: views concatenated into one batch must agree beyond the batch axis; view 1 is [3,5], view 0 [3,4]');
  assert.is(errorOf(() => ssl.twoViews({ globalViews: [a, a, b] }, 'simclr')), 'simclr: expected two views ({ view1, view2 } or two globalViews), got 3 views');
  assert.match(errorOf(() => ssl.twoViews({ images: a }, 'byol')), /^byol: expected two views .*got \{ images \}/);
  assert.equal(ssl.viewsOf({ globalViews: [a, b], localViews: [c] }, 'x')?.numGlobal, 2);
  tf.dispose([c, ...tensorsIn([params, state])]);
});
Views.after(() => tf.dispose([a, b]));
Views.run();
