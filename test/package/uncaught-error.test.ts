/**
 * An uncaught error in a program that started the wasm backend prints one readable message
 * and its stack, not the ~38 KB of minified tfjs-backend-wasm source that Emscripten's
 * rethrowing `uncaughtException` listener used to make Node print (lib/backend/node.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const test = suite('package: an uncaught error prints under 2 KB');
const root = fileURLToPath(new URL('../../', import.meta.url));
const entry = JSON.stringify(join(root, 'lib/node.ts'));
const dir = mkdtempSync(join(tmpdir(), 'tfjax-uncaught-'));

function run(name: string, code: string): { status: number | null; stderr: string } {
  const file = join(dir, `${name}.mts`);
  writeFileSync(file, code);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

for (const [name, raise] of [
  ['thrown', "throw new Error('user error 42');"],
  ['rejected', "await Promise.reject(new Error('user error 42'));"],
  ['thrown later', "setTimeout(() => { throw new Error('user error 42'); }, 0);"],
] as const) {
  test(`${name} after the wasm backend started`, () => {
    const r = run(name.replace(' ', '-'), `import { np, setBackend } from ${entry};\nawait setBackend('wasm');\nnp.array([1, 2]).dispose();\n${raise}\n`);
    assert.is.not(r.status, 0, 'the process fails');
    assert.match(r.stderr, /Error: user error 42/);
    assert.ok(r.stderr.length < 2048, `stderr is ${r.stderr.length} bytes:\n${r.stderr.slice(0, 600)}`);
  });
}

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
