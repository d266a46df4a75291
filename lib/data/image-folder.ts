/**
 * Loading your own images from a folder, in one of two layouts:
 *
 * - labelled: one subfolder per class (`photos/cat/*.png`, `photos/dog/*.jpg`); labels are
 *   indices into the subfolder names sorted by code unit;
 * - unlabelled: image files directly in the folder; labels are all -1, `classNames` is `[]`.
 *
 * Image files are those ending in `.png`, `.jpg` or `.jpeg` (any case); other files, names
 * starting with `.`, and folders below the class folders are ignored. A folder holding both
 * class subfolders and loose images is an error. Images are ordered by class, then by file
 * name (code-unit order). See `decode.ts` for colour handling and `resize.ts` for resizing.
 */

import type { Stats } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { decodeImage, type DecodedImage } from './decode.js';
import { DataError, reasonOf } from './errors.js';
import { resizeBilinear } from './resize.js';
import type { ImageDataset, SkippedItem } from './types.js';

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /**
   * Resize every image to `[height, width]`: bilinear, antialiased when shrinking (as
   * torchvision's `Resize` on PIL images, which always antialiases). Without it all images must
   * share one size.
   */
  readonly size?: readonly [number, number];
  /** 3 for RGB (default), 1 for greyscale. */
  readonly channels?: 1 | 3;
  /** Leave out files that cannot be read or decoded, listing them in `skipped`, instead of throwing. */
  readonly skipUnreadable?: boolean;
  /**
   * Keep class subfolders that hold no image as classes without images (their label indices
   * stay taken), as torchvision's `ImageFolder(allow_empty=True)`; by default such a folder is
   * an error naming it, as torchvision's.
   */
  readonly allowEmpty?: boolean;
}

/** A dataset loaded from a folder. */
export interface ImageFolderDataset extends ImageDataset {
  /** The file of each image, in dataset order (the folder path as given, joined with the file's relative path). */
  readonly files: readonly string[];
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The visible entries of `dir` split into subfolders and image files (following symlinks). */
async function listDir(dir: string): Promise<{ dirs: string[]; images: string[] }> {
  const entries = await readdir(dir, { withFileTypes: true });
  const dirs: string[] = [];
  const images: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      try {
        const s = await stat(path.join(dir, e.name));
        isDir = s.isDirectory();
        isFile = s.isFile();
      } catch {
        isFile = true; // a dangling link to an image surfaces as an unreadable image
      }
    }
    if (isDir) dirs.push(e.name);
    else if (isFile && IMAGE_EXT.test(e.name)) images.push(e.name);
  }
  return { dirs: dirs.sort(byCodeUnit), images: images.sort(byCodeUnit) };
}

/** The image files to load with their labels, and the class names. */
async function plan(dir: string, allowEmpty: boolean): Promise<{ files: string[]; labels: number[]; classNames: string[] }> {
  let info: Stats;
  try {
    info = await stat(dir);
  } catch (e) {
    throw new DataError(dir, `image folder ${dir} cannot be read: ${reasonOf(e)}`, { cause: e });
  }
  if (!info.isDirectory()) throw new DataError(dir, `image folder ${dir} is not a directory`);
  const top = await listDir(dir);
  if (top.dirs.length > 0 && top.images.length > 0) {
    throw new DataError(
      dir,
      `image folder ${dir} mixes class subfolders (${top.dirs.slice(0, 3).join(', ')}${top.dirs.length > 3 ? ', ...' : ''}) with loose images (${top.images.slice(0, 3).join(', ')}${top.images.length > 3 ? ', ...' : ''}); use one subfolder per class, or a flat folder of images`,
    );
  }
  if (top.dirs.length === 0) {
    return { files: top.images.map((f) => path.join(dir, f)), labels: top.images.map(() => -1), classNames: [] };
  }
  const files: string[] = [];
  const labels: number[] = [];
  const empty: string[] = [];
  for (let c = 0; c < top.dirs.length; c++) {
    const sub = path.join(dir, top.dirs[c]!);
    const { images } = await listDir(sub);
    if (images.length === 0) empty.push(top.dirs[c]!);
    for (const f of images) {
      files.push(path.join(sub, f));
      labels.push(c);
    }
  }
  if (empty.length > 0 && !allowEmpty) {
    throw new DataError(
      dir,
      `image folder ${dir}: class folder${empty.length > 1 ? 's' : ''} ${empty.slice(0, 3).join(', ')}${empty.length > 3 ? ', ...' : ''} hold${empty.length > 1 ? '' : 's'} no .png, .jpg or .jpeg files (remove ${empty.length > 1 ? 'them' : 'it'}, or pass allowEmpty to keep empty classes, as torchvision's allow_empty)`,
    );
  }
  return { files, labels, classNames: top.dirs };
}

/**
 * Loads every PNG/JPEG image under `dir` into one uint8 NHWC dataset (see the module doc for
 * the layouts). Without `options.size`, an image whose size differs from the first one is an
 * error naming both files. An unreadable file is an error `cannot decode <file>: <reason>`,
 * or, with `skipUnreadable`, is left out and listed in `skipped`.
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const { size, channels = 3, skipUnreadable = false, allowEmpty = false } = options;
  if (channels !== 1 && channels !== 3) throw new DataError(dir, `image folder ${dir}: channels must be 1 or 3, got ${String(channels)}`);
  if (size !== undefined && !(size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0))) {
    throw new DataError(dir, `image folder ${dir}: size must be [height, width] with positive integers, got ${JSON.stringify(size)}`);
  }
  const { files, labels, classNames } = await plan(dir, allowEmpty);
  if (files.length === 0) throw new DataError(dir, `image folder ${dir} holds no .png, .jpg or .jpeg files`);

  let shape: { height: number; width: number; first: string } | undefined = size && { height: size[0], width: size[1], first: '' };
  let images: Uint8Array | undefined;
  const keptFiles: string[] = [];
  const keptLabels: number[] = [];
  const skipped: SkippedItem[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i]!;
    let decoded: DecodedImage;
    try {
      decoded = decodeImage(await readFile(file), channels);
    } catch (e) {
      if (!skipUnreadable) throw new DataError(file, `cannot decode ${file}: ${reasonOf(e)}`, { cause: e });
      skipped.push({ file, reason: reasonOf(e) });
      continue;
    }
    if (shape === undefined) shape = { height: decoded.height, width: decoded.width, first: file };
    let pixels = decoded.data;
    if (size !== undefined) {
      pixels = resizeBilinear(pixels, [decoded.height, decoded.width], channels, size, { antialias: true });
    } else if (decoded.height !== shape.height || decoded.width !== shape.width) {
      throw new DataError(
        file,
        `image folder ${dir}: ${file} is ${decoded.height}x${decoded.width} (height x width) but the first image, ${shape.first}, is ${shape.height}x${shape.width}; pass options.size (in a training config, dataset.imageSize) to resize them all`,
      );
    }
    // Allocated once the image size is known; sized for every file, trimmed if some are skipped.
    images ??= new Uint8Array(files.length * shape.height * shape.width * channels);
    images.set(pixels, keptFiles.length * pixels.length);
    keptFiles.push(file);
    keptLabels.push(labels[i]!);
  }
  if (shape === undefined || images === undefined) {
    throw new DataError(dir, `image folder ${dir}: none of its ${files.length} images could be decoded (first: cannot decode ${skipped[0]?.file}: ${skipped[0]?.reason})`);
  }
  const n = keptFiles.length;
  const bytes = n * shape.height * shape.width * channels;
  return {
    name: dir,
    images: bytes === images.length ? images : images.slice(0, bytes),
    labels: Int32Array.from(keptLabels),
    n,
    height: shape.height,
    width: shape.width,
    channels,
    classNames,
    skipped,
    files: keptFiles,
  };
}
