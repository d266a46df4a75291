/**
 * Data-parallel updates get the step's averaged loss (optax's extra argument `value`), as
 * ssl.trainStep gives it: optimisers that read it (reduceOnPlateau, polyakSgd, momo) threw
 * "update needs the loss value" in `lossProgram` and `methodProgram` before. With
 * reduceOnPlateau (patience 1, factor 0.5) on two workers, the plateau state follows the
 * averaged losses the steps report.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dataParallel } from '../../lib/parallel/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const REPLICAS = new URL('./replicas.ts', import.meta.url);
const T = suite('parallel: the update reads the averaged loss');

interface PlateauState {
  readonly bestValue: tf.Tensor;
}
/** The reduceOnPlateau state inside chain(sgd, reduceOnPlateau)'s state as read back. */
const plateauOf = (optState: unknown) => (optState as unknown[])[1] as PlateauState;
const scalarOf = async (t: tf.Tensor | { data: ArrayLike<number> }) => (t instanceof tf.Tensor ? (await t.data())[0] : t.data[0]);

T('lossProgram with reduceOnPlateau: 3 steps on 2 workers, the best value is the least reported loss', async () => {
  const dp = await dataParallel({ workers: 2, module: REPLICAS, arg: { kind: 'plateau', sizes: [6, 8, 3] }, backend });
  try {
    const batch = { x: tf.randomNormal([8, 6], 0, 1, 'float32', 5), y: tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32') };
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) losses.push((await dp.step(batch)).metrics.loss as number);
    const best = await scalarOf(plateauOf((await dp.read()).optState).bestValue as never);
    assert.ok(Math.abs(best - Math.min(...losses)) <= 1e-6 * Math.abs(best), `best ${best} against the losses ${losses}`);
    tf.dispose(Object.values(batch));
  } finally {
    await dp.close();
  }
});

T('methodProgram (SimCLR) with reduceOnPlateau: 2 steps on 2 workers, the best value is the least reported loss', async () => {
  const dp = await dataParallel({ workers: 2, module: REPLICAS, arg: { kind: 'methodPlateau' }, backend });
  try {
    const [k1, k2] = random.split(random.key(3));
    const batch = { view1: random.uniform(k1, [8, 8, 8, 1]), view2: random.uniform(k2, [8, 8, 8, 1]) };
    const losses: number[] = [];
    for (let i = 0; i < 2; i++) losses.push((await dp.step(batch)).metrics.loss as number);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    const best = await scalarOf(plateauOf((await dp.read()).optState).bestValue as never);
    assert.ok(Math.abs(best - Math.min(...losses)) <= 1e-6 * Math.abs(best), `best ${best} against the losses ${losses}`);
    tf.dispose([k1, k2, batch.view1, batch.view2] as tf.Tensor[]);
  } finally {
    await dp.close();
  }
});

T.run();
