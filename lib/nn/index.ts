/**
 * `nn`: layers and encoders as (init, apply) pairs over explicit parameters and state.
 * See docs/nn.md.
 */
export { type ApplyOptions, type CallChild, type Encoder, type Layer, type TorchDict, TorchReader, type Variables, composite, globalPooled, sequential, stateless } from './layer.js';
export { type LinearConfig, type LinearParams, linear } from './linear.js';
export { type AdaptivePoolConfig, type AvgPoolConfig, type Conv2dConfig, type ConvParams, type LpPoolConfig, type MaxPoolConfig, type PaddingMode, type PoolConfig, adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, conv2d, globalAvgPool, globalMaxPool, lpPool2d, maxPool2d } from './conv.js';
export { type BatchNormConfig, type LayerNormConfig, batchNorm, layerNorm } from './normalisation.js';
export type { BatchNormParams, BatchNormState } from './norm-state.js';
export { type AttentionApplyOptions, type AttentionConfig, type AttentionLayer, type AttentionParams, multiHeadAttention } from './attention.js';
export { type CrossAttentionApplyOptions, type CrossAttentionConfig, type CrossAttentionLayer, type CrossAttentionParams, crossAttention } from './cross-attention.js';
export { type Activation, type MlpConfig, mlp } from './mlp.js';
export { type ActivationFactory, type DropoutConfig, type FlattenConfig, type StatelessLayer, dropout, flatten, gelu, identity, l2Normalize, lambda, relu, silu, tanh, unflatten } from './stateless.js';
export * as F from './F.js';
export { dropPathBranch, dropPathRates } from './drop-path.js';
export * as losses from './losses.js';
export {
  type AttentionOptions,
  type GeluOptions,
  type SdpaOptions,
  type SoftplusOptions,
  type StandardizeOptions,
  celu,
  dotProductAttention,
  elu,
  glu,
  hardSigmoid,
  hardSilu,
  hardSwish,
  hardTanh,
  leakyRelu,
  logSigmoid,
  mish,
  relu6,
  scaledDotProductAttention,
  selu,
  softSign,
  softplus,
  squareplus,
  standardize,
} from './functional.js';
/** jax.nn's softmax family and one_hot, with JAX's options (`where`, logsumexp's `b` and `returnSign`, one_hot's `dtype` and `axis`). */
export { type LogmeanexpOptions, type LogsumexpOptions, type OneHotOptions, type SoftmaxOptions, log1mexp, logSoftmax, logmeanexp, logsumexp, oneHot, softmax, swish } from './jax-nn.js';
export { sigmoid } from '../ops/index.js';
export * as init from './init.js';
export { type ConvNetSmallOptions, ConvNetSmallOptionsCodec, convnetSmall } from './convnet.js';
export { type ResNetOptions, ResNetOptionsCodec, resnet } from './resnet.js';
export { type PatchMaskToken, type ViTEncoder, type ViTOptions, type VitBlockOptions, ViTOptionsCodec, isViT, resizeGrid, vit, vitBlock, vitSmall, vitTiny } from './vit.js';
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
export { type EmbeddingConfig, type EmbeddingParams, type TableLayer, embedding } from './embedding.js';
export { type GroupNormConfig, type InstanceNormConfig, groupNorm, groupNormalize, instanceNorm } from './groupnorm.js';
export { type RmsNormConfig, type RmsNormParams, rmsNorm, rmsNormalize } from './rmsnorm.js';
export { type GruCarry, type LstmCarry, type RecurrentCell, type RecurrentConfig, type RecurrentParams, gruCell, lstmCell } from './recurrent.js';
export { type PreluConfig, type PreluParams, prelu } from './prelu.js';
export { type Conv1dConfig, conv1d } from './conv1d.js';
export { type Adaptive3d, type AvgPool3dConfig, type MaxPool3dConfig, type Pool3dConfig, adaptiveAvgPool3d, adaptiveMaxPool3d, avgPool3d, maxPool3d } from './pool3d.js';
export type { EquinoxBatchNormMode } from './batchnorm-eqx.js';
export { type Conv3dConfig, type Conv3dOptions, type Conv3dPadding, type ConvTranspose3dConfig, type Triple, conv3dLayer as conv3d, convTranspose3dLayer as convTranspose3d } from './conv3d.js';
export { type ConvTranspose1dConfig, type ConvTranspose2dConfig, type ConvTranspose3dOptions, type ConvTransposeOptions, type ConvTransposeParams, convTranspose1d, convTranspose2dLayer as convTranspose2d } from './conv-transpose.js';
export { type AvgPool1dConfig, type MaxPool1dConfig, type Pool1dConfig, adaptiveAvgPool1d, adaptiveMaxPool1d, avgPool1d, lpPool1d, maxPool1d } from './pool1d.js';
export { type InterpolateMode, type InterpolateOptions, pixelShuffleLayer as pixelShuffle, pixelUnshuffleLayer as pixelUnshuffle, upsample } from './resample.js';
export { type MhaApplyOptions, type MhaOptions, type MultiheadAttentionConfig, type MultiheadAttentionLayer, type MultiheadAttentionParams, multiheadAttention } from './mha.js';
export { type RotaryConfig, rotaryEmbedding, rotaryEmbedding2d, rotaryPositionalEmbedding } from './rope.js';
export { type SwigluConfig, swiglu } from './swiglu.js';
export { type WeightNormConfig, type WeightNormParams, weightNorm } from './weight-norm.js';
export { type SpectralNormConfig, type SpectralNormState, spectralNorm } from './spectral-norm.js';
export { sparsePlus, sparseSigmoid, sparsemax } from './sparsemax.js';
export { embeddingRenorm } from './embedding.js';
export { type EmbeddingBagApplyOptions, type EmbeddingBagConfig, type EmbeddingBagMode, type EmbeddingBagOptions, embeddingBagLayer as embeddingBag } from './embedding-bag.js';
export { type GruCarry as RnnCarry, type RnnCellConfig, type RnnNonlinearity, rnnCell } from './recurrent.js';
export { type LstmConfig, type RnnApplyOptions, type RnnConfig, type RnnDirectionParams, type RnnLayer, type RnnLayerConfig, type RnnParams, type RnnResult, gru, lstm, rnn } from './rnn.js';
export {
  type TransformerDecoderOptions,
  type TransformerEncoderConfig,
  type TransformerEncoderOptions,
  type TransformerLayerConfig,
  type TransformerEncoderLayer,
  type TransformerDecoderLayer,
  causalMask,
  transformerDecoderLayer,
  transformerEncoder,
  transformerEncoderLayer,
} from './transformer.js';
export {
  type BilinearConfig,
  type BilinearParams,
  type ConstantPadConfig,
  type PadConfig,
  type PadWidths,
  type PairApplyOptions,
  type PairLayer,
  bilinear,
  constantPad1d,
  constantPad2d,
  constantPad3d,
  cosineSimilarity,
  hardshrink,
  pairwiseDistance,
  reflectionPad1d,
  reflectionPad2d,
  reflectionPad3d,
  replicationPad1d,
  replicationPad2d,
  replicationPad3d,
  softmax2d,
  softmin,
  softshrink,
  tanhshrink,
  threshold,
  zeroPad2d,
} from './torch-modules.js';
