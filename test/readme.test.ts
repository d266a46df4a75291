// The README's tour must run as written: extract it, point 'tfjax' at the sources, run it.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const Readme = suite('README');
const root = fileURLToPath(new URL('..', import.meta.url));

Readme('the tour is examples/quickstart.ts and runs', () => {
  const md = readFileSync(`${root}README.md`, 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(md);
  assert.ok(block, 'README has a ts block');
  const code = block![1];
  const example = readFileSync(`${root}examples/quickstart.ts`, 'utf8');
  assert.is(code.replace("from 'tfjax'", "from '../lib/node.js'"), example);
  // One file per process: the cpu and wasm runs of this file may run at the same time.
  const file = `${root}examples/.readme-run-${process.pid}.ts`;
  writeFileSync(file, code.replace("from 'tfjax'", "from '../lib/node.js'"));
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: root });
    assert.match(out, /d2f\/dx2\s+Float32Array\(2\) \[ 4\.1218\d*, 8\.1548\d* \]/);
    assert.match(out, /per-example grads \[ 2, 3, 2 \]/);
  } finally {
    rmSync(file, { force: true });
  }
});

Readme.run();
