/**
 * DirectCLR: `directClr(h1 [N, D], h2 [N, D], { dim = 360, temperature = 0.1, axisName? })` -> scalar.
 *
 * Source: the seed's `methods/directclr.py` is a placeholder, so this follows the paper's code
 * (Jing et al. 2022, facebookresearch/directclr `main.py`, mode "directclr"): no projector, the
 * symmetric InfoNCE of the first `dim` features of the two views' representations,
 * ```
 * z1 = h1[:, :dim],  z2 = h2[:, :dim]
 * loss = infoNCE(z1, z2) / 2 + infoNCE(z2, z1) / 2,   infoNCE(a, c) = CE(norm(a) norm(c)^T / T, arange(N))
 * ```
 * With `axisName`, as the paper's `gather_from_all` under DDP: every member's candidates are
 * gathered (see ./info-nce.ts; the paper also gathers the anchors, which gives every member the
 * whole batch's loss, the same mean). The paper's online linear classifier on labels is left out
 * (a probe, not part of the objective's gradient on the encoder: it reads `r1.detach()`).
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { pairOfViews, positiveTemperature } from './checks.js';
import { infoNce } from './info-nce.js';

export interface DirectClrOptions {
  /** How many leading features enter the loss (the paper's `--dim`, default 360). */
  readonly dim?: number;
  /** Softmax temperature (the paper's 0.1). */
  readonly temperature?: number | NdArray;
  /** The batch is sharded over this named axis: candidates from every member (see the module notes). */
  readonly axisName?: string;
}

/**
 * The symmetric InfoNCE of the first `dim` features of two views' representations.
 * @example const loss = directClr(h1, h2, { dim: 360 });
 */
export function directClr(h1: NdArray, h2: NdArray, { dim = 360, temperature = 0.1, axisName }: DirectClrOptions = {}): NdArray {
  const [n, d] = pairOfViews(h1, h2, 'directClr', ['h1', 'h2']);
  if (!Number.isInteger(dim) || dim < 1 || dim > d) throw new Error(`directClr: dim must be an integer in [1, ${d}] (the representations' width), got ${dim}`);
  positiveTemperature(temperature, 'directClr');
  const [z1, z2] = [h1, h2].map((h) => (dim === d ? h : np.sliceAxis(h, 1, 0, dim)));
  const targets = np.arange(0, n, 1, 'int32');
  const one = (a: NdArray, c: NdArray) => infoNce(a, c, targets, { temperature, axisName });
  return np.div(np.add(one(z1, z2), one(z2, z1)), 2);
}
