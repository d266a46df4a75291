/**
 * torch.nn.TransformerEncoderLayer, nn.TransformerDecoderLayer and nn.TransformerEncoder: post-norm
 * (default) or pre-norm (norm_first) blocks of {@link multiheadAttention}, a two-layer feed-forward
 * and LayerNorms, with torch's options, masks and state-dict names (self_attn.in_proj_weight,
 * multihead_attn.*, linear1, linear2, norm1..3; layers.{i}. and norm. for the encoder).
 */
import type { NdArray } from '../core/index.js';
import { scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as F from './functional.js';
import { type ApplyOptions, type CallChild, type Layer, composite, sequential } from './layer.js';
import { linear } from './linear.js';
import { type MhaApplyOptions, multiheadAttention } from './mha.js';
import { layerNorm } from './normalisation.js';
import { dropout as dropoutLayer } from './stateless.js';

export interface TransformerLayerConfig {
  /** torch's d_model. */
  readonly dModel: number;
  /** torch's nhead. */
  readonly nhead: number;
  /** Default 2048, as torch. */
  readonly dimFeedforward?: number;
  /** After the attention, inside and after the feed-forward, and on the attention weights (default 0.1, as torch). */
  readonly dropout?: number;
  /** 'relu' (default), 'gelu' (exact, torch's) or a function. */
  readonly activation?: 'relu' | 'gelu' | ((x: NdArray) => NdArray);
  /** Default 1e-5. */
  readonly layerNormEps?: number;
  /** Inputs [N, L, E] (default false, as torch: [L, N, E]). */
  readonly batchFirst?: boolean;
  /** Pre-norm: x + f(norm(x)) (default false: norm(x + f(x))). */
  readonly normFirst?: boolean;
}

export interface TransformerEncoderOptions extends ApplyOptions {
  /** torch's src_mask / mask: [L, L] or [N * nhead, L, L], boolean (true = masked) or a float bias. */
  readonly srcMask?: NdArray;
  /** torch's src_key_padding_mask [N, L] (true = padding). */
  readonly srcKeyPaddingMask?: NdArray;
  /** The causal mask (a position attends to itself and earlier ones) when srcMask is not given; with srcMask, a hint as torch's. */
  readonly isCausal?: boolean;
}

export interface TransformerDecoderOptions extends ApplyOptions {
  /** The encoder's output (torch's memory): [S, N, E] (or batch-first). Required. */
  readonly memory?: NdArray;
  readonly tgtMask?: NdArray;
  readonly memoryMask?: NdArray;
  readonly tgtKeyPaddingMask?: NdArray;
  readonly memoryKeyPaddingMask?: NdArray;
  /** The causal target mask when tgtMask is not given. */
  readonly tgtIsCausal?: boolean;
}

type LayerParams = Parameters<Layer['apply']>[0];
type LayerState = Parameters<Layer['apply']>[1];

/** An encoder layer (or stack): apply takes the source masks. */
export interface TransformerEncoderLayer extends Layer {
  apply(params: LayerParams, state: LayerState, x: NdArray, opts?: TransformerEncoderOptions): ReturnType<Layer['apply']>;
}

/** A decoder layer: apply takes the memory and the masks. */
export interface TransformerDecoderLayer extends Layer {
  apply(params: LayerParams, state: LayerState, x: NdArray, opts?: TransformerDecoderOptions): ReturnType<Layer['apply']>;
}

/** The boolean mask [L, L] hiding later positions (true = masked), as nn.Transformer.generate_square_subsequent_mask. */
export function causalMask(length: number): NdArray {
  return np.greater(np.expandDims(np.arange(length), 0), np.expandDims(np.arange(length), 1));
}

function activationOf(a: TransformerLayerConfig['activation'], what: string): (x: NdArray) => NdArray {
  if (typeof a === 'function') return a;
  if (a === undefined || a === 'relu') return np.relu;
  if (a === 'gelu') return (x) => F.gelu(x, { approximate: false });
  throw new Error(`${what}: activation must be 'relu', 'gelu' or a function, got '${String(a)}'`);
}

/** The parts every layer shares: attention children, feed-forward, norms, dropouts. */
function parts(config: TransformerLayerConfig, what: string, norms: number) {
  const d = config.dModel;
  const rate = config.dropout ?? 0.1;
  const eps = config.layerNormEps ?? 1e-5;
  const ff = config.dimFeedforward ?? 2048;
  const batchFirst = config.batchFirst ?? false;
  const attention = () => multiheadAttention({ embedDim: d, numHeads: config.nhead, dropout: rate, batchFirst });
  const children: Record<string, Layer> = { linear1: linear({ in: d, out: ff }), linear2: linear({ in: ff, out: d }), dropout: dropoutLayer({ rate }) };
  for (let i = 1; i <= norms; i++) {
    children[`norm${i}`] = layerNorm({ features: d, eps });
    children[`dropout${i}`] = dropoutLayer({ rate });
  }
  const act = activationOf(config.activation, what);
  const feedForward = (call: CallChild, x: NdArray) => call('dropout', call('linear2', call('dropout', act(call('linear1', x)))));
  /** The sequence length of a [L, N, E] (or batch-first, or unbatched [L, E]) input. */
  const lengthOf = (x: NdArray) => {
    if ((x.shape.length !== 3 && x.shape.length !== 2) || x.shape.at(-1) !== d) throw new Error(`${what}: expected inputs ${batchFirst ? '[N, L' : '[L, N'}, ${d}] (or [L, ${d}]), got ${shapeStr(x.shape)}`);
    return x.shape.length === 3 && batchFirst ? x.shape[1] : x.shape[0];
  };
  return { attention, children, feedForward, lengthOf, normFirst: config.normFirst ?? false };
}

/** Self-attention's mask: the given one, else the causal one when asked. */
const selfMask = (mask: NdArray | undefined, causal: boolean | undefined, length: number) => mask ?? (causal ? causalMask(length) : undefined);

/**
 * One residual sub-block: post-norm `norm(x + drop(f(x)))` or pre-norm `x + drop(f(norm(x)))`.
 * The dropout after f is the child `dropout{i}` and the norm `norm{i}`.
 */
function residual(call: CallChild, x: NdArray, i: number, normFirst: boolean, f: (y: NdArray) => NdArray): NdArray {
  if (normFirst) return np.add(x, call(`dropout${i}`, f(call(`norm${i}`, x))));
  return call(`norm${i}`, np.add(x, call(`dropout${i}`, f(x))));
}

/**
 * torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation,
 * layer_norm_eps, batch_first, norm_first): apply(params, state, src, { srcMask, srcKeyPaddingMask,
 * isCausal, train, key }). Dropout (the feed-forward's, after each sub-block, and on the attention
 * weights) is active only with `{ train: true, key }`.
 * @example
 * const layer = nn.transformerEncoderLayer({ dModel: 32, nhead: 4, dimFeedforward: 64, batchFirst: true });
 * const { params, state } = layer.init(random.key(0));
 * const [y] = layer.apply(params, state, x, { srcKeyPaddingMask }); // x [N, L, 32]
 */
export function transformerEncoderLayer(config: TransformerLayerConfig): TransformerEncoderLayer {
  const what = 'transformerEncoderLayer';
  const { attention, children, feedForward, lengthOf, normFirst } = parts(config, what, 2);
  return composite(what, { self_attn: attention(), ...children }, (call, x, opts: TransformerEncoderOptions) => {
    const attnMask = selfMask(opts.srcMask, opts.isCausal, lengthOf(x));
    const mha: MhaApplyOptions = { ...opts, attnMask, keyPaddingMask: opts.srcKeyPaddingMask };
    const y = residual(call, x, 1, normFirst, (h) => call('self_attn', h, mha));
    return residual(call, y, 2, normFirst, (h) => feedForward(call, h));
  });
}

/**
 * torch.nn.TransformerDecoderLayer: self-attention over the target, attention to `memory`, and the
 * feed-forward; apply(params, state, tgt, { memory, tgtMask, memoryMask, tgtKeyPaddingMask,
 * memoryKeyPaddingMask, tgtIsCausal, train, key }).
 */
export function transformerDecoderLayer(config: TransformerLayerConfig): TransformerDecoderLayer {
  const what = 'transformerDecoderLayer';
  const { attention, children, feedForward, lengthOf, normFirst } = parts(config, what, 3);
  return composite(what, { self_attn: attention(), multihead_attn: attention(), ...children }, (call, x, opts: TransformerDecoderOptions) => {
    const memory = opts.memory;
    if (!memory) throw new Error(`${what}: apply needs the encoder's output: { memory }`);
    lengthOf(memory);
    const self: MhaApplyOptions = { ...opts, attnMask: selfMask(opts.tgtMask, opts.tgtIsCausal, lengthOf(x)), keyPaddingMask: opts.tgtKeyPaddingMask };
    const cross: MhaApplyOptions = { ...opts, keyValue: memory, attnMask: opts.memoryMask, keyPaddingMask: opts.memoryKeyPaddingMask };
    let y = residual(call, x, 1, normFirst, (h) => call('self_attn', h, self));
    y = residual(call, y, 2, normFirst, (h) => call('multihead_attn', h, cross));
    return residual(call, y, 3, normFirst, (h) => feedForward(call, h));
  });
}

export interface TransformerEncoderConfig {
  /** The layer every block copies (torch's encoder_layer). */
  readonly layer: TransformerLayerConfig;
  readonly numLayers: number;
  /** A final LayerNorm (torch's norm; default none): true for LayerNorm(dModel, layerNormEps). */
  readonly norm?: boolean;
}

/**
 * torch.nn.TransformerEncoder(encoder_layer, num_layers, norm): `numLayers` encoder layers in turn,
 * then the optional final norm; the masks go to every layer. As torch's deep copies, every layer
 * starts from the same parameters. PyTorch names: layers.{i}.*, norm.*.
 */
export function transformerEncoder(config: TransformerEncoderConfig): TransformerEncoderLayer {
  const n = config.numLayers;
  if (!Number.isInteger(n) || n < 1) throw new Error(`transformerEncoder: numLayers must be a positive integer, got ${String(n)}`);
  const block = transformerEncoderLayer(config.layer);
  // sequential's apply and names (layers.{i}.); init as torch's clones: one draw, every layer the same
  const stack = sequential(Array.from({ length: n }, () => block));
  const layers: Layer = {
    ...stack,
    init: (key) =>
      scope(() => {
        const vs = Array.from({ length: n }, () => block.init(key));
        return { params: vs.map((v) => v.params), state: vs.map((v) => v.state) };
      }),
  };
  const children: Record<string, Layer> = { layers };
  if (config.norm) children.norm = layerNorm({ features: config.layer.dModel, eps: config.layer.layerNormEps ?? 1e-5 });
  return composite('transformerEncoder', children, (call, x) => (config.norm ? call('norm', call('layers', x)) : call('layers', x)));
}
