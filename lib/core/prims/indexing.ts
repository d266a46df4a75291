/** Integer indexing: gather along an axis, its transpose scatter_add, and the overwriting scatter of int32 ids. */
import * as tf from '@tensorflow/tfjs-core';
import { avalStr } from '../aval.js';
import * as lax from '../lax.js';
import type { PrimParams } from '../prim-params.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, shapeOf } from '../trace.js';
import { materializeBatch } from './batching-util.js';

type GatherP = PrimParams['gather'];
type ScatterP = PrimParams['scatter_add'];

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Per-example indices made global for a [B*n, ...] flattening: idx[b] + b*n. */
function offsetIndices(idx: NdArray, n: number): NdArray {
  const s = shapeOf(idx);
  const offs = tf.reshape(tf.mul(tf.range(0, s[0], 1, 'int32'), tf.scalar(n, 'int32')), [s[0], ...s.slice(1).map(() => 1)]);
  return lax.add(idx, offs);
}

const gather: PrimitiveDef<GatherP> = {
  abstractEval([x, i], { axis }) {
    if (i.dtype !== 'int32') throw new Error(`gather: indices must be int32, got ${avalStr(i)}`);
    if (axis < 0 || axis >= x.shape.length) throw new Error(`gather: axis ${axis} out of range for ${avalStr(x)}`);
    return { shape: [...x.shape.slice(0, axis), ...i.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype };
  },
  jvp: ([t], [, i], _o, { axis }) => lax.gather(t, i, axis),
  vjp: (ct, [x, i], _o, { axis }) => [lax.scatterAdd(ct, i, axis, shapeOf(x)[axis]), null],
  batch([x, i], [dx, di], { axis }, n) {
    if (di === null) return [lax.gather(lax.moveAxis(x, dx!, 0), i, axis + 1), 0];
    if (dx === null) return [lax.gather(x, i, axis), axis + di];
    // Both batched: fold the batch into the gathered axis and offset the indices.
    const xs = lax.moveAxis(lax.moveAxis(x, dx, 0), axis + 1, 1);
    const a = shapeOf(xs)[1];
    const flat = lax.reshape(xs, [n * a, ...shapeOf(xs).slice(2)]);
    const ib = lax.moveAxis(i, di, 0);
    const out = lax.gather(flat, offsetIndices(ib, a), 0); // [B, idx..., pre..., post...]
    const ni = shapeOf(ib).length - 1;
    const perm = [0, ...range(ni + 1, ni + 1 + axis), ...range(1, ni + 1), ...range(ni + 1 + axis, shapeOf(out).length)];
    return [lax.transpose(out, perm), 0];
  },
};

const scatterAdd: PrimitiveDef<ScatterP> = {
  abstractEval([u, i], { axis, size }) {
    if (i.dtype !== 'int32') throw new Error(`scatter_add: indices must be int32, got ${avalStr(i)}`);
    const ok = u.shape.length >= axis + i.shape.length && i.shape.every((d, k) => u.shape[axis + k] === d);
    if (!ok) throw new Error(`scatter_add: updates ${avalStr(u)} do not match indices ${avalStr(i)} at axis ${axis}`);
    return { shape: [...u.shape.slice(0, axis), size, ...u.shape.slice(axis + i.shape.length)], dtype: u.dtype };
  },
  jvp: ([t], [, i], _o, { axis, size }) => lax.scatterAdd(t, i, axis, size),
  vjp: (ct, [, i], _o, { axis }) => [lax.gather(ct, i, axis), null],
  batch([u, i], [du, di], { axis, size }, n) {
    if (di === null) return [lax.scatterAdd(lax.moveAxis(u, du!, 0), i, axis + 1, size), 0];
    const ub = materializeBatch(u, du, n); // [B, pre..., idx..., post...]
    const ib = lax.moveAxis(i, di, 0);
    const ni = shapeOf(ib).length - 1;
    const r = shapeOf(ub).length;
    const moved = lax.transpose(ub, [0, ...range(axis + 1, axis + 1 + ni), ...range(1, axis + 1), ...range(axis + 1 + ni, r)]);
    const flat = lax.scatterAdd(moved, offsetIndices(ib, size), 0, n * size); // [B*size, pre..., post...]
    const rest = shapeOf(flat).slice(1);
    const split = lax.reshape(flat, [n, size, ...rest]);
    return [lax.moveAxis(split, 1, axis + 1), 0];
  },
};

const scatter: PrimitiveDef = {
  abstractEval([o, i, u]) {
    const ok = [o, i, u].every((a) => a.dtype === 'int32' && a.shape.length === 1) && i.shape[0] === u.shape[0];
    if (!ok) throw new Error(`scatter: needs a 1-D int32 operand and equally long 1-D int32 indices and updates, got ${avalStr(o)}, ${avalStr(i)}, ${avalStr(u)}`);
    return o;
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null, null, null],
  batch([o, i, u], [d0, di, du], _p, n) {
    // Every member's operand side by side in one [n * size] vector, its indices offset to its part.
    const [ob, ib, ub] = [materializeBatch(o, d0, n), materializeBatch(i, di, n), materializeBatch(u, du, n)];
    const [size, m] = [shapeOf(ob)[1], shapeOf(ib)[1]];
    const out = lax.scatter(lax.reshape(ob, [n * size]), lax.reshape(offsetIndices(ib, size), [n * m]), lax.reshape(ub, [n * m]));
    return [lax.reshape(out, [n, size]), 0];
  },
  nonDifferentiable: true,
};

definePrimitives({ gather, scatter_add: scatterAdd, scatter });
