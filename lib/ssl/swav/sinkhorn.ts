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
 * i.e. for epsilon below about 0.012 with cosine scores. Here the codes are finite and correct
 * for any finite scores and any epsilon > 0 (tested down to 0.001), by one of two solvers of
 * the same normalisations:
 *
 * - by scaling (sinkhorn-scaling.ts): one exponential of the row-max-shifted logits, then
 *   matrix-vector sums, exact to float32 rounding while every sample's logits spread by at
 *   most 64 (`(max - min) / epsilon` over its row; SwAV's cosine scores at epsilon 0.05: at
 *   most 40);
 * - in the log domain (sinkhorn-log-domain.ts): max-shifted log-sum-exps for every
 *   normalisation, for any spread, and the reference's NaN codes for NaN or infinite scores.
 *
 * The choice is made on the data: eagerly by reading a flag, under `jit` / `vmap` by `lax.cond`
 * (the flag is global over the devices of a sharded batch, so they all take one branch). On a
 * backend without synchronous read-back (webgpu) the log domain is used.
 *
 * The layout stays [B, K] (no transposes): "rows" of the reference are our axis 1
 * (prototypes), "columns" our axis 0 (samples). The last step divides each sample by its own
 * sum (the seed's final `Q / sum(Q, dim=0)`), which after at least one iteration equals the
 * reference's `Q *= B` (its columns already sum to 1/B) and is also defined for
 * `iterations = 0` (a per-sample softmax of `scores / epsilon`). The reference's first step,
 * `Q /= sum(Q)`, is a constant the next normalisation divides out; only its NaN for a
 * non-finite total is kept (see sinkhorn-log-domain.ts).
 *
 * Distributed form: the batch of samples may be sharded over devices. Then the
 * per-prototype sums over samples and the batch size are collective sums
 * (facebookresearch/swav all-reduces `sum_of_rows` and uses `B = local batch * world
 * size`; its all-reduced `sum_Q` is the redundant total). Plug them in with `allReduceSum`
 * (applied to the per-prototype sums and to the local batch size) and `allReduceMax`
 * (applied to the shifts of those sums and to the samples' largest spread). Both must be elementwise
 * over devices and traceable (they run inside `lax.cond` under `jit` and `vmap`).
 * Both default to the identity. Per-sample sums are always local.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, canReadBack, isArray, isTracer, lax, pmax, psum, stopGradient } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';
import { showValue } from '../../util/show-value.js';
import { logDomainCodes } from './sinkhorn-log-domain.js';
import { type Collective, type SinkhornProblem, identity } from './sinkhorn-problem.js';
import { scalingCheck, scalingCodes } from './sinkhorn-scaling.js';

export type { Collective } from './sinkhorn-problem.js';

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

  let keep: NdArray | null = null;
  let count: NdArray = np.full([], b);
  if (opts.mask !== undefined) {
    if (!isArray(opts.mask)) throw new Error(`sinkhorn: mask must be a [${b}] array of 1 and 0, got ${showValue(opts.mask)}`);
    const ms = shapeOf(opts.mask);
    if (ms.length !== 1 || ms[0] !== b) throw new Error(`sinkhorn: mask must be [${b}] (one entry per sample), got [${ms.join(',')}]`);
    const m = stopGradient(opts.mask);
    keep = np.reshape(m, [b, 1]);
    count = np.sum(m);
  }
  const scaling = iterations > 0 && canReadBack();
  // The global number of samples (the local one times the number of devices, less padding).
  const total = iterations > 1 || (scaling && keep !== null) ? sumOver(count) : null;
  const problem: SinkhornProblem = {
    scores: stopGradient(scores),
    epsilon: isArray(epsilon) ? stopGradient(epsilon) : epsilon,
    keep,
    // B = the global batch size. With every sample masked (all padding) B = 0 and no mass is
    // left: 1 keeps log B finite, and the mask still makes every code 0 (not inf - inf = NaN).
    logB: iterations > 1 ? np.log(np.maximum(total!, 1)) : null,
    iterations,
    sumOver,
    maxOver,
  };
  if (!scaling) return logDomainCodes(problem);
  const { rowMax, exact } = scalingCheck(problem, total ?? count);
  if (isTracer(exact)) return lax.cond(exact, () => scalingCodes(problem, rowMax), () => logDomainCodes(problem));
  return (exact as tf.Tensor).dataSync()[0] ? scalingCodes(problem, rowMax) : logDomainCodes(problem);
}
