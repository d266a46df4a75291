/**
 * Resampling on channels-last arrays, as PyTorch's F.interpolate / nn.Upsample and
 * F.pixel_shuffle / F.pixel_unshuffle: x [N, L, C] or [N, H, W, C].
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { positiveInt, stateless } from './layer.js';

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

export interface InterpolateOptions {
  /** The output's spatial size ([oh, ow], or a number for every spatial axis). Exactly one of size and scaleFactor. */
  readonly size?: number | readonly number[];
  /** Output side = floor(input side * scaleFactor); the sampling positions use 1 / scaleFactor, as PyTorch. */
  readonly scaleFactor?: number | readonly number[];
  /** Default 'nearest' (PyTorch's: the source index floor(dst * in / out), which shifts the image; 'nearest-exact' rounds to the closest pixel centre). */
  readonly mode?: InterpolateMode;
  /** 'linear', 'bilinear', 'bicubic' and 'trilinear' only: the corner pixels' centres line up (default false, PyTorch's). */
  readonly alignCorners?: boolean;
  /** With scaleFactor: sample as if the output size floor(in · scaleFactor) had been given, at in / out, not 1 / scaleFactor (PyTorch's recompute_scale_factor; default false). */
  readonly recomputeScaleFactor?: boolean;
  /** 'bilinear' and 'bicubic' only: PyTorch's antialiased filters ({@link antialiasWeights}; default false, PyTorch's). */
  readonly antialias?: boolean;
}

/** PyTorch's source position scale per output step: (in - 1) / (out - 1) with align_corners, else 1 / scaleFactor or in / out. */
function sourceScale(n: number, m: number, alignCorners: boolean, factor: number | undefined): number {
  if (alignCorners) return m > 1 ? (n - 1) / (m - 1) : 0;
  return factor !== undefined ? 1 / factor : n / m;
}

/** Source index of each of `m` outputs of an axis of `n` (nearest modes), in float32 as PyTorch's kernels. */
function nearestIndices(n: number, m: number, exact: boolean, factor: number | undefined): number[] {
  const scale = Math.fround(sourceScale(n, m, false, factor));
  return Array.from({ length: m }, (_, i) => Math.min(Math.floor(Math.fround((exact ? i + 0.5 : i) * scale)), n - 1));
}

/**
 * The [m, n] matrix of linear interpolation from an axis of `n` samples to `m` (PyTorch's
 * upsample_linear / bilinear weights): output i reads src = scale (i + 0.5) - 0.5 (clamped at
 * 0), or scale i with `alignCorners`, between floor(src) and the next sample.
 */
function linearWeights(n: number, m: number, alignCorners = false, factor?: number): Float32Array {
  const r = new Float32Array(m * n);
  const scale = sourceScale(n, m, alignCorners, factor);
  for (let i = 0; i < m; i++) {
    const src = alignCorners ? scale * i : Math.max(scale * (i + 0.5) - 0.5, 0);
    const i0 = Math.min(Math.floor(src), n - 1);
    const i1 = Math.min(i0 + 1, n - 1);
    const l = Math.min(Math.max(src - i0, 0), 1);
    r[i * n + i0] += 1 - l;
    r[i * n + i1] += l;
  }
  return r;
}

/** Keys' cubic convolution kernel with coefficient `a` at distance |x| (zero from 2 on): PyTorch's plain bicubic uses a = -0.75, its antialiased bicubic PIL's a = -0.5. */
function keysCubic(x: number, a: number): number {
  const d = Math.abs(x);
  if (d < 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  return d < 2 ? ((a * d - 5 * a) * d + 8 * a) * d - 4 * a : 0;
}

/** PyTorch's cubic convolution weights (A = -0.75) of the 4 taps around a fractional offset t in [0, 1). */
function cubicCoefficients(t: number): number[] {
  return [t + 1, t, 1 - t, 2 - t].map((d) => keysCubic(d, -0.75));
}

/**
 * The [m, n] matrix of bicubic interpolation along one axis (PyTorch's upsample_bicubic2d, which is
 * separable): output i reads src = scale (i + 0.5) - 0.5 (not clamped), or scale i with
 * `alignCorners`, from the 4 samples floor(src) - 1 ... floor(src) + 2, clamped to the axis.
 */
function cubicWeights(n: number, m: number, alignCorners = false, factor?: number): Float32Array {
  const r = new Float32Array(m * n);
  const scale = sourceScale(n, m, alignCorners, factor);
  for (let i = 0; i < m; i++) {
    const src = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
    const i0 = Math.floor(src);
    cubicCoefficients(src - i0).forEach((c, k) => {
      r[i * n + Math.min(Math.max(i0 - 1 + k, 0), n - 1)] += c;
    });
  }
  return r;
}

/**
 * The [m, n] matrix of antialiased resampling (PyTorch's `antialias=True`, PIL's filters): output i
 * is centred at c = scale (i + 0.5) and takes input j with the filter's weight at (j + 0.5 - c) / s,
 * the filter stretched by s = max(scale, 1) when shrinking, over the inputs within its support
 * (1 for the triangle, 2 for Keys' cubic with a = -0.5, times s) that lie inside the axis, each row
 * normalised to sum 1. So upsampling is a bilinear (or PIL bicubic) resize whose border taps are
 * dropped rather than clamped, and shrinking averages every input the output covers.
 */
function antialiasWeights(n: number, m: number, cubic: boolean, alignCorners = false, factor?: number): Float32Array {
  const r = new Float32Array(m * n);
  const scale = sourceScale(n, m, alignCorners, factor);
  const stretch = Math.max(scale, 1);
  const support = (cubic ? 2 : 1) * stretch;
  const filter = cubic ? (x: number) => keysCubic(x, -0.5) : (x: number) => Math.max(1 - Math.abs(x), 0);
  for (let i = 0; i < m; i++) {
    const centre = scale * (i + 0.5);
    // PyTorch's window: C++ truncation toward zero, then clipped to the axis.
    const lo = Math.max(Math.trunc(centre - support + 0.5), 0);
    const hi = Math.min(Math.trunc(centre + support + 0.5), n);
    const w = Array.from({ length: Math.max(hi - lo, 0) }, (_, j) => filter((lo + j - centre + 0.5) / stretch));
    const total = w.reduce((a, b) => a + b, 0);
    w.forEach((v, j) => {
      r[i * n + lo + j] = total !== 0 ? v / total : v;
    });
  }
  return r;
}

/** The [m, n] matrix of 'area' resampling (adaptive average pooling): output i averages inputs [floor(i n / m), ceil((i + 1) n / m)). */
function areaWeights(n: number, m: number): Float32Array {
  const r = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const [a, b] = [Math.floor((i * n) / m), Math.ceil(((i + 1) * n) / m)];
    for (let j = a; j < b; j++) r[i * n + j] = 1 / (b - a);
  }
  return r;
}

/** One value per spatial axis from a number or a list of that length. */
function perAxis(v: number | readonly number[], k: number, what: string): number[] {
  const a = typeof v === 'number' ? new Array<number>(k).fill(v) : [...v];
  if (a.length !== k || a.some((d) => !(d > 0) || !Number.isFinite(d))) throw new Error(`interpolate: ${what} must be ${k} positive number(s), got ${JSON.stringify(v)}`);
  return a;
}

const MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'];
/** The input a mode needs: 1 spatial axis (linear), 2 (bilinear, bicubic), 3 (trilinear), or any of them. */
const MODE_RANK: Partial<Record<InterpolateMode, number>> = { linear: 3, bilinear: 4, bicubic: 4, trilinear: 5 };
const LAYOUTS: Record<number, string> = { 3: '[N, L, C]', 4: '[N, H, W, C]', 5: '[N, D, H, W, C]' };

/**
 * F.interpolate on channels-last arrays: [N, L, C] ('nearest', 'nearest-exact', 'linear', 'area'),
 * [N, H, W, C] ('nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area') or [N, D, H, W, C]
 * ('nearest', 'nearest-exact', 'trilinear', 'area'), PyTorch's index and
 * weight rules ('area' is adaptive average pooling; 'bicubic' PyTorch's A = -0.75 kernel with the
 * border clamped; `antialias` PyTorch's antialiased bilinear and bicubic). Differentiable (a gather per axis for nearest, a matrix per
 * axis otherwise).
 * @example F.interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false }) // [N, H, W, C] -> [N, 2H, 2W, C]
 */
export function interpolate(x: NdArray, opts: InterpolateOptions): NdArray {
  const mode = opts.mode ?? 'nearest';
  if (!MODES.includes(mode)) throw new Error(`interpolate: mode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}, got '${String(mode)}'`);
  const rank = x.shape.length;
  const k = rank - 2;
  const expected = MODE_RANK[mode];
  if (k < 1 || k > 3 || (expected && rank !== expected))
    throw new Error(`interpolate: mode '${mode}' needs ${expected ? LAYOUTS[expected] : '[N, L, C], [N, H, W, C] or [N, D, H, W, C]'} (channels last), got ${shapeStr(x.shape)}`);
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) throw new Error('interpolate: give exactly one of size and scaleFactor');
  const nearest = mode === 'nearest' || mode === 'nearest-exact';
  if (opts.alignCorners !== undefined && (nearest || mode === 'area')) throw new Error(`interpolate: alignCorners applies to the linear modes only, not '${mode}' (to 'linear', 'bilinear', 'bicubic' and 'trilinear')`);
  if (opts.antialias && mode !== 'bilinear' && mode !== 'bicubic') throw new Error(`interpolate: antialias applies to modes 'bilinear' and 'bicubic' only, not '${mode}'`);
  const inSizes = x.shape.slice(1, 1 + k);
  const factors = opts.scaleFactor === undefined ? undefined : perAxis(opts.scaleFactor, k, 'scaleFactor');
  const outSizes = factors ? inSizes.map((n, i) => Math.floor(n * factors[i])) : perAxis(opts.size!, k, 'size').map((d) => positiveInt(d, 'interpolate: size'));
  if (outSizes.some((d) => d < 1)) throw new Error(`interpolate: the output size [${outSizes}] of input ${shapeStr(x.shape)} must be positive`);
  const align = opts.alignCorners ?? false;
  const sampling = opts.recomputeScaleFactor ? undefined : factors;
  const matrix = (n: number, m: number, f: number | undefined) => {
    if (mode === 'area') return areaWeights(n, m);
    if (opts.antialias) return antialiasWeights(n, m, mode === 'bicubic', align, f);
    return mode === 'bicubic' ? cubicWeights(n, m, align, f) : linearWeights(n, m, align, f);
  };
  return inSizes.reduce((y, n, i) => {
    const m = outSizes[i];
    const axis = 1 + i;
    if (nearest) return np.take(y, nearestIndices(n, m, mode === 'nearest-exact', sampling?.[i]), axis, 'clip');
    const w = np.reshape(np.array(matrix(n, m, sampling?.[i])), [m, n]);
    return np.moveaxis(np.tensordot(w, y, [[1], [axis]]), 0, axis);
  }, x);
}

/** The size or scale of the deprecated F.upsample_nearest / F.upsample_bilinear. */
export type UpsampleSize = Pick<InterpolateOptions, 'size' | 'scaleFactor'>;

/** F.upsample_nearest (deprecated in PyTorch): {@link interpolate} with mode 'nearest'. */
export const upsampleNearest = (x: NdArray, opts: UpsampleSize) => interpolate(x, { size: opts.size, scaleFactor: opts.scaleFactor, mode: 'nearest' });

/** F.upsample_bilinear (deprecated in PyTorch): {@link interpolate} with mode 'bilinear' and alignCorners TRUE, as PyTorch's. */
export const upsampleBilinear = (x: NdArray, opts: UpsampleSize) => interpolate(x, { size: opts.size, scaleFactor: opts.scaleFactor, mode: 'bilinear', alignCorners: true });

/** PyTorch's nn.Upsample as a layer: {@link interpolate} with fixed options (default mode 'nearest'). */
export const upsample = (opts: InterpolateOptions) => stateless('upsample', (x) => interpolate(x, opts));

/** The last three axes [H, W, C] of a channels-last array, checked. */
function spatialLast(x: NdArray, op: string): number[] {
  if (x.shape.length < 3) throw new Error(`${op}: expected [..., H, W, C] (channels last), got ${shapeStr(x.shape)}`);
  return x.shape.slice(-3);
}

/**
 * F.pixel_shuffle channels-last: [..., H, W, C r^2] -> [..., H r, W r, C], channel c r^2 + i r + j
 * going to row offset i and column offset j, as PyTorch's channel order (so weights transfer).
 */
export function pixelShuffle(x: NdArray, upscaleFactor: number): NdArray {
  const r = positiveInt(upscaleFactor, 'pixelShuffle: upscaleFactor');
  const [h, w, c] = spatialLast(x, 'pixelShuffle');
  if (c % (r * r)) throw new Error(`pixelShuffle: the channels ${c} of ${shapeStr(x.shape)} must be divisible by upscaleFactor^2 = ${r * r}`);
  const lead = x.shape.slice(0, -3);
  const b = lead.length;
  const split = np.reshape(x, [...lead, h, w, c / (r * r), r, r]);
  const moved = np.transpose(split, [...lead.keys(), b, b + 3, b + 1, b + 4, b + 2]);
  return np.reshape(moved, [...lead, h * r, w * r, c / (r * r)]);
}

/** F.pixel_unshuffle channels-last, the inverse of {@link pixelShuffle}: [..., H r, W r, C] -> [..., H, W, C r^2]. */
export function pixelUnshuffle(x: NdArray, downscaleFactor: number): NdArray {
  const r = positiveInt(downscaleFactor, 'pixelUnshuffle: downscaleFactor');
  const [hr, wr, c] = spatialLast(x, 'pixelUnshuffle');
  if (hr % r || wr % r) throw new Error(`pixelUnshuffle: the height and width of ${shapeStr(x.shape)} must be divisible by downscaleFactor ${r}`);
  const lead = x.shape.slice(0, -3);
  const b = lead.length;
  const split = np.reshape(x, [...lead, hr / r, r, wr / r, r, c]);
  const moved = np.transpose(split, [...lead.keys(), b, b + 2, b + 4, b + 1, b + 3]);
  return np.reshape(moved, [...lead, hr / r, wr / r, c * r * r]);
}

/** PyTorch's nn.PixelShuffle(upscaleFactor) as a layer, channels last (see {@link pixelShuffle}). */
export const pixelShuffleLayer = (config: { readonly upscaleFactor: number }) => stateless('pixelShuffle', (x) => pixelShuffle(x, config.upscaleFactor));

/** PyTorch's nn.PixelUnshuffle(downscaleFactor) as a layer, channels last (see {@link pixelUnshuffle}). */
export const pixelUnshuffleLayer = (config: { readonly downscaleFactor: number }) => stateless('pixelUnshuffle', (x) => pixelUnshuffle(x, config.downscaleFactor));
