#!/usr/bin/env node
/**
 * The `tfjax` command. Runs the compiled CLI (dist/lib/train/cli.js) when it is present and
 * not older than any TypeScript file under lib/ (an edit anywhere makes the build stale);
 * otherwise runs lib/train/cli.ts through tsx.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compiledIsFresh } from './fresh.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const compiled = join(root, 'dist', 'lib', 'train', 'cli.js');
const source = join(root, 'lib', 'train', 'cli.ts');
const fresh = compiledIsFresh(compiled, join(root, 'lib'));

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
