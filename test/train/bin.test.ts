/**
 * bin/tfjax.mjs runs the compiled CLI only while it is fresh: present, and not older than
 * any TypeScript file under lib/ (not just cli.ts: an edit to any module makes it stale).
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { compiledIsFresh } from '../../bin/fresh.mjs';

const B = suite('bin/tfjax.mjs: when the compiled CLI is fresh');

B('fresh only when present and no lib/**/*.ts is newer; no lib/ (an installed package) counts as fresh', () => {
  const root = mkdtempSync(join(tmpdir(), 'tfjax-bin-'));
  try {
    const lib = join(root, 'lib');
    const compiled = join(root, 'dist', 'cli.js');
    mkdirSync(join(lib, 'nn'), { recursive: true });
    mkdirSync(join(root, 'dist'));
    const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
    writeFileSync(join(lib, 'cli.ts'), '');
    writeFileSync(join(lib, 'nn', 'convnet.ts'), '');
    writeFileSync(join(lib, 'nn', 'notes.md'), '');
    at(join(lib, 'cli.ts'), 1000);
    at(join(lib, 'nn', 'convnet.ts'), 1000);
    at(join(lib, 'nn', 'notes.md'), 5000); // not TypeScript: ignored
    assert.not.ok(compiledIsFresh(compiled, lib), 'no build yet');
    writeFileSync(compiled, '');
    at(compiled, 2000);
    assert.ok(compiledIsFresh(compiled, lib), 'built after every source');
    at(join(lib, 'nn', 'convnet.ts'), 3000);
    assert.not.ok(compiledIsFresh(compiled, lib), 'a module other than cli.ts edited after the build');
    rmSync(lib, { recursive: true });
    assert.ok(compiledIsFresh(compiled, lib), 'no sources: an installed package');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

B.run();
