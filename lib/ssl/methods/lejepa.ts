/**
 * LeJEPA (Balestriero & LeCun 2025) = multi-crop views through the encoder (the global views
 * concatenated into one batch, the local views into another) and the projector (every view's
 * features as ONE batch), then `lejepa`: the mean squared distance of every view's projection
 * to the global views' mean, plus `lamb` times SIGReg (the sliced Epps-Pulley test that the
 * projections are an isotropic Gaussian) on all of them.
 *
 * Randomness: SIGReg's `numSlices` directions come from the step's key (`LossContext.key`, the
 * train step's `key` argument; split in two, one half for the encoder's stochastic layers, the
 * other for the directions): training needs one, and a fresh one each step (the seed seeds a
 * `torch.Generator` with its step counter). Give every member of a sharded step the same key.
 *
 * Sharded over a named axis (`LossContext.axisName`): SIGReg averages the empirical
 * characteristic function over the members (see ../losses/lejepa.ts), as the seed's `all_reduce`.
 *
 * Defaults: stable-pretraining's `LeJEPA` (projector Linear(embed, 512) then its MLP
 * 512-2048-2048-512 with BatchNorm and ReLU, with biases; 1024 slices, t_max 3, 17 points,
 * lamb 0.02). The seed's default encoder `vit_base_patch16_224` is not among `nn`'s encoders:
 * `vit_small_patch16_224` (the seed's own example). State-dict layout as the seed's:
 * `projector.0` the input Linear, `projector.1.*` its `MLP` (a Dropout(0) after each
 * activation and after the last Linear, so `projector.1.4` is the second Linear).
 *
 * Batches: `{ globalViews, localViews? }` or `{ view1, view2 }` (two global views). Metrics:
 * `invariance`, `sigreg`.
 */
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, nullable, positiveInt, positiveNumber } from '../codecs.js';
import { lejepa as lejepaLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, viewsOfOneBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head, headLayers } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface LejepaConfig extends EncoderSettings {
  /** Width of the Linear before the MLP (the seed's 512); null: the MLP reads the encoder's features. */
  readonly projectorInput: number | null;
  /** The MLP (the seed's `MLP(hidden_channels=[2048, 2048, 512])`). */
  readonly projector: HeadConfig;
  /** SIGReg's random directions per step. */
  readonly numSlices: number;
  /** Upper end of the Epps-Pulley integration grid. */
  readonly tMax: number;
  /** Nodes of the integration grid (odd). */
  readonly nPoints: number;
  /** Weight of SIGReg. */
  readonly lamb: number;
}

/** The seed's `MLP` (torchvision's layout): a Dropout(0) slot after each activation and after the last Linear. */
function seedMlp(inDim: number, h: HeadConfig): nn.Layer {
  const isActivation = (l: nn.Layer) => l.kind === h.activation;
  return nn.sequential([...headLayers(inDim, h).flatMap((l) => (isActivation(l) ? [l, nn.dropout({ rate: 0 })] : [l])), nn.dropout({ rate: 0 })]);
}

/** The projector: `[Linear(encoder, projectorInput), MLP]` as the seed's, or the MLP alone. */
function projectorOf(encDim: number, c: LejepaConfig): nn.Layer {
  if (c.projectorInput === null) return seedMlp(encDim, c.projector);
  return nn.sequential([nn.linear({ in: encDim, out: c.projectorInput }), seedMlp(c.projectorInput, c.projector)]);
}

export const lejepa = defineMethod<LejepaConfig, Params, NetState, ViewsBatch>({
  name: 'lejepa',
  codec: strictPartial(
    { ...ENCODER_PROPS, projectorInput: nullable(positiveInt), projector: HeadCodec, numSlices: positiveInt, tMax: positiveNumber, nPoints: positiveInt, lamb: nonNegativeNumber },
    'a LeJEPA configuration object',
  ),
  defaults: { ...ENCODER_DEFAULTS, projectorInput: 512, projector: head([2048, 2048, 512]), numSlices: 1024, tMax: 3, nPoints: 17, lamb: 0.02 },
  check: (c) => (c.nPoints % 2 === 1 && c.nPoints >= 3 ? null : `at .nPoints expected an odd integer >= 3, got ${c.nPoints}`),
  build(c) {
    const enc = encoderOf(c, 'lejepa');
    const net = network({ name: 'lejepa', stages: { encoder: enc.layer, projector: projectorOf(enc.dim, c) } });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const parsed = viewsOfOneBatch(batch, 'lejepa');
        if (parsed === null) throw new Error('lejepa: the batch must hold views ({ globalViews, localViews } or { view1, view2 }), not { images } (use embed)');
        if (key === undefined) throw new Error("lejepa: training needs a PRNG key for SIGReg's random directions: method.loss(params, state, batch, { key }) or step(params, state, optState, batch, key)");
        const [viewsKey, slicesKey] = random.split(key);
        const global = parsed.views.slice(0, parsed.numGlobal);
        const local = parsed.views.slice(parsed.numGlobal);
        const opts = { train: true, key: viewsKey, batching: 'concat', axisName } as const;
        const g = encodeViews(net.chain(['encoder']), params, state, global, opts);
        const l = local.length ? encodeViews(net.chain(['encoder']), params, g.state, local, { ...opts, firstView: global.length }) : g;
        const features = np.concatenate([...g.outputs.encoder, ...(local.length ? l.outputs.encoder : [])], 0);
        const p = encodeViews(net.chain(['projector']), params, { ...state, ...l.state }, [features], { ...opts, firstView: parsed.views.length });
        const z = np.split(p.outputs.projector[0], parsed.views.length, 0);
        const r = lejepaLoss(z, global.length, slicesKey, { lamb: c.lamb, numSlices: c.numSlices, tMax: c.tMax, nPoints: c.nPoints, axisName });
        return [r.loss, { state: net.next(state, { ...l.state, ...p.state }), metrics: { invariance: r.invariance, sigreg: r.sigreg } }];
      },
    };
  },
});
