/**
 * Replica module for test/parallel: builds, in each worker, the program named by `arg.kind`
 * (not a test file itself; the suites pass its URL to `dataParallel`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { type DataParallelProgram, defineReplica, lossProgram, methodProgram, swavProgram } from '../../lib/parallel/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { tinyConfig } from '../ssl/tiny-swav.js';

export type ReplicaArg =
  | { readonly kind: 'mlp'; readonly lr: number; readonly sizes: readonly number[] }
  | { readonly kind: 'swav'; readonly lr: number; readonly momentum: number; readonly freezePrototypesSteps?: number; readonly sync?: boolean }
  | { readonly kind: 'failing' }
  | { readonly kind: 'plateau'; readonly sizes: readonly number[] }
  | { readonly kind: 'methodPlateau' }
  | { readonly kind: 'exits' }
  | { readonly kind: 'stalls'; readonly rank: number; readonly atStep: number; readonly seconds: number };

export type MlpParams = Record<string, NdArray>;
export interface MlpBatch {
  readonly x: NdArray;
  readonly y: NdArray;
}

/** Deterministic MLP parameters (same values in every process). */
export function mlpInit(sizes: readonly number[]): MlpParams {
  return tf.tidy(() => {
    const p: Record<string, tf.Tensor> = {};
    for (let i = 0; i + 1 < sizes.length; i++) {
      p[`w${i}`] = tf.mul(tf.randomUniform([sizes[i], sizes[i + 1]], -1, 1, 'float32', 11 + i), 1 / Math.sqrt(sizes[i]));
      p[`b${i}`] = tf.mul(tf.randomUniform([sizes[i + 1]], -1, 1, 'float32', 31 + i), 0.1);
    }
    return p;
  });
}

/** Cross-entropy of a ReLU MLP, a mean over the batch. */
export function mlpLoss(sizes: readonly number[]) {
  return (p: MlpParams, b: MlpBatch): NdArray => {
    let h = b.x;
    for (let i = 0; i + 1 < sizes.length; i++) {
      h = np.add(np.matmul(h, p[`w${i}`]), p[`b${i}`]);
      if (i + 2 < sizes.length) h = np.relu(h);
    }
    return np.crossEntropy(h, b.y);
  };
}

/** The SwAV configuration of the suites (the fixtures' tiny model). */
export const swavTestConfig = (freezePrototypesSteps = 0) => tinyConfig({ freezePrototypesSteps });

export const swavTestOptimizer = (lr: number, momentum: number) => optim.sgd({ learningRate: lr, momentum, weightDecay: 1e-4 });

/**
 * A linear model with a float state whose rank `rank` stops answering for `seconds` in step
 * `atStep` (1-based), before the all-reduce, so the other ranks wait for it at the barrier:
 * a stuck worker. The wait is in `reduceState`, the one callback of a program that runs on
 * every step outside jit (the phases run as traced once).
 */
function stallingProgram(arg: Extract<ReplicaArg, { kind: 'stalls' }>, rank: number): DataParallelProgram {
  const base = lossProgram({ init: () => ({ w: tf.ones([2]) }), loss: (p: MlpParams, b: MlpBatch) => np.mean(np.mul(b.x, p.w)), optimizer: optim.sgd({ learningRate: 0.1 }) });
  let steps = 0;
  return {
    ...base,
    init: () => ({ ...base.init(), state: { steps: tf.zeros([1]) } }),
    grads: (params, state: { steps: NdArray }, batch) => ({ ...base.grads(params, {}, batch), state: { steps: np.add(state.steps, 1) } }),
    reduceState: () => {
      if (rank === arg.rank && ++steps === arg.atStep) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000 * arg.seconds);
      return 'mean';
    },
  };
}

/** SGD whose step is scaled by reduceOnPlateau (patience 1, factor 0.5): it needs the loss at every update. */
export const plateauSgd = () => optim.chain(optim.sgd({ learningRate: 0.1 }), optim.reduceOnPlateau({ patience: 1, factor: 0.5 }));

/** A tiny SimCLR on [N, 8, 8, 1] views. */
export const tinySimclr = () => ssl.methods.simclr({ encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] }, projector: { dims: [8, 4] } });

export default defineReplica((arg: ReplicaArg, ctx): DataParallelProgram => {
  switch (arg.kind) {
    case 'mlp':
      return lossProgram({ init: () => mlpInit(arg.sizes), loss: mlpLoss(arg.sizes), optimizer: optim.sgd({ learningRate: arg.lr }) });
    case 'swav':
      return swavProgram({ config: swavTestConfig(arg.freezePrototypesSteps), optimizer: swavTestOptimizer(arg.lr, arg.momentum), seed: 0, sync: arg.sync });
    case 'stalls':
      return stallingProgram(arg, ctx.rank);
    // Optimisers that read the loss (optax's `value`): the update gets the averaged loss.
    case 'plateau':
      return lossProgram({ init: () => mlpInit(arg.sizes), loss: mlpLoss(arg.sizes), optimizer: plateauSgd() });
    case 'methodPlateau':
      return methodProgram(tinySimclr(), plateauSgd());
    case 'exits':
      // A worker that ends while it starts, without reporting an error.
      process.exit(3);
    case 'failing':
      return lossProgram({
        init: () => ({ w: tf.ones([2]) }),
        loss: () => {
          throw new Error('this loss always fails');
        },
        optimizer: optim.sgd({ learningRate: 1 }),
      });
  }
});
