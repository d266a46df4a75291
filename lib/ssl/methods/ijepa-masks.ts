/**
 * I-JEPA's multi-block masking (stable-pretraining `backbone/patch_masking.py` `IJEPAMasking`) as
 * masks of fixed shape, so a step traces once under `jit` whatever the blocks drawn:
 *
 * - `numTargets` target blocks, shared by the whole batch, one after the other: each draws
 *   `scale ~ U(targetScale)`, `log aspect ~ U(log targetAspectRatio)`, a block of
 *   `round(sqrt(L scale / aspect))` x `round(sqrt(L scale aspect))` patches (Python's round, half to
 *   even; clamped to the grid) at `top ~ U{0 .. gh - h}`, `left ~ U{0 .. gw - w}`; of up to
 *   `attempts` (the seed's 100) candidates, the first that overlaps no earlier block is kept, none
 *   if all overlap (an empty block, as the seed's);
 * - the context: `max(1, floor(n ratio))` of the n patches outside every block, `ratio ~
 *   U(contextScale)` once per batch, a random subset per sample; every patch when no patch is left
 *   (the seed's fallback).
 *
 * The seed draws the candidates one at a time with torch's generator; here every candidate is drawn
 * at once from the key: the same distribution, not the same stream (a run of the seed is replayed
 * from its indices with {@link masksFromIndices}).
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';

/** The context and target patches of a batch as float32 masks [N, L] (1: in it), patches in row-major grid order. */
export interface JepaMasks {
  readonly context: NdArray;
  readonly target: NdArray;
}

export interface MultiBlockOptions {
  readonly numTargets: number;
  /** [min, max] fraction of the patches in each target block, within (0, 1). */
  readonly targetScale: readonly [number, number];
  /** [min, max] aspect ratio of each target block (its width over its height), > 0. */
  readonly targetAspectRatio: readonly [number, number];
  /** [min, max] fraction of the non-target patches kept as context, within (0, 1]. */
  readonly contextScale: readonly [number, number];
  /** Candidates per block (the seed's `max_attempts_per_block`, 100). */
  readonly attempts?: number;
}

/** `attempts` candidate blocks [A, gh * gw] (float32 0/1) drawn from `key`. */
function candidateBlocks(key: NdArray, gh: number, gw: number, o: MultiBlockOptions, attempts: number): NdArray {
  const [ks, ka, kt, kl] = random.split(key, 4);
  const l = gh * gw;
  const scale = random.uniform(ks, [attempts], { minval: o.targetScale[0], maxval: o.targetScale[1] });
  const aspect = np.exp(random.uniform(ka, [attempts], { minval: Math.log(o.targetAspectRatio[0]), maxval: Math.log(o.targetAspectRatio[1]) }));
  const area = np.mul(scale, l);
  const h = np.clip(np.round(np.sqrt(np.div(area, aspect))), 1, gh);
  const w = np.clip(np.round(np.sqrt(np.mul(area, aspect))), 1, gw);
  // randint(0, n - size + 1) as floor(u (n - size + 1)).
  const top = np.floor(np.mul(random.uniform(kt, [attempts]), np.sub(gh + 1, h)));
  const left = np.floor(np.mul(random.uniform(kl, [attempts]), np.sub(gw + 1, w)));
  const within = (start: NdArray, size: NdArray, n: number) => {
    const at = np.expandDims(np.arange(n, undefined, undefined, 'float32'), 0);
    const s = np.expandDims(start, 1);
    return np.logicalAnd(np.greaterEqual(at, s), np.less(at, np.add(s, np.expandDims(size, 1))));
  };
  const inside = np.logicalAnd(np.expandDims(within(top, h, gh), 2), np.expandDims(within(left, w, gw), 1));
  return np.reshape(np.cast(inside, 'float32'), [attempts, l]);
}

/** The union [L] of `numTargets` non-overlapping blocks, each the first candidate that misses the earlier ones. */
function targetUnion(keys: readonly NdArray[], gh: number, gw: number, o: MultiBlockOptions, attempts: number): NdArray {
  let union: NdArray = np.zeros([gh * gw], 'float32');
  for (const key of keys) {
    const candidates = candidateBlocks(key, gh, gw, o, attempts);
    const free = np.cast(np.equal(np.sum(np.mul(candidates, union), -1), 0), 'float32'); // [A]
    const first = np.oneHot(np.argmax(free), attempts); // the first free candidate (argmax: the first maximum)
    const block = np.mul(np.matmul(np.expandDims(first, 0), candidates), np.max(free)); // [1, L]; empty when none is free
    union = np.maximum(union, np.squeeze(block, 0));
  }
  return union;
}

/**
 * I-JEPA's masks for a batch of `batch` images of `gh` x `gw` patches, drawn from `key` (see the module notes).
 * @example const { context, target } = multiBlockMasks(random.key(0), 8, 14, 14, { numTargets: 4, targetScale: [0.15, 0.2], targetAspectRatio: [0.75, 1.5], contextScale: [0.85, 1] });
 */
export function multiBlockMasks(key: NdArray, batch: number, gh: number, gw: number, o: MultiBlockOptions): JepaMasks {
  const attempts = o.attempts ?? 100;
  const keys = random.split(key, o.numTargets + 2);
  const union = targetUnion(keys.slice(0, o.numTargets), gh, gw, o, attempts);
  const available = np.sub(1, union);
  const numAvailable = np.sum(available);
  const ratio = random.uniform(keys[o.numTargets], [], { minval: o.contextScale[0], maxval: o.contextScale[1] });
  const numContext = np.maximum(1, np.floor(np.mul(numAvailable, ratio)));
  // Each sample's subset: the numContext available patches of lowest noise (the unavailable ones rank last).
  const noise = np.where(np.greater(available, 0), random.uniform(keys[o.numTargets + 1], [batch, gh * gw]), 2);
  const rank = np.argsort(np.argsort(noise, -1), -1);
  const subset = np.cast(np.less(rank, numContext), 'float32');
  const context = np.where(np.greater(numAvailable, 0), subset, 1);
  return { context, target: np.broadcastTo(union, [batch, gh * gw]) };
}

/** Masks [N, L] from patch indices: `contextIdx` [N, Kc] and `targetIdx` [N, Kt] (int, in [0, L)), as the seed's `IJEPAMaskOutput`. */
export function masksFromIndices(contextIdx: NdArray, targetIdx: NdArray, numPatches: number): JepaMasks {
  const toMask = (idx: NdArray, what: string) => {
    const s = np.shape(idx);
    if (s.length !== 2 || s[1] < 1) throw new Error(`ijepa: ${what} must be [N, K] patch indices (K >= 1), got ${shapeStr(s)}`);
    return np.minimum(np.sum(np.oneHot(np.cast(idx, 'int32'), numPatches), 1), 1);
  };
  const context = toMask(contextIdx, 'contextIdx');
  const target = toMask(targetIdx, 'targetIdx');
  if (np.shape(context)[0] !== np.shape(target)[0]) throw new Error(`ijepa: contextIdx and targetIdx must have one row per image, got ${shapeStr(np.shape(contextIdx))} and ${shapeStr(np.shape(targetIdx))}`);
  return { context, target };
}
