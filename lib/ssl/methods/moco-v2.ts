/**
 * MoCo v2 (Chen et al. 2020) = view 1 through the student's encoder + projector (queries),
 * view 2 through an EMA teacher (keys, no gradient), InfoNCE of each query against its key
 * and a queue of keys (`memory`). Queries and keys are L2-normalised; queue rows not yet
 * filled are masked out, so one trace serves every fill level.
 *
 * `queueOrder` (see ./queue.ts): `'readFirst'` (default, as in MoCo: the candidates are the
 * batch's keys and the queue of earlier keys, then the keys enter the queue) or
 * `'appendFirst'` (the seed's `MoCov2`: the keys enter the queue first, and the logits are
 * `[q.k, q @ queue^T] / T` with target 0, so each key is also its own negative).
 * `teacherEmbedsView1` (default true, the seed): the seed's forward also runs the teacher's
 * encoder on view 1 in training mode (its `embedding` output), which moves the teacher's
 * BatchNorm running statistics before the EMA; false skips that forward.
 *
 * Defaults: stable-pretraining's `MoCov2` (projector Linear-ReLU-Linear 2048-128, queue
 * 65536, temperature 0.2, EMA 0.999). The queue is part of the state dict (`queue.*`, the
 * seed's `UnsortedQueue` buffers).
 *
 * Sharded over a named axis (`LossContext.axisName`): SyncBN in student and teacher; with
 * `'readFirst'` the keys of every member are candidates (in-batch negatives as one process
 * on the whole batch has them); the queue stays per member, each pushing its own keys, as
 * the seed's under DDP (its `UnsortedQueue` appends the local keys; nothing gathers them).
 */
import { allGather, axisIndex } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { boolean, positiveInt, positiveNumber } from '../codecs.js';
import { infoNce } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type QueueOrder, freshQueue, queueForLoss, queueOrderCodec, queueTorch } from './queue.js';
import { type HeadConfig, HeadCodec, head, headOut, mlpHead } from './head.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface MocoV2Config extends EncoderSettings, EmaSettings {
  readonly projector: HeadConfig;
  readonly queueLength: number;
  readonly temperature: number;
  /** Whether the loss reads the queue before the keys enter it (default) or after (the seed). */
  readonly queueOrder: QueueOrder;
  /** The seed's extra training-mode teacher forward of view 1 (it moves the teacher's BatchNorm statistics). */
  readonly teacherEmbedsView1: boolean;
}

export const mocoV2 = defineMethod<MocoV2Config, Params, NetState, ViewsBatch>({
  name: 'mocoV2',
  codec: strictPartial({ ...ENCODER_PROPS, ...EMA_PROPS, projector: HeadCodec, queueLength: positiveInt, temperature: positiveNumber, queueOrder: queueOrderCodec, teacherEmbedsView1: boolean }, 'a MoCo v2 configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([2048, 128], { batchNorm: false }), queueLength: 65536, temperature: 0.2, queueOrder: 'readFirst', teacherEmbedsView1: true, emaStart: 0.999, emaEnd: 0.999, emaSteps: null },
  build(c) {
    const enc = encoderOf(c, 'mocoV2');
    const stages = { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector) };
    const dim = headOut(c.projector);
    const net = network({ name: 'mocoV2', stages, teacher: { stages: ['encoder', 'projector'], ema: c }, extraState: freshQueue(c.queueLength, dim), extraTorch: queueTorch(c.queueLength, dim) });
    const appendFirst = c.queueOrder === 'appendFirst';
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state, ['queue']);
        const [v1, v2] = twoViews(batch, 'mocoV2');
        const { outputs, state: s } = encodeViews(net.chain(), params, state, [v1], { train: true, key, axisName });
        const q = F.l2Normalize(outputs.projector[0]);
        const { outputs: t, teacher: afterKeys } = net.teacherForward(state, [v2], 'perView', axisName);
        const teacher = c.teacherEmbedsView1 ? net.teacherForward({ ...state, teacher: afterKeys }, [v1], 'perView', axisName, ['encoder']).teacher : afterKeys;
        const k = F.l2Normalize(t.projector[0]);
        const n = shapeOf(q)[0];
        // readFirst: every member's keys (no gradient flows into them), this member's positives in its block.
        const keys = axisName === undefined || appendFirst ? k : allGather(k, axisName, { tiled: true });
        const targets = axisName === undefined || appendFirst ? np.arange(n) : np.add(np.arange(n), np.mul(axisIndex(axisName), n));
        const { rows, valid, next } = queueForLoss(state.queue, k, c.queueOrder);
        // Candidates [keys; queue]: with readFirst every key counts, with appendFirst only the positive
        // (the other keys are in the queue already); a queue row once filled.
        const m = shapeOf(keys)[0];
        const keyMask = appendFirst ? np.logicalNot(np.cast(np.eye(n), 'bool')) : np.zeros([n, m], 'bool');
        const mask = np.concatenate([keyMask, np.broadcastTo(np.logicalNot(valid), [n, c.queueLength])], 1);
        const loss = infoNce(q, np.concatenate([keys, rows], 0), targets, { temperature: c.temperature, mask });
        return [loss, { state: net.next(state, s, { teacher, queue: next }), metrics: {} }];
      },
    };
  },
});
