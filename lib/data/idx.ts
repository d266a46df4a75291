/**
 * The IDX format of the original MNIST and Fashion-MNIST files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, ..., also gzip-compressed as they are distributed): the magic
 * (two zero bytes, a type byte, the rank), `rank` big-endian uint32 sizes, then the values
 * big-endian in row-major order. Types: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
 * 0x0D float32, 0x0E float64.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DataError, reasonOf } from './errors.js';
import type { ImageDataset } from './types.js';

export type IdxValues = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** An IDX file's array: its shape and values (in host byte order). */
export interface IdxArray {
  readonly shape: readonly number[];
  readonly values: IdxValues;
}

const TYPES: Record<number, { name: string; bytes: number; make: (n: number) => IdxValues; read: (v: DataView, at: number) => number }> = {
  0x08: { name: 'uint8', bytes: 1, make: (n) => new Uint8Array(n), read: (v, at) => v.getUint8(at) },
  0x09: { name: 'int8', bytes: 1, make: (n) => new Int8Array(n), read: (v, at) => v.getInt8(at) },
  0x0b: { name: 'int16', bytes: 2, make: (n) => new Int16Array(n), read: (v, at) => v.getInt16(at) },
  0x0c: { name: 'int32', bytes: 4, make: (n) => new Int32Array(n), read: (v, at) => v.getInt32(at) },
  0x0d: { name: 'float32', bytes: 4, make: (n) => new Float32Array(n), read: (v, at) => v.getFloat32(at) },
  0x0e: { name: 'float64', bytes: 8, make: (n) => new Float64Array(n), read: (v, at) => v.getFloat64(at) },
};

/**
 * Parses the bytes of an IDX file (gzip-compressed or not); `source` names it in errors.
 * @example const { shape, values } = parseIdx(readFileSync('t10k-labels-idx1-ubyte.gz'), 't10k-labels');
 */
export function parseIdx(file: Uint8Array, source: string): IdxArray {
  let bytes = file;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(source, `idx ${source}: cannot decompress the gzip data: ${reasonOf(e)}`, { cause: e });
    }
  }
  const bad = (why: string) => new DataError(source, `idx ${source}: ${why}`);
  if (bytes.length < 4) throw bad(`${bytes.length} bytes, shorter than the 4-byte magic`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [zero0, zero1, code, rank] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (zero0 !== 0 || zero1 !== 0) throw bad(`not an IDX file (magic ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, expected 00 00 <type> <rank>)`);
  const type = TYPES[code];
  if (!type) throw bad(`unknown value type 0x${code.toString(16)} (expected 08, 09, 0b, 0c, 0d or 0e)`);
  const start = 4 + 4 * rank;
  if (bytes.length < start) throw bad(`${bytes.length} bytes, shorter than the header of a rank-${rank} array (${start})`);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const n = shape.reduce((a, b) => a * b, 1);
  const expected = start + n * type.bytes;
  if (bytes.length !== expected) throw bad(`${bytes.length} bytes, but a ${type.name} array of shape [${shape}] takes ${expected}`);
  const values = type.make(n);
  if (type.bytes === 1) values.set(code === 0x08 ? bytes.subarray(start) : new Int8Array(bytes.buffer, bytes.byteOffset + start, n));
  else for (let i = 0; i < n; i++) values[i] = type.read(view, start + i * type.bytes);
  return { shape, values };
}

/** Reads and parses an IDX file (gzip-compressed or not). */
export async function readIdx(file: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new DataError(file, `idx ${file}: cannot read the file: ${reasonOf(e)}`, { cause: e });
  }
  return parseIdx(bytes, file);
}

export interface IdxDatasetOptions {
  /** Class names, label k naming class k; default '0', '1', ... up to the largest label. */
  readonly classNames?: readonly string[];
}

/**
 * An image dataset from an IDX image file (uint8, [n, height, width]) and an IDX label file
 * (uint8, [n]), as MNIST and Fashion-MNIST are distributed.
 * @example const train = await loadIdxDataset('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz');
 */
export async function loadIdxDataset(imagesFile: string, labelsFile: string, { classNames }: IdxDatasetOptions = {}): Promise<ImageDataset> {
  const [images, labels] = await Promise.all([readIdx(imagesFile), readIdx(labelsFile)]);
  if (!(images.values instanceof Uint8Array) || images.shape.length !== 3) throw new DataError(imagesFile, `idx ${imagesFile}: images must be a uint8 array of shape [n, height, width], got ${images.values.constructor.name} [${images.shape}]`);
  if (!(labels.values instanceof Uint8Array) || labels.shape.length !== 1) throw new DataError(labelsFile, `idx ${labelsFile}: labels must be a uint8 array of shape [n], got ${labels.values.constructor.name} [${labels.shape}]`);
  const [n, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== n) throw new DataError(labelsFile, `idx ${labelsFile}: ${labels.shape[0]} labels for ${n} images in ${imagesFile}`);
  const names = classNames ?? Array.from({ length: labels.values.reduce((m, v) => Math.max(m, v + 1), 0) }, (_, k) => String(k));
  const outside = labels.values.findIndex((v) => v >= names.length);
  if (outside >= 0) throw new DataError(labelsFile, `idx ${labelsFile}: label ${labels.values[outside]} at ${outside} has no class name (${names.length} given)`);
  return { name: imagesFile, images: images.values, labels: Int32Array.from(labels.values), n, height, width, channels: 1, classNames: names, skipped: [] };
}
