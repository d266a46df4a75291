/** test/fixtures/scipy.json (tools/scipy-fixtures.py: SciPy 1.10 at float32 inputs), with "nan" / "inf" / "-inf" read back as numbers. */
import { readFileSync } from 'node:fs';

/** One function's inputs (broadcast, flat) and SciPy's values. */
export interface Case {
  readonly args: number[][];
  readonly want: number[];
}

const nonFinite: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

/** A SciPy fixture file of test/fixtures/ (the tools/scipy*.py generators' JSON), "nan" / "inf" / "-inf" read back as numbers. */
export function readScipyFixture<T = { cases: Record<string, unknown> }>(file: string): T {
  const text = readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8');
  return JSON.parse(text, (_key, v: unknown) => (typeof v === 'string' && v in nonFinite ? nonFinite[v] : v)) as T;
}

/** The fixture's cases by name (and the few structured ones, read by their tests). */
export const cases = readScipyFixture('scipy.json').cases;

/** A named elementwise case. */
export function caseOf(name: string): Case {
  const c = cases[name] as Case | undefined;
  if (!c?.args) throw new Error(`no elementwise case ${name} in test/fixtures/scipy.json`);
  return c;
}
