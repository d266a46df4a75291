/**
 * Loading the SwAV reference fixtures (test/fixtures/*.json, written by PyTorch's json
 * dump: `NaN`, `Infinity` and `-Infinity` appear as bare tokens, which JSON.parse rejects).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import type { NdArray } from '../../lib/core/index.js';

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

/** max |a - e| / max(max |e|, floor) over a tensor against nested numbers (norm-wise relative error). */
export async function relErr(actual: NdArray, expected: unknown, floor = 1e-30): Promise<number> {
  const a = Array.from(await (actual as tf.Tensor).data());
  const e = (Array.isArray(expected) ? (expected as unknown[]).flat(Infinity) : [expected]) as number[];
  assert.is(a.length, e.length, 'size');
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - e[i]));
    den = Math.max(den, Math.abs(e[i]));
  }
  return num / Math.max(den, floor);
}

/** The largest magnitude in nested numbers. */
export const maxAbs = (x: unknown) => Math.max(...((x as unknown[]).flat(Infinity) as number[]).map(Math.abs));

/**
 * `check(what, actual, expected, label, floor?)` asserts {@link relErr} < tol and records the
 * worst error per quantity in `worst` (for a report at the end).
 */
export function relErrChecker(tol: number) {
  const worst: Record<string, number> = {};
  const check = async (what: string, actual: NdArray, expected: unknown, label: string, floor?: number): Promise<void> => {
    const r = await relErr(actual, expected, floor);
    worst[what] = Math.max(worst[what] ?? 0, r);
    assert.ok(r < tol, `${label}: ${what} relative error ${r.toExponential(3)} >= ${tol}`);
  };
  return { check, worst };
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
