/**
 * A binary file cache for parsed datasets: a JSON header plus raw byte sections, so that
 * a second load is one `readFile` and no parsing.
 *
 * Layout: the 8 magic bytes `TFJXDC01`, the header's UTF-8 length as a little-endian
 * uint32, the header JSON (`{"sections": [len, ...], ...}`), then the sections back to back.
 * Files are written to a temporary name in the same folder and renamed into place, so a
 * reader (or a concurrent writer in another process) never sees a partial file.
 */

import { mkdir, open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

const MAGIC = Buffer.from('TFJXDC01', 'latin1');

/**
 * The folder where parsed datasets are cached: `$TFJAX_CACHE_DIR` when set, else
 * `<os.tmpdir()>/tfjax-cache`.
 */
export function defaultCacheDir(): string {
  const env = process.env['TFJAX_CACHE_DIR'];
  return env !== undefined && env !== '' ? env : path.join(os.tmpdir(), 'tfjax-cache');
}

/** An open cache file: its header (minus `sections`) and positional reads of its sections. */
export interface CacheFile {
  readonly header: Record<string, unknown>;
  /** Byte length of each section. */
  readonly sectionLengths: readonly number[];
  /** Reads bytes `[start, end)` of section `section` into `target` at `targetOffset`. */
  read(section: number, start: number, end: number, target: Uint8Array, targetOffset?: number): Promise<void>;
}

/**
 * Opens a cache file written by {@link writeCache} and hands it to `use`, closing it after.
 * Reads only what `use` asks for: fresh memory is slow to fault in, so reading a 7 MB split
 * out of a 55 MB file is much faster than reading the file. Returns `undefined` when the
 * file is missing, truncated, unreadable or not a cache file (or `use` returns
 * `undefined`), so that the caller rebuilds it.
 */
export async function readCache<T>(file: string, use: (cache: CacheFile) => Promise<T | undefined>): Promise<T | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const cache = await openSections(file, fh);
    if (cache === undefined) return undefined;
    const result = await use(cache);
    return cache.failed() ? undefined : result;
  } finally {
    await fh.close();
  }
}

/** Reads exactly `length` bytes at `position`; `false` on a short read or an I/O error. */
async function readExactly(fh: FileHandle, target: Uint8Array, targetOffset: number, length: number, position: number): Promise<boolean> {
  try {
    for (let done = 0; done < length; ) {
      const { bytesRead } = await fh.read(target, targetOffset + done, length - done, position + done);
      if (bytesRead === 0) return false;
      done += bytesRead;
    }
    return true;
  } catch {
    return false;
  }
}

/** Validates the prefix and header of an open cache file; `undefined` when it is not a complete one. */
async function openSections(file: string, fh: FileHandle): Promise<(CacheFile & { failed(): boolean }) | undefined> {
  let size: number;
  try {
    size = (await fh.stat()).size;
  } catch {
    return undefined;
  }
  const prefix = Buffer.alloc(12);
  if (size < 12 || !(await readExactly(fh, prefix, 0, 12, 0)) || !prefix.subarray(0, 8).equals(MAGIC)) return undefined;
  const headerLen = prefix.readUInt32LE(8);
  if (12 + headerLen > size) return undefined;
  const headerBytes = Buffer.alloc(headerLen);
  if (!(await readExactly(fh, headerBytes, 0, headerLen, 12))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const { sections, ...header } = parsed as Record<string, unknown>;
  if (!Array.isArray(sections) || !sections.every((l) => Number.isInteger(l) && l >= 0)) return undefined;
  const lengths = sections as number[];
  const offsets: number[] = [];
  let offset = 12 + headerLen;
  for (const l of lengths) {
    offsets.push(offset);
    offset += l;
  }
  if (offset !== size) return undefined;
  let failed = false;
  return {
    header,
    sectionLengths: lengths,
    failed: () => failed,
    async read(section, start, end, target, targetOffset = 0) {
      const l = lengths[section];
      if (l === undefined || !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= l)) {
        throw new RangeError(`cache ${file}: bytes [${start}, ${end}) are outside section ${section}`);
      }
      if (end - start > target.length - targetOffset) throw new RangeError(`cache ${file}: target too small for bytes [${start}, ${end})`);
      if (!(await readExactly(fh, target, targetOffset, end - start, offsets[section]! + start))) failed = true;
    },
  };
}

/**
 * Writes `header` (any JSON object without a `sections` key) and `sections` to `file`
 * atomically (`writeFileAtomic`), creating the folder if needed.
 */
export async function writeCache(file: string, header: Record<string, unknown>, sections: readonly Uint8Array[]): Promise<void> {
  const json = Buffer.from(JSON.stringify({ ...header, sections: sections.map((s) => s.length) }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, async (fh) => {
    for (const part of [MAGIC, len, json, ...sections]) {
      for (let done = 0; done < part.length; ) {
        const { bytesWritten } = await fh.write(part, done, part.length - done);
        done += bytesWritten;
      }
    }
  });
}
