/** Shape-changing primitives: reshape, transpose, broadcast_in_dim, slice, pad, concatenate. */
import { type Aval, shapeStr, sizeOf } from '../aval.js';
import * as lax from '../lax.js';
import type { PrimParams } from '../prim-params.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { shapeOf } from '../trace.js';
import { materializeBatch } from './batching-util.js';

const reshape: PrimitiveDef<PrimParams['reshape']> = {
  abstractEval([a], { shape }) {
    if (sizeOf(a.shape) !== sizeOf(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new Error(`reshape: cannot reshape ${shapeStr(a.shape)} (${sizeOf(a.shape)} elements) to ${shapeStr(shape)}`);
    return { shape, dtype: a.dtype };
  },
  jvp: ([t], _p, _o, { shape }) => lax.reshape(t, shape),
  vjp: (ct, [x]) => [lax.reshape(ct, shapeOf(x))],
  batch: ([x], [d], { shape }, n) => [lax.reshape(lax.moveAxis(x, d!, 0), [n, ...shape]), 0],
};

const transpose: PrimitiveDef<PrimParams['transpose']> = {
  abstractEval([a], { perm }) {
    const ok = perm.length === a.shape.length && [...perm].sort((x, y) => x - y).every((p, i) => p === i);
    if (!ok) throw new Error(`transpose: permutation [${perm}] does not fit shape ${shapeStr(a.shape)} (it must list each axis 0..${a.shape.length - 1} once)`);
    return { shape: perm.map((p) => a.shape[p]), dtype: a.dtype };
  },
  jvp: ([t], _p, _o, { perm }) => lax.transpose(t, perm),
  vjp(ct, _p, _o, { perm }) {
    const inv = new Array(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [lax.transpose(ct, inv)];
  },
  batch: ([x], [d], { perm }) => [lax.transpose(lax.moveAxis(x, d!, 0), [0, ...perm.map((p) => p + 1)]), 0],
};

type BcastP = PrimParams['broadcast_in_dim'];
const broadcastInDim: PrimitiveDef<BcastP> = {
  abstractEval([a], { shape, dims }) {
    const ok =
      dims.length === a.shape.length &&
      dims.every((d, i) => d >= 0 && d < shape.length && (i === 0 || d > dims[i - 1]) && (a.shape[i] === shape[d] || a.shape[i] === 1));
    if (!ok) throw new Error(`broadcast_in_dim: cannot broadcast ${shapeStr(a.shape)} to ${shapeStr(shape)} along dims [${dims}]`);
    return { shape, dtype: a.dtype };
  },
  jvp: ([t], _p, _o, { shape, dims }) => lax.broadcastInDim(t, shape, dims),
  vjp(ct, [x], _o, { shape, dims }) {
    const xs = shapeOf(x);
    const expanded = shape.map((_, i) => (dims.includes(i) ? xs[dims.indexOf(i)] : 1));
    return [lax.reshape(lax.sumToShape(ct, expanded), xs)];
  },
  batch: ([x], [d], { shape, dims }, n) => [lax.broadcastInDim(lax.moveAxis(x, d!, 0), [n, ...shape], [0, ...dims.map((v) => v + 1)]), 0],
};

type SliceP = PrimParams['slice'];
const slice: PrimitiveDef<SliceP> = {
  abstractEval([a], { start, limit, strides }) {
    const ok = [start, limit, strides].every((v) => v.length === a.shape.length) && a.shape.every((d, i) => 0 <= start[i] && start[i] <= limit[i] && limit[i] <= d && strides[i] >= 1);
    if (!ok) throw new Error(`slice: start [${start}], limit [${limit}], strides [${strides}] do not fit shape ${shapeStr(a.shape)}`);
    return { shape: a.shape.map((_, i) => Math.ceil((limit[i] - start[i]) / strides[i])), dtype: a.dtype };
  },
  jvp: ([t], _p, _o, { start, limit, strides }) => lax.slice(t, start, limit, strides),
  vjp(ct, [x], out, { start, strides }) {
    const xs = shapeOf(x);
    const os = shapeOf(out);
    const high = xs.map((d, i) => (os[i] === 0 ? d - start[i] : d - (start[i] + (os[i] - 1) * strides[i] + 1)));
    return [lax.pad(ct, start, high, strides.map((s) => s - 1))];
  },
  batch: ([x], [d], { start, limit, strides }) => {
    const n = shapeOf(x)[d!];
    const ins = <T>(v: T[], val: T) => [...v.slice(0, d!), val, ...v.slice(d!)];
    return [lax.slice(x, ins(start, 0), ins(limit, n), ins(strides, 1)), d];
  },
};

type PadP = PrimParams['pad'];
function paddedAval(a: Aval, { low, high, interior }: PadP): Aval {
  const ok = [low, high, interior].every((v) => v.length === a.shape.length && v.every((p) => Number.isInteger(p) && p >= 0));
  if (!ok) throw new Error(`pad: low [${low}], high [${high}], interior [${interior}] must be non-negative and fit shape ${shapeStr(a.shape)}`);
  return { shape: a.shape.map((d, i) => low[i] + high[i] + d + Math.max(0, d - 1) * interior[i]), dtype: a.dtype };
}
const pad: PrimitiveDef<PadP> = {
  abstractEval: ([a], p) => paddedAval(a, p),
  jvp: ([t], _p, _o, { low, high, interior }) => lax.pad(t, low, high, interior, 0),
  vjp(ct, [x], _o, { low, interior }) {
    const xs = shapeOf(x);
    const strides = interior.map((k) => k + 1);
    return [lax.slice(ct, low, xs.map((d, i) => (d === 0 ? low[i] : low[i] + (d - 1) * strides[i] + 1)), strides)];
  },
  batch: ([x], [d], { low, high, interior, value }) => {
    const ins = (v: number[]) => [...v.slice(0, d!), 0, ...v.slice(d!)];
    return [lax.pad(x, ins(low), ins(high), ins(interior), value), d];
  },
};

const concatenate: PrimitiveDef<PrimParams['concatenate']> = {
  abstractEval(avals, { axis }) {
    const a0 = avals[0];
    const ok = avals.every((a) => a.dtype === a0.dtype && a.shape.length === a0.shape.length && a.shape.every((d, i) => i === axis || d === a0.shape[i]));
    if (!ok) throw new Error(`concatenate: shapes ${avals.map((a) => `${a.dtype}${shapeStr(a.shape)}`).join(', ')} do not agree off axis ${axis}`);
    return { shape: a0.shape.map((d, i) => (i === axis ? avals.reduce((s, a) => s + a.shape[axis], 0) : d)), dtype: a0.dtype };
  },
  jvp: (ts, _p, _o, { axis }) => lax.concatenate(ts, axis),
  vjp(ct, xs, _o, { axis }) {
    const cs = shapeOf(ct);
    let off = 0;
    return xs.map((x) => {
      const n = shapeOf(x)[axis];
      const start = cs.map((_, i) => (i === axis ? off : 0));
      off += n;
      return lax.slice(ct, start, cs.map((d, i) => (i === axis ? start[i] + n : d)));
    });
  },
  batch: (xs, ds, { axis }, n) => [lax.concatenate(xs.map((x, i) => materializeBatch(x, ds[i], n)), axis + 1), 0],
};

definePrimitives({ reshape, transpose, broadcast_in_dim: broadcastInDim, slice, pad, concatenate });
