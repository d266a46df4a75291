/**
 * I-JEPA (Assran et al. 2023, "Self-Supervised Learning from Images with a Joint-Embedding
 * Predictive Architecture") as stable-pretraining's `methods/ijepa.py` builds it:
 *
 * - masks (the seed's `IJEPAMasking`, ./ijepa-masks.ts): `numTargets` target blocks shared by the
 *   batch, and a context of patches outside them, a random subset per image;
 * - context encoder (the student ViT, the seed's `_encode`): patch embeddings plus their position
 *   embedding, the context patches only, the blocks and the final norm; no class token;
 * - target encoder (an EMA teacher of the ViT, no gradient): every patch, the same way, then a
 *   LayerNorm without affine (eps 1e-5); the targets are its rows at the target patches;
 * - predictor (the seed's `FlexibleTransformer` in joint-attention mode, `add_mask_token`): the
 *   context through `context_proj`, one learned `mask_token` per target patch (the queries; the
 *   seed's `query_proj` output is replaced by it, so `query_proj` gets no gradient), each plus a
 *   fixed 2-D sine-cosine position embedding, `predictorDepth` pre-norm blocks (LayerNorm eps 1e-5,
 *   GELU MLP x4), `final_norm`, and `output_proj` back to the encoder's width at the queries;
 * - loss: smooth L1 (beta 1; `lossType: 'mse'` the squared error) of the predictions to the targets,
 *   averaged over target patches and features.
 *
 * The seed gathers the context and target tokens into shorter sequences, whose lengths change with
 * every draw; here every sequence keeps all L patches and attention ignores the others (a key
 * padding mask): attention is permutation equivariant and LayerNorm and the MLP act per token, so
 * the numbers are the seed's up to float rounding, and a step traces once under `jit`.
 *
 * Defaults are the seed's `IJEPA`: predictor 384 wide, 6 blocks, `max(1, floor(384 / 64))` heads,
 * 4 targets of scale [0.15, 0.2] and aspect ratio [0.75, 1.5], context scale [0.85, 1], EMA 0.996
 * -> 1 (`emaSteps`: the cosine's length in steps; without it 0.996 throughout). Initialisation as
 * the seed's `_fix_init_weight`: each block's `attn.proj` and `mlp.fc2` weights divided by
 * sqrt(2 (i + 1)) (encoder and predictor). The seed's default encoder `vit_base_patch16_224` is
 * not an `nn` encoder by name: `vit_small_patch16_224` (`encoderOptions: { embedDim: 768,
 * numHeads: 12 }` makes it vit_base's architecture). The encoder's class token is unused, as in
 * the seed, where it gets no gradient and the optimiser skips it: `afterUpdate` keeps it as it was
 * (here its gradient is zero, and weight decay would move it).
 *
 * Batches: `{ images }` (or `{ view1 }` / `{ globalViews }`: the first view), optionally with
 * `contextIdx` [N, Kc] and `targetIdx` [N, Kt] (int patch indices, row-major over the grid, the
 * seed's `IJEPAMaskOutput`) to replay a run of the seed; otherwise the step's key draws the masks.
 * Metrics: `numContext`, `numTargets` (patches per image). `embed` is the seed's evaluation
 * forward: the student encoder on every patch (no class token), pooled by the mean over patches as
 * the seed's I-JEPA benchmarks do. The loss couples no samples (no `axisName` needed; masks drawn
 * from one key are the same on every member). State dicts are the seed's module:
 * `encoder.{student,teacher}.vit.*` (timm's names), `encoder.{student,teacher}.patch_embed.*` (the
 * same patch embedding, registered twice as by the seed's `MaskedEncoder`), the wrapper's
 * `encoder.*ema_coefficient` buffers, `predictor.*` (with its `pos_embed` buffer and `mask_token`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as F from '../../nn/functional.js';
import { smoothL1Loss } from '../../nn/torch-losses.js';
import { copy } from '../../nn/torch.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nullable, oneOf, positiveInt, refined } from '../codecs.js';
import { defineMethod } from '../method.js';
import { checkBatch } from '../views.js';
import { type FlexibleTransformerSpec, flexibleTransformer } from './flexible-transformer.js';
import { type JepaMasks, type MultiBlockOptions, masksFromIndices, multiBlockMasks } from './ijepa-masks.js';
import { vitOf } from './mim.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, network } from './network.js';

type Range = readonly [number, number];

export interface IjepaConfig extends EncoderSettings, EmaSettings, Omit<MultiBlockOptions, 'attempts'> {
  readonly predictorEmbedDim: number;
  readonly predictorDepth: number;
  /** The predictor's heads; null: the seed's `max(1, floor(predictorEmbedDim / 64))`. */
  readonly predictorNumHeads: number | null;
  /** 'smoothL1' (the seed's, beta 1) or 'mse'. */
  readonly lossType: 'smoothL1' | 'mse';
}

/** A batch for I-JEPA: images (one view) and, optionally, the seed's context and target patch indices. */
export type IjepaBatch = (
  | { readonly images: NdArray }
  | { readonly view1: NdArray; readonly view2?: NdArray }
  | { readonly globalViews: readonly NdArray[]; readonly localViews?: readonly NdArray[] }
) & { readonly contextIdx?: NdArray; readonly targetIdx?: NdArray };

const BATCH_KEYS = ['images', 'view1', 'view2', 'globalViews', 'localViews', 'contextIdx', 'targetIdx'];

/** The images of a batch (its first view) and its indices, or a one-line error. */
function imagesOf(batch: IjepaBatch): { images: NdArray; contextIdx?: NdArray; targetIdx?: NdArray } {
  const b = batch as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !BATCH_KEYS.includes(k) && b[k] !== undefined);
  if (unknown.length) throw new Error(`ijepa: unknown input key(s) ${unknown.join(', ')}; expected { images, contextIdx?, targetIdx? } (or { view1 } / { globalViews })`);
  if ((b.contextIdx === undefined) !== (b.targetIdx === undefined)) throw new Error('ijepa: give both contextIdx and targetIdx, or neither (the key draws them)');
  const idx = b.contextIdx === undefined ? {} : { contextIdx: checkBatch(b.contextIdx, 'contextIdx', 'ijepa'), targetIdx: checkBatch(b.targetIdx, 'targetIdx', 'ijepa') };
  if (b.images !== undefined) return { images: checkBatch(b.images, 'images', 'ijepa'), ...idx };
  if (b.view1 !== undefined) return { images: checkBatch(b.view1, 'view1', 'ijepa'), ...idx };
  const g = b.globalViews as unknown[] | undefined;
  if (Array.isArray(g) && g.length > 0) return { images: checkBatch(g[0], 'globalViews[0]', 'ijepa'), ...idx };
  throw new Error('ijepa needs { images } (or { view1 } / { globalViews })');
}

/** Blocks' parameters with each `attn.proj` and `mlp.fc2` weight divided by sqrt(2 (i + 1)) (the seed's `_fix_init_weight`). */
function rescaleBlocks(blocks: Params[]): Params[] {
  const div = (p: Params, s: number) => ({ ...p, w: np.div(p.w, s) });
  return blocks.map((b, i) => {
    const s = Math.sqrt(2 * (i + 1));
    return { ...b, attn: { ...b.attn, proj: div(b.attn.proj, s) }, mlp: { ...b.mlp, fc2: div(b.mlp.fc2, s) } };
  });
}

/** A layer whose init rescales its `blocks` (the rest unchanged), freeing the unscaled weights. */
function withRescaledInit(layer: nn.Layer): nn.Layer {
  return {
    ...layer,
    init: (key) =>
      scope(() => {
        const v = layer.init(key);
        if (!Array.isArray(v.params.blocks)) return v; // a ViT of your own without `blocks`: as it comes
        return { params: { ...v.params, blocks: rescaleBlocks(v.params.blocks) }, state: v.state };
      }),
  };
}

/** The seed's `MaskedEncoder` around a ViT: its state dict under `vit.`, the patch embedding again under `patch_embed.`. */
function maskedEncoder(enc: nn.ViTEncoder): nn.Layer {
  const dup = (k: string) => [`vit.patch_embed.proj.${k}`, `patch_embed.proj.${k}`];
  return {
    ...withRescaledInit(enc),
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

/** The seed's predictor (a `FlexibleTransformer` with `add_mask_token`: the mask token among its own parameters) as a layer, and its masked forward. */
function predictor(s: FlexibleTransformerSpec) {
  const ft = flexibleTransformer(s);
  const { numPatches } = ft;
  const body = withRescaledInit(ft.layer);

  /**
   * The predictions [N, L, D] at every patch (meaningful at the targets) from the context encoder's
   * tokens [N, L, D] (meaningful at the context) and the masks: [context; queries] as 2L tokens, each
   * attending to the context and target ones only.
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
    kind: 'ijepaPredictor',
    init: (key) =>
      scope(() => {
        const [kb, km] = random.split(key, 2);
        const v = body.init(kb);
        return { params: { ...v.params, mask_token: np.mul(random.normal(km, [1, 1, s.dim]), 0.02) }, state: v.state };
      }),
    apply: () => {
      throw new Error('ijepa: the predictor runs inside the loss (it needs the masks)');
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

const range = refined('a pair [min, max] of finite numbers', (u): u is Range => Array.isArray(u) && u.length === 2 && u.every((x) => typeof x === 'number' && Number.isFinite(x)));

const codec = strictPartial(
  {
    ...ENCODER_PROPS,
    ...EMA_PROPS,
    predictorEmbedDim: positiveInt,
    predictorDepth: positiveInt,
    predictorNumHeads: nullable(positiveInt),
    numTargets: positiveInt,
    targetScale: range,
    targetAspectRatio: range,
    contextScale: range,
    lossType: oneOf(['smoothL1', 'mse'] as const),
  },
  'an I-JEPA configuration object',
);

const headsOf = (c: IjepaConfig) => c.predictorNumHeads ?? Math.max(1, Math.floor(c.predictorEmbedDim / 64));

function check(c: IjepaConfig): string | null {
  const [ts, ar, cs] = [c.targetScale, c.targetAspectRatio, c.contextScale];
  if (!(ts[0] > 0 && ts[0] <= ts[1] && ts[1] < 1)) return `at .targetScale expected [min, max] with 0 < min <= max < 1, got [${ts.join(', ')}]`;
  if (!(ar[0] > 0 && ar[0] <= ar[1])) return `at .targetAspectRatio expected [min, max] with 0 < min <= max, got [${ar.join(', ')}]`;
  if (!(cs[0] > 0 && cs[0] <= cs[1] && cs[1] <= 1)) return `at .contextScale expected [min, max] with 0 < min <= max <= 1, got [${cs.join(', ')}]`;
  if (c.predictorEmbedDim % 4) return `at .predictorEmbedDim expected a multiple of 4 (the 2-D sine-cosine position embedding), got ${c.predictorEmbedDim}`;
  if (c.predictorEmbedDim % headsOf(c)) return `at .predictorEmbedDim expected a multiple of the predictor's ${headsOf(c)} heads, got ${c.predictorEmbedDim}`;
  return null;
}

/** The mean of `perElement` [N, L, D] over the target patches and the features. */
function targetMean(perElement: NdArray, target: NdArray): NdArray {
  const d = np.shape(perElement)[2];
  return np.div(np.sum(np.mul(np.sum(perElement, -1), target)), np.mul(np.sum(target), d));
}

export const ijepa = defineMethod<IjepaConfig, Params, NetState, IjepaBatch>({
  name: 'ijepa',
  codec,
  defaults: {
    ...ENCODER_DEFAULTS,
    emaStart: 0.996,
    emaEnd: 1,
    emaSteps: null,
    predictorEmbedDim: 384,
    predictorDepth: 6,
    predictorNumHeads: null,
    numTargets: 4,
    targetScale: [0.15, 0.2],
    targetAspectRatio: [0.75, 1.5],
    contextScale: [0.85, 1],
    lossType: 'smoothL1',
  },
  check,
  build(c) {
    const { enc, dim, imgSize, patchSize } = vitOf(c, 'ijepa');
    const g = Math.floor(imgSize / patchSize);
    const pred = predictor({ inDim: dim, dim: c.predictorEmbedDim, outDim: dim, depth: c.predictorDepth, heads: headsOf(c), grid: [g, g] });
    const net = network({
      name: 'ijepa',
      stages: { encoder: maskedEncoder(enc), predictor: pred.layer },
      teacher: { stages: ['encoder'], ema: c },
      torchNames: { encoder: 'encoder' },
    });

    /** The masks of this batch: from its indices, else drawn from the key. */
    const masksOf = (n: number, idx: { contextIdx?: NdArray; targetIdx?: NdArray }, key: NdArray | undefined): JepaMasks => {
      if (idx.contextIdx !== undefined && idx.targetIdx !== undefined) {
        const m = masksFromIndices(idx.contextIdx, idx.targetIdx, pred.numPatches);
        if (np.shape(m.context)[0] !== n) throw new Error(`ijepa: contextIdx and targetIdx must have one row per image (${n}), got ${shapeStr(np.shape(idx.contextIdx))}`);
        return m;
      }
      if (key === undefined) throw new Error('ijepa: the loss needs a key (for the multi-block masks) or the batch its contextIdx and targetIdx');
      return multiBlockMasks(key, n, g, g, c);
    };
    /** Every patch through an encoder (no class token; `keyPaddingMask`: the patches attention ignores): [N, L, D]. */
    const encode = (v: { params: Params; state: Params }, images: NdArray, opts: Record<string, unknown> = {}) =>
      enc.encodeTokens(v.params, v.state, enc.patchTokens(v.params, v.state, images), { ...opts, classToken: false });

    return {
      ...net.parts,
      /** The class token kept as it was (the seed's gets no gradient, so its optimiser skips it), then the teacher's EMA. */
      afterUpdate(after, before) {
        const encoder = { ...after.params.encoder, cls_token: before.params.encoder.cls_token };
        return net.emaTeacher({ ...after, params: { ...after.params, encoder } }, before);
      },
      loss(params, state, batch, { key } = {}) {
        net.checkState(state);
        const { images, ...idx } = imagesOf(batch);
        const n = np.shape(images)[0];
        const grid = np.shape(images).slice(1, 3).map((x) => Math.floor(x / patchSize));
        if (grid[0] * grid[1] !== pred.numPatches || grid[0] !== g) throw new Error(`ijepa: expected ${imgSize}x${imgSize} images (${pred.numPatches} patches: the predictor's position embedding is fixed), got ${shapeStr(np.shape(images))}`);
        const [maskKey, dropKey] = key === undefined ? [undefined, undefined] : random.split(key);
        const m = masksOf(n, idx, maskKey);
        const context = encode({ params: params.encoder, state: state.encoder }, images, { train: true, key: dropKey, keyPaddingMask: np.equal(m.context, 0) });
        const t = state.teacher!;
        const full = np.stopGradient(encode({ params: t.params.encoder, state: t.state.encoder }, images));
        const targets = F.layerNorm(full, null, null, 1e-5);
        const predictions = pred.predict(params.predictor, state.predictor, context, m);
        const perElement = c.lossType === 'mse' ? np.square(np.sub(predictions, targets)) : smoothL1Loss(predictions, targets, { reduction: 'none' });
        const loss = targetMean(perElement, m.target);
        const perImage = (mask: NdArray) => np.stopGradient(np.mean(np.sum(mask, -1)));
        return [loss, { state: net.next(state, {}), metrics: { numContext: perImage(m.context), numTargets: perImage(m.target) } }];
      },
      embed(params, state, images) {
        checkBatch(images, 'images', 'ijepa.embed');
        return scope(() => np.stopGradient(np.mean(encode({ params: params.encoder, state: state.encoder }, images), 1)));
      },
    };
  },
});
