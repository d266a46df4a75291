/**
 * The benchmark MLP (784-1024-1024-10 by default, softmax cross-entropy, SGD) shared by
 * `npm run bench` (section 1), `npm run bench:core` and bench/parallel.ts: its parameters
 * and its loss in our `np` (tfjs's own version of the step: bench/peers/tfjs.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { jit, np, optim, valueAndGrad } from '../lib/index.js';
import type { NdArray } from '../lib/index.js';

export type MlpParams = Record<string, NdArray>;

/** Uniform(-1/sqrt(fan in), 1/sqrt(fan in)) weights (seeded), zero biases: d -> h -> h -> k. */
export function mlpInit(d: number, h: number, k: number): Record<string, tf.Tensor> {
  return tf.tidy(() => {
    const rand = (shape: number[], scale: number, seed: number) => tf.mul(tf.randomUniform(shape, -1, 1, 'float32', seed), scale);
    return { w1: rand([d, h], 1 / Math.sqrt(d), 1), b1: tf.zeros([h]), w2: rand([h, h], 1 / Math.sqrt(h), 2), b2: tf.zeros([h]), w3: rand([h, k], 1 / Math.sqrt(h), 3), b3: tf.zeros([k]) };
  });
}

/** Mean softmax cross-entropy of the MLP on a batch (`y`: int32 class indices). */
export function mlpLoss(p: MlpParams, x: NdArray, y: NdArray): NdArray {
  const h1 = np.relu(np.add(np.matmul(x, p.w1), p.b1));
  const h2 = np.relu(np.add(np.matmul(h1, p.w2), p.b2));
  return np.crossEntropy(np.add(np.matmul(h2, p.w3), p.b3), y);
}

/**
 * The jitted SGD step (learning rate 0.01) of the d-h-h-k MLP on one batch, as users run it:
 * returns a function that runs one step and waits for its loss (bench/parallel.ts's one-process
 * contender, bench/profile.ts's `--encoder mlp`).
 */
export function mlpTrainStep([d, h, k]: readonly [number, number, number], batch: { x: NdArray; y: NdArray }): () => void {
  const opt = optim.sgd({ learningRate: 0.01 });
  let params: MlpParams = mlpInit(d, h, k);
  let optState = opt.init(params);
  const step = jit((p: MlpParams, o: unknown, b: { x: NdArray; y: NdArray }) => {
    const [loss, g] = valueAndGrad((q: MlpParams) => mlpLoss(q, b.x, b.y))(p) as [NdArray, MlpParams];
    const [u, next] = opt.update(g, o as never, p);
    return { loss, params: optim.applyUpdates(p, u) as MlpParams, optState: next };
  });
  return () => {
    const out = step(params, optState, batch as never);
    (out.loss as tf.Tensor).dataSync();
    tf.dispose([params, optState, out.loss] as unknown as tf.Tensor[]);
    params = out.params;
    optState = out.optState as never;
  };
}
