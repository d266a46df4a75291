/**
 * `nn.F`, like `torch.nn.functional`: the functions behind the layers and jax.nn's functions
 * (functional.ts), and PyTorch's functional losses (torch-losses.ts).
 */
export * from './functional.js';
/** PyTorch's spelling, F.logsigmoid (jax.nn's log_sigmoid is `logSigmoid`). */
export { logSigmoid as logsigmoid } from './functional.js';
export * from './jax-nn.js';
export * from './torch-losses.js';
/** PyTorch's F.ctc_loss: log-probabilities [T, B, C], targets, input and target lengths. */
export { type TorchCtcOptions, ctcLossTorch as ctcLoss } from './ctc.js';
export { convTranspose2d } from './conv-transpose.js';
export { conv3d, convTranspose3d } from './conv3d.js';
export { adaptiveAvgPool3dFn as adaptiveAvgPool3d, adaptiveMaxPool3dFn as adaptiveMaxPool3d, avgPool3dFn as avgPool3d, maxPool3dFn as maxPool3d } from './pool3d.js';
export { type UpsampleSize, interpolate, interpolate as upsample, pixelShuffle, pixelUnshuffle, upsampleBilinear, upsampleNearest } from './resample.js';
export { flattenAxes as flatten, unflattenAxis as unflatten } from './stateless.js';
export { type TorchPadMode, pad } from './pad.js';
export { type EmbeddingOptions, embeddingLookup as embedding, embeddingRenorm } from './embedding.js';
export { embeddingBag } from './embedding-bag.js';
export { adaptiveAvgPool1d, adaptiveAvgPool2d, adaptiveMaxPool1d, adaptiveMaxPool2d, avgPool1d, avgPool2d, lpPool1d, lpPool2d, maxPool1d, maxPool2d } from './pool-fn.js';
export * from './torch-functional.js';
export { type GridPaddingMode, type GridSampleMode, type GridSampleOptions, affineGrid, gridSample } from './grid-sample.js';
export { type UnfoldOptions, fold, unfold } from './unfold.js';
export * from './torch-fn-layers.js';
