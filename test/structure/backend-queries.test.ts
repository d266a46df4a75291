// Only the lowering (lib/core/lower/) and the backend modules (lib/backend/) may ask which
// backend is active: everything else states what to compute and lets the lowering choose
// the kernels (docs/core.md).
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ALLOWED = ['lib/core/lower/', 'lib/backend/'];
/** A call of getBackend (tfjs's or ours) or a read of tfjs's engine backendName. */
const QUERY = /\bgetBackend\s*\(|\.backendName\b/;

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
/** The code with its comments blanked (line numbers kept). */
const withoutComments = (code: string) => code.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, '')).replace(/(^|[^:])\/\/.*$/gm, '$1');

const Structure = suite('structure');

Structure('no code outside lib/core/lower/ and lib/backend/ asks which backend is active', () => {
  const offenders = sources(join(root, 'lib'))
    .map((f) => relative(root, f).split('\\').join('/'))
    .filter((f) => !ALLOWED.some((a) => f.startsWith(a)))
    .flatMap((f) => withoutComments(readFileSync(join(root, f), 'utf8')).split('\n').flatMap((line, i) => (QUERY.test(line) ? [`${f}:${i + 1}: ${line.trim()}`] : [])));
  assert.ok(offenders.length === 0, `backend queries outside the lowering:\n${offenders.join('\n')}`);
});

Structure('the check sees a query (it is not vacuous)', () => {
  assert.ok(QUERY.test("if (tf.getBackend() === 'wasm') {"));
  assert.ok(QUERY.test('const name = tf.engine().backendName;'));
  assert.not.ok(QUERY.test("export { getBackend, ready } from './backend/index.js';"));
});

Structure.run();
