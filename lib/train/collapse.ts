/**
 * Watching SwAV training for collapse, its most common failure: every sample lands on one
 * prototype (or a handful), the predictions go uniform and the loss sits at `ln K`.
 *
 * Signals, computed over a window of recent steps:
 * - **usage**: how many samples each prototype wins (the argmax of each row of the
 *   scores or codes); its entropy and the fraction of prototypes used at least once;
 * - **mean-code entropy**: the entropy of the batch-mean code (SwAV's `codeEntropy`);
 * - **loss near ln K**: the loss of every step of a full window lies within
 *   `lossTolerance * ln K` of `ln K` (the swapped-prediction cross-entropy of a uniform
 *   prediction is exactly `ln K`).
 *
 * What to feed `observe`: the prototype **scores** `[B, K]` of a view (or a softmax of
 * them) show collapse directly. Sinkhorn **codes** are equipartitioned by construction,
 * so their argmax stays spread even when the network has collapsed unless epsilon is
 * large; they are accepted, but scores are the better signal.
 *
 * Thresholds (defaults of {@link CollapseThresholds}); usage is compared with what a
 * uniform random assignment of the same number of samples would give, so small windows
 * (fewer samples than prototypes) do not raise false alarms:
 * - `minEntropyRatio = 0.5`: warn when `entropy / ln(min(K, samples))` falls below it
 *   (one prototype gives 0; 10 of 3000 about 0.29);
 * - `minUsedRatio = 0.25`: warn when `fractionUsed / expectedFractionUsed` falls below it,
 *   where `expectedFractionUsed = 1 - (1 - 1/K)^samples`;
 * - `lossTolerance = 0.02`: "stuck at ln K" means every loss of a full window is within
 *   2% of `ln K`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/index.js';

/** Codes or scores `[B, K]`: a tensor, a flat row-major Float32Array (give `numPrototypes`), rows, or argmax counts. */
export type UsageInput = NdArray | Float32Array | readonly (readonly number[])[] | { readonly counts: ArrayLike<number>; readonly meanCode?: ArrayLike<number> };

export interface PrototypeUsage {
  /** Entropy (nats) of the argmax-usage histogram: ln K when every prototype wins equally often, 0 when one wins all. */
  readonly entropy: number;
  /** ln K. */
  readonly maxEntropy: number;
  /** Fraction of the K prototypes that won at least one sample. */
  readonly fractionUsed: number;
  /** Entropy (nats) of the mean code (rows as distributions; rows that are not are softmaxed first). NaN from counts alone. */
  readonly meanCodeEntropy: number;
  /** How many samples each prototype won. */
  readonly counts: Float64Array;
  /** Number of samples counted. */
  readonly samples: number;
}

export interface CollapseThresholds {
  /** Minimum `entropy / ln(min(K, samples))` (default 0.5). */
  readonly minEntropyRatio: number;
  /** Minimum `fractionUsed / expectedFractionUsed` under a uniform assignment (default 0.25). */
  readonly minUsedRatio: number;
  /** Relative distance to ln K within which the loss counts as stuck (default 0.02). */
  readonly lossTolerance: number;
}

export const DEFAULT_THRESHOLDS: CollapseThresholds = { minEntropyRatio: 0.5, minUsedRatio: 0.25, lossTolerance: 0.02 };

/** Entropy (nats) of a non-negative histogram / distribution (normalised first). */
export function entropyOf(p: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) total += p[i]!;
  if (!(total > 0)) return 0;
  let h = 0;
  for (let i = 0; i < p.length; i++) {
    const q = p[i]! / total;
    if (q > 0) h -= q * Math.log(q);
  }
  return h;
}

/** Expected fraction of K prototypes hit at least once by `samples` uniform draws. */
export function expectedFractionUsed(k: number, samples: number): number {
  return k <= 0 ? 0 : 1 - Math.pow(1 - 1 / k, samples);
}

interface Rows {
  readonly data: ArrayLike<number>;
  readonly b: number;
  readonly k: number;
}

function toRows(codes: Exclude<UsageInput, { counts: ArrayLike<number> }>, numPrototypes?: number): Rows {
  if (codes instanceof tf.Tensor) {
    if (codes.rank !== 2) throw new Error(`prototypeUsage: codes must be [B, K], got shape [${codes.shape.join(', ')}]`);
    return { data: codes.dataSync() as ArrayLike<number>, b: codes.shape[0]!, k: codes.shape[1]! };
  }
  if (codes instanceof Float32Array) {
    const k = numPrototypes;
    if (!k || !Number.isInteger(k) || k < 1 || codes.length % k !== 0) {
      throw new Error(`prototypeUsage: a flat Float32Array needs numPrototypes dividing its length (${codes.length}); got ${numPrototypes}`);
    }
    return { data: codes, b: codes.length / k, k };
  }
  if (Array.isArray(codes)) {
    const rows = codes as readonly (readonly number[])[];
    const k = rows.length ? rows[0]!.length : (numPrototypes ?? 0);
    const data = new Float64Array(rows.length * k);
    rows.forEach((r, i) => {
      if (r.length !== k) throw new Error(`prototypeUsage: row ${i} has ${r.length} entries, expected ${k}`);
      data.set(r, i * k);
    });
    return { data, b: rows.length, k };
  }
  throw new Error('prototypeUsage: codes must be a [B, K] tensor, a Float32Array with numPrototypes, an array of rows, or { counts }');
}

/** Argmax counts and the mean code (rows taken as distributions, softmaxed when they are not). */
function accumulate(rows: Rows, counts: Float64Array, meanSum: Float64Array): void {
  const { data, b, k } = rows;
  const p = new Float64Array(k);
  for (let i = 0; i < b; i++) {
    const o = i * k;
    let best = 0;
    let max = -Infinity;
    let sum = 0;
    let negative = false;
    for (let j = 0; j < k; j++) {
      const v = data[o + j]!;
      if (v > max) {
        max = v;
        best = j;
      }
      sum += v;
      if (v < 0) negative = true;
    }
    counts[best]! += 1;
    if (!negative && Math.abs(sum - 1) <= 1e-3) {
      for (let j = 0; j < k; j++) meanSum[j]! += data[o + j]!;
    } else {
      let z = 0;
      for (let j = 0; j < k; j++) z += p[j] = Math.exp(data[o + j]! - max);
      for (let j = 0; j < k; j++) meanSum[j]! += p[j]! / z;
    }
  }
}

function usageFrom(counts: Float64Array, meanSum: Float64Array | null, samples: number): PrototypeUsage {
  const k = counts.length;
  let used = 0;
  for (let j = 0; j < k; j++) if (counts[j]! > 0) used++;
  return {
    entropy: entropyOf(counts),
    maxEntropy: Math.log(k),
    fractionUsed: k ? used / k : 0,
    meanCodeEntropy: meanSum ? entropyOf(meanSum) : NaN,
    counts,
    samples,
  };
}

/**
 * Prototype usage of one batch (or window) of codes / scores `[B, K]`, or of argmax counts:
 * the entropy of the usage histogram, ln K, the fraction of prototypes used, and the
 * entropy of the mean code. Reads a tensor synchronously (not on webgpu: pass its data).
 */
export function prototypeUsage(codes: UsageInput, numPrototypes?: number): PrototypeUsage {
  if (typeof codes === 'object' && codes !== null && !(codes instanceof tf.Tensor) && !Array.isArray(codes) && !(codes instanceof Float32Array) && 'counts' in codes) {
    const counts = Float64Array.from(codes.counts);
    let samples = 0;
    counts.forEach((c) => (samples += c));
    return usageFrom(counts, codes.meanCode ? Float64Array.from(codes.meanCode) : null, samples);
  }
  const rows = toRows(codes as Exclude<UsageInput, { counts: ArrayLike<number> }>, numPrototypes);
  const counts = new Float64Array(rows.k);
  const meanSum = new Float64Array(rows.k);
  accumulate(rows, counts, meanSum);
  return usageFrom(counts, meanSum, rows.b);
}

export interface CollapseReport {
  /** Entropy (nats) of the argmax usage over the window. */
  readonly entropy: number;
  /** ln K. */
  readonly maxEntropy: number;
  /** `entropy / ln(min(K, samples))`, in [0, 1] (1 when fewer than two samples). */
  readonly entropyRatio: number;
  /** Fraction of prototypes that won a sample in the window. */
  readonly fractionUsed: number;
  /** What a uniform assignment of the window's samples would use on average. */
  readonly expectedFractionUsed: number;
  /** Entropy of the mean code over the window (NaN when nothing was observed). */
  readonly meanCodeEntropy: number;
  /** Every loss of a full window is within `lossTolerance * ln K` of ln K. */
  readonly lossNearLnK: boolean;
  /** Mean loss over the window (NaN when none was observed). */
  readonly meanLoss: number;
  /** Steps of codes in the window, and samples in them. */
  readonly steps: number;
  readonly samples: number;
  readonly numPrototypes: number;
  readonly thresholds: CollapseThresholds;
}

export interface CollapseMonitorOptions {
  /** K, the number of prototypes. */
  readonly numPrototypes: number;
  /** Steps kept (default 50): codes and losses older than that are forgotten. */
  readonly window?: number;
  readonly thresholds?: Partial<CollapseThresholds>;
}

/**
 * Accumulates argmax assignments and losses over a sliding window of steps.
 * @example
 * const mon = new CollapseMonitor({ numPrototypes: 300 });
 * // each step:
 * mon.observe(scores); mon.observeLoss(loss);
 * // every N steps:
 * const warning = collapseWarning(mon.report(), 300); if (warning) console.warn(warning);
 */
export class CollapseMonitor {
  readonly numPrototypes: number;
  readonly window: number;
  readonly thresholds: CollapseThresholds;
  private readonly steps: { counts: Float64Array; meanSum: Float64Array; samples: number }[] = [];
  private readonly losses: number[] = [];

  constructor(opts: CollapseMonitorOptions) {
    const { numPrototypes: k, window = 50 } = opts;
    if (!Number.isInteger(k) || k < 1) throw new Error(`CollapseMonitor: numPrototypes must be a positive integer, got ${k}`);
    if (!Number.isInteger(window) || window < 1) throw new Error(`CollapseMonitor: window must be a positive integer, got ${window}`);
    this.numPrototypes = k;
    this.window = window;
    this.thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  }

  /** Records one step's codes or scores `[B, K]` (a tensor is read synchronously). */
  observe(codes: UsageInput): void {
    const k = this.numPrototypes;
    const counts = new Float64Array(k);
    const meanSum = new Float64Array(k);
    let samples: number;
    if (typeof codes === 'object' && codes !== null && !(codes instanceof tf.Tensor) && !Array.isArray(codes) && !(codes instanceof Float32Array) && 'counts' in codes) {
      if (codes.counts.length !== k) throw new Error(`CollapseMonitor.observe: ${codes.counts.length} counts for ${k} prototypes`);
      counts.set(Array.from(codes.counts));
      samples = counts.reduce((a, c) => a + c, 0);
      if (codes.meanCode) for (let j = 0; j < k; j++) meanSum[j] = codes.meanCode[j]! * samples;
    } else {
      const rows = toRows(codes as Exclude<UsageInput, { counts: ArrayLike<number> }>, k);
      if (rows.k !== k) throw new Error(`CollapseMonitor.observe: codes have ${rows.k} columns for ${k} prototypes`);
      accumulate(rows, counts, meanSum);
      samples = rows.b;
    }
    this.steps.push({ counts, meanSum, samples });
    if (this.steps.length > this.window) this.steps.shift();
  }

  /** Records one step's loss (a number or a scalar tensor, read synchronously). */
  observeLoss(loss: number | NdArray): void {
    const v = typeof loss === 'number' ? loss : (loss as tf.Tensor).dataSync()[0]!;
    this.losses.push(v);
    if (this.losses.length > this.window) this.losses.shift();
  }

  /** Forgets everything observed (e.g. after a restart from a checkpoint). */
  reset(): void {
    this.steps.length = 0;
    this.losses.length = 0;
  }

  /** The window's usage statistics and whether the loss is stuck at ln K. */
  report(): CollapseReport {
    const k = this.numPrototypes;
    const counts = new Float64Array(k);
    const meanSum = new Float64Array(k);
    let samples = 0;
    for (const s of this.steps) {
      for (let j = 0; j < k; j++) {
        counts[j]! += s.counts[j]!;
        meanSum[j]! += s.meanSum[j]!;
      }
      samples += s.samples;
    }
    const u = usageFrom(counts, samples ? meanSum : null, samples);
    const lnK = Math.log(k);
    const full = this.losses.length >= this.window;
    const tol = this.thresholds.lossTolerance * lnK;
    const lossNearLnK = k > 1 && full && this.losses.every((l) => Math.abs(l - lnK) <= tol);
    const denom = Math.log(Math.min(k, samples));
    return {
      entropy: u.entropy,
      maxEntropy: lnK,
      entropyRatio: denom > 0 ? u.entropy / denom : 1,
      fractionUsed: u.fractionUsed,
      expectedFractionUsed: expectedFractionUsed(k, samples),
      meanCodeEntropy: u.meanCodeEntropy,
      lossNearLnK,
      meanLoss: this.losses.length ? this.losses.reduce((a, b) => a + b, 0) / this.losses.length : NaN,
      steps: this.steps.length,
      samples,
      numPrototypes: k,
      thresholds: this.thresholds,
    };
  }
}

/** What to try against collapse, in the order worth trying. */
export const COLLAPSE_ADVICE: readonly string[] = [
  'lower the Sinkhorn epsilon (`epsilon`, e.g. 0.05 -> 0.03) or run more Sinkhorn iterations (`sinkhornIterations`, e.g. 3 -> 5), so the targets are sharper and stay balanced',
  'freeze the prototypes for longer at the start (`freezePrototypesSteps`)',
  'lower the learning rate, or lengthen its warm-up',
  'use a larger batch, or turn on the queue (`queueLength`) when a batch is small next to the number of prototypes',
  'check the augmentations: views that are too alike make the task trivial, broken ones (blank crops) make it impossible',
];

/**
 * A warning naming what looks collapsed and what to try, or null when the report looks
 * healthy. Fires when the loss is stuck at ln K, or usage entropy / fraction used fall
 * below the report's thresholds (see the module comment); `k` is the number of prototypes.
 */
export function collapseWarning(report: Pick<CollapseReport, 'entropy' | 'fractionUsed' | 'lossNearLnK'> & Partial<CollapseReport>, k: number): string | null {
  const samples = report.samples ?? Infinity;
  const t = { ...DEFAULT_THRESHOLDS, ...report.thresholds };
  const lnK = Math.log(k);
  const reasons: string[] = [];
  if (report.lossNearLnK) {
    reasons.push(`the loss is stuck at ln K = ${lnK.toFixed(3)}${Number.isFinite(report.meanLoss) ? ` (mean ${report.meanLoss!.toFixed(3)} over the window)` : ''}`);
  }
  if (samples >= 2 && k > 1) {
    const denom = Math.log(Math.min(k, samples));
    const ratio = report.entropy / denom;
    if (ratio < t.minEntropyRatio) {
      reasons.push(
        `prototype usage entropy is ${report.entropy.toFixed(3)} nats of a possible ${denom.toFixed(3)} (${(100 * ratio).toFixed(0)}%, threshold ${(100 * t.minEntropyRatio).toFixed(0)}%)`,
      );
    }
    const expected = expectedFractionUsed(k, samples === Infinity ? 1e9 : samples);
    if (report.fractionUsed < t.minUsedRatio * expected) {
      const used = Math.round(report.fractionUsed * k);
      reasons.push(`only ${used} of ${k} prototypes (${(100 * report.fractionUsed).toFixed(1)}%) won any sample, where a uniform assignment would use about ${(100 * expected).toFixed(0)}%`);
    }
  }
  if (!reasons.length) return null;
  return [
    `SwAV may be collapsing: ${reasons.join('; ')}.`,
    'Things to try:',
    ...COLLAPSE_ADVICE.map((a) => `  - ${a}`),
  ].join('\n');
}
