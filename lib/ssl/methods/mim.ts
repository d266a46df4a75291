/**
 * Pieces shared by the masked-image-modelling methods that put a learned mask token at the masked
 * places of a ViT's patch embeddings and encode every token (SimMIM, data2vec): the ViT check, the
 * batch (one view and, optionally, its masks), the seed's random masks, the masked encoding, and
 * the top-level `mask_token` parameter with its state-dict entry.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import { copy } from '../../nn/torch.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { masksFromNoise, numMaskedRounded } from '../masking.js';
import type { MethodVariables } from '../method.js';
import { checkBatch } from '../views.js';
import { type EncoderSettings, type NetState, type Network, type Params, encoderOf } from './network.js';

/** A batch of one view of images and, optionally, its patch masks [N, L] (1: masked) to replay a run of the seed. */
export type MimBatch =
  | { readonly images: NdArray; readonly masks?: NdArray }
  | { readonly view1: NdArray; readonly view2?: NdArray; readonly masks?: NdArray }
  | { readonly globalViews: readonly NdArray[]; readonly localViews?: readonly NdArray[]; readonly masks?: NdArray };

const BATCH_KEYS = ['images', 'view1', 'view2', 'globalViews', 'localViews', 'masks'];

/** The ViT encoder of a configuration, or a one-line error. */
export function vitOf(c: EncoderSettings, who: string, { registers = false } = {}): { enc: nn.ViTEncoder; dim: number; imgSize: number; patchSize: number; inChannels: number } {
  const { layer, dim } = encoderOf(c, who);
  if (!nn.isViT(layer)) throw new Error(`${who}: the encoder must be a ViT (offering patchTokens and encodeTokens: an nn ViT by name, e.g. 'vit_small_patch16_224', or nn.vit(...)), got ${typeof c.encoder === 'string' ? `'${c.encoder}'` : 'a layer without them'}`);
  const { imgSize, patchSize, inChannels, numRegisters = 0 } = layer.options as { imgSize: number; patchSize: number; inChannels: number; numRegisters?: number };
  // Those methods read the patch tokens from index 1 of the encoded sequence: registers would shift them.
  if (numRegisters > 0 && !registers) throw new Error(`${who}: the ViT has ${numRegisters} register tokens, which ${who} does not use (they are DINOv3's): build it with numRegisters 0`);
  return { enc: layer, dim, imgSize, patchSize, inChannels };
}

/** The images of a batch (its first view) and its masks, or a one-line error. */
export function imagesOf(batch: MimBatch, who: string): { images: NdArray; masks?: NdArray } {
  const b = batch as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !BATCH_KEYS.includes(k) && b[k] !== undefined);
  if (unknown.length) throw new Error(`${who}: unknown input key(s) ${unknown.join(', ')}; expected { images, masks? } (or { view1 } / { globalViews })`);
  const masks = b.masks === undefined ? undefined : checkBatch(b.masks, 'masks', who);
  if (b.images !== undefined) return { images: checkBatch(b.images, 'images', who), masks };
  if (b.view1 !== undefined) return { images: checkBatch(b.view1, 'view1', who), masks };
  const g = b.globalViews as unknown[] | undefined;
  if (Array.isArray(g) && g.length > 0) return { images: checkBatch(g[0], 'globalViews[0]', who), masks };
  throw new Error(`${who} needs { images } (or { view1 } / { globalViews })`);
}

/**
 * The patch masks [N, L] of `images` (no gradient): the batch's, else `round(L maskRatio)` patches of
 * lowest uniform noise from `key` (the seed's `_random_mask`).
 */
export function masksOf(given: NdArray | undefined, images: NdArray, patchSize: number, maskRatio: number, key: NdArray | undefined, who: string): NdArray {
  const [n, h, w] = np.shape(images);
  const l = Math.floor(h / patchSize) * Math.floor(w / patchSize);
  if (given !== undefined) {
    if (shapeStr(np.shape(given)) !== shapeStr([n, l])) throw new Error(`${who}: masks must be ${shapeStr([n, l])} (one value per patch), got ${shapeStr(np.shape(given))}`);
    return np.stopGradient(np.cast(given, 'float32'));
  }
  const k = numMaskedRounded(l, maskRatio);
  if (k === 0) throw new Error(`${who}: maskRatio ${maskRatio} masks no patch of ${l} (round(${l} * ${maskRatio}) = 0), and the loss is over masked patches`);
  if (key === undefined) throw new Error(`${who}: the loss needs a key (for the patch masks) or the batch its masks`);
  return np.stopGradient(masksFromNoise(random.uniform(key, [n, l]), k));
}

/**
 * The patch tokens [N, L, D] after the blocks and the final norm (class token dropped), with the mask
 * token where `masking` says (the seed's `_encode_with_mask`); `opts` reach `encodeTokens`.
 */
export function encodeMasked(enc: nn.ViTEncoder, v: { params: Params; state: Params }, images: NdArray, masking?: nn.PatchMaskToken, opts: Record<string, unknown> = {}): NdArray {
  const h = enc.encodeTokens(v.params, v.state, enc.patchTokens(v.params, v.state, images, masking), { train: true, ...opts });
  return np.sliceAxis(h, 1, 1, null);
}

/** `init`, `toTorch` and `fromTorch` of a network plus a top-level `mask_token` [1, 1, dim] (trunc_normal(std=.02), the seed's). */
export function withMaskToken(net: Network, dim: number, who: string) {
  return {
    init(key: NdArray): MethodVariables<Params, NetState> {
      return scope(() => {
        const [kn, km] = random.split(key, 2);
        const v = net.init(kn);
        return { params: { ...v.params, mask_token: nn.init.truncNormal(0.02)(km, [1, 1, dim], { fanIn: dim, fanOut: dim }) }, state: v.state };
      });
    },
    toTorch(params: Params, state: NetState): Record<string, tf.Tensor> {
      const { mask_token: maskToken, ...rest } = params;
      return { ...net.toTorch(rest, state), mask_token: copy(maskToken) };
    },
    fromTorch(dict: Readonly<Record<string, tf.Tensor>>): MethodVariables<Params, NetState> {
      const { mask_token: maskToken, ...rest } = dict;
      if (maskToken === undefined) throw new Error(`${who}.fromTorch: the state dict has no mask_token`);
      if (shapeStr(maskToken.shape) !== shapeStr([1, 1, dim])) throw new Error(`${who}.fromTorch: mask_token must be [1, 1, ${dim}], got ${shapeStr(maskToken.shape)}`);
      const v = net.fromTorch(rest);
      return { params: { ...v.params, mask_token: tf.clone(maskToken) }, state: v.state };
    },
  };
}
