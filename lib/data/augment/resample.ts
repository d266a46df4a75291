/**
 * Separable linear resampling of NHWC batches with per-sample matrices: an image X is
 * mapped to `R · X · Cᵀ`, with `R: [B, outH, H]` acting on rows and `C: [B, outW, W]` on
 * columns, as two batched matmuls. Cropping, resizing (bilinear, antialiased when
 * shrinking) and flipping are all of this form, so a view's crop and flip are folded into
 * one pair of small matrices and the images are touched once.
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { iota, relu, step } from './util.js';

/** Options of {@link resampleMatrix}. */
export interface ResampleOptions {
  /** Widen the triangle filter by the shrink factor when shrinking (PIL / torchvision `antialias=True`). Default true. */
  readonly antialias?: boolean;
  /** Per-sample bool `[B]`: reverse the output axis (a flip after the resize). */
  readonly flip?: NdArray;
  /** Build `[B, n, m]` (input index first) instead of `[B, m, n]`. Default false. */
  readonly transposed?: boolean;
  /** The filter, as torchvision's `InterpolationMode`. Default 'bilinear'. */
  readonly interpolation?: Interpolation;
}

/** Resampling filters: torchvision's `InterpolationMode.BILINEAR` and `BICUBIC`. */
export type Interpolation = 'bilinear' | 'bicubic';

/**
 * Keys cubic convolution weight at distance `x >= 0` with coefficient `a` (zero from 2 on):
 * torch uses a = -0.75 for plain bicubic and a = -0.5 (PIL's) for antialiased bicubic.
 */
function cubicWeight(x: NdArray, a: number): NdArray {
  const near = np.add(np.mul(np.mul(np.sub(np.mul(x, a + 2), a + 3), x), x), 1);
  const far = np.sub(np.mul(np.add(np.mul(np.sub(np.mul(x, a), 5 * a), x), 8 * a), x), 4 * a);
  const inNear = step(np.sub(1, x));
  return np.add(np.mul(near, inNear), np.mul(far, np.sub(step(np.sub(2, x)), inNear)));
}

/**
 * Interpolation weights `[B, m, n]` that resample the window `[start, start + len)` of an
 * axis of `n` pixels to `m` output pixels: output pixel `i` is centred at
 * `start + (i + 0.5) * len / m` (half-pixel centres, PyTorch's `align_corners=False`), and
 * takes input pixel `j` (centre `j + 0.5`) with the triangle weight
 * `max(0, 1 - |j + 0.5 - centre| / support)`, `support = max(1, len / m)`; only pixels inside
 * the window count and each row is normalised to sum 1. Upscaling is thus exactly bilinear
 * interpolation with edge clamping inside the crop, shrinking is PIL's antialiased bilinear
 * filter (torchvision's `resized_crop(..., antialias=True)`), and the full window at the
 * same size is the identity. `start` and `len` are float `[B]` (integral for torchvision's
 * integer crop boxes, but any real window works).
 *
 * `interpolation: 'bicubic'` follows torch's `F.interpolate(..., mode='bicubic')`: with
 * antialias, Keys' cubic with a = -0.5 on the same widened, normalised support (twice as
 * wide); without, a = -0.75 at the four nearest pixels, those outside the window folded onto
 * its edge pixels (torch clamps the indices). Bicubic weights can be negative, so outputs
 * can leave the input's range (torchvision clamps only uint8 images).
 */
export function resampleMatrix(start: NdArray, len: NdArray, n: number, m: number, opts: ResampleOptions = {}): NdArray {
  const b = start.shape[0];
  const t = opts.transposed ?? false;
  const iShape = t ? [1, 1, m] : [1, m, 1];
  const jShape = t ? [1, n, 1] : [1, 1, n];
  const s = np.reshape(start, [b, 1, 1]);
  const l = np.reshape(len, [b, 1, 1]);
  let i = iota(m, iShape);
  // Flip: i -> m - 1 - i where flipped (integers in float32: exact).
  if (opts.flip) i = np.add(i, np.mul(np.reshape(np.cast(opts.flip, 'float32'), [b, 1, 1]), np.sub(m - 1, np.mul(i, 2))));
  const jc = np.add(iota(n, jShape), 0.5);
  const scale = np.div(l, m);
  const centre = np.add(s, np.mul(np.add(i, 0.5), scale)); // [B, m, 1] (or [B, 1, m])
  const interpolation = opts.interpolation ?? 'bilinear';
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') throw new Error(`resampleMatrix: interpolation must be 'bilinear' or 'bicubic', got ${JSON.stringify(interpolation)}`);
  const antialias = opts.antialias ?? true;
  const invSupport = antialias ? np.div(1, np.maximum(scale, 1)) : np.onesLike(scale);
  // The window mask depends on j only: [B, 1, n] (or [B, n, 1]).
  const inside = np.mul(step(np.sub(jc, s)), step(np.sub(np.add(s, l), jc)));
  // On [B, m, n], only wasm's fast kernels (see util.ts): sub, abs, mul, relu.
  const dist = np.mul(np.abs(np.sub(jc, centre)), invSupport);
  let wts: NdArray;
  if (interpolation === 'bilinear') wts = np.mul(relu(np.sub(1, dist)), inside);
  else if (antialias) wts = np.mul(cubicWeight(dist, -0.5), inside);
  else wts = np.add(np.mul(cubicWeight(dist, -0.75), inside), foldedCubicEdges(s, l, jc, centre, inside));
  const total = np.sum(wts, t ? 1 : 2, true);
  return np.div(wts, np.maximum(total, 1e-12));
}

/**
 * Plain bicubic's taps beyond the window `[s, s + l)`, moved onto its first and last pixels
 * (torch reads clamped indices): the two pixels before the window (centres `s - 0.5`,
 * `s - 1.5`) and the two after (`s + l + 0.5`, `s + l + 1.5`).
 */
function foldedCubicEdges(s: NdArray, l: NdArray, jc: NdArray, centre: NdArray, inside: NdArray): NdArray {
  const tap = (pos: NdArray) => cubicWeight(np.abs(np.sub(pos, centre)), -0.75);
  const end = np.add(s, l);
  const before = np.add(tap(np.sub(s, 0.5)), tap(np.sub(s, 1.5)));
  const after = np.add(tap(np.add(end, 0.5)), tap(np.add(end, 1.5)));
  const isFirst = np.mul(step(np.sub(np.add(s, 0.5), jc)), inside);
  const isLast = np.mul(step(np.sub(jc, np.sub(end, 0.5))), inside);
  return np.add(np.mul(before, isFirst), np.mul(after, isLast));
}

/**
 * `R · X · Cᵀ` per sample: `rows: [N, outH, H]`, `colsT: [N, W, outW]` (the column matrix
 * already transposed), images `[B, H, W, C]` -> `[N, outH, outW, C]`, as two batched
 * matmuls. N may be a multiple `n·B` of the batch: then sample `k` of the result is image
 * `floor(k / n)` (n views of each image, sample-major), and the row pass runs as one
 * `[B, n·outH, H] @ [B, H, W·C]` product (no copies of the images). Either matrix may be
 * null (that axis is left alone; `rows` is needed for n > 1). Costs
 * `N·outH·H·W·C + N·outH·W·outW·C` multiply-adds; for C > 1 the column pass runs on a
 * `[N, outH·C, W]` view (two transposes).
 *
 * On wasm, tfjs runs a batched matmul whose batches each have their own right operand as a
 * plain loop (~1 GMAC/s, against ~9 for a 2-D product), and that is most of the cost of a
 * multi-crop. A depthwise-convolution form (batch in the channel axis, per-sample matrices
 * as per-channel filters) was measured 2x slower: XNNPACK repacks a new filter on every
 * call, and the rank-4/5 transposes it needs are slow.
 */
export function applySeparable(images: NdArray, rows: NdArray | null, colsT: NdArray | null): NdArray {
  const [b, h, w, c] = np.shape(images);
  const nb = rows ? rows.shape[0] : b;
  const n = nb / b;
  if (!Number.isInteger(n)) throw new Error(`applySeparable: ${nb} row matrices for a batch of ${b}`);
  if (colsT && colsT.shape[0] !== nb) throw new Error(`applySeparable: ${colsT.shape[0]} column matrices for ${nb} samples`);
  let x = images;
  let oh = h;
  if (rows) {
    oh = np.shape(rows)[1];
    x = np.reshape(np.matmul(np.reshape(rows, [b, n * oh, h]), np.reshape(x, [b, h, w * c])), [nb, oh, w, c]);
  }
  if (!colsT) return x;
  const ow = np.shape(colsT)[2];
  if (c === 1) return np.reshape(np.matmul(np.reshape(x, [nb, oh, w]), colsT), [nb, oh, ow, 1]);
  const byChannel = np.reshape(np.transpose(x, [0, 1, 3, 2]), [nb, oh * c, w]);
  const out = np.reshape(np.matmul(byChannel, colsT), [nb, oh, c, ow]);
  return np.transpose(out, [0, 1, 3, 2]);
}

/** Index `i` of an axis of `n` pixels after reflection (torchvision's 'reflect' padding: -1 -> 1). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const r = ((i % period) + period) % period;
  return r < n ? r : period - r;
}

/**
 * Per-sample 1-D convolution matrices `[B, n, n]` (or transposed) for an axis of `n` pixels:
 * `taps: [B, k]` (k odd, centred), borders reflected. Built as one matmul of the taps with
 * a constant `[k, n·n]` table of shifted reflections.
 */
export function convolutionMatrix(taps: NdArray, n: number, transposed = false): NdArray {
  const [b, k] = taps.shape;
  const r = (k - 1) / 2;
  const table = new Float32Array(k * n * n);
  for (let t = 0; t < k; t++) {
    for (let i = 0; i < n; i++) {
      const j = reflectIndex(i + t - r, n);
      table[t * n * n + (transposed ? j * n + i : i * n + j)] += 1;
    }
  }
  return np.reshape(np.matmul(taps, np.array(table, 'float32', [k, n * n])), [b, n, n]);
}
