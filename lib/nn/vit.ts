/**
 * Vision Transformers as timm builds them (`vit_tiny_patch16_224`, `vit_small_patch16_224`),
 * without the classifier: the output is the final-LayerNorm'd class token. Names match
 * timm's state dicts: patch_embed.proj, cls_token, pos_embed, blocks.{i}.norm1,
 * blocks.{i}.attn.qkv, blocks.{i}.attn.proj, blocks.{i}.norm2, blocks.{i}.mlp.fc1/fc2, norm.
 *
 * Dynamic image size: any input whose sides are multiples of the patch size works; when
 * the patch grid differs from the one the position embedding was made for (14x14 at 224),
 * the grid part of the embedding is resized as timm's `dynamic_img_size=True` does
 * (`resample_abs_pos_embed`: bicubic, antialiased, `F.interpolate`'s rules) on every forward
 * pass, so gradients reach the stored embedding.
 *
 * Init (timm's `init_weights_vit_timm`): Linear weights trunc_normal(std=.02) with zero
 * biases, pos_embed trunc_normal(std=.02), cls_token normal(std=1e-6), LayerNorm 1/0
 * (eps 1e-6), the patch-embedding convolution with PyTorch's default.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import { boolean, decodeOrThrow, nonNegativeInt, positiveInt, positiveNumber, unitInterval } from '../util/codecs.js';
import { strictPartial } from '../util/strict-partial.js';
import * as init from './init.js';
import { childKeys, composite, type Encoder, type Layer, sequential, withBatchAxis } from './layer.js';
import { type AttentionConfig, multiHeadAttention } from './attention.js';
import { conv2d } from './conv.js';
import { dropPathBranch, dropPathRates } from './drop-path.js';
import * as F from './functional.js';
import { mlp } from './mlp.js';
import { layerNorm } from './normalisation.js';
import { interpolate } from './resample.js';
import { swiglu } from './swiglu.js';
import { copy } from './torch.js';

export interface ViTOptions {
  /** Image size the position embedding is made for (default 224). */
  readonly imgSize?: number;
  readonly patchSize?: number;
  readonly inChannels?: number;
  readonly embedDim?: number;
  readonly depth?: number;
  readonly numHeads?: number;
  readonly mlpRatio?: number;
  /** Accept other image sizes by resizing the position embedding (default true). */
  readonly dynamicImgSize?: boolean;
  /**
   * Learned register tokens (Darcet et al. 2024) between the class token and the patches, without
   * position embedding, as stable-pretraining's DINOv3 adds them: parameter `register_tokens`
   * [1, R, D], trunc_normal(std=.02) (default 0: none).
   */
  readonly numRegisters?: number;
  /** Dropout in training on the tokens entering the blocks, position embeddings added (timm's `pos_drop_rate`; default 0). */
  readonly posDropRate?: number;
  /** Dropout in training after each attention projection and in each MLP (timm's `proj_drop_rate`; default 0). */
  readonly projDropRate?: number;
  /** Dropout in training on the attention weights (timm's `attn_drop_rate`; default 0). */
  readonly attnDropRate?: number;
  /** Stochastic depth in training, rising linearly over the blocks from 0 to this rate (timm's `drop_path_rate`; default 0). */
  readonly dropPathRate?: number;
}

/** The io-ts codec of {@link ViTOptions}: unknown keys are errors. */
export const ViTOptionsCodec = strictPartial(
  {
    imgSize: positiveInt,
    patchSize: positiveInt,
    inChannels: positiveInt,
    embedDim: positiveInt,
    depth: positiveInt,
    numHeads: positiveInt,
    mlpRatio: positiveNumber,
    dynamicImgSize: boolean,
    numRegisters: nonNegativeInt,
    posDropRate: unitInterval,
    projDropRate: unitInterval,
    attnDropRate: unitInterval,
    dropPathRate: unitInterval,
  },
  'an object of ViT options',
);

/**
 * Resizes a [h, w, D] grid of position embeddings to [H, W, D] as timm's `resample_abs_pos_embed`
 * (bicubic, antialiased: `F.interpolate(..., mode='bicubic', antialias=True)`); differentiable.
 * @example resizeGrid(posGrid, 6, 6) // [4, 4, D] -> [6, 6, D]
 */
export function resizeGrid(grid: NdArray, outH: number, outW: number): NdArray {
  const [h, w, d] = grid.shape;
  if (h === outH && w === outW) return grid;
  const resized = interpolate(np.reshape(grid, [1, h, w, d]), { size: [outH, outW], mode: 'bicubic', antialias: true });
  return np.reshape(resized, [outH, outW, d]);
}

const linearInit = { weightInit: init.truncNormal(0.02), biasInit: init.zeros };

/** Options of {@link vitBlock}; the defaults are timm's ViT block. */
export interface VitBlockOptions {
  /** The LayerNorms' eps (default 1e-6, timm's ViT; PyTorch's default is 1e-5). */
  readonly eps?: number;
  /** The Linear layers' initialisers (default timm's: trunc_normal(std=.02) weights, zero biases; `{}`: PyTorch's defaults). */
  readonly linearInit?: { readonly weightInit?: init.Initializer; readonly biasInit?: init.Initializer };
  /**
   * The feed-forward: 'gelu' (default; timm's Mlp, `mlp.fc1`, `mlp.fc2`) or 'swiglu' (stable-pretraining's
   * SwiGLU, {@link swiglu}: `mlp.w1`, `mlp.w2`, `mlp.w3` without biases, gated width floor(2 hidden / 3)).
   */
  readonly mlp?: 'gelu' | 'swiglu';
  /**
   * LayerScale as stable-pretraining's TransformerBlock: learned `ls1`, `ls2` [dim] (parameters of the
   * block itself, not timm's `ls1.gamma`) multiplying the attention's and the MLP's outputs, starting at
   * this value (the seed's `layer_scale_init`, e.g. 1e-5). Default none.
   */
  readonly layerScale?: number;
  /** The attention's QK-Norm and rotary embedding (see {@link multiHeadAttention}); apply's `grid` reaches it. */
  readonly attention?: Pick<AttentionConfig, 'qkNorm' | 'rope' | 'ropeTheta'>;
  /** Dropout in training on the attention weights (timm's `attn_drop`; default 0). */
  readonly attnDrop?: number;
  /** Dropout in training on the attention's projection and in the MLP (timm's `proj_drop`, its Mlp's `drop`; default 0). */
  readonly projDrop?: number;
  /** Stochastic depth in training: each residual branch dropped per sample with this probability ({@link F.dropPath}, timm's `drop_path`; default 0). */
  readonly dropPath?: number;
}

/** A dropout-like rate checked: a number in [0, 1] (default 0). */
function rateOption(rate: number | undefined, what: string): number {
  const r = rate ?? 0;
  if (!(r >= 0 && r <= 1)) throw new Error(`${what} must be a number in [0, 1], got ${String(rate)}`);
  return r;
}

/** A learned per-channel scale [dim] stored as a bare parameter of the parent module (PyTorch name: the parent's prefix + its own name). */
function layerScaleParam(dim: number, value: number): Layer {
  const name = (prefix: string) => prefix.replace(/\.$/, '');
  return {
    kind: 'layerScale',
    init: () => ({ params: np.full([dim], value), state: {} }),
    apply: (params, state, x) => [np.mul(x, params), state],
    toTorch: (v, prefix, out) => {
      out[name(prefix)] = copy(v.params);
    },
    fromTorch: (r, prefix) => ({ params: tf.clone(r.get(name(prefix), [dim])), state: {} }),
  };
}

/**
 * A pre-norm transformer block (timm's ViT block): x + attn(norm1 x), then y + mlp(norm2 y), GELU MLP of width `hidden`.
 * With `mlp: 'swiglu'`, `layerScale` and `attention: { qkNorm, rope }` it is stable-pretraining's `TransformerBlock`
 * (self-attention only, no AdaLN) with those options: x + ls1 attn(norm1 x), then y + ls2 mlp(norm2 y).
 */
export function vitBlock(dim: number, heads: number, hidden: number, options: VitBlockOptions = {}): Layer {
  const { eps = 1e-6, linearInit: li = linearInit, mlp: ffKind = 'gelu', layerScale, attention = {} } = options;
  if (ffKind !== 'gelu' && ffKind !== 'swiglu') throw new Error(`vitBlock: mlp must be 'gelu' or 'swiglu', got ${String(ffKind)}`);
  if (layerScale !== undefined && !Number.isFinite(layerScale)) throw new Error(`vitBlock: layerScale must be a finite number, got ${String(layerScale)}`);
  const attnDrop = rateOption(options.attnDrop, 'vitBlock: attnDrop');
  const projDrop = rateOption(options.projDrop, 'vitBlock: projDrop');
  const dropPath = rateOption(options.dropPath, 'vitBlock: dropPath');
  const ff = ffKind === 'swiglu' ? swiglu({ in: dim, hidden, dropout: projDrop, ...li }) : mlp({ in: dim, hidden, out: dim, activation: 'gelu', dropout: projDrop, ...li });
  const scales: Record<string, Layer> = layerScale === undefined ? {} : { ls1: layerScaleParam(dim, layerScale), ls2: layerScaleParam(dim, layerScale) };
  return composite(
    'vitBlock',
    {
      norm1: layerNorm({ features: dim, eps }),
      attn: multiHeadAttention({ dim, numHeads: heads, qkvBias: true, attnDrop, projDrop, ...li, ...attention }),
      norm2: layerNorm({ features: dim, eps }),
      mlp: ff,
      ...scales,
    },
    (call, x, opts) => {
      const branch = (ls: string, slot: number, y: NdArray) => dropPathBranch(opts, dropPath, slot, layerScale === undefined ? y : call(ls, y), 'vitBlock');
      const y = np.add(x, branch('ls1', 0, call('attn', call('norm1', x))));
      return np.add(y, branch('ls2', 1, call('mlp', call('norm2', y))));
    },
  );
}

/**
 * A ViT encoder that also runs on a subset of its patch tokens (masked image modelling, as the
 * seed's `MaskedEncoder`): `apply(x)` is `encodeTokens(patchTokens(x))`'s class token.
 */
export interface ViTEncoder extends Encoder {
  /**
   * The patch tokens of NHWC images with their position embedding, [N, gh * gw, D] in row-major grid order (no class token).
   * With `masking`, the patch embeddings where `mask` [N, gh * gw] is 1 are replaced by `token` (broadcastable to [D]) before the
   * position embedding is added (DINOv2's / iBOT's student: `x (1 - m) + token m`).
   */
  patchTokens(params: any, state: any, x: NdArray, masking?: PatchMaskToken): NdArray;
  /**
   * The class token (plus its position embedding) and the R registers (`numRegisters`) before `tokens` [N, K, D], then the blocks
   * and the final norm: [N, 1 + R + K, D]. With `opts.classToken: false`, no class token nor registers: the blocks and the final norm on `tokens` alone, [N, K, D] (I-JEPA's encoder);
   * the other options reach the blocks (e.g. the attention's `keyPaddingMask` [N, K]).
   * With `opts.blockOutputs` (an array), each block's output [N, T, D] (before the final norm) is pushed to it in order
   * (data2vec's targets; the seed's forward hooks on `blocks`).
   */
  encodeTokens(params: any, state: any, tokens: NdArray, opts?: any): NdArray;
}

/** A mask [N, L] (1: replaced) and the token [1, 1, D] that replaces the masked patch embeddings. */
export interface PatchMaskToken {
  readonly mask: NdArray;
  readonly token: NdArray;
}

/** Whether an encoder is a {@link ViTEncoder} (offers `patchTokens` and `encodeTokens`). */
export function isViT(layer: unknown): layer is ViTEncoder {
  const l = layer as Partial<ViTEncoder> | null;
  return typeof l === 'object' && l !== null && typeof l.patchTokens === 'function' && typeof l.encodeTokens === 'function';
}

/** `tokens` [N, L, D] with `token` where `mask` [N, L] is 1: `tokens (1 - m) + token m`. */
function maskPatches(tokens: NdArray, { mask, token }: PatchMaskToken, name: string): NdArray {
  const [ts, ms] = [np.shape(tokens), np.shape(mask)];
  if (ms.length !== 2 || ms[0] !== ts[0] || ms[1] !== ts[1]) throw new Error(`${name}: the patch mask must be [${ts[0]}, ${ts[1]}] (one value per patch), got ${shapeStr(ms)}`);
  const m = np.expandDims(np.cast(mask, 'float32'), -1);
  return np.add(np.mul(tokens, np.sub(1, m)), np.mul(token, m));
}

/** A ViT encoder (NHWC input, output [N, embedDim]). */
export function vit(name: string, options: ViTOptions = {}): ViTEncoder {
  options = decodeOrThrow(ViTOptionsCodec, options, `${name} options`);
  const imgSize = options.imgSize ?? 224;
  const p = options.patchSize ?? 16;
  const cin = options.inChannels ?? 3;
  const dim = options.embedDim ?? 192;
  const depth = options.depth ?? 12;
  const heads = options.numHeads ?? 3;
  const hidden = Math.round(dim * (options.mlpRatio ?? 4));
  const dynamic = options.dynamicImgSize ?? true;
  const numRegisters = options.numRegisters ?? 0;
  const g0 = Math.floor(imgSize / p);
  const nTok = 1 + g0 * g0;
  const { posDropRate = 0, projDropRate = 0, attnDropRate = 0, dropPathRate = 0 } = options;
  const blockRates = dropPathRates(dropPathRate, depth);
  const blockList = Array.from({ length: depth }, (_, i) =>
    vitBlock(dim, heads, hidden, { projDrop: projDropRate, attnDrop: attnDropRate, dropPath: blockRates[i] }),
  );
  const children = {
    patch_embed: composite('patchEmbed', { proj: conv2d({ in: cin, out: dim, kernel: p, stride: p }) }, (call, x) => call('proj', x)),
    blocks: sequential(blockList),
    norm: layerNorm({ features: dim, eps: 1e-6 }),
  };
  // init and the PyTorch names of the children; the forward pass is `forward` below.
  const body = composite(name, children, () => {
    throw new Error('internal: unused');
  });
  /** The position embedding of a gh x gw patch grid, [1, gh * gw, D] (resized as timm's when the grid is not the native one). */
  const gridPositions = (pos: NdArray, gh: number, gw: number): NdArray => {
    const gridPos = np.sliceAxis(pos, 1, 1, nTok);
    if (gh === g0 && gw === g0) return gridPos;
    return np.reshape(resizeGrid(np.reshape(gridPos, [g0, g0, dim]), gh, gw), [1, gh * gw, dim]);
  };
  const patchTokens = (params: any, state: any, x: NdArray, masking?: PatchMaskToken): NdArray => {
    const s = np.shape(x);
    if (s.length !== 4 || s[3] !== cin) throw new Error(`${name}: expected NHWC input with ${cin} channels, got ${shapeStr(s)}`);
    const gh = Math.floor(s[1] / p);
    const gw = Math.floor(s[2] / p);
    if (s[1] % p || s[2] % p) throw new Error(`${name}: image sides must be multiples of the patch size ${p}, got ${shapeStr(s)}`);
    if (!dynamic && (gh !== g0 || gw !== g0)) throw new Error(`${name}: expected ${imgSize}x${imgSize} images (dynamicImgSize is off), got ${shapeStr(s)}`);
    const [tokens] = children.patch_embed.apply(params.patch_embed, state.patch_embed, x);
    const flat = np.reshape(tokens, [s[0], gh * gw, dim]);
    return np.add(masking === undefined ? flat : maskPatches(flat, masking, name), gridPositions(params.pos_embed, gh, gw));
  };
  /** The blocks one by one (with `sequential`'s keys), pushing each block's output to `out`. */
  const blocksCollecting = (params: any, state: any, x: NdArray, opts: any, out: NdArray[]): NdArray => {
    const keys = childKeys(opts, depth);
    return blockList.reduce((y, block, i) => {
      const [o] = block.apply(params[i], state[i], y, { ...opts, key: keys[i] });
      out.push(o);
      return o;
    }, x);
  };
  const encodeTokens = (params: any, state: any, tokens: NdArray, opts: any = {}): NdArray => {
    const s = np.shape(tokens);
    if (s.length !== 3 || s[2] !== dim) throw new Error(`${name}.encodeTokens: tokens must be [N, K, ${dim}], got ${shapeStr(s)}`);
    const { classToken = true, blockOutputs, ...blockOpts } = opts;
    const clsPos = np.sliceAxis(params.pos_embed, 1, 0, 1);
    const cls = () => np.broadcastTo(np.add(params.cls_token, clsPos), [s[0], 1, dim]);
    const registers = () => (numRegisters ? [np.broadcastTo(params.register_tokens, [s[0], numRegisters, dim])] : []);
    const joined = classToken ? np.concatenate([cls(), ...registers(), tokens], 1) : tokens;
    // timm's pos_drop; its mask's key is folded from the blocks' (which split it) so the blocks draw as without it.
    const x = blockOpts.train && blockOpts.key && posDropRate > 0 ? F.dropout(random.foldIn(blockOpts.key, depth), joined, posDropRate) : joined;
    const hb = blockOutputs === undefined ? children.blocks.apply(params.blocks, state.blocks, x, blockOpts)[0] : blocksCollecting(params.blocks, state.blocks, x, blockOpts, blockOutputs);
    return children.norm.apply(params.norm, state.norm, hb)[0];
  };
  /** timm's `forward_features`: every token after the final norm, [N, 1 + R + L, D] (R registers). */
  const forwardFeatures = (params: any, state: any, x: NdArray, opts: any = {}): [NdArray, any] => [encodeTokens(params, state, patchTokens(params, state, x), opts), state];
  const forward = (params: any, state: any, x: NdArray, opts: any): [NdArray, any] => {
    const [h] = forwardFeatures(params, state, x, opts);
    return [np.squeeze(np.sliceAxis(h, 1, 0, 1), 1), state];
  };
  return {
    kind: 'encoder',
    name,
    embeddingDim: dim,
    patchTokens,
    encodeTokens,
    forwardFeatures,
    options: { imgSize, patchSize: p, inChannels: cin, embedDim: dim, depth, numHeads: heads, mlpRatio: hidden / dim, dynamicImgSize: dynamic, numRegisters, posDropRate, projDropRate, attnDropRate, dropPathRate },
    init(key) {
      return scope(() => {
        const [kb, kc, kp] = random.split(key, 3);
        const v = body.init(kb);
        const params = {
          ...v.params,
          cls_token: np.mul(random.normal(kc, [1, 1, dim]), 1e-6),
          pos_embed: init.truncNormal(0.02)(kp, [1, nTok, dim], { fanIn: dim, fanOut: dim }),
          ...(numRegisters ? { register_tokens: init.truncNormal(0.02)(random.foldIn(kp, 1), [1, numRegisters, dim], { fanIn: dim, fanOut: dim }) } : {}),
        };
        return { params, state: v.state } as any;
      });
    },
    apply: (params, state, x, opts = {}) => {
      const single = x.shape.length === 3;
      if (!single) return forward(params, state, x, opts);
      let st: any = state;
      const y = withBatchAxis(x, 4, name, (xb) => {
        const [o, s2] = forward(params, state, xb, opts);
        st = s2;
        return o;
      });
      return [y, st];
    },
    toTorch(v, prefix, out) {
      body.toTorch({ params: { patch_embed: v.params.patch_embed, blocks: v.params.blocks, norm: v.params.norm }, state: v.state }, prefix, out);
      out[`${prefix}cls_token`] = copy(v.params.cls_token);
      out[`${prefix}pos_embed`] = copy(v.params.pos_embed);
      if (numRegisters) out[`${prefix}register_tokens`] = copy(v.params.register_tokens);
    },
    fromTorch(r, prefix) {
      const v = body.fromTorch(r, prefix);
      const params = {
        ...v.params,
        cls_token: tf.clone(r.get(`${prefix}cls_token`, [1, 1, dim])),
        pos_embed: tf.clone(r.get(`${prefix}pos_embed`, [1, nTok, dim])),
        ...(numRegisters ? { register_tokens: tf.clone(r.get(`${prefix}register_tokens`, [1, numRegisters, dim])) } : {}),
      };
      return { params, state: v.state };
    },
  };
}

export const vitTiny = (options: ViTOptions = {}) => vit('vit_tiny_patch16_224', { embedDim: 192, depth: 12, numHeads: 3, ...options });
export const vitSmall = (options: ViTOptions = {}) => vit('vit_small_patch16_224', { embedDim: 384, depth: 12, numHeads: 6, ...options });

