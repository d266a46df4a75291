/**
 * The commonest composition: two views, each on its own, through encoder + projector, and a
 * loss of the two projections (SimCLR, VICReg, Barlow Twins, and new variants).
 */
import type { NdArray } from '../../core/index.js';
import type { Method } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, mlpHead } from './head.js';
import { type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

/**
 * A method's functions from its configuration and a loss of the projections `(z1, z2)`; the
 * loss gets the step's `axisName` (see `LossContext.axisName`) to pass on.
 * @example build: (c) => projectedPair('simclr', c, (z1, z2, axisName) => ntXent(z1, z2, { temperature: c.temperature, axisName }))
 */
export function projectedPair(
  name: string,
  c: EncoderSettings & { readonly projector: HeadConfig },
  loss: (z1: NdArray, z2: NdArray, axisName: string | undefined) => NdArray,
): Omit<Method<Params, NetState, ViewsBatch>, 'name' | 'config'> {
  const enc = encoderOf(c, name);
  const net = network({ name, stages: { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector) } });
  return {
    ...net.parts,
    loss(params, state, batch, { key, axisName } = {}) {
      net.checkState(state);
      const { outputs, state: s } = encodeViews(net.chain(), params, state, twoViews(batch, name), { train: true, key, axisName });
      const [z1, z2] = outputs.projector;
      return [loss(z1, z2, axisName), { state: net.next(state, s), metrics: {} }];
    },
  };
}
