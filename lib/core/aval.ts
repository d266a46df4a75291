/** Abstract values: what every interpreter knows of an array without its data. */
import type * as tf from '@tensorflow/tfjs-core';

export type DType = 'float32' | 'int32' | 'bool';
export type Shape = readonly number[];

export interface Aval {
  readonly shape: Shape;
  readonly dtype: DType;
}

export const DTYPES: readonly DType[] = ['float32', 'int32', 'bool'];

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'int32' || x === 'bool';
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function avalStr(a: Aval): string {
  return `${a.dtype === 'float32' ? 'f32' : a.dtype === 'int32' ? 'i32' : 'bool'}${shapeStr(a.shape)}`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32';
}

/** Normalises a possibly negative axis against a rank, with an error naming the op. */
export function normAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} is out of range for an array of rank ${rank}`);
  return a;
}

/** Axes normalised by {@link normAxis}; a repeated axis is an error (as in NumPy). */
export function normAxes(axes: readonly number[], rank: number, op: string): number[] {
  const out = axes.map((a) => normAxis(a, rank, op));
  const dup = out.find((a, i) => out.indexOf(a) !== i);
  if (dup !== undefined) throw new Error(`${op}: axis ${dup} is repeated in [${axes}]`);
  return out;
}

export function tensorDType(t: tf.Tensor): DType {
  if (!isDType(t.dtype)) throw new Error(`tfjax supports float32, int32 and bool arrays, got ${t.dtype}`);
  return t.dtype;
}
