/**
 * LeJEPA's loss and its SIGReg regulariser (the sliced Epps-Pulley test of normality):
 * `eppsPulley`, `slicedEppsPulley`, `sigreg(x, key, opts)`, `lejepa(views, numGlobal, key, opts)`.
 *
 * Source: stable-pretraining `methods/lejepa.py` (`EppsPulley`, `SlicedEppsPulley`,
 * `LeJEPA._compute_loss`), defaults `t_max` 3, `n_points` 17, `num_slices` 1024, `lamb` 0.02:
 * ```
 * t = linspace(0, tMax, nPoints), dt = tMax / (nPoints - 1), phi = exp(-t^2 / 2)
 * w = [dt, 2dt, ..., 2dt, dt] * phi                          (trapezoid on [0, tMax], doubled for [-tMax, tMax])
 * eppsPulley(x [N, S]) = ((mean_n cos(x t) - phi)^2 + (mean_n sin(x t))^2) @ w * N      -> [S]
 * A = randn(D, S) / |column|;  slicedEppsPulley(x [N, D]) = mean_s eppsPulley(x A)
 * lejepa: c = mean over the global views of z_v [N, K];  invariance = mean_{v,n,k} (c - z_v)^2
 *         loss = invariance + lamb * slicedEppsPulley(all views' rows [V N, K])
 * ```
 * Randomness: the seed draws `A` from a `torch.Generator` seeded with its step counter (so every
 * DDP rank draws the same directions); here `A = random.normal(key, [D, S])` from the key argument
 * (`sigreg`, `lejepa`), or given (`slicedEppsPulley`). Give every member of an axis the same key.
 *
 * With `axisName` (the batch sharded over a named axis), as the seed under DDP: the empirical
 * characteristic function (`mean_n cos`, `mean_n sin`, [S, nPoints]) is averaged over the members
 * (`pmean`, the seed's `all_reduce(AVG)`) and the statistic scaled by the whole batch's size, so
 * every member's SIGReg is the whole batch's; the invariance term stays a mean over local rows.
 */
import { type NdArray, axisSize, pmean, shapeStr } from '../../core/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { matrix } from './checks.js';

export interface EppsPulleyOptions {
  /** Upper end of the integration grid (the seed's `t_max`, default 3). */
  readonly tMax?: number;
  /** Nodes of the trapezoid rule on [0, tMax], odd (the seed's `n_points`, default 17). */
  readonly nPoints?: number;
  /** The batch is sharded over this named axis: the whole batch's statistic (see the module notes). */
  readonly axisName?: string;
}

export interface SigregOptions extends EppsPulleyOptions {
  /** Random directions the embeddings are projected on (the seed's `num_slices`, default 1024). */
  readonly numSlices?: number;
}

export interface LejepaOptions extends SigregOptions {
  /** Weight of SIGReg (the seed's `lamb`, default 0.02). */
  readonly lamb?: number;
}

export interface LejepaResult {
  readonly loss: NdArray;
  readonly invariance: NdArray;
  readonly sigreg: NdArray;
}

/** The grid t [P] and the quadrature weights w * phi [P], and phi [P], as the seed's buffers. */
function grid(tMax: number, nPoints: number): { t: NdArray; phi: NdArray; weights: NdArray } {
  if (!(Number.isFinite(tMax) && tMax > 0)) throw new Error(`eppsPulley: tMax must be a finite number > 0, got ${tMax}`);
  if (!(Number.isInteger(nPoints) && nPoints >= 3 && nPoints % 2 === 1)) throw new Error(`eppsPulley: nPoints must be an odd integer >= 3, got ${nPoints}`);
  const dt = tMax / (nPoints - 1);
  const t = Array.from({ length: nPoints }, (_, i) => i * dt);
  const phi = t.map((v) => Math.exp(-0.5 * v * v));
  const weights = phi.map((p, i) => (i === 0 || i === nPoints - 1 ? dt : 2 * dt) * p);
  return { t: np.array(t), phi: np.array(phi), weights: np.array(weights) };
}

/**
 * The Epps-Pulley statistic of each column of `x` [N, S] against the standard normal: [S].
 * @example const perSlice = eppsPulley(np.matmul(z, directions));
 */
export function eppsPulley(x: NdArray, { tMax = 3, nPoints = 17, axisName }: EppsPulleyOptions = {}): NdArray {
  const [n] = matrix(x, 'eppsPulley', 'x');
  const { t, phi, weights } = grid(tMax, nPoints);
  const xt = np.mul(np.expandDims(x, -1), t);
  const mean = (v: NdArray) => (axisName === undefined ? np.mean(v, 0) : pmean(np.mean(v, 0), axisName));
  const err = np.add(np.square(np.sub(mean(np.cos(xt)), phi)), np.square(mean(np.sin(xt))));
  const size = axisName === undefined ? n : n * axisSize(axisName, 'eppsPulley');
  return np.mul(np.matmul(err, weights), size);
}

/**
 * The mean Epps-Pulley statistic of `x` [N, D] projected on the unit columns of `directions` [D, S]
 * (normalised here, as the seed does).
 * @example const s = slicedEppsPulley(z, random.normal(key, [z.shape[1], 1024]));
 */
export function slicedEppsPulley(x: NdArray, directions: NdArray, opts: EppsPulleyOptions = {}): NdArray {
  const [, d] = matrix(x, 'slicedEppsPulley', 'x');
  const [dd] = matrix(directions, 'slicedEppsPulley', 'directions');
  if (dd !== d) throw new Error(`slicedEppsPulley: directions must be [${d}, slices] for x of width ${d}, got ${shapeStr(np.shape(directions))}`);
  const unit = np.stopGradient(np.div(directions, np.sqrt(np.sum(np.square(directions), 0, true))));
  return np.mean(eppsPulley(np.matmul(x, unit), opts));
}

/**
 * SIGReg: the sliced Epps-Pulley statistic of `x` [N, D] on `numSlices` directions drawn from `key`.
 * @example const reg = sigreg(z, random.key(step), { numSlices: 1024 });
 */
export function sigreg(x: NdArray, key: NdArray, { numSlices = 1024, ...opts }: SigregOptions = {}): NdArray {
  const [, d] = matrix(x, 'sigreg', 'x');
  if (!(Number.isInteger(numSlices) && numSlices >= 1)) throw new Error(`sigreg: numSlices must be a positive integer, got ${numSlices}`);
  return slicedEppsPulley(x, random.normal(key, [d, numSlices]), opts);
}

/**
 * LeJEPA's loss of the views' projections (global views first, each [N, K]): invariance to the
 * global views' mean plus `lamb` times SIGReg of every view's rows, with directions from `key`.
 * @example const { loss } = lejepa([z1, z2, z3], 2, key);
 */
export function lejepa(views: readonly NdArray[], numGlobal: number, key: NdArray, { lamb = 0.02, ...opts }: LejepaOptions = {}): LejepaResult {
  if (views.length === 0) throw new Error('lejepa: expected at least one view, got none');
  if (!(Number.isFinite(lamb) && lamb >= 0)) throw new Error(`lejepa: lamb must be a finite number >= 0, got ${lamb}`);
  if (!(Number.isInteger(numGlobal) && numGlobal >= 1 && numGlobal <= views.length)) throw new Error(`lejepa: numGlobal must be an integer in [1, ${views.length}] (the global views come first), got ${numGlobal}`);
  const [n, k] = matrix(views[0], 'lejepa', 'views[0]');
  views.forEach((v, i) => {
    const s = matrix(v, 'lejepa', `views[${i}]`);
    if (s[0] !== n || s[1] !== k) throw new Error(`lejepa: every view must be [${n}, ${k}] as views[0], got ${shapeStr(s)} at views[${i}]`);
  });
  const all = np.stack([...views], 0);
  const centers = np.mean(np.sliceAxis(all, 0, 0, numGlobal), 0);
  const invariance = np.mean(np.square(np.sub(centers, all)));
  const reg = sigreg(np.reshape(all, [views.length * n, k]), key, opts);
  return { loss: np.add(invariance, np.mul(lamb, reg)), invariance, sigreg: reg };
}
