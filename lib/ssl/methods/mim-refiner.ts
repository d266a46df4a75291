/**
 * MIM-Refiner (Lehner et al. 2024, "MIM-Refiner: A Contrastive Learning Boost from Pre-Trained
 * Vision Models") as stable-pretraining's `methods/mim_refiner.py` builds it: iBOT (./ibot.ts,
 * its loss, heads, masks, teacher, batches, metrics, embedding and state dicts unchanged) started
 * from a MIM-pretrained encoder (MAE, SimMIM, data2vec, ...), with what the seed's wrapper adds:
 *
 * - `pretrainedEncoder`: the encoder's weights, which `init` gives the student AND the EMA teacher
 *   (the seed's `iBOT(encoder_name=pretrained_encoder)`: the wrapper's teacher is its warm copy);
 *   the heads and the `mask_token` are fresh from the key. Either the encoder's variables
 *   `{ params, state }` (e.g. SimMIM's `params.encoder` and `state.encoder`) or its state dict in
 *   timm's names (e.g. a safetensors file of a timm ViT); `init` copies them (the caller keeps
 *   its own). The seed requires one; null here starts from a fresh encoder (iBOT from scratch);
 * - `freezeLowerBlocks`: the student's first k transformer blocks are frozen (the seed sets their
 *   `requires_grad` to False): no gradient reaches them (zero in `lossAndGrad`), and `afterUpdate`
 *   keeps their values from before the optimiser's update (PyTorch's SGD skips parameters without
 *   a gradient: no weight decay, no momentum), then runs iBOT's teacher EMA, so the teacher's
 *   copies of those blocks stay the pretrained ones. At most the encoder's depth (the seed would
 *   silently freeze every block).
 *
 * Defaults are the seed's: iBOT's (the seed forwards `**ibot_kwargs`), `freezeLowerBlocks` 0.
 * State dicts are iBOT's (the seed's `MIMRefiner` is an `iBOT`): `backbone.*`, `cls_head.*`,
 * `patch_head.*`, `mask_token`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as tree from '../../tree/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { tensorsIn } from '../../util/tensors.js';
import { nonNegativeInt, nullable, refined } from '../codecs.js';
import { type MethodVariables, type StepVariables, defineMethod } from '../method.js';
import { IBOT_DEFAULTS, IBOT_PROPS, type IbotBatch, type IbotConfig, ibotBody } from './ibot.js';
import { vitOf } from './mim.js';
import type { NetState, Params } from './network.js';

/** An encoder's weights: its variables, or its state dict in timm's names. */
export type PretrainedEncoder = { readonly params: Params; readonly state: Params } | Readonly<Record<string, tf.Tensor>>;

export interface MimRefinerConfig extends IbotConfig {
  /** The MIM-pretrained encoder that `init` starts the student and the teacher from; null: a fresh one (the seed requires one). */
  readonly pretrainedEncoder: PretrainedEncoder | null;
  /** How many of the student's first transformer blocks stay frozen. */
  readonly freezeLowerBlocks: number;
}

/** A MIM-Refiner batch: iBOT's. */
export type MimRefinerBatch = IbotBatch;

const isVariables = (u: Record<string, unknown>): boolean => Object.keys(u).length === 2 && tree.isPlainObject(u.params) && tree.isPlainObject(u.state);
const pretrainedCodec = refined(
  "an encoder's variables { params, state } or its state dict (names -> tensors)",
  (u): u is PretrainedEncoder => tree.isPlainObject(u) && (isVariables(u) || (Object.keys(u).length > 0 && Object.values(u).every((v) => v instanceof tf.Tensor))),
);

/** Fresh copies of the pretrained encoder's variables, through the encoder's state-dict reader (its names and shapes checked); else a one-line error. */
function loadPretrained(enc: nn.Layer, given: PretrainedEncoder): MethodVariables<Params, Params> {
  const made: Record<string, tf.Tensor> = {};
  try {
    const dict = isVariables(given as Record<string, unknown>) ? (enc.toTorch(given as MethodVariables<Params, Params>, '', made as nn.TorchDict), made) : (given as Readonly<Record<string, tf.Tensor>>);
    const r = new nn.TorchReader(dict);
    const v = enc.fromTorch(r, '');
    const unused = Object.keys(dict).filter((k) => !r.used.has(k));
    if (unused.length) {
      tf.dispose(tensorsIn(v));
      throw new Error(`entries not used by the encoder: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''}`);
    }
    return v;
  } catch (e) {
    throw new Error(`mimRefiner config: at .pretrainedEncoder ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(made));
  }
}

export const mimRefiner = defineMethod<MimRefinerConfig, Params, NetState, MimRefinerBatch>({
  name: 'mimRefiner',
  codec: strictPartial({ ...IBOT_PROPS, pretrainedEncoder: nullable(pretrainedCodec), freezeLowerBlocks: nonNegativeInt }, 'a MIM-Refiner configuration object'),
  defaults: { ...IBOT_DEFAULTS, pretrainedEncoder: null, freezeLowerBlocks: 0 },
  build(c) {
    const body = ibotBody(c, 'mimRefiner');
    const { enc } = vitOf(c, 'mimRefiner', { registers: true });
    const k = c.freezeLowerBlocks;
    const depth = (enc.options as { depth?: number }).depth;
    if (k > 0 && depth === undefined) throw new Error('mimRefiner config: at .freezeLowerBlocks the encoder does not say its depth (options.depth, as nn.vit does), so no block can be frozen');
    if (depth !== undefined && k > depth) throw new Error(`mimRefiner config: at .freezeLowerBlocks expected at most the encoder's ${depth} blocks, got ${k}`);
    /** The encoder's parameters with block i < k replaced by `pick(i)`. */
    const withFrozen = (params: Params, pick: (i: number, block: Params) => Params): Params =>
      k === 0 ? params : { ...params, encoder: { ...params.encoder, blocks: (params.encoder.blocks as Params[]).map((b, i) => (i < k ? pick(i, b) : b)) } };
    const emaTeacher = body.afterUpdate!;
    return {
      ...body,
      init(key) {
        const v = body.init(key);
        if (c.pretrainedEncoder === null) return v;
        const student = loadPretrained(enc, c.pretrainedEncoder);
        const teacher = tree.map<MethodVariables<Params, Params>>((x: tf.Tensor) => tf.clone(x), student);
        const t = v.state.teacher!;
        tf.dispose(tensorsIn([v.params.encoder, v.state.encoder, t.params.encoder, t.state.encoder]));
        return {
          params: { ...v.params, encoder: student.params },
          state: { ...v.state, encoder: student.state, teacher: { params: { ...t.params, encoder: teacher.params }, state: { ...t.state, encoder: teacher.state } } },
        };
      },
      loss: (params, state, batch, ctx) => body.loss(withFrozen(params, (_, b) => tree.map(np.stopGradient, b)), state, batch, ctx),
      afterUpdate<O>(after: StepVariables<Params, NetState, O>, before: StepVariables<Params, NetState, O>): StepVariables<Params, NetState, O> {
        // The frozen blocks as they were (the seed's optimiser never touches them), then iBOT's teacher EMA.
        return emaTeacher({ ...after, params: withFrozen(after.params, (i) => before.params.encoder.blocks[i]) }, before);
      },
    };
  },
});
