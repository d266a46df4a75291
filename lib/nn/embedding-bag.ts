/** Bags of embeddings reduced by sum, mean or max (PyTorch's F.embedding_bag and nn.EmbeddingBag). */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type EmbeddingConfig, type LookupOptions, type TableLayer, checkIndices, lookupRows, paddingRow, tableLayer } from './embedding.js';
import type { ApplyOptions } from './layer.js';

export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

/** Where each call's bags come from (the options of the layer's `apply`). */
export interface EmbeddingBagInputs {
  /**
   * int32 [B]: the start of each bag in a 1-D input (bag b is input[offsets[b] : offsets[b + 1]], the
   * last one running to the end); with `includeLastOffset`, [B + 1], the last entry the end. Required
   * for 1-D input, not allowed for 2-D input (each row a bag).
   */
  readonly offsets?: NdArray;
  /** float [same shape as input]: each looked-up row scaled before the sum (mode 'sum' only). */
  readonly perSampleWeights?: NdArray;
}

export interface EmbeddingBagOptions extends EmbeddingBagInputs, LookupOptions {
  /** Default 'mean', as PyTorch's. */
  readonly mode?: EmbeddingBagMode;
  /** Entries equal to this index (negative counts from the end) are left out of their bag. */
  readonly paddingIdx?: number;
  /** `offsets` has B + 1 entries, the last one the end of the last bag (default false). */
  readonly includeLastOffset?: boolean;
}

/**
 * Bag membership for a 1-D input of length L: [B, L] booleans, entry j in bag b when
 * offsets[b] <= j < offsets[b + 1] (the last bag to L, or with `includeLastOffset` to the last offset).
 */
function bagMembership(offsets: NdArray, length: number, includeLastOffset: boolean): NdArray {
  const bags = offsets.shape[0] - (includeLastOffset ? 1 : 0);
  // bag of position j: (number of offsets <= j) - 1; repeated offsets (empty bags) are skipped over
  const started = np.lessEqual(np.expandDims(offsets, 0), np.expandDims(np.arange(length, undefined, undefined, 'int32'), 1));
  const bagOf = np.sub(np.sum(np.cast(started, 'int32'), 1), 1);
  return np.equal(np.expandDims(bagOf, 0), np.expandDims(np.arange(bags, undefined, undefined, 'int32'), 1));
}

function checkInputs(input: NdArray, weight: NdArray, o: EmbeddingBagOptions, mode: EmbeddingBagMode): void {
  const what = 'embeddingBag';
  if (input.dtype !== 'int32') throw new Error(`${what}: input must be int32, got ${input.dtype} ${shapeStr(input.shape)}`);
  if (weight.shape.length !== 2) throw new Error(`${what}: weight must be [num, dim], got ${shapeStr(weight.shape)}`);
  if (input.shape.length === 2 && o.offsets) throw new Error(`${what}: offsets must be omitted for 2-D input (each row is a bag), got ${shapeStr(o.offsets.shape)}`);
  if (input.shape.length === 1) {
    if (!o.offsets || o.offsets.shape.length !== 1 || o.offsets.dtype !== 'int32')
      throw new Error(`${what}: 1-D input needs int32 1-D offsets, got ${o.offsets ? `${o.offsets.dtype} ${shapeStr(o.offsets.shape)}` : 'none'}`);
    if (o.includeLastOffset && o.offsets.shape[0] < 1) throw new Error(`${what}: includeLastOffset needs at least one offset`);
  } else if (input.shape.length !== 2) throw new Error(`${what}: input must be 1-D (with offsets) or 2-D, got ${shapeStr(input.shape)}`);
  const psw = o.perSampleWeights;
  if (psw && mode !== 'sum') throw new Error(`${what}: perSampleWeights is only supported with mode 'sum', got mode '${mode}'`);
  if (psw && shapeStr(psw.shape) !== shapeStr(input.shape)) throw new Error(`${what}: perSampleWeights ${shapeStr(psw.shape)} must have the input's shape ${shapeStr(input.shape)}`);
  if (mode === 'max' && o.scaleGradByFreq) throw new Error(`${what}: mode 'max' does not support scaleGradByFreq`);
}

/** Reduces rows [B, L, D] over the entries of each bag (mask [B, L]) as PyTorch's modes; an empty bag gives zeros. */
function reduceBags(rows: NdArray, mask: NdArray, mode: EmbeddingBagMode, weights: NdArray | undefined): NdArray {
  const m = np.expandDims(mask, -1);
  if (mode === 'max') {
    const masked = np.where(m, rows, -Infinity);
    // the first maximum of each bag gets the gradient, as PyTorch's
    const best = np.squeeze(np.takeAlongAxis(masked, np.argmax(masked, 1, true), 1), 1);
    return np.where(np.any(m, 1), best, 0);
  }
  const scaled = weights ? np.mul(rows, np.expandDims(weights, -1)) : rows;
  const sum = np.sum(np.where(m, scaled, 0), 1);
  if (mode === 'sum') return sum;
  return np.div(sum, np.maximum(np.sum(np.cast(m, 'float32'), 1), 1));
}

/**
 * PyTorch's F.embedding_bag: the rows of `weight` [num, dim] looked up by int32 `input` and reduced per
 * bag by `mode` ('sum', 'mean' (default) or 'max') to [B, dim]. A 2-D input [B, N] has one bag per
 * row; a 1-D input needs `offsets` (see {@link EmbeddingBagInputs}). Entries equal to `paddingIdx`
 * are left out (of mean's count too); an empty bag is zeros. `perSampleWeights` (mode 'sum') scale
 * each row; `maxNorm` / `scaleGradByFreq` act as in {@link embedding}. The gradient reaches `weight`
 * and `perSampleWeights`; max gives it to each bag's first maximum.
 * @example F.embeddingBag(np.array([1, 2, 4, 5, 4], 'int32'), w, { offsets: np.array([0, 2], 'int32'), mode: 'sum' }) // [2, dim]
 */
export function embeddingBag(input: NdArray, weight: NdArray, options: EmbeddingBagOptions = {}): NdArray {
  const mode = options.mode ?? 'mean';
  if (!['sum', 'mean', 'max'].includes(mode)) throw new Error(`embeddingBag: mode must be 'sum', 'mean' or 'max', got '${String(mode)}'`);
  checkInputs(input, weight, options, mode);
  checkIndices(input, weight.shape[0], 'embeddingBag');
  const rows = lookupRows(weight, input, options);
  const pad = paddingRow(options.paddingIdx, weight.shape[0], 'embeddingBag');
  const kept = pad === undefined ? np.ones(input.shape, 'bool') : np.notEqual(input, pad);
  if (input.shape.length === 2) return reduceBags(rows, kept, mode, options.perSampleWeights);
  const mask = np.logicalAnd(bagMembership(options.offsets!, input.shape[0], options.includeLastOffset ?? false), np.expandDims(kept, 0));
  const bags = mask.shape[0];
  const tile = (v: NdArray) => np.broadcastTo(np.expandDims(v, 0), [bags, ...v.shape]);
  return reduceBags(tile(rows), mask, mode, options.perSampleWeights && tile(options.perSampleWeights));
}

export interface EmbeddingBagConfig extends EmbeddingConfig {
  /** Default 'mean', as PyTorch's. */
  readonly mode?: EmbeddingBagMode;
  /** `offsets` has B + 1 entries, the last one the end (default false). */
  readonly includeLastOffset?: boolean;
}

/** The options of an embeddingBag layer's apply: `offsets` and `perSampleWeights` beside `train` and `key`. */
export interface EmbeddingBagApplyOptions extends ApplyOptions, EmbeddingBagInputs {}

/**
 * PyTorch's nn.EmbeddingBag: a table [num, dim] (N(0, 1), the `paddingIdx` row zero; PyTorch name
 * `weight`), applied to int32 indices with `{ offsets, perSampleWeights }` as {@link embeddingBag}.
 * @example
 * const bag = nn.embeddingBag({ num: 100, dim: 8, mode: 'sum' });
 * const v = bag.init(random.key(0));
 * const [y] = bag.apply(v.params, v.state, np.array([1, 2, 4, 5, 4], 'int32'), { offsets: np.array([0, 2], 'int32') }); // [2, 8]
 */
export function embeddingBagLayer(config: EmbeddingBagConfig): TableLayer<EmbeddingBagApplyOptions> {
  const { mode = 'mean', includeLastOffset = false } = config;
  return tableLayer<EmbeddingBagApplyOptions>('embeddingBag', config, (w, input, opts) =>
    embeddingBag(input, w, { ...config, mode, includeLastOffset, offsets: opts.offsets, perSampleWeights: opts.perSampleWeights }),
  );
}
