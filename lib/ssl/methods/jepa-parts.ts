/**
 * What the seed's predictive latent methods share (`methods/ijepa.py`, `methods/salt.py`): their
 * batch (one view and, optionally, the context and target patch indices of a run of the seed), the
 * `MaskedEncoder`'s state-dict layout, the predictor (`FlexibleTransformer` in joint-attention mode
 * with `add_mask_token`) and its masked forward, the mean of a per-element loss over the target
 * patches, and the `[min, max]` codec of their masking ranges.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import type * as nn from '../../nn/index.js';
import { copy } from '../../nn/torch.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { refined } from '../codecs.js';
import { checkBatch } from '../views.js';
import { type FlexibleTransformerSpec, flexibleTransformer } from './flexible-transformer.js';
import { type JepaMasks, masksFromIndices } from './ijepa-masks.js';
import type { Params } from './network.js';

export type Range = readonly [number, number];

/** A `[min, max]` pair of finite numbers (a masking option). */
export const range = refined('a pair [min, max] of finite numbers', (u): u is Range => Array.isArray(u) && u.length === 2 && u.every((x) => typeof x === 'number' && Number.isFinite(x)));

/** A batch of one view of images and, optionally, the seed's context and target patch indices [N, K] (int, row-major over the grid). */
export type IndexedBatch = (
  | { readonly images: NdArray }
  | { readonly view1: NdArray; readonly view2?: NdArray }
  | { readonly globalViews: readonly NdArray[]; readonly localViews?: readonly NdArray[] }
) & { readonly contextIdx?: NdArray; readonly targetIdx?: NdArray };

const BATCH_KEYS = ['images', 'view1', 'view2', 'globalViews', 'localViews', 'contextIdx', 'targetIdx'];

/** The images of a batch (its first view) and its indices, or a one-line error naming `who`. */
export function imagesAndIndices(batch: IndexedBatch, who: string): { images: NdArray; contextIdx?: NdArray; targetIdx?: NdArray } {
  const b = batch as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !BATCH_KEYS.includes(k) && b[k] !== undefined);
  if (unknown.length) throw new Error(`${who}: unknown input key(s) ${unknown.join(', ')}; expected { images, contextIdx?, targetIdx? } (or { view1 } / { globalViews })`);
  if ((b.contextIdx === undefined) !== (b.targetIdx === undefined)) throw new Error(`${who}: give both contextIdx and targetIdx, or neither (the key draws them)`);
  const idx = b.contextIdx === undefined ? {} : { contextIdx: checkBatch(b.contextIdx, 'contextIdx', who), targetIdx: checkBatch(b.targetIdx, 'targetIdx', who) };
  if (b.images !== undefined) return { images: checkBatch(b.images, 'images', who), ...idx };
  if (b.view1 !== undefined) return { images: checkBatch(b.view1, 'view1', who), ...idx };
  const g = b.globalViews as unknown[] | undefined;
  if (Array.isArray(g) && g.length > 0) return { images: checkBatch(g[0], 'globalViews[0]', who), ...idx };
  throw new Error(`${who} needs { images } (or { view1 } / { globalViews })`);
}

/**
 * The masks of `n` images of `numPatches` patches: from the batch's indices (each [n, K], K >= 1), else `draw(key)`;
 * a one-line error naming `who` when neither is there or the indices are not one row per image.
 */
export function masksOfBatch(who: string, n: number, numPatches: number, idx: { contextIdx?: NdArray; targetIdx?: NdArray }, key: NdArray | undefined, draw: (key: NdArray) => JepaMasks): JepaMasks {
  if (idx.contextIdx === undefined || idx.targetIdx === undefined) {
    if (key === undefined) throw new Error(`${who}: the loss needs a key (for the multi-block masks) or the batch its contextIdx and targetIdx`);
    return draw(key);
  }
  for (const [what, a] of [['contextIdx', idx.contextIdx], ['targetIdx', idx.targetIdx]] as const) {
    const s = np.shape(a);
    if (s.length !== 2 || s[0] !== n || s[1] < 1) throw new Error(`${who}: ${what} must be [${n}, K] patch indices (one row per image, K >= 1), got ${shapeStr(s)}`);
  }
  return masksFromIndices(idx.contextIdx, idx.targetIdx, numPatches);
}

/**
 * The seed's `MaskedEncoder` around a ViT as a layer: its state dict under `vit.` (timm's names) and the patch
 * embedding again under `patch_embed.` (the seed's module registers it twice); init and forward the ViT's.
 */
export function maskedEncoderLayer(enc: nn.ViTEncoder): nn.ViTEncoder {
  const dup = (k: string) => [`vit.patch_embed.proj.${k}`, `patch_embed.proj.${k}`];
  return {
    ...enc,
    toTorch(v, prefix, out) {
      enc.toTorch(v, `${prefix}vit.`, out);
      for (const k of ['weight', 'bias']) out[`${prefix}${dup(k)[1]}`] = copy(out[`${prefix}${dup(k)[0]}`]);
    },
    fromTorch(r, prefix) {
      const v = enc.fromTorch(r, `${prefix}vit.`);
      for (const k of ['weight', 'bias']) r.skip(`${prefix}${dup(k)[1]}`);
      return v;
    },
  };
}

/**
 * The seed's predictor: a `FlexibleTransformer` with `add_mask_token` (the mask token [1, 1, dim], normal(0.02), among its
 * own parameters) as a layer, and its masked forward. `initBody` may change the transformer's init (I-JEPA's rescaling);
 * `who` names the method in errors.
 */
export function jepaPredictor(s: FlexibleTransformerSpec, who: string, initBody: (layer: nn.Layer) => nn.Layer = (layer) => layer) {
  const ft = flexibleTransformer(s);
  const { numPatches } = ft;
  const body = initBody(ft.layer);

  /**
   * The predictions [N, L, outDim] at every patch (meaningful at the targets) from the context encoder's patch tokens
   * [N, L, inDim] (meaningful at the context) and the masks: [context; queries] as 2L tokens, each attending to the
   * context and target ones only. The seed's queries are `query_proj` of zeros replaced by the mask token, so the
   * mask token plus the position embedding is each query here (`query_proj` gets a zero gradient, as the seed's).
   */
  const predict = (params: Params, state: Params, encoded: NdArray, m: JepaMasks): NdArray => {
    const n = np.shape(encoded)[0];
    const p = ft.posEmbed();
    const context = np.add(ft.call('context_proj', params, state, encoded), p);
    const queries = np.broadcastTo(np.add(params.mask_token, p), [n, numPatches, s.dim]);
    const keyPaddingMask = np.concatenate([np.equal(m.context, 0), np.equal(m.target, 0)], 1);
    const h = ft.trunk(params, state, np.concatenate([context, queries], 1), { keyPaddingMask });
    return ft.call('output_proj', params, state, np.sliceAxis(h, 1, numPatches, 2 * numPatches));
  };
  const layer: nn.Layer = {
    kind: `${who}Predictor`,
    init: (key) =>
      scope(() => {
        const [kb, km] = random.split(key, 2);
        const v = body.init(kb);
        return { params: { ...v.params, mask_token: np.mul(random.normal(km, [1, 1, s.dim]), 0.02) }, state: v.state };
      }),
    apply: () => {
      throw new Error(`${who}: the predictor runs inside the loss (it needs the masks)`);
    },
    toTorch(v, prefix, out) {
      const { mask_token: maskToken, ...rest } = v.params;
      body.toTorch({ params: rest, state: v.state }, prefix, out);
      out[`${prefix}mask_token`] = copy(maskToken);
    },
    fromTorch(r, prefix) {
      const v = body.fromTorch(r, prefix);
      return { params: { ...v.params, mask_token: tf.clone(r.get(`${prefix}mask_token`, [1, 1, s.dim])) }, state: v.state };
    },
  };
  return { layer, predict, numPatches };
}

/** The mean of `perElement` [N, L, D] over the target patches (`target` [N, L], 1: a target) and the features. */
export function targetMean(perElement: NdArray, target: NdArray): NdArray {
  const d = np.shape(perElement)[2];
  return np.div(np.sum(np.mul(np.sum(perElement, -1), target)), np.mul(np.sum(target), d));
}
