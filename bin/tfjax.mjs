#!/usr/bin/env node
/**
 * The `tfjax` command. Runs the compiled CLI (dist/lib/train/cli.js) when it is present and
 * not older than any TypeScript file under lib/ (an edit anywhere makes the build stale);
 * otherwise runs lib/train/cli.ts through tsx.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const compiled = join(root, 'dist', 'lib', 'train', 'cli.js');
const source = join(root, 'lib', 'train', 'cli.ts');

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

const fresh = existsSync(compiled) && (!existsSync(source) || statSync(compiled).mtimeMs >= newestSource(join(root, 'lib')));

let mod;
if (fresh) {
  mod = await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import(pathToFileURL(source).href);
}
const code = await mod.main(process.argv.slice(2));
process.exitCode = code;
setTimeout(() => process.exit(code), 100).unref();
