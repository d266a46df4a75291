/**
 * Input checks and small matrix helpers shared by the SSL losses (not exported from the package).
 * - `matrix(x, loss, name)`: the [rows, dim] shape of `x`, or a one-line error naming the loss and argument.
 * - `pairOfViews(zi, zj, loss)`: both views [N, D] of one shape.
 * - `positiveTemperature(t, loss)`: a finite number > 0 (arrays pass: a schedule's value inside `jit`).
 * - `offDiagonalMask(n)` / `diagonal(c)`: the seed's `off_diagonal` as a mask, and a square matrix's diagonal.
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';

/** The shape [rows, dim] of a rank-2 array, or an error naming `loss` and `name`. */
export function matrix(x: NdArray, loss: string, name: string): [number, number] {
  const s = shapeOf(x);
  if (s.length !== 2) throw new Error(`${loss}: ${name} must be [batch, dim], got ${shapeStr(s)}`);
  return [s[0], s[1]];
}

/** The shape [N, D] of two views that must agree, or an error naming `loss`. */
export function pairOfViews(zi: NdArray, zj: NdArray, loss: string, names: readonly [string, string] = ['z_i', 'z_j']): [number, number] {
  const a = matrix(zi, loss, names[0]);
  const b = matrix(zj, loss, names[1]);
  if (a[0] !== b[0] || a[1] !== b[1]) throw new Error(`${loss}: ${names[0]} and ${names[1]} must have one shape, got ${shapeStr(a)} and ${shapeStr(b)}`);
  return a;
}

/** Checks a temperature given as a number (arrays, e.g. a warm-up schedule's value, are not checked). */
export function positiveTemperature(t: number | NdArray, loss: string, name = 'temperature'): number | NdArray {
  if (typeof t === 'number' && !(Number.isFinite(t) && t > 0)) throw new Error(`${loss}: ${name} must be a finite number > 0, got ${t}`);
  return t;
}

/** Ones off the diagonal of an [n, n] matrix, zeros on it (the seed's `off_diagonal`, as a mask). */
export function offDiagonalMask(n: number): NdArray {
  return np.sub(1, np.eye(n));
}

/** The diagonal [n] of a square matrix [n, n]. */
export function diagonal(c: NdArray): NdArray {
  return np.sum(np.mul(c, np.eye(shapeOf(c)[0])), -1);
}
