/**
 * One check for a jax.numpy function against NumPy's values written into a test: the
 * function runs eagerly and under jit on the same inputs, and each result must have
 * NumPy's shape and dtype, values within the tolerance, and leave no tensor behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/index.js';
import type { DType } from '../../lib/core/aval.js';
import type { NdArray } from '../../lib/core/trace.js';
import { type NumericLike, type Tolerance, allClose } from './assert.js';

/** NumPy's result: its shape, dtype (float64 taken as float32) and values. */
export interface Expected {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly values: NumericLike;
}

/**
 * Asserts that `f(...inputs)` matches `want`, eagerly and under jit, and that the calls leave
 * no tensors (the inputs stay the caller's).
 * @example await eagerAndJit('hypot', np.hypot, [x, y], { shape: [2], dtype: 'float32', values: [5, 13] });
 */
export async function eagerAndJit(what: string, f: (...xs: NdArray[]) => NdArray, inputs: readonly tf.Tensor[], want: Expected, tol: Tolerance = {}): Promise<void> {
  const jitted = jit(f);
  for (const [mode, g] of [['eager', f], ['jit', jitted]] as const) {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => g(...inputs) as tf.Tensor);
    assert.equal(out.shape, [...want.shape], `${what} (${mode}): shape`);
    assert.is(out.dtype, want.dtype, `${what} (${mode}): dtype`);
    allClose(Array.from(await out.data()), want.values, tol, `${what} (${mode})`);
    if (!inputs.includes(out)) out.dispose(); // an identity may hand back its input
    jitted.clearCache(); // the compiled program's constants
    assert.is(tf.memory().numTensors, before, `${what} (${mode}): no tensor leaks`);
  }
}
