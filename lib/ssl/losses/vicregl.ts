/**
 * VICRegL's local term (Bardes et al. 2022), as stable-pretraining's `methods/vicregl.py` computes
 * it: `nearestLocations(zl1, zl2)` and `vicregLocal(zl1, zl2, opts?)` -> scalar, on the projections
 * of every location (patch token, or feature-map cell) of two views, [B, L1, D] and [B, L2, D].
 *
 * ```
 * match(b, i) = argmax_j  normalize(zl1[b, i]) . normalize(zl2[b, j])    (F.normalize, eps 1e-12;
 *                                                                        the first maximum; no gradient)
 * vicregLocal = vicreg(zl1 as [B L1, D], zl2[b, match(b, i)] as [B L1, D])   (the seed's VICRegLoss)
 * ```
 * Each location of view 1 is matched to the most similar location of the same image in view 2
 * (one direction, by features), as the seed does; the gradient flows into the matched rows of
 * `zl2`. The paper's location-based matching (by the crops' coordinates) is not the seed's and is
 * not here. With `axisName` the matching stays within each image (local) and `vicreg` gathers
 * every member's rows for its variance and covariance (see ./vicreg.ts).
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { type VicRegOptions, vicreg } from './vicreg.js';

/** The shape [B, L, D] of a batch of location projections, or an error naming `who` and `name`. */
function locations(z: NdArray, who: string, name: string): [number, number, number] {
  const s = np.shape(z);
  if (s.length !== 3) throw new Error(`${who}: ${name} must be [batch, locations, dim], got ${shapeStr(s)}`);
  return [s[0], s[1], s[2]];
}

/**
 * The rows of `zl2` [B, L2, D] nearest (by cosine) to each row of `zl1` [B, L1, D] within the same
 * image: [B, L1, D]; the choice carries no gradient, the gathered rows do.
 * @example const aligned = nearestLocations(zl1, zl2);
 */
export function nearestLocations(zl1: NdArray, zl2: NdArray, who = 'nearestLocations'): NdArray {
  const [b1, , d1] = locations(zl1, who, 'zl1');
  const [b2, , d2] = locations(zl2, who, 'zl2');
  if (b1 !== b2 || d1 !== d2) throw new Error(`${who}: zl1 and zl2 must agree in batch and dim, got ${shapeStr(np.shape(zl1))} and ${shapeStr(np.shape(zl2))}`);
  const sim = np.matmul(F.l2Normalize(np.stopGradient(zl1), -1), np.swapaxes(F.l2Normalize(np.stopGradient(zl2), -1), 1, 2));
  const nearest = np.expandDims(np.argmax(sim, -1), -1);
  return np.takeAlongAxis(zl2, nearest, 1, { mode: 'promise_in_bounds' });
}

/**
 * VICRegL's local loss: VICReg between every location of view 1 and its nearest location of view 2
 * (see the module notes); defaults are VICReg's (simCoeff 25, stdCoeff 25, covCoeff 1).
 * @example const local = vicregLocal(zl1, zl2, { axisName });
 */
export function vicregLocal(zl1: NdArray, zl2: NdArray, opts: VicRegOptions = {}): NdArray {
  const aligned = nearestLocations(zl1, zl2, 'vicregLocal');
  const [b, l, d] = locations(zl1, 'vicregLocal', 'zl1');
  return vicreg(np.reshape(zl1, [b * l, d]), np.reshape(aligned, [b * l, d]), opts);
}
