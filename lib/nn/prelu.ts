/** PReLU: a leaky ReLU with learnt negative slopes (PyTorch's nn.PReLU), channels last. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Layer, positiveInt } from './layer.js';
import { copy } from './torch.js';

export interface PreluConfig {
  /** 1 (one slope shared by all channels, the default) or the number of channels C. */
  readonly num?: number;
  /** The slopes' starting value; default 0.25, as PyTorch's. */
  readonly init?: number;
}

export interface PreluParams {
  /** [num] slopes for x < 0 (PyTorch's weight) */
  readonly w: NdArray;
}

/**
 * x where x > 0, w * x elsewhere, with one learnt slope or one per channel (the LAST axis
 * here, where PyTorch's nn.PReLU uses axis 1: [N, ..., C] for its [N, C, ...]).
 * @example const act = nn.prelu({ num: 64 }); // on [N, H, W, 64]
 */
export function prelu(config: PreluConfig = {}): Layer<PreluParams, Record<string, never>> {
  const num = positiveInt(config.num ?? 1, 'prelu: num');
  const start = config.init ?? 0.25;
  return {
    kind: 'prelu',
    init: () => ({ params: { w: np.full([num], start) }, state: {} }),
    apply(params, state, x) {
      const s = x.shape;
      if (num > 1 && s[s.length - 1] !== num) throw new Error(`prelu: expected inputs [..., ${num}] (channels last), got ${shapeStr(s)}`);
      return [np.where(np.greater(x, 0), x, np.mul(x, params.w)), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = copy(v.params.w);
    },
    fromTorch(r, prefix) {
      return { params: { w: tf.clone(r.get(`${prefix}weight`, [num])) }, state: {} };
    },
  };
}
