/**
 * erf as tfjs operations, by the scheme of lib/backend/erf-approximation.ts (the one the wasm
 * SIMD loop runs): for cpu and webgpu, whose own Erf kernel (Abramowitz and Stegun 7.1.26)
 * has an absolute error of ~1e-7, so small arguments came out wrong (erf(1e-8) = 1.228e-8).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ERF_ONE_FROM, ERF_SMALL, ERF_SMALL_POLY, ERF_TAIL_CENTER, ERF_TAIL_POLY } from '../../backend/erf-approximation.js';

/** The polynomial with coefficients `c` (highest degree first) at t, by Horner's rule. */
function horner(c: readonly number[], t: tf.Tensor): tf.Tensor {
  return c.slice(1).reduce((acc, k) => tf.add(tf.mul(acc, t), tf.scalar(k)), tf.scalar(c[0]!));
}

/** erf of a float32 tensor, within 2 ulp of float64 erf wherever the backend's exp is. */
export function erfComposite(x: tf.Tensor): tf.Tensor {
  const small = tf.add(x, tf.mul(x, horner(ERF_SMALL_POLY, tf.mul(x, x))));
  const z = tf.minimum(tf.abs(x), tf.scalar(ERF_ONE_FROM));
  const g = horner(ERF_TAIL_POLY, tf.sub(z, tf.scalar(ERF_TAIL_CENTER)));
  const tail = tf.sub(tf.scalar(1), tf.mul(tf.exp(tf.neg(tf.mul(z, z))), g));
  const signed = tf.where(tf.less(x, tf.scalar(0)), tf.neg(tail), tail);
  // NaN is kept explicitly: a GPU's min may return the other operand for NaN.
  return tf.where(tf.isNaN(x), x, tf.where(tf.less(tf.abs(x), tf.scalar(ERF_SMALL)), small, signed));
}
