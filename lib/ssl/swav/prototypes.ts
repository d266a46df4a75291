/**
 * SwAV's prototypes: a [K, D] weight (PyTorch's `nn.Linear(D, K, bias=False).weight`)
 * whose rows are kept at unit length, and the head that scores normalised embeddings
 * against them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customVjp, type NdArray } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';

/**
 * The prototypes with each row (one prototype, along the feature axis) scaled to unit
 * length: `W / max(||W[k]||, 1e-12)`, a new array (PyTorch's `F.normalize(W, dim=1)`).
 * Normalising columns instead is a classic mistake: it mixes prototypes.
 */
export function normalizePrototypes(prototypes: NdArray): NdArray {
  const s = prototypes.shape;
  if (s.length !== 2) throw new Error(`normalizePrototypes: expected a [prototypes, dim] weight, got shape [${s.join(',')}]`);
  return nn.F.l2Normalize(prototypes, 1);
}

/**
 * The normalised prototypes as the seed uses them: the value is `normalizePrototypes(W)`,
 * but the gradient passes to `W` unchanged (a `customVjp` with an identity backward). The seed renormalises the weight in place,
 * outside autograd, before the forward pass, so its gradient is the gradient with
 * respect to the normalised weight; this reproduces that. A training step then writes the normalised value back before
 * the optimiser update.
 */
export const normalizedForForward: (prototypes: NdArray) => NdArray = customVjp((w: NdArray) => normalizePrototypes(w), {
  fwd: (w: NdArray) => [normalizePrototypes(w), null],
  bwd: (_residuals: null, ct: NdArray) => [ct],
});

export interface PrototypesConfig {
  /** Embedding dimension D (the projector's output). */
  readonly dim: number;
  /** Number of prototypes K (3000 in the seed). */
  readonly count: number;
}

export interface PrototypesParams {
  /** [K, D], PyTorch's layout. */
  readonly weight: NdArray;
}

/**
 * Scores of embeddings against the prototypes: `normalize(z) @ normalize(W).T`, [N, K]
 * cosine similarities, with the seed's gradient (see {@link normalizedForForward}).
 */
export function prototypeScores(weight: NdArray, z: NdArray): NdArray {
  return np.matmul(nn.F.l2Normalize(z, -1), np.transpose(normalizedForForward(weight)));
}

/**
 * The prototypes head as an `nn` layer: init draws W like PyTorch's `nn.Linear`
 * (U(+-1/sqrt(D))), apply gives the scores [N, K]. PyTorch name: `weight`.
 */
export function prototypes(config: PrototypesConfig): nn.Layer<PrototypesParams, Record<string, never>> {
  const { dim, count } = config;
  for (const [k, v] of Object.entries({ dim, count }))
    if (!Number.isInteger(v) || v < 1) throw new Error(`prototypes: ${k} must be a positive integer, got ${String(v)}`);
  return {
    kind: 'prototypes',
    init: (key) => ({ params: { weight: tf.tidy(() => nn.init.torchDefaultWeight(key, [count, dim], { fanIn: dim, fanOut: count }) as tf.Tensor) }, state: {} }),
    apply: (params, state, z) => {
      const s = z.shape;
      if (s[s.length - 1] !== dim) throw new Error(`prototypes: expected embeddings [..., ${dim}], got [${s.join(',')}]`);
      return [prototypeScores(params.weight, z), state];
    },
    toTorch: (v, prefix, out) => {
      out[`${prefix}weight`] = tf.clone(v.params.weight as tf.Tensor);
    },
    fromTorch: (r, prefix) => ({ params: { weight: tf.clone(r.get(`${prefix}weight`, [count, dim])) }, state: {} }),
  };
}
