/**
 * The collectives' kernels (prims/collectives.ts): each member's values go through the
 * transport of its device axis (axes.ts) as float32 (int32 as two exact halves), the same on
 * every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DeviceAxis, deviceAxis } from '../axes.js';
import type { PrimParams } from '../prim-params.js';
import { placeMembers, sourceOf } from '../prims/collectives.js';

/**
 * What the transport carries for a tensor: float32 values, or for int32 each value's low 16 bits
 * and its high 16 bits (signed) as two floats, [low..., high...], so that any int32 (not only
 * those up to 2^24) and any sum of up to 2^8 of them comes back exactly.
 */
function encode(x: tf.Tensor): Float32Array {
  const v = x.dataSync() as ArrayLike<number>;
  if (x.dtype !== 'int32') return Float32Array.from(v);
  const out = new Float32Array(2 * v.length);
  for (let i = 0; i < v.length; i++) [out[i], out[v.length + i]] = [v[i]! & 0xffff, v[i]! >> 16];
  return out;
}

/** A tensor of `dtype` from what {@link encode} gave (sums of it included; int32 sums wrap as XLA's). */
function decode(v: Float32Array, shape: readonly number[], dtype: tf.DataType): tf.Tensor {
  if (dtype !== 'int32') return tf.tensor(v, [...shape], dtype);
  const n = v.length / 2;
  return tf.tensor(Int32Array.from({ length: n }, (_, i) => (v[n + i]! * 65536 + v[i]!) | 0), [...shape], 'int32');
}

/** The encoded members' blocks of an all-gather, each decoded, stacked on a new first axis. */
function decodeMembers(all: Float32Array, size: number, x: tf.Tensor): tf.Tensor {
  const block = all.length / size;
  if (x.dtype !== 'int32') return decode(all, [size, ...x.shape], x.dtype);
  const values = new Int32Array(size * x.size);
  for (let m = 0; m < size; m++) values.set(decode(all.subarray(m * block, (m + 1) * block), [x.size], 'int32').dataSync() as Int32Array, m * x.size);
  return tf.tensor(values, [size, ...x.shape], 'int32');
}

/**
 * The elementwise maximum over the axis of encoded values: of int32 ones, the high halves'
 * maximum, then the low halves' among the members holding it (two rounds).
 */
function allMax(axis: DeviceAxis, v: Float32Array, int: boolean): Float32Array {
  if (!int) return axis.allReduce(v, 'max');
  const n = v.length / 2;
  const high = axis.allReduce(v.subarray(n), 'max');
  const low = axis.allReduce(v.subarray(0, n).map((l, i) => (v[n + i] === high[i] ? l : -1)), 'max');
  const out = new Float32Array(2 * n);
  out.set(low);
  out.set(high, n);
  return out;
}

/** psum, pmax, pmin: an all-reduce over each named axis in turn. */
function allReduce(op: 'psum' | 'pmax' | 'pmin') {
  return ([x]: tf.Tensor[], { axisName }: PrimParams['psum']): tf.Tensor => {
    const int = x.dtype === 'int32';
    // min is max of an order-reversing bijection: -x for floats, ~x for int32 (-x overflows at -2^31).
    const flip = (t: tf.Tensor) => (int ? tf.tensor(Int32Array.from(t.dataSync() as Int32Array, (e) => ~e), t.shape, 'int32') : tf.neg(t));
    let t = op === 'pmin' ? flip(x) : tf.clone(x);
    for (const name of axisName) {
      const axis = deviceAxis(name, op);
      const v = encode(t);
      const reduced = op === 'psum' ? axis.allReduce(v, 'sum') : allMax(axis, v, int);
      t.dispose();
      t = decode(reduced, x.shape, x.dtype);
    }
    if (op !== 'pmin') return t;
    const out = flip(t);
    t.dispose();
    return out;
  };
}

export const collectiveKernels = {
  psum: allReduce('psum'),
  pmax: allReduce('pmax'),
  pmin: allReduce('pmin'),
  all_gather([x]: tf.Tensor[], p: PrimParams['all_gather']): tf.Tensor {
    const axis = deviceAxis(p.axisName, 'allGather');
    const stacked = decodeMembers(axis.allGather(encode(x)), axis.size, x);
    const out = placeMembers(stacked, 0, p) as tf.Tensor;
    if (out !== stacked) stacked.dispose();
    return out;
  },
  axis_index: (_x: tf.Tensor[], { axisName }: PrimParams['axis_index']): tf.Tensor => tf.scalar(deviceAxis(axisName, 'axisIndex').index, 'int32'),
  // Through an all-gather (every member's values reach every member; each keeps its source's).
  ppermute([x]: tf.Tensor[], p: PrimParams['ppermute']): tf.Tensor {
    const axis = deviceAxis(p.axisName, 'ppermute');
    const all = axis.allGather(encode(x));
    const from = sourceOf(p.perm, axis.size)[axis.index];
    const block = all.length / axis.size;
    return from < 0 ? tf.zeros(x.shape, x.dtype) : decode(all.subarray(from * block, (from + 1) * block), x.shape, x.dtype);
  },
  psum_scatter([x]: tf.Tensor[], p: PrimParams['psum_scatter']): tf.Tensor {
    const axis = deviceAxis(p.axisName, 'psumScatter');
    const summed = decode(axis.allReduce(encode(x), 'sum'), x.shape, x.dtype);
    const d = p.scatterDimension;
    const size = x.shape[d] / axis.size;
    const mine = tf.slice(summed, x.shape.map((_, i) => (i === d ? axis.index * size : 0)), x.shape.map((n, i) => (i === d ? size : n)));
    summed.dispose();
    if (p.tiled) return mine;
    const out = tf.squeeze(mine, [d]);
    mine.dispose();
    return out;
  },
};
