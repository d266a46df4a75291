/**
 * Sinkhorn-Knopp codes for SwAV, in the log domain.
 *
 * The reference (stable-pretraining's `SwAVLoss.sinkhorn`, facebookresearch/swav's
 * `distributed_sinkhorn`) works on `Q = exp(scores / epsilon).T` of shape [K, B]:
 *
 * ```
 * Q /= sum(Q)                                   # the global total
 * repeat `iterations` times:
 *   Q /= sum(Q, axis=1, keepdims); Q /= K       # each prototype (row) sums to 1/K
 *   Q /= sum(Q, axis=0, keepdims); Q /= B       # each sample (column) sums to 1/B
 * Q *= B                                        # each sample sums to 1
 * return Q.T                                    # [B, K]
 * ```
 *
 * In float32, `exp(scores / epsilon)` overflows once `max(scores) / epsilon > 88.7`,
 * i.e. for epsilon below about 0.012 with cosine scores. Here every step is carried out
 * on `log Q` with max-shifted log-sum-exps, so the result is finite and correct for any
 * finite scores and any epsilon > 0 (tested down to 0.001). The layout stays [B, K]
 * (no transposes): "rows" of the reference are our axis 1 (prototypes), "columns" our
 * axis 0 (samples).
 *
 * The last step divides each sample by its own sum (the seed's final
 * `Q / sum(Q, dim=0)`), which after at least one iteration equals the reference's
 * `Q *= B` (its columns already sum to 1/B) and is also defined for `iterations = 0`
 * (a per-sample softmax of `scores / epsilon`). It is taken in the linear domain,
 * `exp(log Q - max) / sum`, so that each sample's codes sum to 1 up to float32 rounding
 * whatever the magnitude of `log Q` (an `exp(log Q - logsumexp)` is off by the rounding
 * of `log Q` itself: 2e-5 at epsilon 0.001).
 *
 * The first step, `Q /= sum(Q)`, multiplies Q by a constant that the first per-prototype
 * normalisation (or, without iterations, the per-sample one) divides out again: in the log
 * domain it is redundant for finite totals, and left out. What it does do in the reference is
 * make every code NaN when the total is not finite (a NaN or +inf score, or every score
 * -inf): `0 * log(total)` (NaN exactly then, else 0) is added to the first normaliser so that
 * the codes are NaN in the same cases. Its log is that of the per-prototype log-sum-exps
 * already computed (a [K] reduction), or without iterations one more pass.
 *
 * Distributed form: the batch of samples may be sharded over devices. Then the
 * per-prototype sums over samples and the batch size are collective sums
 * (facebookresearch/swav all-reduces `sum_of_rows` and uses `B = local batch * world
 * size`; its all-reduced `sum_Q` is the redundant total). Plug them in with `allReduceSum`
 * (applied to the per-prototype sums and to the local batch size) and, because the sums
 * are taken of max-shifted exponentials, `allReduceMax` (applied to each device's
 * log-sum-exp, the shift of their sum).
 * Both default to the identity. Per-sample sums are always local.
 */
import { type NdArray, isArray, lax, pmax, psum, stopGradient } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';
import { showValue } from '../../util/show-value.js';

/** A collective over devices (e.g. an all-reduce); the identity on one device. */
export type Collective = (x: NdArray) => NdArray;

export interface SinkhornOptions {
  /**
   * Entropic regularisation: codes are computed from `exp(scores / epsilon)`. Default 0.05. A
   * number, or a scalar array (a schedule's value under `jit`, e.g. DINOv2's teacher-temperature
   * warm-up; its positivity is then the caller's to keep).
   */
  readonly epsilon?: number | NdArray;
  /** Number of (prototype, sample) normalisation rounds. Default 3. */
  readonly iterations?: number;
  /** Sum over devices of the per-prototype sums and the batch size. Default: identity. */
  readonly allReduceSum?: Collective;
  /** Max over devices of their log-sum-exps (the shift the stable total subtracts). Default: identity. */
  readonly allReduceMax?: Collective;
  /**
   * The batch is sharded over this named axis (under `vmap(f, { axisName })` or `pmap`):
   * the sums and shifts above become `psum` / `pmax` over it, so the codes are those of the
   * whole batch. Hooks given explicitly take precedence.
   */
  readonly axisName?: string;
  /**
   * Optional [B] float array of 1 (a sample) and 0 (padding, no mass): rows with 0 take
   * no part in the normalisations and get all-zero codes. The result on the other rows
   * is that of the unmasked rows alone (used by the queue before it is full). A batch
   * that is all padding gets all-zero codes.
   */
  readonly mask?: NdArray;
}

/** What a masked-out sample adds to its log-codes: exp of it is exactly 0 in float32. */
const MASKED = -1e30;

const identity: Collective = (x) => x;

/** Validates the numeric options; errors name the option and the value. */
export function checkSinkhornOptions(epsilon: number | NdArray, iterations: number): void {
  if (isArray(epsilon)) {
    if (shapeOf(epsilon).length !== 0) throw new Error(`sinkhorn: epsilon must be a number or a scalar array, got an array of shape [${shapeOf(epsilon).join(',')}]`);
  } else if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) throw new Error(`sinkhorn: epsilon must be a finite number > 0, got ${shown(epsilon)}`);
  if (!Number.isInteger(iterations) || iterations < 0) throw new Error(`sinkhorn: iterations must be an integer >= 0, got ${shown(iterations)}`);
}

/** A value in an error message; an array (not a JS number) is named as such. */
const shown = (v: unknown) => (isArray(v) ? 'an array (a JS number is expected)' : showValue(v));

/**
 * log(sum(exp(x))) over `axis` with kept dims: the fused reduce_logsumexp on this device
 * (one SIMD pass on wasm), combined over devices as m + log(sum(exp(l - m))) with m the max
 * of the devices' results l, so that no exponential overflows.
 */
function logSumExp(x: NdArray, axis: number, sumOver: Collective, maxOver: Collective): NdArray {
  const l = np.reshape(lax.reduceLogSumExp(x, [axis]), shapeOf(x).map((d, i) => (i === axis ? 1 : d)));
  if (sumOver === identity && maxOver === identity) return l;
  const m = maxOver(l);
  return np.add(np.log(sumOver(np.exp(np.sub(l, m)))), m);
}

/**
 * Soft assignments of B samples to K prototypes with equipartition, without gradient.
 * `scores` is [B, K] (typically cosine similarities); the codes are [B, K], non-negative,
 * and each sample's codes sum to 1.
 * @example const q = sinkhorn(scores, { epsilon: 0.05, iterations: 3 });
 */
export function sinkhorn(scores: NdArray, opts: SinkhornOptions = {}): NdArray {
  const epsilon = opts.epsilon ?? 0.05;
  const iterations = opts.iterations ?? 3;
  checkSinkhornOptions(epsilon, iterations);
  if (!isArray(scores)) throw new Error(`sinkhorn: scores must be an array [batch, prototypes] (e.g. np.array(nested)), got ${showValue(scores)}`);
  const shape = shapeOf(scores);
  if (shape.length !== 2) throw new Error(`sinkhorn: scores must be [batch, prototypes], got shape [${shape.join(',')}]`);
  const [b, k] = shape;
  if (b === 0 || k === 0) throw new Error(`sinkhorn: scores must be non-empty, got shape [${shape.join(',')}]`);
  const name = opts.axisName;
  const sumOver = opts.allReduceSum ?? (name === undefined ? identity : (x: NdArray) => psum(x, name));
  const maxOver = opts.allReduceMax ?? (name === undefined ? identity : (x: NdArray) => pmax(x, name));
  const local: Collective = identity;

  let maskAdd: NdArray | null = null;
  let keep: NdArray | null = null;
  let count: NdArray = np.full([], b);
  if (opts.mask !== undefined) {
    if (!isArray(opts.mask)) throw new Error(`sinkhorn: mask must be a [${b}] array of 1 and 0, got ${showValue(opts.mask)}`);
    const ms = shapeOf(opts.mask);
    if (ms.length !== 1 || ms[0] !== b) throw new Error(`sinkhorn: mask must be [${b}] (one entry per sample), got [${ms.join(',')}]`);
    const m = stopGradient(opts.mask);
    keep = np.reshape(m, [b, 1]);
    maskAdd = np.mul(np.sub(1, keep), MASKED);
    count = np.sum(m);
  }
  const masked = (x: NdArray) => (maskAdd === null ? x : np.add(x, maskAdd));

  // The reference's first step, Q /= sum(Q) (a global total), only adds a constant to log Q,
  // which the next normalisation (per prototype, or per sample without iterations) takes out
  // again: it is left out (a full pass with exponentials and an all-reduce fewer).
  let logQ = masked(np.div(stopGradient(scores), isArray(epsilon) ? stopGradient(epsilon) : epsilon));
  const logK = Math.log(k);
  // B = the global batch size (the local one times the number of devices). With every
  // sample masked (all padding) B = 0 and no mass is left: 1 keeps log B finite, and the
  // mask still makes every code 0 (instead of inf - inf = NaN).
  const logB = iterations > 1 ? np.log(np.maximum(sumOver(count), 1)) : null;
  if (iterations === 0) logQ = np.add(logQ, nanUnlessFinite(logSumExp(logSumExp(logQ, 1, local, local), 0, sumOver, maxOver)));
  for (let i = 0; i < iterations; i++) {
    // Each prototype sums to 1/K over the (global) batch (the first time, NaN if the total is not finite).
    const perPrototype = logSumExp(logQ, 0, sumOver, maxOver);
    const normaliser = i === 0 ? np.add(perPrototype, nanUnlessFinite(lax.reduceLogSumExp(perPrototype, [1]))) : perPrototype;
    logQ = np.sub(np.sub(logQ, normaliser), logK);
    // Each sample sums to 1/B, except in the last round: the final step below takes it to 1 (`Q *= B`).
    if (i < iterations - 1) logQ = masked(np.sub(np.sub(logQ, logSumExp(logQ, 1, local, local)), logB!));
  }
  return samplesSumToOne(logQ, keep);
}

/**
 * `0 * logTotal`: 0 where the log of the reference's total `sum(exp(scores / epsilon))` is finite,
 * NaN where it is NaN or +-inf, so that adding it makes every code NaN exactly when the
 * reference's `Q /= sum(Q)` does.
 */
function nanUnlessFinite(logTotal: NdArray): NdArray {
  return np.mul(logTotal, 0);
}

/**
 * The final per-sample normalisation (the seed's `Q / sum(Q, dim=0)`; a softmax without
 * iterations), in the linear domain so that each row sums to 1 up to float32 rounding;
 * rows with `keep` 0 (masked samples) get zero codes.
 */
function samplesSumToOne(logQ: NdArray, keep: NdArray | null): NdArray {
  const e = np.exp(np.sub(logQ, np.max(logQ, 1, true)));
  const q = np.div(e, np.sum(e, 1, true));
  return keep === null ? q : np.mul(q, keep);
}
