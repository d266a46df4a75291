/**
 * SALT (Li et al. 2025, "Rethinking JEPA: Compute-Efficient Video SSL with Frozen Teachers"),
 * stage 2, as stable-pretraining's `methods/salt.py` builds it: a student learns to predict a
 * FROZEN teacher's latents (the teacher typically a stage-1 MAE's encoder, {@link saltFromCheckpoint}):
 *
 * - masks (the seed's `multi_block_mask`, ./multi-block-mask.ts): a context block and `numTargets`
 *   target blocks shared by the batch; the targets their union, the context its block minus them;
 * - teacher (the seed's `EvalOnly(MaskedEncoder)`, no gradient, never updated): every patch with the
 *   class token, the blocks and the final norm; the targets its patch tokens at the target patches;
 * - student (a `MaskedEncoder`, the seed's `_encode`): patch embeddings plus their position
 *   embedding, the context patches only, after the class token; the blocks and the final norm;
 * - predictor (the seed's `FlexibleTransformer` in joint-attention mode with `add_mask_token`, as
 *   I-JEPA's, ./jepa-parts.ts): the student's context patch tokens through `context_proj`, one
 *   learned `mask_token` per target patch, each plus a fixed 2-D sine-cosine position embedding,
 *   `predictorDepth` pre-norm blocks, `final_norm`, `output_proj` back to the encoder's width;
 * - loss: L1 of the predictions to the targets, averaged over target patches and features.
 *
 * The seed gathers the context and target tokens into sequences whose lengths change with every
 * draw; here every sequence keeps all L patches and attention ignores the others (a key padding
 * mask): the seed's numbers up to float rounding, one trace under `jit`.
 *
 * The teacher is state (`state.teacher`: `{ params: { encoder }, state: { encoder } }`), as the
 * library's other teachers, so no optimiser sees it; no `afterUpdate` moves it. `init` draws it as
 * the seed does without `teacher_state_dict` (its own random encoder, not the student's copy).
 *
 * Defaults are the seed's `SALT`: `vit_tiny_patch16_224`, predictor 384 wide, 12 blocks, 16 heads,
 * 4 targets of scale [0.15, 0.2] and aspect ratio [0.75, 1.5], a context block of scale [0.85, 1]
 * and aspect ratio [1, 1]. Initialisation is the encoders' and layers' own (the seed has no
 * `_fix_init_weight` here). The ViT must have no registers (the patch tokens follow the class token).
 *
 * Batches: `{ images }` (or `{ view1 }` / `{ globalViews }`: the first view), optionally with
 * `contextIdx` [N, Kc] and `targetIdx` [N, Kt] (int patch indices, row-major over the grid, the
 * seed's `ctx_idx_batch` / `tgt_idx_batch`) to replay a run of the seed; otherwise the step's key
 * draws the masks. Metrics: `numContext`, `numTargets` (patches per image). `embed` is the seed's
 * evaluation forward: the student's class token on every patch. The loss couples no samples (masks
 * drawn from one key are the same on every member of an axis). State dicts are the seed's module:
 * `teacher.backbone.{vit,patch_embed}.*`, `student.{vit,patch_embed}.*` (the patch embedding
 * registered twice, as by the seed's `MaskedEncoder`), `predictor.*` (with its `pos_embed` buffer
 * and `mask_token`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { tensorsIn } from '../../util/tensors.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveInt } from '../codecs.js';
import { type Method, type MethodVariables, defineMethod } from '../method.js';
import { type TorchStateDict, readTorchDict } from '../torch-dict.js';
import { type IndexedBatch, type Range, imagesAndIndices, jepaPredictor, maskedEncoderLayer, masksOfBatch, range, targetMean } from './jepa-parts.js';
import { vitOf } from './mim.js';
import { contextAndTargets, contextTargetProblem } from './multi-block-mask.js';
import { ENCODER_PROPS, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface SaltConfig extends EncoderSettings {
  readonly predictorEmbedDim: number;
  readonly predictorDepth: number;
  readonly predictorNumHeads: number;
  readonly numTargets: number;
  /** [min, max] fraction of the patches in the context block, within (0, 1]. */
  readonly contextScale: Range;
  /** [min, max] fraction of the patches in each target block, within (0, 1]. */
  readonly targetScale: Range;
  /** [min, max] aspect ratio (height over width) of the context block, > 0. */
  readonly contextAspectRatio: Range;
  /** [min, max] aspect ratio (height over width) of each target block, > 0. */
  readonly targetAspectRatio: Range;
}

/** A batch for SALT: images (one view) and, optionally, the seed's context and target patch indices. */
export type SaltBatch = IndexedBatch;

const codec = strictPartial(
  {
    ...ENCODER_PROPS,
    predictorEmbedDim: positiveInt,
    predictorDepth: positiveInt,
    predictorNumHeads: positiveInt,
    numTargets: positiveInt,
    contextScale: range,
    targetScale: range,
    contextAspectRatio: range,
    targetAspectRatio: range,
  },
  'a SALT configuration object',
);

function check(c: SaltConfig): string | null {
  const p = contextTargetProblem(c);
  if (p) return p;
  if (c.predictorEmbedDim % 4) return `at .predictorEmbedDim expected a multiple of 4 (the 2-D sine-cosine position embedding), got ${c.predictorEmbedDim}`;
  if (c.predictorEmbedDim % c.predictorNumHeads) return `at .predictorEmbedDim expected a multiple of predictorNumHeads ${c.predictorNumHeads}, got ${c.predictorEmbedDim}`;
  return null;
}

/** The encoder as SALT's module holds it (the seed's `MaskedEncoder` layout) and its patch grid side, or a one-line error. */
function saltEncoder(c: SaltConfig) {
  const { enc, dim, imgSize, patchSize } = vitOf(c, 'salt');
  const g = Math.floor(imgSize / patchSize);
  // The seed's blocks are at most (g - 1) x (g - 1): a grid of side 1 has no target.
  if (g < 2) throw new Error(`salt: the patch grid must be at least 2x2 (blocks span at most side - 1 patches), got ${g}x${g} (imgSize ${imgSize}, patchSize ${patchSize})`);
  return { enc, layer: maskedEncoderLayer(enc), dim, imgSize, patchSize, g };
}

const TEACHER = 'teacher.backbone.';

export const salt = defineMethod<SaltConfig, Params, NetState, SaltBatch>({
  name: 'salt',
  codec,
  defaults: {
    encoder: 'vit_tiny_patch16_224',
    encoderOptions: {},
    embedDim: null,
    predictorEmbedDim: 384,
    predictorDepth: 12,
    predictorNumHeads: 16,
    numTargets: 4,
    contextScale: [0.85, 1],
    targetScale: [0.15, 0.2],
    contextAspectRatio: [1, 1],
    targetAspectRatio: [0.75, 1.5],
  },
  check,
  build(c) {
    const { enc, layer, dim, imgSize, patchSize, g } = saltEncoder(c);
    const pred = jepaPredictor({ inDim: dim, dim: c.predictorEmbedDim, outDim: dim, depth: c.predictorDepth, heads: c.predictorNumHeads, grid: [g, g] }, 'salt');
    const net = network({
      name: 'salt',
      stages: { encoder: layer, predictor: pred.layer },
      torchNames: { encoder: 'student' },
      extraTorch: {
        write: (state, out) => layer.toTorch({ params: state.teacher!.params.encoder, state: state.teacher!.state.encoder }, TEACHER, out),
        read: (r) => {
          const v = layer.fromTorch(r, TEACHER);
          return { teacher: { params: { encoder: v.params }, state: { encoder: v.state } } };
        },
      },
    });
    /** Every token [N, 1 + L, D] of an encoder on `images` (`opts` reach the blocks). */
    const encode = (params: Params, state: Params, images: NdArray, opts: Record<string, unknown> = {}) => enc.encodeTokens(params, state, enc.patchTokens(params, state, images), opts);
    const patches = (tokens: NdArray) => np.sliceAxis(tokens, 1, 1, null);

    return {
      ...net.parts,
      init(key) {
        return scope(() => {
          const [kt, kn] = random.split(key);
          const v = net.init(kn);
          const t = layer.init(kt);
          return { params: v.params, state: { ...v.state, teacher: { params: { encoder: t.params }, state: { encoder: t.state } } } };
        });
      },
      loss(params, state, batch, { key } = {}) {
        net.checkState(state, ['teacher']);
        const { images, ...idx } = imagesAndIndices(batch, 'salt');
        const n = np.shape(images)[0];
        const [gh, gw] = np.shape(images).slice(1, 3).map((x) => Math.floor(x / patchSize));
        if (gh !== g || gw !== g) throw new Error(`salt: expected ${imgSize}x${imgSize} images (${g}x${g} patches: the predictor's position embedding is fixed), got ${shapeStr(np.shape(images))}`);
        const [maskKey, dropKey] = key === undefined ? [undefined, undefined] : random.split(key);
        const m = masksOfBatch('salt', n, pred.numPatches, idx, maskKey, (k) => contextAndTargets(k, n, g, g, c));
        const t = state.teacher!;
        const targets = np.stopGradient(patches(encode(t.params.encoder, t.state.encoder, images)));
        // The class token is always seen; a patch outside the context is padding.
        const keyPaddingMask = np.concatenate([np.zeros([n, 1], 'bool'), np.equal(m.context, 0)], 1);
        const context = patches(encode(params.encoder, state.encoder, images, { train: true, key: dropKey, keyPaddingMask }));
        const predictions = pred.predict(params.predictor, state.predictor, context, m);
        const loss = targetMean(np.abs(np.sub(predictions, targets)), m.target);
        const perImage = (mask: NdArray) => np.stopGradient(np.mean(np.sum(mask, -1)));
        return [loss, { state: net.next(state, {}), metrics: { numContext: perImage(m.context), numTargets: perImage(m.target) } }];
      },
    };
  },
});

/** A stage-1 checkpoint for SALT's teacher: a seed state dict, or the variables of `ssl.methods.mae` (`params.encoder`, `state.encoder`). */
export type SaltStage1 = TorchStateDict | MethodVariables<Params, Params>;

/** Whether `s` is a method's variables (else a state dict); a one-line error when they lack the encoder. */
function isVariables(s: SaltStage1): s is MethodVariables<Params, Params> {
  if (typeof s !== 'object' || s === null || !('params' in s && 'state' in s) || s.params instanceof tf.Tensor) return false;
  const v = s as MethodVariables<Params, Params>;
  if (v.params?.encoder === undefined || v.state?.encoder === undefined) throw new Error("salt.fromCheckpoint: stage-1 variables must hold params.encoder and state.encoder (an MAE's), got params with " + (Object.keys(v.params ?? {}).join(', ') || 'nothing'));
  return true;
}

/** `f()`, its error prefixed `salt.fromCheckpoint: ` (and `what`). */
function named<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`salt.fromCheckpoint: ${what}${(e as Error).message.replace(/^loadTorchStateDict: /, '')}`);
  }
}

/** The teacher `{ params: { encoder }, state: { encoder } }` from a stage-1 state dict: its `encoder.*` entries (an MAE's; the rest dropped), else the whole dict (a `MaskedEncoder`'s own). */
function teacherFromDict(c: SaltConfig, dict: TorchStateDict, what = ''): { params: Params; state: Params } {
  const { layer } = saltEncoder(c);
  return readTorchDict(dict, 'salt.fromCheckpoint', (d) => {
    const prefix = Object.keys(d).some((k) => k.startsWith('encoder.')) ? 'encoder.' : '';
    const r = new nn.TorchReader(d);
    const v = named(what, () => layer.fromTorch(r, prefix));
    const unused = Object.keys(d).filter((k) => k.startsWith(prefix) && !r.used.has(k));
    if (unused.length) {
      tf.dispose(tensorsIn(v));
      throw new Error(`salt.fromCheckpoint: ${what}entries not used by the teacher: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''}`);
    }
    return { params: { encoder: v.params }, state: { encoder: v.state } };
  });
}

/**
 * SALT's variables with the frozen teacher from a stage-1 checkpoint (the seed's `SALT.from_checkpoint`): the teacher's encoder
 * from `stage1` (a seed MAE state dict, whose `encoder.*` entries are taken and the decoder's dropped; a `MaskedEncoder` state dict
 * without that prefix; or the variables of `ssl.methods.mae` with the same encoder), the student and the predictor fresh from `key`.
 * Every entry the teacher reads must be there with its shape, and none left over (the seed's strict load).
 * @example const { params, state } = ssl.methods.saltFromCheckpoint(salt, mae.toTorch(stage1.params, stage1.state), random.key(1));
 */
export function saltFromCheckpoint(method: Method<Params, NetState, SaltBatch, SaltConfig>, stage1: SaltStage1, key: NdArray): MethodVariables<Params, NetState> {
  if (method?.name !== 'salt') throw new Error(`salt.fromCheckpoint: expected a method made by ssl.methods.salt, got ${method?.name === undefined ? typeof method : `'${method.name}'`}`);
  let teacher: { params: Params; state: Params };
  if (isVariables(stage1)) {
    // Through the seed's layout, so the shapes are checked against SALT's encoder and the teacher owns copies.
    const dict: nn.TorchDict = {};
    const what = "the stage-1 variables do not fit SALT's encoder: ";
    try {
      named(what, () => saltEncoder(method.config).layer.toTorch({ params: stage1.params.encoder, state: stage1.state.encoder }, '', dict));
      teacher = teacherFromDict(method.config, dict as Record<string, tf.Tensor>, what);
    } finally {
      tf.dispose(Object.values(dict) as tf.Tensor[]);
    }
  } else teacher = teacherFromDict(method.config, stage1);
  const fresh = method.init(key);
  tf.dispose(tensorsIn(fresh.state.teacher));
  return { params: fresh.params, state: { ...fresh.state, teacher } };
}
