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
 * `_random_mask` of SimMIM, data2vec and DINOv2: `argsort(noise)[:n]` set to 1).
 * @example const masks = ssl.masking.masksFromNoise(random.uniform(key, [8, 196]), 118);
 */
export function masksFromNoise(noise: NdArray, n: number): NdArray {
  const rank = np.argsort(np.argsort(noise, -1), -1);
  return np.cast(np.less(rank, n), 'float32');
}
