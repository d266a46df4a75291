/**
 * optax's moment helpers (`optax.tree.update_moment`, `bias_correction`) over hyperparameters
 * that may be numbers or scalar arrays, so that the transformations built on them accept the
 * arrays `injectHyperparams` passes (and traced ones under `jit`).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';

/** A hyperparameter: a JS number, or a float32 scalar array (what `injectHyperparams` passes). */
export type Hyper = number | NdArray;

/** `1 - x`, folded in float64 when `x` is a number. */
export function oneMinus(x: Hyper): Hyper {
  return typeof x === 'number' ? 1 - x : np.sub(1, x);
}

/** optax's `update_moment`: `(1 - decay) g^order + decay m`, leaf-wise. */
export function updateMoment<U>(updates: U, moment: unknown, decay: Hyper, order: 1 | 2): U {
  const w = oneMinus(decay);
  return tree.map<U>((g: NdArray, m: NdArray) => np.add(np.mul(w, order === 1 ? g : np.square(g)), np.mul(decay, m)), updates, moment);
}

/**
 * `1 - decay^t` for a float32 step `t`. For a number `decay` in (0, 1) it is `-expm1(t log(decay))`
 * with the log taken in float64: float32's 0.999 is 1.3e-5 off in `1 - 0.999`, and 0.9999 1e-4,
 * where torch's float64 bias corrections are exact (an injected array decay stays `1 - decay^t`).
 */
export function oneMinusPow(decay: Hyper, t: NdArray): NdArray {
  if (typeof decay === 'number' && decay > 0 && decay < 1) return np.neg(np.expm1(np.mul(t, Math.log(decay))));
  return np.sub(1, np.pow(decay, t));
}

/** optax's `bias_correction`: `m / (1 - decay^count)` leaf-wise, `count` the incremented int32 step. */
export function biasCorrection<U>(moment: U, decay: Hyper, count: NdArray): U {
  const bc = oneMinusPow(decay, np.cast(count, 'float32'));
  return tree.map<U>((m: NdArray) => np.div(m, bc), moment);
}

/** A hyperparameter check for the options of a transformation: a finite number, or any array (not checked). */
export function checkHyper(what: string, name: string, x: Hyper, ok: (v: number) => boolean, expected: string): void {
  if (typeof x === 'number' && !(Number.isFinite(x) && ok(x))) throw new Error(`${what}: ${name} must be ${expected}, got ${x}`);
}
