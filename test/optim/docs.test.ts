/** The examples of docs/optim.md run (each ```ts block as its own program) and print what they say. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { testBackendName } from '../helpers/backend.js';

const backend = testBackendName();
const test = suite(`optim: docs/optim.md examples [${backend}]`);

const root = fileURLToPath(new URL('../../', import.meta.url));
const shim = fileURLToPath(new URL('./tfjax-shim.ts', import.meta.url));
const blocks = [...readFileSync(join(root, 'docs/optim.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

/** What each block must print (substrings of its output), in order. */
const expected: string[][] = [
  ['step 0 ', 'step 199 ', 'w = 2.000, -1.000, 0.500'],
  ['{"bn1":{"bias":false,"weight":false},"conv1":{"weight":true},"fc":{"b":false,"w":true}}', '-0 -0.0000500000'],
  ['0.30000001192092896', '4.800000190734863', '2.4023999999999996', '0.034318434589097946', '2.4023997', '0.01'],
  ['[ 0.00999999', ', 0.01999999', '[ 1, 2 ]'],
];

test('every ts block has expectations', () => {
  assert.is(blocks.length, expected.length);
});

const dir = mkdtempSync(join(tmpdir(), 'tfjax-docs-optim-'));
blocks.forEach((code, i) => {
  test(`block ${i + 1} runs`, () => {
    const file = join(dir, `block${i}.mts`);
    const preamble = `import { setBackend as __setBackend } from ${JSON.stringify(shim)};\nawait __setBackend(${JSON.stringify(backend)});\n`;
    writeFileSync(file, preamble + code.replaceAll("from 'tfjax'", `from ${JSON.stringify(shim)}`));
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.is(r.status, 0, `block ${i + 1} exited with ${r.status}:\n${out}`);
    let at = 0;
    for (const s of expected[i]) {
      const k = out.indexOf(s, at);
      assert.ok(k >= 0, `block ${i + 1}: expected '${s}' in its output (after position ${at}):\n${out}`);
      at = k + s.length;
    }
  });
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
