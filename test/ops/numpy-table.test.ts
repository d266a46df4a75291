/**
 * docs/numpy.md's table of jax.numpy names is kept true: every name it marks `present` is a
 * function exported from `np`, every row is `present` or `not planned`, and a `not planned`
 * row gives its reason.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { np } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();
const Table = suite('docs/numpy.md: jax.numpy names table');

interface Row {
  jax: string;
  names: string[];
  status: string;
  note: string;
}

function tableRows(): Row[] {
  const text = readFileSync(new URL('../../docs/numpy.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf('## jax.numpy names'));
  return section
    .split('\n')
    .filter((l) => l.startsWith('|') && !l.startsWith('|---') && !l.startsWith('| jax.numpy |'))
    .map((l) => {
      const [jax, tfjax, status, note] = l.split('|').slice(1, -1).map((c) => c.trim());
      return { jax: jax!, names: [...tfjax!.matchAll(/`np\.([\w.]+)`/g)].map((m) => m[1]!), status: status!, note: note! };
    });
}

Table('every row is present (with np names) or not planned (with a reason)', () => {
  const rows = tableRows();
  assert.ok(rows.length > 50, `only ${rows.length} rows read from the table`);
  for (const r of rows) {
    assert.ok(r.status === 'present' || r.status === 'not planned', `${r.jax}: status '${r.status}'`);
    if (r.status === 'present') assert.ok(r.names.length > 0, `${r.jax}: present but names no np function`);
    else assert.ok(r.note.length > 0, `${r.jax}: not planned without a reason`);
  }
});

Table('every name marked present is exported from np as a function', () => {
  // A dotted name (np.linalg.solve) is looked up through its namespaces.
  const lookup = (name: string) => name.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], np);
  const missing = tableRows()
    .filter((r) => r.status === 'present')
    .flatMap((r) => r.names)
    .filter((n) => typeof lookup(n) !== 'function');
  assert.equal(missing, [], `marked present in docs/numpy.md but not exported from np: ${missing.join(', ')}`);
});

Table.run();
