/**
 * Connectionist temporal classification (Graves et al. 2006) in both conventions: optax's
 * `ctc_loss` / `ctc_loss_with_forward_probs` (logits [B, T, K] and 0/1 paddings, per-sequence
 * losses) and PyTorch's `F.ctc_loss` (log-probabilities [T, B, C], lengths, reductions,
 * `zero_infinity`). One forward recursion serves both: `lax.scan` over time in the log domain,
 * with a finite log(0) so that unreachable states keep finite values and derivatives; it
 * traces under jit, batches under vmap, and its gradient is our autodiff's.
 */
import { type NdArray, lax, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Reduction, checkReduction, reduce } from './reduction.js';

/** The forward recursion's inputs, time-major. */
interface Lattice {
  /** log p(label n) at each frame, [T, B, N]. */
  readonly emit: NdArray;
  /** log p(blank) at each frame, [T, B, 1]. */
  readonly blank: NdArray;
  /** Where a frame is padding (its step leaves the state as it was), [T, B] bool. */
  readonly framePad: NdArray;
  /** The labels [B, N] (int32): where two neighbours repeat, a blank must separate them. */
  readonly labels: NdArray;
  /** Each sequence's number of labels, [B] int32. */
  readonly labelLengths: NdArray;
  /** The value standing for log(0). */
  readonly logEps: number;
}

/** 1 where labels[b, n] = labels[b, n + 1] (0 at the last n), [B, N] float32. */
function repeats(labels: NdArray): NdArray {
  const [b, n] = labels.shape;
  if (n < 2) return np.zeros([b, n]);
  const same = np.astype(np.equal(np.sliceAxis(labels, 1, 0, -1), np.sliceAxis(labels, 1, 1, null)), 'float32');
  return np.concatenate([same, np.zeros([b, 1])], 1);
}

/** phi[:, 1:] logaddexp'ed with `added` (phi's first column, the state before any label, kept). */
const addToPhi = (phi: NdArray, added: NdArray) => np.concatenate([np.sliceAxis(phi, 1, 0, 1), np.logaddexp(np.sliceAxis(phi, 1, 1, null), added)], 1);

/**
 * pad ? before : after, rowwise. optax blends pad · before + (1 - pad) · after, the same for its
 * 0/1 paddings; a select also keeps a NaN cotangent (an impossible alignment's, PyTorch's
 * convention) off the padded frames, whose gradient is 0 as in PyTorch.
 */
const keepPadded = (pad: NdArray, before: NdArray, after: NdArray) => np.where(pad, before, after);

/**
 * The CTC forward variables: log alpha of the blank states [T, B, N + 1] (state n: a blank after
 * the first n labels; the last frame's row also counts the paths ending on label n) and of the
 * label states [T, B, N], and the loss -log alpha_blank[T - 1, b, labelLengths[b]] per sequence.
 */
function forward(l: Lattice): { loss: NdArray; logalphaBlank: NdArray; logalphaLabel: NdArray } {
  const [t, b, n] = l.emit.shape;
  const repeat = repeats(l.labels);
  const phi0 = np.concatenate([np.zeros([b, 1]), np.full([b, n], l.logEps)], 1);
  const emit0 = np.full([b, n], l.logEps);
  const step = ([phi, emit]: [NdArray, NdArray], [lpEmit, lpBlank, pad]: [NdArray, NdArray, NdArray]): [[NdArray, NdArray], [NdArray, NdArray]] => {
    // Leaving label n for the blank state after it without a frame, unless label n + 1 repeats it.
    const entered = addToPhi(phi, np.add(emit, np.mul(repeat, l.logEps)));
    const nextEmit = np.logaddexp(np.add(np.sliceAxis(entered, 1, 0, -1), lpEmit), np.add(emit, lpEmit));
    // A blank frame: staying on a blank state, or (before a repeated label) stepping off label n.
    const stayed = np.add(entered, lpBlank);
    const nextPhi = addToPhi(stayed, np.add(np.add(emit, lpBlank), np.mul(np.sub(1, repeat), l.logEps)));
    const p = np.expandDims(pad, 1);
    const carry: [NdArray, NdArray] = [keepPadded(p, phi, nextPhi), keepPadded(p, emit, nextEmit)];
    return [carry, carry];
  };
  const [, [phis, emits]] = lax.scan(step, [phi0, emit0] as [NdArray, NdArray], [l.emit, l.blank, l.framePad]);
  const last = addToPhi(np.squeeze(np.sliceAxis(phis, 0, -1, null), 0), np.squeeze(np.sliceAxis(emits, 0, -1, null), 0));
  const logalphaBlank = np.concatenate([np.sliceAxis(phis, 0, 0, t - 1), np.expandDims(last, 0)], 0);
  const loss = np.neg(np.sum(np.mul(last, np.oneHot(l.labelLengths, n + 1)), 1));
  return { loss, logalphaBlank, logalphaLabel: emits };
}

/** log p(labels[b, n]) at each frame from log-probabilities [B, T, K], time-major [T, B, N] (one-hot products, as optax). */
function labelLogProbs(logprobs: NdArray, labels: NdArray): NdArray {
  const k = logprobs.shape[2]!;
  const byBatch = np.matmul(logprobs, np.transpose(np.oneHot(labels, k), [0, 2, 1]));
  return np.transpose(byBatch, [1, 0, 2]);
}

/** The blank's log-probabilities [B, T, K] -> [T, B, 1]. */
const blankLogProbs = (logprobs: NdArray, blank: number) => np.transpose(np.sliceAxis(logprobs, 2, blank, blank + 1), [1, 0, 2]);

const isFloatDType = (x: NdArray) => x.dtype === 'float32';
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

function checkBlank(blank: number, k: number, what: string, name: string): void {
  if (!Number.isInteger(blank) || blank < 0 || blank >= k) throw new Error(`${what}: ${name} must be an integer in [0, ${k}) (the number of classes), got ${blank}`);
}

export interface CtcOptions {
  /** The blank class's index (default 0). */
  readonly blankId?: number;
  /** The number standing for log(0) (default -1e5, as optax). */
  readonly logEpsilon?: number;
}

/** Checks optax's shapes: logits [B, T, K] float, paddings [B, T], labels [B, N] int32 with paddings [B, N]. */
function checkOptaxInputs(logits: NdArray, logitPaddings: NdArray, labels: NdArray, labelPaddings: NdArray, blankId: number): void {
  const what = 'ctcLoss';
  if (logits.shape.length !== 3) throw new Error(`${what}: logits must be [B, T, K], got ${shapeStr(logits.shape)}`);
  if (!isFloatDType(logits)) throw new Error(`${what}: logits must be float32, got ${logits.dtype}`);
  const [b, t, k] = logits.shape;
  if (t === 0) throw new Error(`${what}: logits have no frames (T = 0)`);
  if (labels.shape.length !== 2) throw new Error(`${what}: labels must be [B, N], got ${shapeStr(labels.shape)}`);
  if (labels.dtype !== 'int32') throw new Error(`${what}: labels must be int32, got ${labels.dtype}`);
  if (labels.shape[0] !== b) throw new Error(`${what}: labels ${shapeStr(labels.shape)} must have the logits' batch size ${b}`);
  if (!sameShape(logitPaddings.shape, [b, t])) throw new Error(`${what}: logitPaddings must be [${b}, ${t}] (logits' [B, T]), got ${shapeStr(logitPaddings.shape)}`);
  if (!sameShape(labelPaddings.shape, labels.shape)) throw new Error(`${what}: labelPaddings must be shaped as labels ${shapeStr(labels.shape)}, got ${shapeStr(labelPaddings.shape)}`);
  checkBlank(blankId, k, what, 'blankId');
}

/**
 * optax.ctc_loss_with_forward_probs: the CTC loss of each sequence [B] and the log forward
 * probabilities of the blank states [T, B, N + 1] and the label states [T, B, N]. logits
 * [B, T, K] (log-softmaxed inside), logitPaddings [B, T] (1 marks a padded frame: any nonzero does here; optax documents 0 or 1), labels
 * [B, N] int32, labelPaddings [B, N] (1 marks a padded label; right-padded). An alignment that
 * does not fit costs a multiple of -logEpsilon (a large finite loss) instead of an infinite one.
 */
export function ctcLossWithForwardProbs(logits: NdArray, logitPaddings: NdArray, labels: NdArray, labelPaddings: NdArray, opts: CtcOptions = {}): [NdArray, NdArray, NdArray] {
  const blankId = opts.blankId ?? 0;
  checkOptaxInputs(logits, logitPaddings, labels, labelPaddings, blankId);
  const logprobs = np.logSoftmax(logits, -1);
  const n = labels.shape[1]!;
  const labelLengths = np.astype(np.sub(n, np.sum(np.astype(labelPaddings, 'float32'), 1)), 'int32');
  const { loss, logalphaBlank, logalphaLabel } = forward({
    emit: labelLogProbs(logprobs, labels),
    blank: blankLogProbs(logprobs, blankId),
    framePad: np.transpose(np.notEqual(logitPaddings, 0), [1, 0]),
    labels,
    labelLengths,
    logEps: opts.logEpsilon ?? -1e5,
  });
  return [loss, logalphaBlank, logalphaLabel];
}

/**
 * optax.ctc_loss: the CTC loss (negative log-likelihood of the labels) of each sequence, [B].
 * @example losses.ctcLoss(logits, np.zeros([B, T]), labels, np.zeros([B, N])) // [B]
 */
export function ctcLoss(logits: NdArray, logitPaddings: NdArray, labels: NdArray, labelPaddings: NdArray, opts: CtcOptions = {}): NdArray {
  return ctcLossWithForwardProbs(logits, logitPaddings, labels, labelPaddings, opts)[0];
}

export interface TorchCtcOptions {
  /** The blank class's index (default 0). */
  readonly blank?: number;
  /** 'mean' (default: each loss divided by its target length, at least 1, then the batch mean), 'sum' or 'none' ([B]). */
  readonly reduction?: Reduction;
  /** Infinite losses (no alignment fits) and their gradients become 0 (default false). */
  readonly zeroInfinity?: boolean;
}

/** log(0) for PyTorch's convention: far below any real path, so a loss above half of it has no path at all. */
const TORCH_LOG_EPS = -1e30;

/** Lengths given as numbers or an int32 array, as a [B] int32 array, checked against `bound` where known. */
function lengthsArray(lengths: readonly number[] | NdArray, b: number, bound: number | null, what: string, name: string): NdArray {
  if (!Array.isArray(lengths)) {
    const arr = lengths as NdArray;
    if (arr.dtype !== 'int32') throw new Error(`${what}: ${name} must be int32, got ${arr.dtype}`);
    if (!sameShape(arr.shape, [b])) throw new Error(`${what}: ${name} must be [${b}] (one per sequence), got ${shapeStr(arr.shape)}`);
    return arr;
  }
  const ls = lengths as readonly number[];
  if (ls.length !== b) throw new Error(`${what}: ${name} must have ${b} entries (one per sequence), got ${ls.length}`);
  const bad = ls.find((v) => !Number.isInteger(v) || v < 0 || (bound !== null && v > bound));
  if (bad !== undefined) throw new Error(`${what}: ${name} must be integers in [0, ${bound ?? 'inf'}], got ${bad}`);
  return np.array(ls as number[], 'int32');
}

/**
 * Targets as padded labels [B, N]: padded targets [B, S] as they are; concatenated targets
 * [sum(lengths)] cut at each sequence's offset (N = the longest length when the lengths are
 * numbers, else the total, so that traced lengths work).
 */
function paddedTargets(targets: NdArray, lengths: NdArray, lengthNumbers: readonly number[] | null, b: number): NdArray {
  if (targets.shape.length === 2) return targets;
  const total = targets.shape[0];
  const n = lengthNumbers ? Math.max(0, ...lengthNumbers) : total;
  if (total === 0 || n === 0) return np.zeros([b, n], 'int32');
  const offsets = np.sub(np.cumsum(lengths), lengths);
  const index = np.clip(np.add(np.expandDims(offsets, 1), np.expandDims(np.arange(0, n, 1, 'int32'), 0)), 0, total - 1);
  return np.take(targets, index);
}

function checkTorchInputs(logProbs: NdArray, targets: NdArray, blank: number, what: string): void {
  if (logProbs.shape.length !== 3) throw new Error(`${what}: logProbs must be [T, B, C] or [T, C], got ${shapeStr(logProbs.shape)}`);
  if (!isFloatDType(logProbs)) throw new Error(`${what}: logProbs must be float32, got ${logProbs.dtype}`);
  const [, b, c] = logProbs.shape;
  if (targets.dtype !== 'int32') throw new Error(`${what}: targets must be int32, got ${targets.dtype}`);
  const padded = targets.shape.length === 2 && targets.shape[0] === b;
  if (!padded && targets.shape.length !== 1) throw new Error(`${what}: targets must be padded [${b}, S] or concatenated [sum(targetLengths)], got ${shapeStr(targets.shape)}`);
  checkBlank(blank, c, what, 'blank');
}

/**
 * +inf where `impossible` (1 elsewhere) whose derivative there is NaN, as PyTorch's CTC backward
 * gives for a sequence no alignment fits: -log(0 · x), x finite. Elsewhere -log(1), so that a
 * zero cotangent stays zero.
 */
const infWithNanGradient = (impossible: NdArray, x: NdArray) => np.neg(np.log(np.where(impossible, np.mul(x, 0), 1)));

/**
 * PyTorch's F.ctc_loss: logProbs [T, B, C] (log-softmaxed by the caller) or [T, C] for one
 * sequence; targets int32, padded [B, S] or concatenated [sum(targetLengths)]; inputLengths and
 * targetLengths [B] (numbers or int32 arrays). A sequence no alignment fits has an infinite loss
 * (NaN gradient) unless `zeroInfinity`. The gradient is the loss's own with respect to
 * logProbs; PyTorch's kernel returns it plus exp(logProbs), a difference that log_softmax's
 * backward cancels, so gradients with respect to logits agree.
 * @example F.ctcLoss(np.logSoftmax(x, 2), targets, [50, 48], [20, 17], { reduction: 'sum' })
 */
export function ctcLossTorch(logProbs: NdArray, targets: NdArray, inputLengths: readonly number[] | NdArray | number, targetLengths: readonly number[] | NdArray | number, opts: TorchCtcOptions = {}): NdArray {
  const what = 'ctcLoss';
  if (logProbs.shape.length === 2) {
    const one = (v: readonly number[] | NdArray | number) => (typeof v === 'number' ? [v] : Array.isArray(v) ? v : np.reshape(v as NdArray, [1]));
    const loss = ctcLossTorch(np.expandDims(logProbs, 1), targets.shape.length === 1 ? targets : np.reshape(targets, [-1]), one(inputLengths), one(targetLengths), opts);
    return opts.reduction === 'none' ? np.reshape(loss, []) : loss;
  }
  if (typeof inputLengths === 'number' || typeof targetLengths === 'number') throw new Error(`${what}: give inputLengths and targetLengths per sequence for batched logProbs ${shapeStr(logProbs.shape)}`);
  const blank = opts.blank ?? 0;
  checkTorchInputs(logProbs, targets, blank, what);
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, what);
  const [t, b] = logProbs.shape;
  const lengthNumbers = Array.isArray(targetLengths) ? (targetLengths as readonly number[]) : null;
  const maxTarget = targets.shape.length === 2 ? targets.shape[1] : targets.shape[0];
  const inLens = lengthsArray(inputLengths, b, t, what, 'inputLengths');
  const tgLens = lengthsArray(targetLengths, b, maxTarget, what, 'targetLengths');
  const labels = paddedTargets(targets, tgLens, lengthNumbers, b);
  const lp = np.transpose(np.maximum(logProbs, TORCH_LOG_EPS), [1, 0, 2]);
  const { loss: finite } = forward({
    emit: labelLogProbs(lp, labels),
    blank: blankLogProbs(lp, blank),
    framePad: np.greaterEqual(np.expandDims(np.arange(0, t, 1, 'int32'), 1), np.expandDims(inLens, 0)),
    labels,
    labelLengths: tgLens,
    logEps: TORCH_LOG_EPS,
  });
  const impossible = np.greater(finite, -TORCH_LOG_EPS / 2);
  const loss = np.where(impossible, opts.zeroInfinity ? 0 : infWithNanGradient(impossible, finite), finite);
  // PyTorch's 'mean' divides each loss by its target length (at least 1) before the mean.
  return reduction === 'mean' ? np.mean(np.div(loss, np.maximum(np.astype(tgLens, 'float32'), 1))) : reduce(loss, reduction, what);
}
