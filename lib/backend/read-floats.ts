/** Reading a float32 tensor's values without a copy where the backend allows it. */
import * as tf from '@tensorflow/tfjs-core';

/**
 * The values of a float32 tensor for immediate reading: on `wasm` a view of the backend's
 * heap (no copy; valid only until the next kernel runs), elsewhere `dataSync()`.
 */
export function readFloats(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as { typedArrayFromHeap?(t: tf.TensorInfo): Float32Array };
  if (t.dtype === 'float32' && typeof backend.typedArrayFromHeap === 'function' && tf.getBackend() === 'wasm') return backend.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}
