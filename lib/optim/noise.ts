/** optax's gradient noise: Gaussian noise with a variance annealed over the steps, from a PRNG key in the state. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, isTracer } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, checkHyper } from './moments.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount } from './util.js';

export interface AddNoiseOptions {
  /** Base variance of the noise (default 0.01). */
  readonly eta?: Hyper;
  /** Decay exponent of the variance (default 0.55). */
  readonly gamma?: Hyper;
  /** A PRNG key (`random.key(seed)`), or an integer seed (default 0, optax's). */
  readonly key?: number | NdArray;
}

export interface AddNoiseState {
  /** int32 []: updates done so far. */
  readonly count: NdArray;
  /** int32 [2]: the key the next step splits. */
  readonly rngKey: NdArray;
}

/**
 * optax.add_noise: t = count + 1, `u = g + sqrt(eta / t^gamma) z` with z standard normal; the key in the
 * state is split each step into the next key and a sample key, and the sample key into one key
 * per leaf (leaf order), as optax does (the numbers are tfjax's Threefry, not JAX's).
 * @example const opt = chain(addNoise({ eta: 0.01, gamma: 0.55, key: 42 }), scaleByLearningRate(0.1));
 */
export function addNoise({ eta = 0.01, gamma = 0.55, key = 0 }: AddNoiseOptions = {}): GradientTransformation<AddNoiseState> {
  checkHyper('addNoise', 'eta', eta, (v) => v >= 0, '>= 0');
  if (typeof key === 'number' && !Number.isSafeInteger(key)) throw new Error(`addNoise: key must be a PRNG key or an integer seed, got ${key}`);
  return {
    init: () => ({ count: initCount(), rngKey: typeof key === 'number' ? random.key(key) : isTracer(key) ? key : tf.clone(key) }),
    update(updates, state) {
      type U = typeof updates;
      const count = incrementCount(state.count);
      const std = np.sqrt(np.div(eta, np.pow(np.cast(count, 'float32'), gamma)));
      const [rngKey, sampleKey] = random.split(state.rngKey);
      const [gs, def] = tree.flatten<NdArray>(updates);
      const keys = gs.length === 0 ? [] : random.split(sampleKey, gs.length);
      const out = tree.unflatten<U>(
        def,
        gs.map((g, i) => np.add(g, np.mul(std, random.normal(keys[i], np.shape(g))))),
      );
      return [out, { count, rngKey }];
    },
  };
}
