/** Embedding tables: int32 indices of any shape -> [..., dim] (PyTorch's nn.Embedding). */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as init from './init.js';
import { type Layer, positiveInt } from './layer.js';
import { copy } from './torch.js';

export interface EmbeddingConfig {
  /** Number of rows (the vocabulary size). */
  readonly num: number;
  /** Width of each row. */
  readonly dim: number;
  /**
   * A row that receives no gradient and starts at zero (PyTorch's padding_idx); negative
   * values count from the end, as PyTorch's.
   */
  readonly paddingIdx?: number;
  /** Default N(0, 1), as PyTorch's. */
  readonly weightInit?: init.Initializer;
  /** Looked-up rows whose `normType`-norm exceeds this are scaled to it (PyTorch's max_norm; see {@link embeddingRenorm}). */
  readonly maxNorm?: number;
  /** The p of max_norm's norm (default 2). */
  readonly normType?: number;
  /**
   * PyTorch's scale_grad_by_freq: each looked-up row's gradient is divided by how often its index
   * occurs in the call's indices (default false).
   */
  readonly scaleGradByFreq?: boolean;
}

/**
 * `rows` with the same values and its gradient divided by the count of each row's index in
 * `indices` (PyTorch's scale_grad_by_freq): rows / n + stop_gradient(rows - rows / n).
 */
function scaleGradByFrequency(rows: NdArray, indices: NdArray, num: number): NdArray {
  const counts = np.sum(np.cast(np.equal(np.reshape(indices, [-1, 1]), np.arange(num)), 'float32'), 0);
  const scaled = np.div(rows, np.expandDims(np.take(counts, indices, 0), -1));
  return np.add(scaled, np.stopGradient(np.sub(rows, scaled)));
}

/** Each row's scale under max_norm: maxNorm / (norm + 1e-7) where the norm exceeds maxNorm, else 1 (PyTorch's embedding_renorm_). */
function renormScale(rows: NdArray, maxNorm: number, normType: number): NdArray {
  const norm = np.linalg.vectorNorm(np.stopGradient(rows), { ord: normType, axis: -1, keepdims: true });
  return np.where(np.greater(norm, maxNorm), np.div(maxNorm, np.add(norm, 1e-7)), 1);
}

/**
 * The table after PyTorch's max_norm lookup (torch.embedding_renorm_): every row that `indices` reads
 * and whose norm exceeds `maxNorm` scaled to it. PyTorch rewrites its weight in place on each lookup;
 * tfjax's layer only returns the scaled rows, so a training loop that wants PyTorch's table steps
 * from `embeddingRenorm(w, indices, maxNorm)`.
 */
export function embeddingRenorm(weight: NdArray, indices: NdArray, maxNorm: number, normType = 2): NdArray {
  const num = weight.shape[0];
  const read = np.any(np.equal(np.reshape(indices, [-1, 1]), np.arange(num)), 0);
  return np.where(np.expandDims(read, 1), np.mul(weight, renormScale(weight, maxNorm, normType)), weight);
}

export interface EmbeddingParams {
  /** [num, dim] (the same layout as PyTorch's weight) */
  readonly w: NdArray;
}

/**
 * A lookup table: int32 indices of any shape [...] -> rows [..., dim] (PyTorch's
 * nn.Embedding). Indices must lie in [0, num). With `paddingIdx`, that row starts at zero
 * and its gradient is zero (it still looks up whatever it holds, as PyTorch's).
 * @example
 * const emb = nn.embedding({ num: 1000, dim: 64, paddingIdx: 0 });
 * const v = emb.init(random.key(0));
 * const [vectors] = emb.apply(v.params, v.state, np.array([[5, 7, 0]], 'int32')); // [1, 3, 64]
 */
export function embedding(config: EmbeddingConfig): Layer<EmbeddingParams, Record<string, never>> {
  const num = positiveInt(config.num, 'embedding: num');
  const dim = positiveInt(config.dim, 'embedding: dim');
  const pad = config.paddingIdx;
  if (pad !== undefined && !(Number.isInteger(pad) && pad >= -num && pad < num))
    throw new Error(`embedding: paddingIdx must be an integer in [-${num}, ${num}), got ${String(pad)}`);
  const padRow = pad === undefined ? undefined : pad < 0 ? pad + num : pad;
  const { maxNorm, normType = 2 } = config;
  if (maxNorm !== undefined && !(maxNorm > 0)) throw new Error(`embedding: maxNorm must be positive, got ${String(maxNorm)}`);
  return {
    kind: 'embedding',
    init(key) {
      return scope(() => {
        const w = (config.weightInit ?? init.normal(1))(key, [num, dim], { fanIn: num, fanOut: dim });
        if (padRow === undefined) return { params: { w }, state: {} };
        const isPad = np.expandDims(np.equal(np.arange(num), padRow), 1);
        return { params: { w: np.where(isPad, 0, w) }, state: {} };
      });
    },
    apply(params, state, indices) {
      if (indices.dtype !== 'int32') throw new Error(`embedding: indices must be int32, got ${indices.dtype} ${shapeStr(indices.shape)}`);
      let rows = np.take(params.w, indices, 0);
      // max_norm: the values of the renormalised rows; the gradient reaches the table unscaled, as
      // PyTorch's (its renormalisation rewrites the weight in place, outside autograd).
      if (maxNorm !== undefined) rows = np.add(rows, np.stopGradient(np.mul(rows, np.sub(renormScale(rows, maxNorm, normType), 1))));
      if (config.scaleGradByFreq) rows = scaleGradByFrequency(rows, indices, num);
      if (padRow === undefined) return [rows, state];
      // The padding row's lookups carry no gradient back to the table.
      const isPad = np.expandDims(np.equal(indices, padRow), -1);
      return [np.where(isPad, np.stopGradient(rows), rows), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = copy(v.params.w);
    },
    fromTorch(r, prefix) {
      return { params: { w: tf.clone(r.get(`${prefix}weight`, [num, dim])) }, state: {} };
    },
  };
}
