/**
 * scipy.signal (lib/scipy/signal.ts) against SciPy 1.10's direct convolutions
 * (test/fixtures/scipy_signal.json, tools/scipy-signal-fixtures.py): convolve and correlate in
 * 1-D and 2-D, every mode, with the smaller input first or second; convolve2d / correlate2d
 * with a fill value; jit, vmap and grad; errors. Tolerance rtol 1e-5, atol 1e-5: sums of up to
 * 12 float32 products of numbers of size 1 (SciPy sums in float64).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, scipy, vmap } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`scipy.signal against SciPy [${backend}]`);
const sig = scipy.signal;

interface Conv { a: number[]; a_shape: number[]; b: number[]; b_shape: number[]; want: number[]; shape: number[] }
const cases = (JSON.parse(readFileSync(new URL('../fixtures/scipy_signal.json', import.meta.url), 'utf8')) as { cases: Record<string, unknown> }).cases;
const read = async (y: NdArray) => Array.from((await (y as tf.Tensor).data()) as Float32Array);
const tol = { rtol: 1e-5, atol: 1e-5 };
const operands = (c: Conv) => [np.reshape(np.array(c.a), c.a_shape), np.reshape(np.array(c.b), c.b_shape)] as const;

test('convolve and correlate: 1-D and 2-D, every mode, either input the larger', async () => {
  const names = Object.keys(cases).filter((n) => /^(convolve|correlate)_(1d|2d)/.test(n));
  assert.is(names.length, 30);
  for (const name of names) {
    const c = cases[name] as Conv;
    const [fn, , mode] = name.split('_').length === 4 ? [name.split('_')[0], 0, name.split('_')[3]] : [name.split('_')[0], 0, name.split('_')[2]];
    const f = fn === 'convolve' ? sig.convolve : sig.correlate;
    const y = f(...operands(c), mode as 'full');
    assert.equal(y.shape, c.shape, `${name} shape`);
    allClose(await read(y), c.want, tol, name);
  }
});

test('convolve2d / correlate2d: modes, a fill value, the smaller input first', async () => {
  const [a, b] = operands(cases['convolve_2d_full'] as Conv);
  for (const fn of ['convolve2d', 'correlate2d'] as const) {
    for (const mode of ['full', 'same', 'valid'] as const) {
      for (const fill of [0, 1.5]) {
        const c = cases[`${fn}_${mode}_${fill}`] as Conv;
        const y = sig[fn](a, b, mode, 'fill', fill);
        assert.equal(y.shape, c.shape, `${fn} ${mode} ${fill}`);
        allClose(await read(y), c.want, tol, `${fn} ${mode} fill ${fill}`);
      }
    }
  }
  const [small, large] = operands(cases['convolve_2d_swap_full'] as Conv);
  for (const mode of ['full', 'same', 'valid'] as const) {
    const c = cases[`correlate2d_swap_${mode}`] as Conv;
    const y = sig.correlate2d(small, large, mode);
    assert.equal(y.shape, c.shape, `correlate2d swapped ${mode}`);
    allClose(await read(y), c.want, tol, `correlate2d swapped ${mode}`);
  }
});

test('jit, vmap and grad', async () => {
  const c = cases['convolve_1d_same'] as Conv;
  const [a, b] = operands(c);
  allClose(await read(jit((x: NdArray, k: NdArray) => sig.convolve(x, k, 'same'))(a, b)), c.want, tol);
  const batched = vmap((x: NdArray) => sig.convolve(x, b, 'same'))(np.stack([a, np.mul(a, 2)]));
  allClose(await read(batched), [...c.want, ...c.want.map((v) => 2 * v)], tol);
  // d/da sum(convolve(a, b, 'full')) = sum(b) for every entry of a.
  const g = grad((x: NdArray) => np.sum(sig.convolve(x, b)))(a);
  const sumB = (c.b as number[]).reduce((s, v) => s + v, 0);
  allClose(await read(g), new Array(7).fill(sumB), tol);
});

test('errors name what is wrong', () => {
  assert.throws(() => sig.convolve(np.ones([3]), np.ones([2, 2])), /convolve: in1 and in2 must have the same number of dimensions/);
  assert.throws(() => sig.convolve(np.ones([3, 2]), np.ones([2, 3])), /convolve: one input must be at least as large as the other in every dimension/);
  assert.throws(() => sig.convolve(np.ones([3]), np.ones([2]), 'middle' as 'same'), /convolve: mode must be 'full', 'same' or 'valid'/);
  assert.throws(() => sig.convolve(np.ones([3]), np.ones([2]), 'full', 'spectral' as 'direct'), /convolve: method must be 'auto', 'direct' or 'fft'/);
  assert.throws(() => sig.convolve(np.ones([2, 2, 2, 2]), np.ones([1, 1, 1, 1])), /convolve: only 1-D, 2-D and 3-D inputs are supported/);
  assert.throws(() => sig.convolve2d(np.ones([3, 3]), np.ones([2, 2]), 'full', 'wrap'), /convolve2d: only boundary 'fill' is supported/);
  assert.throws(() => sig.correlate2d(np.ones([3]), np.ones([2])), /correlate2d: inputs must be 2-D/);
});

test.run();
