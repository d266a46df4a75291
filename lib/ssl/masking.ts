/**
 * Patch masking for masked image modelling, as pure keyed functions of fixed shapes (so they
 * trace once under `jit` and batch under `vmap`).
 *
 * MAE's per-sample random masking (stable-pretraining `backbone/patch_masking.py`,
 * `PatchMasking` with `block_size=1`, `crop_ratio=0`), on L patches and a mask ratio r in [0, 1):
 * ```
 * numMasked = floor(L r),  K = L - numMasked kept
 * noise ~ U[0, 1) [..., L]           (the seed's torch.rand(B, N); lower noise = kept)
 * idsShuffle = argsort(noise)        idsKeep = idsShuffle[..., :K]
 * idsRestore = argsort(idsShuffle)   (its inverse permutation)
 * mask[l] = 1 if idsRestore[l] >= K  (1: masked / removed, 0: visible; float32)
 * ```
 * With r = 0 nothing is masked and, as the seed, `idsKeep` / `idsRestore` are `arange(L)`.
 * `keepTokens` gathers the kept tokens (differentiable in the tokens), `restoreTokens` puts
 * them back in patch order with a mask token everywhere else (MAE's decoder input), and
 * `patchify` lays images out as the seed's `MAELoss.patchify` (each patch channel-major).
 * `blockMasking` is the seed's `block_size > 1` (its notes below).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';

/** The indices and mask of one masking (leading axes: the batch). */
export interface PatchMasking {
  /** The kept (visible) patches' indices, int32 [..., K], in order of increasing noise. */
  readonly idsKeep: NdArray;
  /** The inverse of the shuffle, int32 [..., L]: patch l sits at `idsRestore[l]` of the shuffled sequence. */
  readonly idsRestore: NdArray;
  /** float32 [..., L]: 1 where the patch is masked (removed), 0 where it is visible. */
  readonly mask: NdArray;
}

/** How many of `numPatches` patches a mask ratio keeps: `L - floor(L r)` (the seed's `num_keep`); r must be in [0, 1). */
export function numKept(numPatches: number, maskRatio: number): number {
  if (!Number.isInteger(numPatches) || numPatches < 1) throw new Error(`masking: the number of patches must be a positive integer, got ${numPatches}`);
  if (typeof maskRatio !== 'number' || !(maskRatio >= 0 && maskRatio < 1)) throw new Error(`masking: maskRatio must be in [0, 1), got ${maskRatio}`);
  return numPatches - Math.floor(numPatches * maskRatio);
}

/**
 * MAE's random masking from given noise [..., L] (lower noise = kept): reproduces a run of the
 * seed given its `torch.rand` draw.
 * @example const { idsKeep, idsRestore, mask } = ssl.masking.randomMaskingFromNoise(noise, 0.75);
 */
export function randomMaskingFromNoise(noise: NdArray, maskRatio: number): PatchMasking {
  const s = np.shape(noise);
  if (s.length < 1) throw new Error(`randomMaskingFromNoise: noise must be [..., L] (one value per patch), got ${shapeStr(s)}`);
  const l = s[s.length - 1];
  const k = numKept(l, maskRatio);
  if (k === l) {
    const ids = np.broadcastTo(np.arange(l, undefined, undefined, 'int32'), s);
    return { idsKeep: ids, idsRestore: ids, mask: np.zeros(s, 'float32') };
  }
  const idsShuffle = np.argsort(noise, -1);
  const idsRestore = np.argsort(idsShuffle, -1);
  return { idsKeep: np.sliceAxis(idsShuffle, -1, 0, k), idsRestore, mask: np.cast(np.greaterEqual(idsRestore, k), 'float32') };
}

/**
 * MAE's random masking of `numPatches` patches for each of `batch` samples, noise from `key`.
 * @example const m = ssl.masking.randomMasking(random.key(0), 8, 196, 0.75); // idsKeep [8, 49]
 */
export function randomMasking(key: NdArray, batch: number, numPatches: number, maskRatio: number): PatchMasking {
  numKept(numPatches, maskRatio);
  return randomMaskingFromNoise(random.uniform(key, [batch, numPatches]), maskRatio);
}

/** The tokens [..., L, D] at `idsKeep` [..., K]: [..., K, D] (a gather; gradients flow to the tokens). */
export function keepTokens(tokens: NdArray, idsKeep: NdArray): NdArray {
  const [ts, is] = [np.shape(tokens), np.shape(idsKeep)];
  if (ts.length < 2 || is.length !== ts.length - 1 || is.slice(0, -1).some((d, i) => d !== ts[i]))
    throw new Error(`keepTokens: tokens [..., L, D] and idsKeep [..., K] must share their leading axes, got ${shapeStr(ts)} and ${shapeStr(is)}`);
  return np.takeAlongAxis(tokens, np.expandDims(idsKeep, -1), -2);
}

/**
 * The kept tokens [..., K, D] back in patch order with `maskToken` (broadcastable to [D]) at
 * the masked places: [..., L, D] with L = `idsRestore`'s last axis (MAE's unshuffle).
 */
export function restoreTokens(kept: NdArray, maskToken: NdArray, idsRestore: NdArray): NdArray {
  const [ks, rs] = [np.shape(kept), np.shape(idsRestore)];
  const l = rs[rs.length - 1];
  if (ks.length < 2 || rs.length !== ks.length - 1 || rs.slice(0, -1).some((d, i) => d !== ks[i]) || ks[ks.length - 2] > l)
    throw new Error(`restoreTokens: kept [..., K, D] and idsRestore [..., L] (K <= L) must share their leading axes, got ${shapeStr(ks)} and ${shapeStr(rs)}`);
  const filler = np.broadcastTo(maskToken, [...ks.slice(0, -2), l - ks[ks.length - 2], ks[ks.length - 1]]);
  return np.takeAlongAxis(np.concatenate([kept, filler], -2), np.expandDims(idsRestore, -1), -2);
}

/**
 * NHWC images [N, H, W, C] as patches [N, (H/p)(W/p), C p p]: row-major over the grid, each patch
 * channel-major then row-major (the seed's `MAELoss.patchify` of NCHW images).
 */
export function patchify(images: NdArray, patchSize: number): NdArray {
  const s = np.shape(images);
  if (s.length !== 4 || s[1] % patchSize || s[2] % patchSize)
    throw new Error(`patchify: images must be NHWC [N, H, W, C] with H and W multiples of the patch size ${patchSize}, got ${shapeStr(s)}`);
  const [n, h, w, c] = s;
  const [gh, gw] = [h / patchSize, w / patchSize];
  const grid = np.reshape(images, [n, gh, patchSize, gw, patchSize, c]);
  return np.reshape(np.transpose(grid, [0, 1, 3, 5, 2, 4]), [n, gh * gw, c * patchSize * patchSize]);
}

/**
 * MAE's fixed 2-D sine-cosine position embedding of a gh x gw grid, [gh * gw, dim] (the seed's
 * `get_2d_sincos_pos_embed`): with d = dim / 4 and w_i = 10000^(-i / d), the row of patch (y, x) is
 * `[sin(y w), cos(y w), sin(x w), cos(x w)]`. `dim` must be a multiple of 4.
 */
export function sincosPosEmbed2d(dim: number, gh: number, gw: number): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 4 || dim % 4) throw new Error(`sincosPosEmbed2d: dim must be a positive multiple of 4, got ${dim}`);
  const d = dim / 4;
  const omega = Array.from({ length: d }, (_, i) => 1 / 10000 ** Math.fround(i / d)).map(Math.fround);
  const out = new Float32Array(gh * gw * dim);
  for (let y = 0; y < gh; y++)
    for (let x = 0; x < gw; x++) {
      const row = (y * gw + x) * dim;
      omega.forEach((o, i) => {
        const [ay, ax] = [Math.fround(y * o), Math.fround(x * o)];
        out[row + i] = Math.sin(ay);
        out[row + d + i] = Math.cos(ay);
        out[row + 2 * d + i] = Math.sin(ax);
        out[row + 3 * d + i] = Math.cos(ax);
      });
    }
  return tf.tensor2d(out, [gh * gw, dim]);
}

/**
 * How many of `numPatches` patches the seed's SimMIM / data2vec / DINOv2 masking masks:
 * `round(L r)` with Python's round (half to even), r in [0, 1].
 */
export function numMaskedRounded(numPatches: number, maskRatio: number): number {
  if (!Number.isInteger(numPatches) || numPatches < 1) throw new Error(`masking: the number of patches must be a positive integer, got ${numPatches}`);
  if (typeof maskRatio !== 'number' || !(maskRatio >= 0 && maskRatio <= 1)) throw new Error(`masking: maskRatio must be in [0, 1], got ${maskRatio}`);
  const x = numPatches * maskRatio;
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}

/**
 * Masks [..., L] (1: masked) with the `n` patches of LOWEST noise [..., L] masked (the seed's
 * `_random_mask` of SimMIM, data2vec and DINOv2: `argsort(noise)[:n]` set to 1); `n` a number or,
 * one per row, an array [..., 1].
 * @example const masks = ssl.masking.masksFromNoise(random.uniform(key, [8, 196]), 118);
 */
export function masksFromNoise(noise: NdArray, n: number | NdArray): NdArray {
  const rank = np.argsort(np.argsort(noise, -1), -1);
  return np.cast(np.less(rank, n), 'float32');
}

/** `[B, n]`: whether each of 0 .. n - 1 lies in [start, start + size) for each of the B (start, size) pairs. */
export function spans(start: NdArray, size: NdArray, n: number): NdArray {
  const at = np.expandDims(np.arange(n, undefined, undefined, 'float32'), 0);
  const s = np.expandDims(start, 1);
  return np.logicalAnd(np.greaterEqual(at, s), np.less(at, np.add(s, np.expandDims(size, 1))));
}

/*
 * MAE's block-wise masking (stable-pretraining `backbone/patch_masking.py`, `PatchMasking` with
 * `block_size > 1`, `crop_ratio = 0`; its `_generate_block_noise` and `_adjust_mask_count`) as
 * pure functions of fixed shape, so a step traces once under `jit`. On a gh x gw grid, block side
 * b, M = floor(L r) patches to mask:
 *
 * - `floor(M / b^2) + 5` square blocks per sample, each centred at `(cy, cx) ~ U{0..gh-1} x
 *   U{0..gw-1}`, spanning rows `[cy - b//2, cy - b//2 + b)` and columns alike, clipped to the grid;
 * - the blocks are laid in order and their union taken (overlaps count once); the seed stops at the
 *   first block after which EVERY sample of the batch has at least M masked (so the batch's samples
 *   share one stopping point: the masking couples them, as the seed's), else uses all of them;
 * - exactly M: a sample with too many drops `count - M` of its masked patches at random (lowest
 *   `u1` among them), one with too few (blocks clipped, overlapping) masks `M - count` of its
 *   visible patches at random (lowest `u2`);
 * - the noise MAE sorts is `u3 / 2 + mask / 2`: the M masked patches sort last, the kept ones in
 *   order of `u3` (then {@link randomMaskingFromNoise}, as random masking).
 *
 * The seed draws `u1` / `u2` only when some sample needs them; here they are always drawn (unused
 * draws change nothing). A run of the seed replays with its draws ({@link blockMaskingNoise}).
 */

/** The random draws of one block masking of `batch` samples (the seed's, in its order). */
export interface BlockMaskingDraws {
  /** int32 [B, blocks]: each block's centre row, in 0 .. gh - 1 (the seed's `centers_y`). */
  readonly centersY: NdArray;
  /** int32 [B, blocks]: each block's centre column, in 0 .. gw - 1. */
  readonly centersX: NdArray;
  /** [B, L] in [0, 1): picks which masked patches an over-full sample unmasks. */
  readonly excessNoise: NdArray;
  /** [B, L] in [0, 1): picks which visible patches an under-full sample masks. */
  readonly deficitNoise: NdArray;
  /** [B, L] in [0, 1): the order of the kept (and of the masked) patches. */
  readonly noise: NdArray;
}

/** How many blocks the seed draws per sample to mask `numMasked` patches with blocks of side `blockSize`. */
export function numBlocksDrawn(numMasked: number, blockSize: number): number {
  return Math.floor(numMasked / (blockSize * blockSize)) + 5;
}

/** The draws of a block masking of `batch` samples on a `gh` x `gw` grid from `key`. */
export function blockMaskingDraws(key: NdArray, batch: number, gh: number, gw: number, blockSize: number, maskRatio: number): BlockMaskingDraws {
  const l = gh * gw;
  const nb = numBlocksDrawn(l - numKept(l, maskRatio), blockSize);
  const [ky, kx, k1, k2, k3] = random.split(key, 5);
  return {
    centersY: random.randint(ky, [batch, nb], 0, gh),
    centersX: random.randint(kx, [batch, nb], 0, gw),
    excessNoise: random.uniform(k1, [batch, l]),
    deficitNoise: random.uniform(k2, [batch, l]),
    noise: random.uniform(k3, [batch, l]),
  };
}

/**
 * The seed's block-masking noise [B, L] (`_generate_block_noise`) from its draws: sorted ascending
 * it keeps `L - M` patches and masks exactly M = floor(L maskRatio) in blocks (see the module notes).
 */
export function blockMaskingNoise(draws: BlockMaskingDraws, gh: number, gw: number, blockSize: number, maskRatio: number): NdArray {
  const l = gh * gw;
  const m = l - numKept(l, maskRatio);
  const [b, nb] = np.shape(draws.centersY);
  const half = Math.floor(blockSize / 2);
  const extent = (centre: NdArray, side: number) => {
    const c = np.reshape(np.cast(centre, 'float32'), [b * nb]);
    const start = np.maximum(np.sub(c, half), 0);
    return spans(start, np.sub(np.minimum(np.add(c, blockSize - half), side), start), side);
  };
  // blocks [B, nb, L]: 1 inside block i of sample b.
  const inside = np.logicalAnd(np.expandDims(extent(draws.centersY, gh), 2), np.expandDims(extent(draws.centersX, gw), 1));
  const blocks = np.reshape(np.cast(inside, 'float32'), [b, nb, l]);
  // The union after each block, and whether every sample has reached M there: block i is laid iff no earlier block reached it.
  const counts = np.sum(np.cast(np.greater(np.cumsum(blocks, 1), 0), 'float32'), -1);
  const reached = np.cast(np.all(np.greaterEqual(counts, m), 0), 'float32');
  const laid = np.equal(np.sub(np.cumsum(reached, 0), reached), 0);
  let mask = np.max(np.mul(blocks, np.reshape(np.cast(laid, 'float32'), [1, nb, 1])), 1);
  const excess = np.maximum(np.sub(np.sum(mask, -1), m), 0);
  mask = np.mul(mask, np.sub(1, masksFromNoise(np.add(draws.excessNoise, np.mul(np.sub(1, mask), 2)), np.expandDims(excess, 1))));
  const deficit = np.maximum(np.sub(m, np.sum(mask, -1)), 0);
  mask = np.maximum(mask, masksFromNoise(np.add(draws.deficitNoise, np.mul(mask, 2)), np.expandDims(deficit, 1)));
  return np.add(np.mul(draws.noise, 0.5), np.mul(mask, 0.5));
}

/**
 * MAE's block masking of `batch` samples on a `gh` x `gw` grid (blocks of side `blockSize` > 1), drawn from `key`.
 * @example const m = ssl.masking.blockMasking(random.key(0), 8, 14, 14, 4, 0.75); // mask [8, 196], 147 masked each
 */
export function blockMasking(key: NdArray, batch: number, gh: number, gw: number, blockSize: number, maskRatio: number): PatchMasking {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`blockMasking: blockSize must be a positive integer, got ${blockSize}`);
  return randomMaskingFromNoise(blockMaskingNoise(blockMaskingDraws(key, batch, gh, gw, blockSize, maskRatio), gh, gw, blockSize, maskRatio), maskRatio);
}
