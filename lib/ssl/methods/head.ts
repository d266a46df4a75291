/**
 * The MLP heads of the methods (projectors, predictors) from one description, as
 * PyTorch's `nn.Sequential` lays them out, so the seed's state-dict names follow:
 *
 * ```
 * for each hidden width:  Linear(bias) [BatchNorm1d] activation
 * last:                   Linear(lastBias) [lastNorm]
 * ```
 * e.g. `{ dims: [2048, 128] }` is Linear-BN-ReLU-Linear with names `0`, `1`, `3`.
 * BatchNorm uses PyTorch's momentum convention (0.1 = weight of the new batch), eps 1e-5.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nn from '../../nn/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { boolean, oneOf, positiveInts } from '../codecs.js';

export type HeadNorm = 'none' | 'batchNorm' | 'batchNormNoBias' | 'batchNormNoAffine';

export interface HeadConfig {
  /** Widths of the Linear layers: the hidden ones, then the output. */
  readonly dims: readonly number[];
  /** Activation after each hidden layer. */
  readonly activation: 'relu' | 'gelu';
  /** BatchNorm after each hidden Linear (before the activation). */
  readonly batchNorm: boolean;
  /** Bias on the hidden Linears. */
  readonly bias: boolean;
  /** Bias on the last Linear. */
  readonly lastBias: boolean;
  /**
   * After the last Linear: nothing, BatchNorm, BatchNorm with a scale and a bias fixed at 0
   * (the seed's `BatchNorm1dNoBias`, SimCLR) or without affine parameters (SimSiam).
   */
  readonly lastNorm: HeadNorm;
}

/** The io-ts codec of a (partial) head description. */
export const HeadCodec = strictPartial(
  {
    dims: positiveInts,
    activation: oneOf(['relu', 'gelu'] as const),
    batchNorm: boolean,
    bias: boolean,
    lastBias: boolean,
    lastNorm: oneOf(['none', 'batchNorm', 'batchNormNoBias', 'batchNormNoAffine'] as const),
  },
  'an object with head settings (dims, activation, batchNorm, bias, lastBias, lastNorm)',
);

/** A head with every field given: `dims` and the rest Linear-BN-ReLU with biases, nothing at the end. */
export function head(dims: readonly number[], rest: Partial<Omit<HeadConfig, 'dims'>> = {}): HeadConfig {
  return { dims, activation: 'relu', batchNorm: true, bias: true, lastBias: true, lastNorm: 'none', ...rest };
}

/** BatchNorm1d whose bias is fixed at 0: a trainable scale only; PyTorch's `bias` entry is written as zeros. */
function batchNormNoBias(features: number): nn.Layer {
  const bn = nn.batchNorm({ features });
  return {
    ...bn,
    kind: 'batchNormNoBias',
    init: (key) => {
      const v = bn.init(key);
      tf.dispose(v.params.bias as tf.Tensor);
      return { params: { scale: v.params.scale }, state: v.state };
    },
    toTorch: (v, prefix, out) => {
      bn.toTorch({ params: { scale: v.params.scale, bias: tf.zerosLike(v.params.scale as tf.Tensor) }, state: v.state }, prefix, out);
    },
    fromTorch: (r, prefix) => {
      const v = bn.fromTorch(r, prefix);
      tf.dispose(v.params.bias as tf.Tensor);
      return { params: { scale: v.params.scale }, state: v.state };
    },
  };
}

function lastNormLayer(norm: HeadNorm, features: number): nn.Layer[] {
  if (norm === 'none') return [];
  if (norm === 'batchNormNoBias') return [batchNormNoBias(features)];
  return [nn.batchNorm({ features, affine: norm === 'batchNorm' })];
}

/**
 * The head as an `nn.sequential` layer from `inDim` features.
 * @example const projector = mlpHead(512, head([2048, 128])); // Linear-BN-ReLU-Linear
 */
export function mlpHead(inDim: number, h: HeadConfig): nn.Layer {
  return nn.sequential(headLayers(inDim, h));
}

/** The head's layers in `nn.Sequential` order (to extend a head inside one sequential, as the seed's DINO projector). */
export function headLayers(inDim: number, h: HeadConfig): nn.Layer[] {
  const act = h.activation === 'gelu' ? nn.gelu : nn.relu;
  const layers: nn.Layer[] = [];
  let width = inDim;
  h.dims.forEach((d, i) => {
    const last = i === h.dims.length - 1;
    layers.push(nn.linear({ in: width, out: d, bias: last ? h.lastBias : h.bias }));
    if (last) layers.push(...lastNormLayer(h.lastNorm, d));
    else layers.push(...(h.batchNorm ? [nn.batchNorm({ features: d })] : []), act());
    width = d;
  });
  return layers;
}

/** The output width of a head. */
export const headOut = (h: HeadConfig): number => h.dims[h.dims.length - 1];

/** A predictor must map back to the projector's width: the error line of a configuration where it does not, or null. */
export function predictorMismatch(c: { readonly projector: HeadConfig; readonly predictor: HeadConfig }): string | null {
  return headOut(c.predictor) === headOut(c.projector) ? null : `at .predictor.dims expected the output width ${headOut(c.projector)} of the projector, got ${headOut(c.predictor)}`;
}
