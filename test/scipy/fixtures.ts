/** test/fixtures/scipy.json (tools/scipy-fixtures.py: SciPy 1.10 at float32 inputs), with "nan" / "inf" / "-inf" read back as numbers. */
import { readFileSync } from 'node:fs';

/** One function's inputs (broadcast, flat) and SciPy's values. */
export interface Case {
  readonly args: number[][];
  readonly want: number[];
}

const text = readFileSync(new URL('../fixtures/scipy.json', import.meta.url), 'utf8');
const nonFinite: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

/** The fixture's cases by name (and the few structured ones, read by their tests). */
export const cases = (JSON.parse(text, (_key, v: unknown) => (typeof v === 'string' && v in nonFinite ? nonFinite[v] : v)) as { cases: Record<string, unknown> }).cases;

/** A named elementwise case. */
export function caseOf(name: string): Case {
  const c = cases[name] as Case | undefined;
  if (!c?.args) throw new Error(`no elementwise case ${name} in test/fixtures/scipy.json`);
  return c;
}
