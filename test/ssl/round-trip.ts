/**
 * The state-dict checks shared by the method tests against the seed: `toTorch` then `fromTorch` gives
 * the same state dict, an entry the model does not use is a one-line error; and for the tiny masked
 * ViTs (width 4, 8x8 grey images), a loss whose masks a key draws and the embedding, without leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { scope } from '../../lib/core/index.js';
import * as random from '../../lib/random/index.js';
import type * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { tensorsIn } from './tiny-swav.js';

type Vars = { params: any; state: any };

/** `layout` on the variables' state dict; then its round trip (same names and values) and an unused entry refused. */
export async function checkRoundTrip(method: ssl.Method<any, any, any>, v: Vars, layout: (dict: Record<string, tf.Tensor>) => void = () => {}): Promise<void> {
  const dict = method.toTorch(v.params, v.state);
  layout(dict);
  const back = method.fromTorch(dict);
  const again = method.toTorch(back.params, back.state);
  assert.equal(Object.keys(again).sort(), Object.keys(dict).sort());
  for (const k of Object.keys(dict)) assert.equal(Array.from(await again[k].data()), Array.from(await dict[k].data()), k);
  const extra = tf.zeros([1]);
  assert.match(errorOf(() => method.fromTorch({ ...dict, extra })), /entries not used by the model: extra/);
  tf.dispose([extra, ...Object.values(dict), ...Object.values(again), ...tensorsIn(back)]);
}

/** What {@link checkKeyedLoss} runs: the method, its layout checks, a batch of 3 images a view and the view embedded. */
export interface KeyedRun<B> {
  readonly method: ssl.Method<any, any, any>;
  /** The method whose loss draws its masks from the key (default `method`). */
  readonly lossMethod?: ssl.Method<any, any, any>;
  readonly layout: (dict: Record<string, tf.Tensor>) => void;
  readonly batch: () => B;
  readonly embedded: (b: B) => tf.Tensor;
}

/** From `init`: the state dict's layout and round trip; the loss with a key is finite; the embedding is [3, 4]; nothing leaks. */
export async function checkKeyedLoss<B>(run: KeyedRun<B>): Promise<void> {
  const { method } = run;
  const start = tf.memory().numTensors;
  const v = scope(() => method.init(random.key(3)));
  await checkRoundTrip(method, v, run.layout);
  const b = scope(run.batch);
  const key = random.key(6);
  const [loss, aux] = scope(() => (run.lossMethod ?? method).loss(v.params, v.state, b, { key }));
  assert.ok(Number.isFinite((await (loss as tf.Tensor).data())[0]));
  const e = method.embed(v.params, v.state, run.embedded(b));
  assert.equal(e.shape, [3, 4]);
  tf.dispose(tensorsIn([v, b, loss, aux, e, key]));
  assert.is(tf.memory().numTensors, start, 'init, toTorch, fromTorch, loss and embed leave no tensor behind');
}
