/**
 * The in-memory image dataset format shared by every loader in `lib/data`.
 *
 * Images are kept as one compact `Uint8Array` of raw bytes (0..255) in NHWC order:
 * image `i` occupies `images.subarray(i * h * w * c, (i + 1) * h * w * c)`, rows first,
 * then columns, then channels. Nothing holds nested JS arrays after loading.
 */

/** Which part of a dataset with a fixed train/test split to load. */
export type Split = 'train' | 'test' | 'all';

/** An input item a loader left out, and why (an empty JSON entry, an undecodable file...). */
export interface SkippedItem {
  /** The file (and, for entries inside one file, `#index`) that was skipped. */
  readonly file: string;
  readonly reason: string;
}

/** A set of same-sized uint8 images with integer labels. */
export interface ImageDataset {
  /** Names the dataset in error messages: a registry name such as `fashion-mnist`, or a folder path. */
  readonly name: string;
  /** `n * height * width * channels` bytes, NHWC. */
  readonly images: Uint8Array;
  /** One label per image: an index into `classNames`, or -1 for an unlabelled image. */
  readonly labels: Int32Array;
  readonly n: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** Class `k` is `classNames[k]`; empty for an unlabelled dataset. */
  readonly classNames: readonly string[];
  /** Inputs left out while loading; empty when nothing was skipped. */
  readonly skipped: readonly SkippedItem[];
}

/** Number of bytes in one image of `ds`. */
export function imageSize(ds: Pick<ImageDataset, 'height' | 'width' | 'channels'>): number {
  return ds.height * ds.width * ds.channels;
}
