/** Linear (fully connected) layers over the last axis: [..., in] -> [..., out]. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import type { Layer } from './layer.js';
import { copy, linearFromTorch, linearToTorch } from './torch.js';

export interface LinearConfig {
  /** Input width (0 allowed), or 'scalar' (Equinox's in_features="scalar": inputs [...] without a feature axis). */
  readonly in: number | 'scalar';
  /** Output width (0 allowed), or 'scalar' (Equinox's out_features="scalar": outputs [...]). */
  readonly out: number | 'scalar';
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

/** A Linear width: a non-negative integer, or 1 for 'scalar'; anything else is an error naming `what`. */
function widthOf(v: unknown, what: string): number {
  if (v === 'scalar') return 1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${what} must be a non-negative integer or 'scalar', got ${String(v)}`);
  return v;
}

/**
 * y = x @ w + b over the last axis (PyTorch's nn.Linear and eqx.nn.Linear; weight stored as [in, out]).
 * Works on one example [in] or any batch [..., in]; with `in: 'scalar'` on [...] (each entry one
 * input), with `out: 'scalar'` giving [...] (Equinox's "scalar" sizes). Widths of 0 are allowed, as both.
 * @example const fc = nn.linear({ in: 512, out: 10 });
 */
export function linear(config: LinearConfig): Layer<LinearParams, Record<string, never>> {
  const nIn = widthOf(config.in, 'linear: in');
  const nOut = widthOf(config.out, 'linear: out');
  const scalarIn = config.in === 'scalar';
  const scalarOut = config.out === 'scalar';
  const hasBias = config.bias ?? true;
  const fans = { fanIn: nIn, fanOut: nOut };
  return {
    kind: 'linear',
    init(key) {
      return scope(() => ({ params: init.weightAndBias(key, config, [nIn, nOut], hasBias ? { out: nOut } : null, fans) as LinearParams, state: {} }));
    },
    apply(params, state, x) {
      const s = x.shape;
      if (!scalarIn && s[s.length - 1] !== nIn) throw new Error(`linear: expected inputs [..., ${nIn}], got ${shapeStr(s)}`);
      const y = F.linear(scalarIn ? np.expandDims(x, -1) : x, params.w, params.b);
      return [scalarOut ? np.squeeze(y, -1) : y, state];
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
