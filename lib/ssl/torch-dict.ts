/**
 * State dicts as the methods' `fromTorch` read them: tf tensors, or the `{ dtype, shape, data }`
 * entries a safetensors file decodes to (`(await readSafetensorsFile(path)).tensors`), as
 * `nn.loadTorchStateDict` takes them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { scope } from '../core/index.js';
import type { TensorData } from '../io/safetensors.js';
import { torchEntryTensor } from '../nn/encoder.js';
import { showValue } from '../util/show-value.js';

/** A PyTorch state dict: tensors, or decoded safetensors entries. */
export type TorchStateDict = Readonly<Record<string, tf.Tensor | TensorData>>;

/**
 * `read` of the dict with every entry a tf tensor; the tensors made here and not kept in the
 * result (and whatever `read` drops) are freed.
 */
export function readTorchDict<T>(dict: TorchStateDict, who: string, read: (tensors: Readonly<Record<string, tf.Tensor>>) => T): T {
  if (typeof dict !== 'object' || dict === null) throw new Error(`${who}: expected a state dict (an object of tensors), got ${showValue(dict)}`);
  return scope(() => read(Object.fromEntries(Object.entries(dict).map(([k, v]) => [k, torchEntryTensor(k, v, who)]))));
}
