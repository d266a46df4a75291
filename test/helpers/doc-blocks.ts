/**
 * Runs the ```ts blocks of a docs page, each as its own program with `'tfjax'` pointing at the
 * sources (test/optim/tfjax-shim.ts) on the test backend, and checks that each prints what it
 * says: `expected[i]` holds substrings (or patterns) of block i's output, in order.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { testBackendName } from './backend.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const shim = fileURLToPath(new URL('../optim/tfjax-shim.ts', import.meta.url));

/** The source of a package subpath (`tfjax/ssl/arbitraries`): lib/<sub>.ts, or lib/<sub>/index.ts. */
function subpathSource(sub: string): string {
  const file = join(root, 'lib', `${sub}.ts`);
  return existsSync(file) ? file : join(root, 'lib', sub, 'index.ts');
}

/** A uvu suite running every ts block of `page` (relative to the repository root). */
export function docBlocksSuite(page: string, expected: readonly (readonly (string | RegExp)[])[]) {
  const backend = testBackendName();
  const test = suite(`${page} examples [${backend}]`);
  const blocks = [...readFileSync(join(root, page), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  test('every ts block has expectations', () => {
    assert.is(blocks.length, expected.length);
  });
  // Inside the repository (.doc-blocks/ is git-ignored), so a block's bare imports (fast-check) resolve from node_modules.
  mkdirSync(join(root, '.doc-blocks'), { recursive: true });
  const dir = mkdtempSync(join(root, '.doc-blocks', 'run-'));
  blocks.forEach((code, i) => {
    test(`block ${i + 1} runs`, () => {
      const file = join(dir, `block${i}.mts`);
      const preamble = `import { setBackend as __setBackend } from ${JSON.stringify(shim)};\nawait __setBackend(${JSON.stringify(backend)});\n`;
      writeFileSync(file, preamble + code.replaceAll("from 'tfjax'", `from ${JSON.stringify(shim)}`).replace(/from 'tfjax\/([\w/-]+)'/g, (_, sub: string) => `from ${JSON.stringify(subpathSource(sub))}`));
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      const out = `${r.stdout}${r.stderr}`;
      assert.is(r.status, 0, `block ${i + 1} exited with ${r.status}:\n${out}`);
      let at = 0;
      for (const s of expected[i] ?? []) {
        const m = typeof s === 'string' ? { index: out.indexOf(s, at), length: s.length } : find(s, out, at);
        assert.ok(m.index >= 0, `block ${i + 1}: expected '${s}' in its output (after position ${at}):\n${out}`);
        at = m.index + m.length;
      }
    });
  });
  test.after(() => rmSync(dir, { recursive: true, force: true }));
  return test;
}

/** The first match of `re` in `text` at or after `from` (index -1 when none). */
function find(re: RegExp, text: string, from: number): { index: number; length: number } {
  const m = new RegExp(re.source, re.flags.replace('g', '')).exec(text.slice(from));
  return m ? { index: from + m.index, length: m[0].length } : { index: -1, length: 0 };
}
