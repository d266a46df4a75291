/**
 * Datasets for tfjax: embedded Fashion-MNIST and MNIST, folders of your own PNG/JPEG
 * images, and deterministic mini-batching. Everything is a compact uint8 NHWC
 * {@link ImageDataset}; {@link gatherImages} turns a batch of indices into `[0, 1]` floats.
 */

export type { ImageDataset, SkippedItem, Split } from './types.js';
export { imageSize } from './types.js';
export { DataError } from './errors.js';
export type { EmbeddedDataset, EmbeddedOptions } from './embedded.js';
export { FASHION_MNIST_CLASSES, loadFashionMnist } from './fashion-mnist.js';
export { MNIST_CLASSES, loadMnist } from './mnist.js';
export { DATASET_NAMES, loadDataset, type DatasetName } from './registry.js';
export { defaultCacheDir } from './cache.js';
export { loadImageFolder, type ImageFolderDataset, type ImageFolderOptions } from './image-folder.js';
export { loadIdxDataset, parseIdx, readIdx, type IdxArray, type IdxDatasetOptions, type IdxValues } from './idx.js';
export { type ResizeOptions, resizeBilinear } from './resize.js';
export { decodeImage, type DecodedImage } from './decode.js';
export { MAX_IMAGE_PIXELS } from './image-header.js';
export { batches, epochPermutation, gatherImages, gatherLabels, numBatches, type BatchOptions } from './batches.js';
export { epochSeed, mix32, permutation, splitmix32 } from './prng.js';
export * as augment from './augment/index.js';
