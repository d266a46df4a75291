/**
 * SwAV's projection head: Linear - BatchNorm1d - ReLU - Linear - L2 normalise
 * (stable-pretraining's `_projector`, facebookresearch/swav's `projection_head`), as an
 * `nn` layer. With `batchNorm: false`: Linear - ReLU - Linear - L2 normalise.
 *
 * PyTorch names follow `nn.Sequential`: `0` (Linear), `1` (BatchNorm1d), `2` (ReLU),
 * `3` (Linear), `4` (L2Norm); without BatchNorm `0`, `1` (ReLU), `2`, `3`.
 * BatchNorm uses PyTorch's momentum convention (0.1 = weight of the new batch).
 */
import * as nn from '../../nn/index.js';

export interface ProjectorConfig {
  /** Input width (the encoder's embedding dimension). */
  readonly in: number;
  /** Hidden width (the seed's projector_dims[0], default 2048 there). */
  readonly hiddenDim: number;
  /** Output width (projector_dims[1], default 128 there). */
  readonly outDim: number;
  /** BatchNorm after the first Linear (default true). */
  readonly batchNorm?: boolean;
  /** BatchNorm momentum, PyTorch convention (default 0.1). */
  readonly bnMomentum?: number;
  /** BatchNorm epsilon (default 1e-5). */
  readonly bnEps?: number;
}

/**
 * The projection head as an (init, apply) layer: [N, in] -> [N, outDim], rows of unit length.
 * @example
 * const head = projector({ in: 512, hiddenDim: 2048, outDim: 128 });
 * const { params, state } = head.init(random.key(0));
 * const [z, state2] = head.apply(params, state, h, { train: true });
 */
export function projector(config: ProjectorConfig): nn.Layer {
  const bn = config.batchNorm ?? true;
  return nn.sequential([
    nn.linear({ in: config.in, out: config.hiddenDim }),
    ...(bn ? [nn.batchNorm({ features: config.hiddenDim, momentum: config.bnMomentum ?? 0.1, eps: config.bnEps ?? 1e-5 })] : []),
    nn.relu(),
    nn.linear({ in: config.hiddenDim, out: config.outDim }),
    nn.l2Normalize(),
  ]);
}
