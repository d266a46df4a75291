/** Linear (fully connected) layers over the last axis: [..., in] -> [..., out]. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type Layer, positiveInt } from './layer.js';
import { copy, linearFromTorch, linearToTorch } from './torch.js';

export interface LinearConfig {
  readonly in: number;
  readonly out: number;
  /** Default true. */
  readonly bias?: boolean;
  /** Default: PyTorch's kaiming_uniform(a = sqrt(5)). */
  readonly weightInit?: init.Initializer;
  /** Default: PyTorch's U(+-1/sqrt(in)). */
  readonly biasInit?: init.Initializer;
}

export interface LinearParams {
  /** [in, out] */
  readonly w: NdArray;
  /** [out] (absent without bias) */
  readonly b?: NdArray;
}

/**
 * y = x @ w + b over the last axis (PyTorch's nn.Linear; weight stored as [in, out]).
 * Works on one example [in] or any batch [..., in].
 * @example const fc = nn.linear({ in: 512, out: 10 });
 */
export function linear(config: LinearConfig): Layer<LinearParams, Record<string, never>> {
  const nIn = positiveInt(config.in, 'linear: in');
  const nOut = positiveInt(config.out, 'linear: out');
  const hasBias = config.bias ?? true;
  const fans = { fanIn: nIn, fanOut: nOut };
  return {
    kind: 'linear',
    init(key) {
      return scope(() => ({ params: init.weightAndBias(key, config, [nIn, nOut], hasBias ? { out: nOut } : null, fans) as LinearParams, state: {} }));
    },
    apply(params, state, x) {
      const s = x.shape;
      if (s[s.length - 1] !== nIn) throw new Error(`linear: expected inputs [..., ${nIn}], got ${shapeStr(s)}`);
      return [F.linear(x, params.w, params.b), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = linearToTorch(v.params.w);
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = linearFromTorch(r.get(`${prefix}weight`, [nOut, nIn]));
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [nOut])) } : { w }, state: {} };
    },
  };
}
