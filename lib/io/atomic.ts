/**
 * The project's one atomic file writer: a temporary file in the same folder, flushed, then
 * renamed over the target, so a reader (or a kill) never sees a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file atomically: `write` fills a temporary file `${path}.tmp-<pid>-<random>` in the same
 * directory, which is then flushed to disk and renamed over `path`. If anything fails, the
 * temporary file is removed and `path` is left as it was.
 * @example await writeFileAtomic('out.bin', async (fh) => { await fh.write(bytes); });
 */
export async function writeFileAtomic(path: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  const tmp = join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx');
  try {
    try {
      await write(fh);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  // Make the rename itself durable; not every platform can open or sync a directory.
  try {
    const d = await open(dirname(path), 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort */
  }
}

/** Writes `text` (or bytes) to `path` atomically (see {@link writeFileAtomic}). */
export function writeTextAtomic(path: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomic(path, (fh) => fh.writeFile(data));
}
