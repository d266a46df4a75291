/**
 * MoCo v2 (Chen et al. 2020) = view 1 through the student's encoder + projector (queries),
 * view 2 through an EMA teacher (keys, no gradient), InfoNCE of each query against its key
 * and a queue of past keys (`memory`), then the keys enter the queue. Queries and keys are
 * L2-normalised; queue rows not yet filled are masked out, so one trace serves every fill
 * level. As in MoCo, the queue holds the keys of earlier batches (the seed appends the
 * current keys before reading it, so they appear twice there).
 *
 * Defaults: stable-pretraining's `MoCov2` (projector Linear-ReLU-Linear 2048-128, queue
 * 65536, temperature 0.2, EMA 0.999).
 *
 * Sharded over a named axis (`LossContext.axisName`): SyncBN in student and teacher, and the
 * keys of every member are candidates (in-batch negatives as one process on the whole batch
 * has them); the queue stays per member, each pushing its own keys, as the seed's under DDP
 * (its `UnsortedQueue` appends the local keys; nothing gathers them).
 */
import { allGather, axisIndex } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveInt, positiveNumber } from '../codecs.js';
import { infoNce } from '../losses/index.js';
import { initMemory, pushMemory, readMemory } from '../memory.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, HeadCodec, head, headOut, mlpHead } from './head.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface MocoV2Config extends EncoderSettings, EmaSettings {
  readonly projector: HeadConfig;
  readonly queueLength: number;
  readonly temperature: number;
}

export const mocoV2 = defineMethod<MocoV2Config, Params, NetState, ViewsBatch>({
  name: 'mocoV2',
  codec: strictPartial({ ...ENCODER_PROPS, ...EMA_PROPS, projector: HeadCodec, queueLength: positiveInt, temperature: positiveNumber }, 'a MoCo v2 configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([2048, 128], { batchNorm: false }), queueLength: 65536, temperature: 0.2, emaStart: 0.999, emaEnd: 0.999, emaSteps: null },
  build(c) {
    const enc = encoderOf(c, 'mocoV2');
    const stages = { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector) };
    const net = network({ name: 'mocoV2', stages, teacher: { stages: ['encoder', 'projector'], ema: c }, extraState: () => ({ queue: initMemory(c.queueLength, headOut(c.projector)) }) });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        const [v1, v2] = twoViews(batch, 'mocoV2');
        const { outputs, state: s } = encodeViews(net.chain(), params, state, [v1], { train: true, key, axisName });
        const q = F.l2Normalize(outputs.projector[0]);
        const { outputs: t, teacher } = net.teacherForward(state, [v2], 'perView', axisName);
        const k = F.l2Normalize(t.projector[0]);
        const n = shapeOf(q)[0];
        // Every member's keys (no gradient flows into them), this member's positives in its block.
        const keys = axisName === undefined ? k : allGather(k, axisName, { tiled: true });
        const targets = axisName === undefined ? np.arange(n) : np.add(np.arange(n), np.mul(axisIndex(axisName), n));
        const { rows, valid } = readMemory(state.queue);
        // Candidates [keys; queue]: every key counts, a queue row once filled.
        const m = shapeOf(keys)[0];
        const usable = np.concatenate([np.cast(np.ones([m]), 'bool'), valid], 0);
        const mask = np.broadcastTo(np.logicalNot(usable), [n, m + c.queueLength]);
        const loss = infoNce(q, np.concatenate([keys, rows], 0), targets, { temperature: c.temperature, mask });
        return [loss, { state: net.next(state, s, { teacher, queue: pushMemory(state.queue, k) }), metrics: {} }];
      },
    };
  },
});
