/**
 * Exact int32 kernels computed on the host, for tfjs's wasm backend: its int32 floor
 * division goes through float32 (2147483647 // 1 gave -2147483648, 16777217 // 1 gave
 * 16777216, x // 0 gave -2147483648), and its BatchMatMul takes float32 only; and for
 * tfjs's cpu backend, whose int32 Multiply and MatMul compute in floats (cpu.ts). Integer
 * division and products are rare in a model (indices, counts), so a host loop is enough.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * x // y rounded towards -inf for int32 tensors of one shape, 0 where y is 0 (NumPy's
 * result for an integer division by zero; see docs/core.md), wrapping as int32 (-2^31 // -1).
 */
export function floorDivInt(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const [a, b] = [x.dataSync() as Int32Array, y.dataSync() as Int32Array];
  // a / b in float64 is never rounded across an integer for |a|, |b| < 2^31, so floor is exact.
  const q = Int32Array.from(a, (v, i) => (b[i] === 0 ? 0 : Math.floor(v / b[i]!) | 0));
  return tf.tensor(q, x.shape, 'int32');
}

/** x * y for int32 tensors of one shape, wrapping as int32 (2147483647 * 2147483647 is 1). */
export function mulInt(x: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const [a, b] = [x.dataSync() as Int32Array, y.dataSync() as Int32Array];
  return tf.tensor(Int32Array.from(a, (v, i) => Math.imul(v, b[i]!)), x.shape, 'int32');
}

/** a @ b for int32 a [..., m, k] and b [..., k, n] with equal leading dims, wrapping as int32 (NumPy's int32 matmul). */
export function matmulInt(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const r = a.rank;
  const [m, k, n] = [a.shape[r - 2]!, a.shape[r - 1]!, b.shape[r - 1]!];
  const batch = a.size / (m * k);
  const [av, bv] = [a.dataSync() as Int32Array, b.dataSync() as Int32Array];
  const out = new Int32Array(batch * m * n);
  for (let p = 0; p < batch; p++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc = (acc + Math.imul(av[(p * m + i) * k + l]!, bv[(p * k + l) * n + j]!)) | 0;
        out[(p * m + i) * n + j] = acc;
      }
  return tf.tensor(out, [...a.shape.slice(0, r - 2), m, n], 'int32');
}
