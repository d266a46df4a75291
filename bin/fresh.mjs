/**
 * Whether the compiled CLI can run instead of the TypeScript source: it exists, and no
 * `.ts` file under `lib/` is newer than it (an edit anywhere makes the build stale). An
 * installed package has no `lib/`, so its build is always fresh.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The newest modification time of the .ts files under `dir` (0 when there are none). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** @param {string} compiled the compiled entry @param {string} sources the `lib/` folder */
export function compiledIsFresh(compiled, sources) {
  return existsSync(compiled) && (!existsSync(sources) || statSync(compiled).mtimeMs >= newestSource(sources));
}
