/**
 * Keyed image augmentations: pure functions of a PRNG key (`lib/random`) on whole NHWC
 * float32 batches in [0, 1], drawing one set of random parameters per sample, made of
 * tensor ops only, so they run eagerly, under `jit` (pass the key as an argument) and
 * under `vmap`. The same key always gives the same output.
 *
 * Geometry (crop, resize, flip) is a separable linear map, applied as two batched matmuls
 * with per-sample interpolation matrices; blur is two depthwise convolutions with the batch
 * in the channel axis (a kernel per sample); colour operations are elementwise with
 * torchvision's formulas. See docs/data.md.
 */
export {
  type CropBoxes,
  type RandomResizedCropOptions,
  type ResizeOptions,
  CROP_ATTEMPTS,
  centerCrop,
  cropMatrices,
  firstFit,
  flipMask,
  horizontalFlip,
  randomResizedCrop,
  resize,
  resizedSize,
  sampleCropBoxes,
} from './geometry.js';
export {
  adjustSharpness,
  autocontrast,
  equalize,
  invert,
  posterize,
  randomAdjustSharpness,
  randomAutocontrast,
  randomEqualize,
  randomInvert,
  randomPosterize,
} from './photometric.js';
export {
  type AffineInterpolation,
  type AffineOptions,
  type PerSample,
  type RandomAffineOptions,
  type RandomRotationOptions,
  affine,
  inverseAffineMatrix,
  randomAffine,
  randomRotation,
  rotate,
  warpAffine,
} from './affine.js';
export { type AutoAugmentOptions, AUGMENT_OPS, AUTO_AUGMENT_POLICIES, autoAugment, magnitudeBins, randAugment, trivialAugmentWide } from './autoaugment.js';
export { type RandomErasingOptions, randomErasing, sampleErasingBoxes } from './erasing.js';
export {
  type ColorJitterOptions,
  type JitterSpec,
  type SolarizeOptions,
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  colorJitter,
  hsvToRgb,
  normalize,
  randomGrayscale,
  rgbToHsv,
  solarize,
  solarizeAt,
} from './color.js';
export { type GaussianBlurOptions, defaultKernelSize, gaussianBlur, gaussianTaps } from './blur.js';
export { type Interpolation, type ResampleOptions, applySeparable, convolutionMatrix, reflectIndex, resampleMatrix } from './resample.js';
export {
  type MultiCropConfig,
  type TwoViewsConfig,
  type ViewAugment,
  type ViewConfig,
  DEFAULT_VIEW_AUGMENT,
  SWAV_COLOR_JITTER,
  augmentView,
  augmentViews,
  fashionMnistAugment,
  multiCrop,
  swavAugment,
  twoViews,
} from './multicrop.js';
