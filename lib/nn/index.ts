/**
 * `nn`: layers and encoders as (init, apply) pairs over explicit parameters and state.
 * See docs/nn.md.
 */
export { type ApplyOptions, type CallChild, type Encoder, type Layer, type TorchDict, TorchReader, type Variables, composite, sequential, stateless } from './layer.js';
export {
  type Activation,
  type AttentionConfig,
  type BatchNormConfig,
  type BatchNormParams,
  type BatchNormState,
  type Conv2dConfig,
  type ConvParams,
  type LayerNormConfig,
  type LinearConfig,
  type LinearParams,
  type MlpConfig,
  type PoolConfig,
  avgPool2d,
  batchNorm,
  conv2d,
  dropout,
  flatten,
  gelu,
  globalAvgPool,
  globalMaxPool,
  identity,
  l2Normalize,
  layerNorm,
  linear,
  maxPool2d,
  mlp,
  multiHeadAttention,
  relu,
  silu,
  tanh,
} from './layers.js';
export * as F from './functional.js';
export { type AttentionOptions, type GeluOptions, type StandardizeOptions, dotProductAttention, leakyRelu, logSigmoid, standardize } from './functional.js';
export * as init from './init.js';
export { type ConvNetSmallOptions, ConvNetSmallOptionsCodec, convnetSmall } from './convnet.js';
export { type ResNetOptions, ResNetOptionsCodec, resnet } from './resnet.js';
export { type ViTOptions, ViTOptionsCodec, bilinearMatrix, resizeGrid, vit, vitSmall, vitTiny } from './vit.js';
export {
  type EncoderFactory,
  type EncoderOptionsCodec,
  type LoadOptions,
  embeddingDim,
  encoder,
  encoderNames,
  encoderOptionsCodec,
  exportTorchStateDict,
  loadTorchStateDict,
  registerEncoder,
  toTensorData,
} from './encoder.js';
