/**
 * optax.contrib's Muon (`contrib/_muon.py`): momentum whose (bias-corrected, by default Nesterov)
 * average is orthogonalised by a Newton–Schulz iteration for matrix parameters, and AdamW for the
 * others.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { Mask } from './mask.js';
import { biasCorrection, checkHyper, type Hyper, updateMoment } from './moments.js';
import { adamw } from './optimizers.js';
import { partition } from './partition.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

/** Which axes of a parameter are a matrix's input (reduction) and output axes; the others are batch axes (optax's `MuonDimensionNumbers`). */
export class MuonDimensionNumbers {
  constructor(
    readonly reductionAxis: number | readonly number[] = 0,
    readonly outputAxis: number | readonly number[] = 1,
  ) {}
}

/** Dimension numbers for every leaf: one for all, a tree (or prefix) of them with `null` for non-matrix leaves, or a function of the updates giving one. */
export type WeightDimensionNumbers = MuonDimensionNumbers | unknown | ((updates: unknown) => unknown);

/** The preconditioning before the Newton–Schulz steps. */
export type MuonPreconditioning = 'frobenius' | 'spectral' | 'aol' | 'schatten';

/** Newton–Schulz coefficients `[a, b, c]`, one triple per step, or a preset name. */
export type NsCoeffs = readonly number[] | readonly (readonly number[])[] | 'standard' | 'dion';

const NS_PRESETS: Record<'standard' | 'dion', readonly (readonly number[])[] | readonly number[]> = {
  standard: [3.4445, -4.775, 2.0315],
  dion: [
    [4.0848, -6.8946, 2.927],
    [3.9505, -6.3029, 2.6377],
    [3.7418, -5.5913, 2.3037],
    [2.8769, -3.1427, 1.2046],
    [2.8366, -3.0525, 1.2012],
  ],
};

/** The coefficient triple of each of the `nsSteps` steps (a list of triples keeps its last `nsSteps`). */
function stepCoeffs(nsCoeffs: NsCoeffs, nsSteps: number): (readonly number[])[] {
  const c = typeof nsCoeffs === 'string' ? NS_PRESETS[nsCoeffs] : nsCoeffs;
  if (c === undefined) throw new Error(`muon: unknown nsCoeffs preset ${JSON.stringify(nsCoeffs)} (expected 'standard' or 'dion')`);
  if (!Number.isInteger(nsSteps) || nsSteps < 0) throw new Error(`muon: nsSteps must be an integer >= 0, got ${nsSteps}`);
  if (typeof c[0] === 'number') {
    if (c.length !== 3) throw new Error(`muon: nsCoeffs must have shape [3] or [n, 3], got [${c.length}]`);
    return Array.from({ length: nsSteps }, () => c as readonly number[]);
  }
  const rows = c as readonly (readonly number[])[];
  if (rows.some((r) => r.length !== 3)) throw new Error(`muon: nsCoeffs must have shape [3] or [n, 3], got rows of length ${rows.map((r) => r.length).join(', ')}`);
  if (rows.length > nsSteps) throw new Error(`muon: not enough coefficient rows to perform ${nsSteps} steps, got ${rows.length}`);
  return rows.slice(-nsSteps);
}

const axesOf = (a: number | readonly number[], ndim: number): number[] => (typeof a === 'number' ? [a] : [...a]).map((x) => ((x % ndim) + ndim) % ndim);
const prod = (shape: readonly number[], axes: readonly number[]) => axes.reduce((p, a) => p * shape[a], 1);

/** The leaf as `[batch, fanIn, fanOut]`, and the inverse reshape. */
function toBatchedMatrices(x: NdArray, dims: MuonDimensionNumbers): [NdArray, (y: NdArray) => NdArray] {
  const nd = x.shape.length;
  if (nd < 2) throw new Error(`muon: optimised parameters must have rank >= 2, got shape [${x.shape}]`);
  const red = axesOf(dims.reductionAxis, nd);
  const out = axesOf(dims.outputAxis, nd);
  if (red.some((a) => out.includes(a))) throw new Error(`muon: reduction axes [${red}] and output axes [${out}] must be disjoint (shape [${x.shape}])`);
  const batch = x.shape.map((_, i) => i).filter((i) => !red.includes(i) && !out.includes(i));
  const perm = [...batch, ...red, ...out];
  const inv = perm.map((_, i) => perm.indexOf(i));
  const permuted = perm.map((a) => x.shape[a]);
  const flat = np.reshape(np.transpose(x, perm), [prod(x.shape, batch), prod(x.shape, red), prod(x.shape, out)]);
  return [flat, (y) => np.transpose(np.reshape(y, permuted), inv)];
}

const gram = (x: NdArray) => np.matmul(x, np.swapaxes(x, -1, -2));

/** One step `c0 x + (c1 A + c2 A A) x`, A = x xᵀ, on a batch of matrices. */
function nsStep(x: NdArray, a: NdArray, [c0, c1, c2]: readonly number[]): NdArray {
  const b = np.add(np.mul(c1, a), np.mul(c2, np.matmul(a, a)));
  return np.add(np.mul(c0, x), np.matmul(b, x));
}

/** The first step with AOL's (row sums of |A|) or the Schatten-4 norm's rescaling folded in. */
function preconditionedFirstStep(x: NdArray, coeffs: readonly number[], kind: 'aol' | 'schatten', eps: number): NdArray {
  const a = gram(x);
  if (kind === 'aol') {
    const s = np.expandDims(np.div(1, np.sqrt(np.clip(np.sum(np.abs(a), -1), eps, null))), -1);
    return nsStep(np.mul(x, s), np.mul(np.mul(a, s), np.swapaxes(s, -1, -2)), coeffs);
  }
  const s = np.div(1, np.sqrt(np.clip(np.sqrt(np.sum(np.square(a), [-2, -1], true)), eps, null)));
  return nsStep(np.mul(x, s), np.mul(a, np.square(s)), coeffs);
}

/**
 * The (approximate) orthogonal factor of each matrix of `x` by Newton–Schulz steps (optax's
 * `orthogonalize_via_newton_schulz`): a 2-D `x`, or any rank with `dimensionNumbers` (its other
 * axes are a batch). Matrices taller than wide are transposed for the steps.
 */
export function orthogonalizeViaNewtonSchulz(
  x: NdArray,
  nsCoeffs: NsCoeffs = 'standard',
  nsSteps = 5,
  preconditioning: MuonPreconditioning = 'frobenius',
  eps = 1e-8,
  dimensionNumbers?: MuonDimensionNumbers | null,
): NdArray {
  if (x.shape.length !== 2 && !(dimensionNumbers instanceof MuonDimensionNumbers))
    throw new Error(`orthogonalizeViaNewtonSchulz: the input must be 2-D or dimensionNumbers given, got shape [${x.shape}]`);
  if (!['frobenius', 'spectral', 'aol', 'schatten'].includes(preconditioning)) throw new Error(`orthogonalizeViaNewtonSchulz: unknown preconditioning ${JSON.stringify(preconditioning)}`);
  const coeffs = stepCoeffs(nsCoeffs, nsSteps);
  const [flat, unflat] = toBatchedMatrices(x, x.shape.length === 2 ? new MuonDimensionNumbers() : (dimensionNumbers as MuonDimensionNumbers));
  const transposed = (flat.shape[1] ?? 0) > (flat.shape[2] ?? 0);
  let m = transposed ? np.swapaxes(flat, -1, -2) : flat;
  if (preconditioning === 'frobenius') m = np.div(m, np.add(np.sqrt(np.sum(np.square(m), [-2, -1], true)), eps));
  if (preconditioning === 'spectral') m = np.div(m, np.add(np.expandDims(np.linalg.norm(m, 2, [-2, -1]), [-2, -1]), eps));
  coeffs.forEach((c, i) => {
    m = i === 0 && (preconditioning === 'aol' || preconditioning === 'schatten') ? preconditionedFirstStep(m, c, preconditioning, eps) : nsStep(m, gram(m), c);
  });
  return unflat(transposed ? np.swapaxes(m, -1, -2) : m);
}

/** One dimension-numbers entry (or null) per leaf of `t`. */
function dimsPerLeaf(spec: WeightDimensionNumbers | undefined, t: unknown, what: string): (MuonDimensionNumbers | null)[] {
  const resolved = typeof spec === 'function' ? (spec as (u: unknown) => unknown)(t) : spec;
  if (resolved === undefined) return tree.leaves(t).map(() => null);
  return tree.broadcastPrefix<MuonDimensionNumbers | null>(resolved, t, `${what}: weightDimensionNumbers`, (x) => x === null || x instanceof MuonDimensionNumbers);
}

export interface MuonOptions {
  /** Newton–Schulz coefficients (default optax's `[3.4445, -4.775, 2.0315]`). */
  readonly nsCoeffs?: NsCoeffs;
  /** Newton–Schulz steps (default 5). */
  readonly nsSteps?: number;
  /** Momentum decay (default 0.95). */
  readonly beta?: Hyper;
  /** Added to the preconditioning norm (default 1e-8). */
  readonly eps?: number;
  /** Nesterov's look-ahead average (default true). */
  readonly nesterov?: boolean;
  /** Scale each orthogonalised update by `<m̂, O>` (default false). */
  readonly adaptive?: boolean;
  /** Normalisation before the steps (default `'frobenius'`). */
  readonly preconditioning?: MuonPreconditioning;
  /** Matrix axes per leaf (default: every leaf 2-D, rows the input axis). */
  readonly weightDimensionNumbers?: WeightDimensionNumbers;
}

/** The state of {@link scaleByMuon} (optax's `MuonState`): the step count, the momentum `mu` and the coefficients `nsCoeffs` ([3], or [steps, 3]). */
export interface MuonState {
  readonly count: NdArray;
  readonly mu: unknown;
  readonly nsCoeffs: NdArray;
}

/** The coefficients as optax keeps them in the state: `[3]` for one triple, else the `[steps, 3]` rows used. */
function coeffsArray(nsCoeffs: NsCoeffs, rows: (readonly number[])[]): NdArray {
  const c = typeof nsCoeffs === 'string' ? NS_PRESETS[nsCoeffs] : nsCoeffs;
  if (typeof c[0] === 'number') return np.array([...(c as readonly number[])], 'float32');
  return rows.length ? np.array(rows.map((r) => [...r]), 'float32') : np.zeros([0, 3]);
}

/** optax.contrib.scale_by_muon: `O(m̂)`, `m̂` the bias-corrected (Nesterov by default) momentum of decay `beta`, `O` {@link orthogonalizeViaNewtonSchulz}. */
export function scaleByMuon({
  nsCoeffs = 'standard',
  nsSteps = 5,
  beta = 0.95,
  eps = 1e-8,
  nesterov = true,
  adaptive = false,
  preconditioning = 'frobenius',
  weightDimensionNumbers,
}: MuonOptions = {}): GradientTransformation<MuonState> {
  checkHyper('scaleByMuon', 'beta', beta, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const coeffs = stepCoeffs(nsCoeffs, nsSteps);
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nsCoeffs: coeffsArray(nsCoeffs, coeffs) }),
    update(updates, state) {
      const mu = updateMoment(updates, state.mu, beta, 1);
      const count = incrementCount(state.count);
      const muHat = nesterov
        ? tree.map<typeof updates>(
            (m: NdArray, g: NdArray) => np.add(np.mul(beta, m), np.mul(typeof beta === 'number' ? 1 - beta : np.sub(1, beta), g)),
            biasCorrection(mu, beta, incrementCount(count)),
            biasCorrection(updates, beta, count),
          )
        : biasCorrection(mu, beta, count);
      const [leaves, def] = tree.flatten<NdArray>(muHat);
      const dims = dimsPerLeaf(weightDimensionNumbers, muHat, 'scaleByMuon');
      const ortho = leaves.map((m, i) => orthogonalizeViaNewtonSchulz(m, coeffs, coeffs.length, preconditioning, eps, dims[i] ?? new MuonDimensionNumbers()));
      const out = adaptive ? ortho.map((o, i) => np.mul(np.sum(np.mul(leaves[i], o)), o)) : ortho;
      return [tree.unflatten<typeof updates>(def, out), { count, mu, nsCoeffs: state.nsCoeffs }];
    },
  };
}

/**
 * optax.contrib's `scale_by_shape`: each update times `sqrt(max(1, fanOut / fanIn))`, or with
 * `consistentRms` times `sqrt(max(fanIn, fanOut)) · consistentRms`.
 */
export function scaleByShape(weightDimensionNumbers?: WeightDimensionNumbers, consistentRms: number | null = null): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update(updates, state) {
      const [leaves, def] = tree.flatten<NdArray>(updates);
      const dims = dimsPerLeaf(weightDimensionNumbers, updates, 'scaleByShape');
      const out = leaves.map((u, i) => {
        const d = dims[i] ?? new MuonDimensionNumbers();
        const fanIn = prod(u.shape, axesOf(d.reductionAxis, u.shape.length));
        const fanOut = prod(u.shape, axesOf(d.outputAxis, u.shape.length));
        const factor = consistentRms === null ? Math.sqrt(Math.max(1, fanOut / fanIn)) : Math.sqrt(Math.max(fanIn, fanOut)) * consistentRms;
        return np.mul(Math.fround(factor), u);
      });
      return [tree.unflatten<typeof updates>(def, out), state];
    },
  };
}

export interface MuonOptimizerOptions extends Omit<MuonOptions, 'weightDimensionNumbers'> {
  readonly learningRate: ScheduleLike;
  /** Decoupled decay on the Muon leaves (default 0). */
  readonly weightDecay?: Hyper;
  readonly weightDecayMask?: Mask;
  readonly adamB1?: number;
  readonly adamB2?: number;
  readonly adamEpsRoot?: number;
  readonly adamWeightDecay?: number;
  /** The AdamW leaves' learning rate (default `learningRate`). */
  readonly adamLearningRate?: ScheduleLike;
  /** Which leaves are Muon's, and their matrix axes: non-null entries (default: the 2-D leaves). */
  readonly muonWeightDimensionNumbers?: WeightDimensionNumbers;
  /** See {@link scaleByShape}. */
  readonly consistentRms?: number | null;
}

/**
 * optax.contrib.muon: `partition` of Muon (`scaleByMuon`, `scaleByShape`, `addDecayedWeights`,
 * `scaleByLearningRate`) for the matrix leaves and `adamw` (same `eps`, `nesterov`) for the others.
 */
export function muon({
  learningRate,
  weightDecay = 0,
  weightDecayMask,
  adamB1 = 0.9,
  adamB2 = 0.999,
  adamEpsRoot = 0,
  adamWeightDecay = 0,
  adamLearningRate,
  muonWeightDimensionNumbers,
  consistentRms = null,
  eps = 1e-8,
  nesterov = true,
  ...muonOptions
}: MuonOptimizerOptions): GradientTransformation {
  const labels = (params: unknown) => {
    const [leaves, def] = tree.flatten<NdArray>(params);
    const dims = muonWeightDimensionNumbers === undefined ? leaves.map((x) => (x.shape.length === 2 ? new MuonDimensionNumbers() : null)) : dimsPerLeaf(muonWeightDimensionNumbers, params, 'muon');
    return tree.unflatten(def, dims.map((d) => (d === null ? 'adam' : 'muon')));
  };
  const dims = muonWeightDimensionNumbers ?? ((u: unknown) => tree.map((x: NdArray) => (x.shape.length === 2 ? new MuonDimensionNumbers() : null), u));
  return partition(
    {
      muon: chain(
        scaleByMuon({ ...muonOptions, eps, nesterov, weightDimensionNumbers: dims }),
        scaleByShape(dims, consistentRms),
        addDecayedWeights(weightDecay, weightDecayMask),
        scaleByLearningRate(learningRate),
      ),
      adam: adamw({ learningRate: adamLearningRate ?? learningRate, b1: adamB1, b2: adamB2, eps, epsRoot: adamEpsRoot, weightDecay: adamWeightDecay, nesterov }),
    },
    labels,
  );
}
