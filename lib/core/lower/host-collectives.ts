/**
 * The collectives' kernels (prims/collectives.ts): each member's values go through the
 * transport of its device axis (axes.ts) as float32, the same on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { deviceAxis } from '../axes.js';
import type { PrimParams } from '../prim-params.js';
import { placeMembers } from '../prims/collectives.js';

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
};
