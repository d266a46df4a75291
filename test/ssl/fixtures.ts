/**
 * Loading the SwAV reference fixtures (test/fixtures/*.json, written by PyTorch's json
 * dump: `NaN`, `Infinity` and `-Infinity` appear as bare tokens, which JSON.parse rejects).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join(dirname(dirname(fileURLToPath(import.meta.url))), 'fixtures');

/** Parses JSON that may hold bare NaN / Infinity / -Infinity tokens outside strings. */
export function parseLooseJson(text: string): unknown {
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) => (m.startsWith('"') ? m : `"@@${m}"`));
  return JSON.parse(marked, (_k, v) => (v === '@@NaN' ? NaN : v === '@@Infinity' ? Infinity : v === '@@-Infinity' ? -Infinity : v));
}

/** Reads test/fixtures/<name>. */
export function loadFixture<T = any>(name: string): T {
  return parseLooseJson(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

export interface SinkhornCase {
  B: number;
  K: number;
  epsilon: number;
  iterations: number;
  scores: number[][];
  q_seed_float32: number[][];
  seed_float32_is_finite: boolean;
  q_exact_float64: number[][];
}
