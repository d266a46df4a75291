/**
 * MAE (He et al. 2022, "Masked Autoencoders Are Scalable Vision Learners") as stable-pretraining's
 * `methods/mae.py` builds it:
 *
 * - encoder (the seed's `MaskedEncoder`): a ViT's patch tokens plus their position embedding,
 *   MAE's random masking (`ssl.masking`: keep `L - floor(L maskRatio)` patches of lowest noise),
 *   then the class token, the blocks and the final norm on the kept tokens only;
 * - decoder (the seed's `MAEDecoder`): the encoded patch tokens (class token dropped) through
 *   `context_proj`, a learned mask token (encoder width) through `query_proj` at the masked
 *   places, a fixed 2-D sine-cosine position embedding, `decoderDepth` pre-norm blocks (LayerNorm
 *   eps 1e-5, GELU MLP x4), `final_norm` and `output_proj` to the C p p pixels of each patch;
 * - loss (the seed's `MAELoss`): `maeLoss(pred, patchify(images), mask, { normPixLoss, lossType })`,
 *   the masked patches only.
 *
 * The decoder sees the tokens in patch order (MAE's unshuffle); the seed's concatenates the
 * visible tokens and the mask tokens and scatters its output back: attention is permutation
 * equivariant, so the two agree up to float rounding.
 *
 * Defaults are the seed's `MAE`: decoder 512 wide, 8 blocks, 16 heads, mask ratio 0.75,
 * `normPixLoss` true, 'mse'. The seed's default encoder is `vit_base_patch16_224`, which `nn`
 * has not by name: the default here is `vit_small_patch16_224`, and `encoderOptions: { embedDim:
 * 768, numHeads: 12 }` makes it vit_base's architecture. `embed` is the encoder without masking (the seed's
 * `forward_features`), pooled as the seed's MAE benchmarks do: the mean of the patch tokens
 * (`embedding: 'meanPatches'`), or the class token (`'cls'`).
 *
 * Batches: `{ images }` (or `{ view1 }`: one view, as the seed's `MAE.forward(images)`; a two-view
 * or multi-crop batch gives its first view) and, optionally, `noise` [N, L] in [0, 1): the masking
 * noise (by default drawn from the step's key), to replay a run of the seed. State dicts follow the
 * seed's module: `encoder.vit.*` (timm's names), `encoder.patch_embed.*` (the same patch
 * embedding, as the seed's module registers it twice), `decoder.mask_token`, `decoder.transformer.*`
 * (with its `pos_embed` buffer).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { copy } from '../../nn/torch.js';
import { tensorsIn } from '../../util/tensors.js';
import { strictPartial } from '../../util/strict-partial.js';
import { boolean, oneOf, positiveInt, unitInterval } from '../codecs.js';
import { type MaeLossType, maeLoss } from '../losses/mae.js';
import { type PatchMasking, blockMasking, keepTokens, numKept, patchify, randomMasking, randomMaskingFromNoise, restoreTokens } from '../masking.js';
import { defineMethod } from '../method.js';
import { checkBatch } from '../views.js';
import { type FlexibleTransformerSpec, flexibleTransformer } from './flexible-transformer.js';
import { type Range, range } from './jepa-parts.js';
import { vitOf } from './mim.js';
import { contextAndTargets, contextTargetProblem } from './multi-block-mask.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface MaeConfig extends EncoderSettings {
  readonly decoderEmbedDim: number;
  readonly decoderDepth: number;
  readonly decoderNumHeads: number;
  /** Fraction of the patches masked, in [0, 1): floor(L maskRatio) of them (at least one). */
  readonly maskRatio: number;
  /** Standardise each target patch (the seed's `norm_pix_loss`). */
  readonly normPixLoss: boolean;
  readonly lossType: MaeLossType;
  /** How `embed` pools the encoder's tokens: the mean of the patch tokens, or the class token. */
  readonly embedding: 'meanPatches' | 'cls';
  /** The seed's `PatchMasking` ('patch', with `maskRatio` and `blockSize`) or `MultiBlockMasking` ('multiBlock'). */
  readonly masking: 'patch' | 'multiBlock';
  /** 'patch' masking's block side: 1 masks at random, b > 1 in b x b blocks (the seed's `block_size`). */
  readonly blockSize: number;
  /** 'multiBlock' masking: the number of target blocks cut from the context (the seed's `num_targets`). */
  readonly numTargets: number;
  /** 'multiBlock' masking: [min, max] fraction of the patches in the context block, within (0, 1]. */
  readonly contextScale: Range;
  /** 'multiBlock' masking: [min, max] fraction of the patches in each target block, within (0, 1]. */
  readonly targetScale: Range;
  /** 'multiBlock' masking: [min, max] aspect ratio (height over width) of the context block, > 0. */
  readonly contextAspectRatio: Range;
  /** 'multiBlock' masking: [min, max] aspect ratio (height over width) of each target block, > 0. */
  readonly targetAspectRatio: Range;
}

/** The masking of a batch to replay: the noise [N, L] or (MAE only) the mask [N, L], 1: masked. */
type Replayed = {
  readonly noise?: NdArray;
  readonly mask?: NdArray;
};

/** A batch for MAE: images (one view) and, optionally, the masking noise [N, L] or the mask [N, L]. */
export type MaeBatch = Replayed &
  ({ readonly images: NdArray } | { readonly view1: NdArray; readonly view2?: NdArray } | { readonly globalViews: readonly NdArray[]; readonly localViews?: readonly NdArray[] });

const BATCH_KEYS = ['images', 'view1', 'view2', 'globalViews', 'localViews', 'noise'];

/** The images of a batch (its first view) and its noise (and, with `withMask`, its mask), or a one-line error naming `who` (MAE's batch; CrossMAE's too). */
export function imagesOf(batch: MaeBatch, who = 'mae', withMask = false): Replayed & { images: NdArray } {
  const b = batch as Record<string, unknown>;
  const keys = withMask ? [...BATCH_KEYS, 'mask'] : BATCH_KEYS;
  const unknown = Object.keys(b).filter((k) => !keys.includes(k) && b[k] !== undefined);
  if (unknown.length) throw new Error(`${who}: unknown input key(s) ${unknown.join(', ')}; expected { images, noise?${withMask ? ', mask?' : ''} } (or { view1 } / { globalViews })`);
  const noise = b.noise === undefined ? undefined : checkBatch(b.noise, 'noise', who);
  const mask = b.mask === undefined ? undefined : checkBatch(b.mask, 'mask', who);
  if (noise !== undefined && mask !== undefined) throw new Error(`${who}: give the batch its noise or its mask, not both`);
  const r = { noise, mask };
  if (b.images !== undefined) return { images: checkBatch(b.images, 'images', who), ...r };
  if (b.view1 !== undefined) return { images: checkBatch(b.view1, 'view1', who), ...r };
  const g = b.globalViews as unknown[] | undefined;
  if (Array.isArray(g) && g.length > 0) return { images: checkBatch(g[0], 'globalViews[0]', who), ...r };
  throw new Error(`${who} needs { images } (or { view1 } / { globalViews })`);
}

/** The seed's `MAEDecoder`: a learned mask token (encoder width) and a `FlexibleTransformer` under `transformer.`, as a layer, and its masked forward. */
function maeDecoder(s: FlexibleTransformerSpec) {
  const ft = flexibleTransformer(s);
  const { numPatches } = ft;

  const query = (p: Params, st: Params, maskToken: NdArray) => np.reshape(ft.call('query_proj', p, st, maskToken), [s.dim]);
  const pixels = (p: Params, st: Params, full: NdArray) => ft.call('output_proj', p, st, ft.trunk(p, st, np.add(full, ft.posEmbed())));
  /** The pixels of every patch [N, L, C p p] from the encoded kept patch tokens [N, K, D] and the masking's `idsRestore` [N, L]. */
  const decode = (params: Params, state: Params, kept: NdArray, idsRestore: NdArray): NdArray => {
    const [p, st] = [params.transformer, state.transformer];
    return pixels(p, st, restoreTokens(ft.call('context_proj', p, st, kept), query(p, st, params.mask_token), idsRestore));
  };
  /** The same from the encoded tokens of every patch [N, L, D] (meaningful where visible) and the mask [N, L] (1: masked). */
  const decodeMasked = (params: Params, state: Params, encoded: NdArray, mask: NdArray): NdArray => {
    const [p, st] = [params.transformer, state.transformer];
    const masked = np.expandDims(np.greater(mask, 0), -1);
    return pixels(p, st, np.where(masked, query(p, st, params.mask_token), ft.call('context_proj', p, st, encoded)));
  };
  const layer: nn.Layer = {
    kind: 'maeDecoder',
    init: (key) =>
      scope(() => {
        const [kt, km] = random.split(key, 2);
        const v = ft.layer.init(kt);
        const maskToken = nn.init.truncNormal(0.02)(km, [1, 1, s.inDim], { fanIn: s.inDim, fanOut: s.inDim });
        return { params: { mask_token: maskToken, transformer: v.params }, state: { transformer: v.state } };
      }),
    /** Every token visible (the seed's decoder in evaluation): tokens [N, L, D] in patch order. */
    apply: (params, state, x) => {
      const ids = np.broadcastTo(np.arange(numPatches, undefined, undefined, 'int32'), np.shape(x).slice(0, -1));
      return [decode(params, state, x, ids), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}mask_token`] = copy(v.params.mask_token);
      ft.layer.toTorch({ params: v.params.transformer, state: v.state.transformer }, `${prefix}transformer.`, out);
    },
    fromTorch(r, prefix) {
      const v = ft.layer.fromTorch(r, `${prefix}transformer.`);
      return { params: { mask_token: tf.clone(r.get(`${prefix}mask_token`, [1, 1, s.inDim])), transformer: v.params }, state: { transformer: v.state } };
    },
  };
  return { layer, decode, decodeMasked, numPatches };
}

const codec = strictPartial(
  {
    ...ENCODER_PROPS,
    decoderEmbedDim: positiveInt,
    decoderDepth: positiveInt,
    decoderNumHeads: positiveInt,
    maskRatio: unitInterval,
    normPixLoss: boolean,
    lossType: oneOf(['mse', 'cosine', 'smoothL1'] as const),
    embedding: oneOf(['meanPatches', 'cls'] as const),
    masking: oneOf(['patch', 'multiBlock'] as const),
    blockSize: positiveInt,
    numTargets: positiveInt,
    contextScale: range,
    targetScale: range,
    contextAspectRatio: range,
    targetAspectRatio: range,
  },
  'an MAE configuration object',
);

function check(c: MaeConfig): string | null {
  if (c.maskRatio >= 1) return `at .maskRatio expected a number in [0, 1), got ${c.maskRatio}`;
  if (c.decoderEmbedDim % c.decoderNumHeads) return `at .decoderEmbedDim expected a multiple of decoderNumHeads ${c.decoderNumHeads}, got ${c.decoderEmbedDim}`;
  if (c.decoderEmbedDim % 4) return `at .decoderEmbedDim expected a multiple of 4 (the 2-D sine-cosine position embedding), got ${c.decoderEmbedDim}`;
  if (c.masking === 'multiBlock' && c.blockSize !== 1) return `at .blockSize expected 1 with masking 'multiBlock' (its blocks are its own), got ${c.blockSize}`;
  return contextTargetProblem(c);
}

export const mae = defineMethod<MaeConfig, Params, NetState, MaeBatch>({
  name: 'mae',
  codec,
  defaults: { ...ENCODER_DEFAULTS, decoderEmbedDim: 512, decoderDepth: 8, decoderNumHeads: 16, maskRatio: 0.75, normPixLoss: true, lossType: 'mse', embedding: 'meanPatches',
    masking: 'patch', blockSize: 1, numTargets: 4, contextScale: [0.85, 1], targetScale: [0.15, 0.2], contextAspectRatio: [1, 1], targetAspectRatio: [0.75, 1.5] },
  check,
  build(c) {
    const { enc, dim, imgSize, patchSize, inChannels } = vitOf(c, 'mae');
    const g = Math.floor(imgSize / patchSize);
    const decoder = maeDecoder({ inDim: dim, dim: c.decoderEmbedDim, depth: c.decoderDepth, heads: c.decoderNumHeads, outDim: inChannels * patchSize * patchSize, grid: [g, g] });
    const net = network({ name: 'mae', stages: { encoder: enc, decoder: decoder.layer } });

    const checkPerPatch = (a: NdArray, what: string, n: number) => {
      if (shapeStr(np.shape(a)) !== shapeStr([n, decoder.numPatches])) throw new Error(`mae: ${what} must be [${n}, ${decoder.numPatches}] (one value per patch), got ${shapeStr(np.shape(a))}`);
    };
    /** 'patch' masking of this batch: from its noise, else drawn from the key. */
    const maskingOf = (n: number, noise: NdArray | undefined, key: NdArray | undefined): PatchMasking => {
      if (noise !== undefined) {
        checkPerPatch(noise, 'noise', n);
        return randomMaskingFromNoise(noise, c.maskRatio);
      }
      if (key === undefined) throw new Error('mae: the loss needs a key (for the masking) or the batch its noise or mask');
      return c.blockSize > 1 ? blockMasking(key, n, g, g, c.blockSize, c.maskRatio) : randomMasking(key, n, decoder.numPatches, c.maskRatio);
    };
    /** The mask [N, L] of a masking whose kept count is not fixed: the batch's, else 'multiBlock' drawn from the key. */
    const freeMaskOf = (n: number, mask: NdArray | undefined, key: NdArray | undefined): NdArray => {
      if (mask !== undefined) {
        checkPerPatch(mask, 'mask', n);
        return np.cast(mask, 'float32');
      }
      if (key === undefined) throw new Error('mae: the loss needs a key (for the masking) or the batch its mask');
      return np.sub(1, contextAndTargets(key, n, g, g, c).context);
    };

    return {
      init: net.init,
      loss(params, state, batch, { key } = {}) {
        net.checkState(state);
        const { images, noise, mask } = imagesOf(batch, 'mae', true);
        const tokens = enc.patchTokens(params.encoder, state.encoder, images);
        const [n, l] = np.shape(tokens);
        if (l !== decoder.numPatches) throw new Error(`mae: expected ${imgSize}x${imgSize} images (${decoder.numPatches} patches: the decoder's position embedding is fixed), got ${shapeStr(np.shape(images))}`);
        const target = patchify(images, patchSize);
        const lossOf = (pred: NdArray, m: NdArray) => maeLoss(pred, target, m, { normPixLoss: c.normPixLoss, lossType: c.lossType });
        if (mask !== undefined || c.masking === 'multiBlock') {
          if (noise !== undefined) throw new Error("mae: masking 'multiBlock' replays the batch's mask, not noise (its kept count is not fixed)");
          const m = freeMaskOf(n, mask, key);
          // The class token is always seen; a masked patch is padding.
          const keyPaddingMask = np.concatenate([np.zeros([n, 1], 'bool'), np.greater(m, 0)], 1);
          const encoded = enc.encodeTokens(params.encoder, state.encoder, tokens, { train: true, keyPaddingMask });
          return [lossOf(decoder.decodeMasked(params.decoder, state.decoder, np.sliceAxis(encoded, 1, 1, null), m), m), { state: net.next(state, {}), metrics: {} }];
        }
        if (numKept(l, c.maskRatio) === l) throw new Error(`mae: maskRatio ${c.maskRatio} masks no patch of ${l} (floor(${l} * ${c.maskRatio}) = 0), and the loss is over masked patches`);
        const m = maskingOf(n, noise, key);
        const encoded = enc.encodeTokens(params.encoder, state.encoder, keepTokens(tokens, m.idsKeep), { train: true });
        const loss = lossOf(decoder.decode(params.decoder, state.decoder, np.sliceAxis(encoded, 1, 1, null), m.idsRestore), m.mask);
        return [loss, { state: net.next(state, {}), metrics: {} }];
      },
      embed(params, state, images) {
        checkBatch(images, 'images', 'mae.embed');
        return scope(() => {
          const h = enc.encodeTokens(params.encoder, state.encoder, enc.patchTokens(params.encoder, state.encoder, images));
          const pooled = c.embedding === 'cls' ? np.squeeze(np.sliceAxis(h, 1, 0, 1), 1) : np.mean(np.sliceAxis(h, 1, 1, null), 1);
          return np.stopGradient(pooled);
        });
      },
      toTorch(params, state) {
        const out: nn.TorchDict = {};
        enc.toTorch({ params: params.encoder, state: state.encoder }, 'encoder.vit.', out);
        for (const k of ['weight', 'bias']) out[`encoder.patch_embed.proj.${k}`] = copy(out[`encoder.vit.patch_embed.proj.${k}`]);
        decoder.layer.toTorch({ params: params.decoder, state: state.decoder }, 'decoder.', out);
        return out as Record<string, tf.Tensor>;
      },
      fromTorch(dict) {
        const r = new nn.TorchReader(dict);
        const e = enc.fromTorch(r, 'encoder.vit.');
        for (const k of ['weight', 'bias']) r.skip(`encoder.patch_embed.proj.${k}`);
        const d = decoder.layer.fromTorch(r, 'decoder.');
        const unused = Object.keys(dict).filter((k) => !r.used.has(k));
        if (unused.length) {
          tf.dispose(tensorsIn([e, d]));
          throw new Error(`mae.fromTorch: entries not used by the model: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''}`);
        }
        return { params: { encoder: e.params, decoder: d.params }, state: { encoder: e.state, decoder: d.state, step: tf.scalar(0, 'int32') } as NetState };
      },
    };
  },
});
