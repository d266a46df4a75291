/**
 * NNCLR (Dwibedi et al. 2021) = views (each on its own) through encoder + projector +
 * predictor; each projection's positive is its nearest neighbour (cosine) in a support set
 * of past projections (`memory`), then `(ntXent(p1, nn(z2)) + ntXent(p2, nn(z1))) / 2`; the
 * first view's projections enter the support set. Until the support set holds 2 rows each
 * prediction's positive is its own view's projection (the seed's fallback).
 *
 * `queueOrder` (see ./queue.ts): `'readFirst'` (default, as in the paper: the support set is
 * read before this batch enters it) or `'appendFirst'` (the seed's `NNCLR`: z1 enters first,
 * so each z1 is its own nearest neighbour). The support set is part of the state dict
 * (`queue.*`, the seed's `UnsortedQueue` buffers).
 *
 * Sharded over a named axis (`LossContext.axisName`): NT-Xent's negatives come from every
 * member, and the support set stays per member (each holds its own shard's projections and
 * looks its neighbours up there), as the seed's queue under DDP (`UnsortedQueue` appends the
 * local batch; nothing gathers it).
 *
 * Defaults: stable-pretraining's `NNCLR` (projector 2048-2048-256 with BatchNorm at the end,
 * predictor 4096, support set 16384, temperature 0.1).
 */
import { type NdArray, stopGradient } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveInt, positiveNumber } from '../codecs.js';
import { ntXent } from '../losses/index.js';
import { nearestNeighbour } from '../memory.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type QueueOrder, freshQueue, queueForLoss, queueOrderCodec, queueTorch } from './queue.js';
import { type HeadConfig, HeadCodec, head, headOut, mlpHead, predictorMismatch } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface NnclrConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  readonly predictor: HeadConfig;
  readonly queueLength: number;
  readonly temperature: number;
  /** Whether the look-ups read the support set before z1 enters it (default) or after (the seed). */
  readonly queueOrder: QueueOrder;
}

export const nnclr = defineMethod<NnclrConfig, Params, NetState, ViewsBatch>({
  name: 'nnclr',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, predictor: HeadCodec, queueLength: positiveInt, temperature: positiveNumber, queueOrder: queueOrderCodec }, 'an NNCLR configuration object'),
  defaults: {
    ...ENCODER_DEFAULTS,
    projector: head([2048, 2048, 256], { bias: false, lastBias: false, lastNorm: 'batchNorm' }),
    predictor: head([4096, 256], { bias: false }),
    queueLength: 16384,
    temperature: 0.1,
    queueOrder: 'readFirst',
  },
  check: predictorMismatch,
  build(c) {
    const enc = encoderOf(c, 'nnclr');
    const stages = { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector), predictor: mlpHead(headOut(c.projector), c.predictor) };
    const dim = headOut(c.projector);
    const net = network({ name: 'nnclr', stages, extraState: freshQueue(c.queueLength, dim), extraTorch: queueTorch(c.queueLength, dim) });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state, ['queue']);
        const { outputs, state: s } = encodeViews(net.chain(), params, state, twoViews(batch, 'nnclr'), { train: true, key, axisName });
        const [z1, z2] = outputs.projector.map(stopGradient);
        const [p1, p2] = outputs.predictor;
        const { rows, valid, filled, next } = queueForLoss(state.queue, z1, c.queueOrder);
        const ready = np.greaterEqual(filled, 2);
        const positive = (z: NdArray, other: NdArray) => np.where(ready, nearestNeighbour(z, rows, valid), other);
        const opts = { temperature: c.temperature, axisName };
        const loss = np.div(np.add(ntXent(p1, positive(z2, z1), opts), ntXent(p2, positive(z1, z2), opts)), 2);
        return [loss, { state: net.next(state, s, { queue: next }), metrics: {} }];
      },
    };
  },
});
