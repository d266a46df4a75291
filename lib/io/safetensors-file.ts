/**
 * Safetensors files in Node: reading and writing them on disk (atomically), over the
 * bytes-in, bytes-out codec of ./safetensors.ts (which a browser can use as is).
 */
import { open, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import {
  decodeSafetensors,
  headerLength,
  layout,
  parseHeader,
  SafetensorsError,
  tensorBytes,
  type DecodedTensor,
  type LazyTensorData,
  type SafetensorsHeader,
} from './safetensors.js';

/**
 * Reads and validates only the header of a safetensors file (the data is not read), checking
 * that the file is exactly as long as the header says: cheap enough to test many files.
 * @example (await readSafetensorsHeader('model.safetensors')).metadata
 */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await readable(path, () => open(path, 'r'));
  try {
    const size = (await fh.stat()).size;
    const prefix = new Uint8Array(8);
    if (size >= 8) await readable(path, () => readExactly(fh, prefix, 0));
    const n = headerLength(prefix, size, path);
    const header = new Uint8Array(n);
    await readable(path, () => readExactly(fh, header, 8));
    return parseHeader(header, size - 8 - n, path);
  } finally {
    await fh.close();
  }
}

/** Runs an I/O step on `path`, turning its failure (missing file, a directory...) into a `SafetensorsError` naming the file. */
async function readable<T>(path: string, io: () => Promise<T>): Promise<T> {
  try {
    return await io();
  } catch (e) {
    throw new SafetensorsError(path, `cannot read the file: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function readExactly(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}

/**
 * Reads and decodes a safetensors file (see `decodeSafetensors`); every error, an unreadable
 * file included, is a one-line `SafetensorsError` naming the path.
 * @example const {tensors} = await readSafetensorsFile('resnet18.safetensors');
 */
export async function readSafetensorsFile(
  path: string,
): Promise<{ tensors: Record<string, DecodedTensor>; metadata: Record<string, string> }> {
  return decodeSafetensors(await readable(path, () => readFile(path)), path);
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    done += bytesWritten;
  }
}

/**
 * Writes tensors as a safetensors file, atomically (see `writeFileAtomic`). A tensor's `data` may
 * be a function returning (a promise of) its values: it is called while the file is written, one
 * tensor at a time, so a failure there leaves any previous file at `path` untouched.
 * @example
 * await writeSafetensorsFile('w.safetensors', {w: {dtype: 'float32', shape: [2], data: () => t.data()}});
 */
export async function writeSafetensorsFile(
  path: string,
  tensors: Readonly<Record<string, LazyTensorData>>,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const l = layout(tensors, metadata, path);
  await writeFileAtomic(path, async (fh) => {
    await writeAll(fh, l.header);
    for (const e of l.entries) {
      const data = typeof e.spec.data === 'function' ? await e.spec.data() : e.spec.data;
      await writeAll(fh, tensorBytes(e.spec.dtype, e.spec.shape, data, e.name, path));
    }
  });
}
