/**
 * The collectives' kernels (prims/collectives.ts): each member's values go through the
 * transport of its device axis (axes.ts) as float32, the same on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deviceAxis } from '../axes.js';
import type { PrimParams } from '../prim-params.js';
import { placeMembers, sourceOf } from '../prims/collectives.js';

/** A float32 copy of a tensor's values (integers are exact up to 2^24): what the transport carries. */
const floatsOf = (x: tf.Tensor): Float32Array => Float32Array.from(x.dataSync() as ArrayLike<number>);
/** A tensor of `dtype` from the transport's floats (tfjs converts them for bool). */
function fromFloats(v: Float32Array, shape: readonly number[], dtype: tf.DataType): tf.Tensor {
  if (dtype === 'int32') return tf.tensor(Int32Array.from(v, Math.round), [...shape], 'int32');
  return tf.tensor(v, [...shape], dtype);
}

/** psum, pmax, pmin: an all-reduce over each named axis in turn. */
function allReduce(op: 'psum' | 'pmax' | 'pmin') {
  return ([x]: tf.Tensor[], { axisName }: PrimParams['psum']): tf.Tensor => {
    let v = floatsOf(x);
    for (const name of axisName) {
      const axis = deviceAxis(name, op);
      if (op === 'pmin') v = axis.allReduce(v.map((e) => -e), 'max').map((e) => -e);
      else v = axis.allReduce(v, op === 'psum' ? 'sum' : 'max');
    }
    return fromFloats(v, x.shape, x.dtype);
  };
}

export const collectiveKernels = {
  psum: allReduce('psum'),
  pmax: allReduce('pmax'),
  pmin: allReduce('pmin'),
  all_gather([x]: tf.Tensor[], p: PrimParams['all_gather']): tf.Tensor {
    const axis = deviceAxis(p.axisName, 'allGather');
    const all = axis.allGather(floatsOf(x));
    const stacked = fromFloats(all, [axis.size, ...x.shape], x.dtype);
    return placeMembers(stacked, 0, p) as tf.Tensor;
  },
  axis_index: (_x: tf.Tensor[], { axisName }: PrimParams['axis_index']): tf.Tensor => tf.scalar(deviceAxis(axisName, 'axisIndex').index, 'int32'),
  // Through an all-gather (every member's values reach every member; each keeps its source's).
  ppermute([x]: tf.Tensor[], p: PrimParams['ppermute']): tf.Tensor {
    const axis = deviceAxis(p.axisName, 'ppermute');
    const all = axis.allGather(floatsOf(x));
    const from = sourceOf(p.perm, axis.size)[axis.index];
    return from < 0 ? tf.zeros(x.shape, x.dtype) : fromFloats(all.subarray(from * x.size, (from + 1) * x.size), x.shape, x.dtype);
  },
  psum_scatter([x]: tf.Tensor[], p: PrimParams['psum_scatter']): tf.Tensor {
    const axis = deviceAxis(p.axisName, 'psumScatter');
    const summed = fromFloats(axis.allReduce(floatsOf(x), 'sum'), x.shape, x.dtype);
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
