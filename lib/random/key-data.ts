/**
 * jax.random's key-data functions, for code written against typed keys: `PRNGKey`, `keyData`,
 * `wrapKeyData`, `clone`. tfjax keys are already raw key data (int32 [..., 2], the two uint32
 * words of a Threefry key as int32 bit patterns), so these convert nothing: they check and
 * pass the key through.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, isTracer, shapeStr } from '../core/index.js';
import { type Key, checkKey, key } from './keys.js';

/** jax.random.PRNGKey: the same as `key(seed)`, a raw int32 [2] key. */
export const PRNGKey = key;

/** The raw data of keys [..., 2] (jax.random.key_data): the keys themselves, int32 bit patterns of uint32 words. */
export function keyData(keys: Key): NdArray {
  checkKey(keys, 'keyData');
  return keys;
}

/**
 * Keys from raw key data (jax.random.wrap_key_data): an int32 array [..., 2], or a JS pair of
 * words [hi, lo] given as uint32 (0 to 2^32 - 1) or int32 values. The inverse of `keyData`.
 * @example random.wrapKeyData([0, 42]) // the same key as random.key(42)
 */
export function wrapKeyData(data: NdArray | readonly number[]): NdArray {
  if (data instanceof tf.Tensor || isTracer(data)) {
    const { dtype, shape } = data as NdArray;
    if (dtype !== 'int32' || shape.length < 1 || shape[shape.length - 1] !== 2)
      throw new Error(`random.wrapKeyData: key data must be an int32 array [..., 2] (uint32 words as int32 bit patterns), got ${dtype}${shapeStr(shape)}`);
    return data as NdArray;
  }
  if (!Array.isArray(data) || data.length !== 2 || data.some((w) => !Number.isInteger(w) || w < -(2 ** 31) || w >= 2 ** 32))
    throw new Error(`random.wrapKeyData: key data must be an int32 array [..., 2] or a JS pair of 32-bit words, got ${JSON.stringify(data)}`);
  return tf.tensor1d(data.map((w) => w | 0), 'int32');
}

/** A key for reuse (jax.random.clone): tfjax does no key-reuse checking, so the key itself. */
export function clone(key: Key): NdArray {
  checkKey(key, 'clone');
  return key;
}

/**
 * The PRNG implementation of keys (jax.random.key_impl): always `'threefry2x32'`, the only one
 * tfjax has (JAX's default); checks that `keys` are keys.
 */
export function keyImpl(keys: Key): 'threefry2x32' {
  checkKey(keys, 'keyImpl');
  return 'threefry2x32';
}
