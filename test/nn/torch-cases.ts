/**
 * PyTorch fixture cases for the nn suites (tools/torch_fixture_helpers.py writes them): each case
 * holds its inputs, the output and the gradients of sum(out · cos(0.37 i + 0.1)) for the inputs in
 * `grads`. `torchCases(file)` loads one fixture file and gives the checks over it.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import { allClose } from '../helpers/assert.js';
import { read } from './util.js';

export interface Enc {
  data: number[];
  shape: number[];
}
export interface Case {
  inputs: Record<string, Enc>;
  out: Enc;
  grads: Record<string, Enc>;
  indices?: Enc;
  [extra: string]: unknown;
}
export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The fixtures keep 6 significant digits; float32 sums of a few dozen terms add a few ulps. */
export const TOL: Tolerance = { rtol: 2e-5, atol: 2e-5 };

export const tensor = (e: Enc, dtype: 'float32' | 'int32' = 'float32') => tf.tensor(e.data, e.shape, dtype);
/** The cotangent the generators use: cos(0.37 i + 0.1) over the flattened output. */
export const cotangent = (shape: readonly number[]) => np.reshape(np.cos(np.add(np.mul(np.arange(shape.reduce((a, b) => a * b, 1)), 0.37), 0.1)), shape);
/** Channels-first [N, C, ...] to channels-last [N, ..., C], and back. */
export const toLast = (x: NdArray) => np.moveaxis(x, 1, -1);
export const toFirst = (x: NdArray) => np.moveaxis(x, -1, 1);

export function close(actual: NdArray, expected: Enc, what: string, tol = TOL): void {
  assert.equal(actual.shape, expected.shape, `${what}: shape`);
  allClose(read(actual), expected.data, tol, what);
}

/** One fixture file's cases, and `check(name, f)`: f's output and input gradients against the case, eager and under jit. */
export function torchCases(fixture: string): { cases: Record<string, Case>; check: (name: string, f: (xs: Record<string, NdArray>) => NdArray, tol?: Tolerance) => void } {
  const cases = JSON.parse(readFileSync(new URL(`../fixtures/${fixture}`, import.meta.url), 'utf8')) as Record<string, Case>;
  const check = (name: string, f: (xs: Record<string, NdArray>) => NdArray, tol = TOL): void => {
    const c = cases[name];
    const xs = Object.fromEntries(Object.entries(c.inputs).filter(([k]) => k in c.grads).map(([k, e]) => [k, tensor(e)]));
    close(f(xs), c.out, `${name}: output`, tol);
    const loss = (a: Record<string, NdArray>) => {
      const y = f(a);
      return np.sum(np.mul(y, cotangent(y.shape)));
    };
    for (const [label, g] of [['eager', grad(loss)(xs)], ['jit', jit(grad(loss))(xs)]] as const)
      for (const k of Object.keys(c.grads)) close(g[k], c.grads[k], `${name}: d/d${k} (${label})`, tol);
  };
  return { cases, check };
}
