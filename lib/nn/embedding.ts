/** Embedding tables: int32 indices of any shape -> [..., dim] (PyTorch's nn.Embedding). */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { unreadable } from '../ops/host-values.js';
import * as init from './init.js';
import { type ApplyOptions, type Layer, positiveInt } from './layer.js';
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

/**
 * Indices into `num` rows as JAX's `weight[x]` reads them (eqx.nn.Embedding): a negative index counts
 * from the end, and one still outside [0, num) is clamped to the nearest row (never a NaN row).
 */
export function clampedIndex(indices: NdArray, num: number): NdArray {
  return np.clip(np.where(np.less(indices, 0), np.add(indices, num), indices), 0, num - 1);
}

/**
 * PyTorch's bounds check of embedding indices: where their values can be read now (not traced),
 * an index outside [0, num) is a one-line error naming it; traced indices are clamped by the lookup.
 */
export function checkIndices(indices: NdArray, num: number, what: string): void {
  if (unreadable(indices) !== null || np.size(indices) === 0) return;
  const [lo, hi] = [np.min(indices), np.max(indices)].map((v) => (v as tf.Tensor).dataSync()[0]);
  const bad = lo < 0 ? lo : hi >= num ? hi : undefined;
  if (bad !== undefined) throw new Error(`${what}: index ${bad} is out of range for a table of ${num} rows (indices must lie in [0, ${num}))`);
}

/** The lookup options shared by embedding and embeddingBag. */
export interface LookupOptions {
  readonly maxNorm?: number;
  readonly normType?: number;
  readonly scaleGradByFreq?: boolean;
}

/**
 * The rows `weight[indices]` as PyTorch's embedding reads them: with `maxNorm`, the values of the
 * renormalised rows, the gradient reaching the table unscaled (PyTorch renormalises its weight in
 * place, outside autograd); with `scaleGradByFreq`, each row's gradient divided by its index's count.
 */
export function lookupRows(weight: NdArray, indices: NdArray, { maxNorm, normType = 2, scaleGradByFreq = false }: LookupOptions): NdArray {
  const index = clampedIndex(indices, weight.shape[0]);
  let rows = np.take(weight, index, 0);
  if (maxNorm !== undefined) rows = np.add(rows, np.stopGradient(np.mul(rows, np.sub(renormScale(rows, maxNorm, normType), 1))));
  return scaleGradByFreq ? scaleGradByFrequency(rows, index, weight.shape[0]) : rows;
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
  return tableLayer('embedding', config, (w, indices, _opts, padRow) => lookupWithPadding(indices, w, { ...config, paddingIdx: padRow }, false));
}

export interface EmbeddingOptions extends LookupOptions {
  /** Lookups of this row (negative counts from the end) carry no gradient back to the table. */
  readonly paddingIdx?: number;
}

/**
 * PyTorch's F.embedding(input, weight): the rows of `weight` [num, dim] at int32 `input` [...] ->
 * [..., dim]. `paddingIdx`'s lookups get no gradient (its row is returned as it is); `maxNorm`,
 * `normType` and `scaleGradByFreq` as {@link EmbeddingConfig}'s.
 * @example F.embedding(np.array([[0, 2]], 'int32'), w, { paddingIdx: 0 }) // [1, 2, dim]
 */
export function embeddingLookup(input: NdArray, weight: NdArray, options: EmbeddingOptions = {}): NdArray {
  return lookupWithPadding(input, weight, options, true);
}

/**
 * F.embedding, its indices bounds-checked as PyTorch's where `check` (and readable), else clamped
 * as JAX's `weight[x]` (the layer's rule, eqx.nn.Embedding's).
 */
function lookupWithPadding(input: NdArray, weight: NdArray, options: EmbeddingOptions, check: boolean): NdArray {
  if (input.dtype !== 'int32') throw new Error(`embedding: indices must be int32, got ${input.dtype} ${shapeStr(input.shape)}`);
  if (weight.shape.length !== 2) throw new Error(`embedding: weight must be [num, dim], got ${shapeStr(weight.shape)}`);
  const { maxNorm } = options;
  if (maxNorm !== undefined && !(maxNorm > 0)) throw new Error(`embedding: maxNorm must be positive, got ${String(maxNorm)}`);
  if (check) checkIndices(input, weight.shape[0], 'embedding');
  const rows = lookupRows(weight, input, options);
  const padRow = paddingRow(options.paddingIdx, weight.shape[0], 'embedding');
  if (padRow === undefined) return rows;
  // The padding row's lookups carry no gradient back to the table.
  const isPad = np.expandDims(np.equal(clampedIndex(input, weight.shape[0]), padRow), -1);
  return np.where(isPad, np.stopGradient(rows), rows);
}

/** A lookup-table layer: a layer whose `apply` also takes options of type O. */
export interface TableLayer<O extends ApplyOptions> extends Layer<EmbeddingParams, Record<string, never>> {
  apply(params: EmbeddingParams, state: Record<string, never>, x: NdArray, opts?: O): [NdArray, Record<string, never>];
}

/**
 * The layer behind embedding and embeddingBag: the table [num, dim] (N(0, 1), the padding row
 * zeroed), its PyTorch name `weight`, and `forward(w, indices, opts, padRow)` as its apply.
 */
export function tableLayer<O extends ApplyOptions>(kind: string, config: EmbeddingConfig, forward: (w: NdArray, indices: NdArray, opts: O, padRow: number | undefined) => NdArray): TableLayer<O> {
  const num = positiveInt(config.num, `${kind}: num`);
  const dim = positiveInt(config.dim, `${kind}: dim`);
  const padRow = paddingRow(config.paddingIdx, num, kind);
  const { maxNorm } = config;
  if (maxNorm !== undefined && !(maxNorm > 0)) throw new Error(`${kind}: maxNorm must be positive, got ${String(maxNorm)}`);
  return {
    kind,
    init(key) {
      return scope(() => {
        const w = (config.weightInit ?? init.normal(1))(key, [num, dim], { fanIn: num, fanOut: dim });
        if (padRow === undefined) return { params: { w }, state: {} };
        const isPad = np.expandDims(np.equal(np.arange(num), padRow), 1);
        return { params: { w: np.where(isPad, 0, w) }, state: {} };
      });
    },
    apply: (params, state, indices, opts = {} as O) => [forward(params.w, indices, opts, padRow), state],
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = copy(v.params.w);
    },
    fromTorch(r, prefix) {
      return { params: { w: tf.clone(r.get(`${prefix}weight`, [num, dim])) }, state: {} };
    },
  };
}

/** PyTorch's padding_idx of a table of `num` rows as a row in [0, num) (negative counts from the end), or an error. */
export function paddingRow(pad: number | undefined, num: number, what: string): number | undefined {
  if (pad === undefined) return undefined;
  if (!(Number.isInteger(pad) && pad >= -num && pad < num)) throw new Error(`${what}: paddingIdx must be an integer in [-${num}, ${num}), got ${String(pad)}`);
  return pad < 0 ? pad + num : pad;
}
