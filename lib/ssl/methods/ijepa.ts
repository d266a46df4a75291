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
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as F from '../../nn/functional.js';
import { smoothL1Loss } from '../../nn/torch-losses.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nullable, oneOf, positiveInt } from '../codecs.js';
import { defineMethod } from '../method.js';
import { checkBatch } from '../views.js';
import { type MultiBlockOptions, multiBlockMasks } from './ijepa-masks.js';
import { type IndexedBatch, imagesAndIndices, jepaPredictor, maskedEncoderLayer, masksOfBatch, range, targetMean } from './jepa-parts.js';
import { vitOf } from './mim.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface IjepaConfig extends EncoderSettings, EmaSettings, Omit<MultiBlockOptions, 'attempts'> {
  readonly predictorEmbedDim: number;
  readonly predictorDepth: number;
  /** The predictor's heads; null: the seed's `max(1, floor(predictorEmbedDim / 64))`. */
  readonly predictorNumHeads: number | null;
  /** 'smoothL1' (the seed's, beta 1) or 'mse'. */
  readonly lossType: 'smoothL1' | 'mse';
}

/** A batch for I-JEPA: images (one view) and, optionally, the seed's context and target patch indices. */
export type IjepaBatch = IndexedBatch;

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
    const pred = jepaPredictor({ inDim: dim, dim: c.predictorEmbedDim, outDim: dim, depth: c.predictorDepth, heads: headsOf(c), grid: [g, g] }, 'ijepa', withRescaledInit);
    const net = network({
      name: 'ijepa',
      stages: { encoder: withRescaledInit(maskedEncoderLayer(enc)), predictor: pred.layer },
      teacher: { stages: ['encoder'], ema: c },
      torchNames: { encoder: 'encoder' },
    });

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
        const { images, ...idx } = imagesAndIndices(batch, 'ijepa');
        const n = np.shape(images)[0];
        const grid = np.shape(images).slice(1, 3).map((x) => Math.floor(x / patchSize));
        if (grid[0] * grid[1] !== pred.numPatches || grid[0] !== g) throw new Error(`ijepa: expected ${imgSize}x${imgSize} images (${pred.numPatches} patches: the predictor's position embedding is fixed), got ${shapeStr(np.shape(images))}`);
        const [maskKey, dropKey] = key === undefined ? [undefined, undefined] : random.split(key);
        const m = masksOfBatch('ijepa', n, pred.numPatches, idx, maskKey, (k) => multiBlockMasks(k, n, g, g, c));
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
