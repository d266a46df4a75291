/** Shared by the random suites: moment and frequency checks within 5 standard errors, and determinism under jit / vmap. */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/core/index.js';
import * as random from '../../lib/random/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose } from '../helpers/assert.js';

export const N = 20_000;
export const read = (x: unknown) => Array.from((x as tf.Tensor).dataSync());

/** Sample mean and variance within 5 standard errors of `mean` and `variance`. */
export function checkMoments(what: string, xs: number[], mean: number, variance: number): void {
  const n = xs.length;
  assert.ok(xs.every(Number.isFinite), `${what}: all samples finite`);
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
  const m4 = xs.reduce((a, b) => a + (b - m) ** 4, 0) / n;
  const seMean = Math.sqrt(variance / n);
  const seVar = Math.sqrt(Math.max(m4 - v * v, 0) / n);
  assert.ok(Math.abs(m - mean) <= 5 * seMean, `${what}: sample mean ${m}, expected ${mean} (5 SE = ${5 * seMean})`);
  assert.ok(Math.abs(v - variance) <= 5 * seVar, `${what}: sample variance ${v}, expected ${variance} (5 SE = ${5 * seVar})`);
}

/** A frequency within 5 standard errors of p. */
export function checkFrequency(what: string, count: number, n: number, p: number): void {
  const se = Math.sqrt((p * (1 - p)) / n);
  assert.ok(Math.abs(count / n - p) <= 5 * se, `${what}: frequency ${count / n}, expected ${p} (5 SE = ${5 * se})`);
}

/** Each sampler: deterministic per key, other keys other samples, and the same values under jit and under vmap over keys. */
export function sameUnderTransforms(samplers: readonly [string, (k: NdArray) => NdArray][]): void {
  const key = random.key(42);
  const keys = random.splitKeys(random.key(43), 3);
  for (const [name, f] of samplers) {
    const a = read(f(key));
    assert.equal(read(f(random.key(42))), a, `${name}: same key, same samples`);
    assert.not.equal(read(f(random.key(44))), a, `${name}: another key, other samples`);
    allClose(read(jit(f)(key)), a, { rtol: 1e-6, atol: 1e-6 }, `${name}: jit vs eager`);
    const mapped = read(vmap(f)(keys));
    const looped = random.split(random.key(43), 3).flatMap((k) => read(f(k)));
    allClose(mapped, looped, { rtol: 1e-5, atol: 1e-6 }, `${name}: vmap over keys vs loop`);
  }
}
