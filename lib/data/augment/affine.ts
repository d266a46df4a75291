/**
 * Affine warps with torchvision 0.14's tensor maths (`F.affine`, `F.rotate`,
 * `RandomAffine`, `RandomRotation`): the inverse matrix of `_get_inverse_affine_matrix`,
 * the output grid of `_gen_affine_grid` sampled as `grid_sample(align_corners=False,
 * padding_mode='zeros')` (nearest or bilinear), and the fill of `_apply_grid_transform`.
 * Per-sample parameters, sampled with gathers (4 for bilinear, 1 for nearest).
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { checkRange, dimsOf, iota, splitKey, uniform } from './util.js';

/** Sampling of the warps: torchvision's `InterpolationMode.NEAREST` (its default) or `BILINEAR`. */
export type AffineInterpolation = 'nearest' | 'bilinear';

/** A parameter: one number for the batch, or per sample `[B]`. */
export type PerSample = number | NdArray;

/** Parameters of {@link affine}, in torchvision's units (degrees, pixels). */
export interface AffineOptions {
  /** Rotation in degrees, clockwise (torchvision's `affine`; `rotate` is counter-clockwise). Default 0. */
  readonly angle?: PerSample;
  /** Translation `[tx, ty]` in pixels, after the rotation. Default `[0, 0]`. */
  readonly translate?: readonly [PerSample, PerSample];
  /** Scale. Default 1. */
  readonly scale?: PerSample;
  /** Shear `[sx, sy]` in degrees. Default `[0, 0]`. */
  readonly shear?: readonly [PerSample, PerSample];
  /** Centre of the rotation, scale and shear in pixels `[x, y]` (pixel corners at integers, as torchvision). Default the image centre. */
  readonly center?: readonly [number, number];
  /** Default 'nearest', as torchvision. */
  readonly interpolation?: AffineInterpolation;
  /**
   * Value of the pixels coming from outside the image (a number, or one per channel).
   * `null` (the default of the functional `affine` / `rotate`): plain zero padding; a value
   * (the `Random*` classes pass 0): torchvision's mask blend, which for bilinear also darkens
   * the border pixels that are partly outside (`img·mask + (1 - mask)·fill`).
   */
  readonly fill?: number | readonly number[] | null;
}

const RAD = Math.PI / 180;

function asArray(v: PerSample, b: number): NdArray {
  return typeof v === 'number' ? np.full([b], v) : np.reshape(v, [b]);
}

/**
 * torchvision's `_get_inverse_affine_matrix`, per sample: the `[B, 6]` matrix (row-major
 * 2 x 3) mapping output coordinates (relative to the image centre) to input ones, for
 * `angle` (degrees), `translate`, `scale` and `shear` (degrees) of `[B]` each, about
 * `center` (relative to the image centre; default 0).
 */
export function inverseAffineMatrix(angle: NdArray, tx: NdArray, ty: NdArray, scale: NdArray, shearX: NdArray, shearY: NdArray, center: readonly [number, number] = [0, 0]): NdArray {
  const rot = np.mul(angle, RAD);
  const sx = np.mul(shearX, RAD);
  const sy = np.mul(shearY, RAD);
  const cosSy = np.cos(sy);
  const tanSx = np.tan(sx);
  const a = np.div(np.cos(np.sub(rot, sy)), cosSy);
  const b = np.sub(np.neg(np.mul(a, tanSx)), np.sin(rot));
  const c = np.div(np.sin(np.sub(rot, sy)), cosSy);
  const d = np.add(np.neg(np.mul(c, tanSx)), np.cos(rot));
  // [d, -b, 0, -c, a, 0] / scale, then the centre and translation folded in.
  const [cx, cy] = center;
  const m0 = np.div(d, scale);
  const m1 = np.div(np.neg(b), scale);
  const m3 = np.div(np.neg(c), scale);
  const m4 = np.div(a, scale);
  const [ux, uy] = [np.sub(-cx, tx), np.sub(-cy, ty)];
  const m2 = np.add(np.add(np.mul(m0, ux), np.mul(m1, uy)), cx);
  const m5 = np.add(np.add(np.mul(m3, ux), np.mul(m4, uy)), cy);
  return np.stack([m0, m1, m2, m3, m4, m5], 1);
}

/** Gathers `flat[b, y, x]` ([B·H·W, C]) at integer coordinates `[B, H, W]`, times `weight` where in bounds (0 outside). */
function tap(flat: NdArray, dims: { b: number; h: number; w: number; c: number }, y: NdArray, x: NdArray, weight: NdArray): [NdArray, NdArray] {
  const { b, h, w, c } = dims;
  const inside = np.cast(np.logicalAnd(np.logicalAnd(np.greaterEqual(x, 0), np.lessEqual(x, w - 1)), np.logicalAnd(np.greaterEqual(y, 0), np.lessEqual(y, h - 1))), 'float32');
  const base = np.reshape(np.mul(np.arange(0, b, 1, 'int32'), h * w), [b, 1, 1]);
  const idx = np.add(base, np.add(np.mul(np.cast(np.clip(y, 0, h - 1), 'int32'), w), np.cast(np.clip(x, 0, w - 1), 'int32')));
  const wt = np.mul(weight, inside);
  const vals = np.reshape(np.take(flat, np.reshape(idx, [b * h * w]), 0), [b, h, w, c]);
  return [np.mul(vals, np.expandDims(wt, 3)), wt];
}

/**
 * Warps each image by its inverse matrix `[B, 6]` ({@link inverseAffineMatrix}): output pixel
 * (i, j) reads the input at `M·(j - cx, i - cy, 1) + (cx, cy)`, `(cx, cy) = ((W - 1) / 2, (H - 1) / 2)`,
 * as torchvision's `_gen_affine_grid` with `grid_sample(align_corners=False)`: nearest rounds
 * half to even, bilinear weighs the four neighbours, pixels outside read 0; then the fill
 * (see {@link AffineOptions.fill}).
 */
export function warpAffine(images: NdArray, matrix: NdArray, interpolation: AffineInterpolation = 'nearest', fill: number | readonly number[] | null = null): NdArray {
  const d = dimsOf(images, 'warpAffine');
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') throw new Error(`warpAffine: interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(interpolation)}`);
  const fillVec = fill === null ? null : typeof fill === 'number' ? [fill] : [...fill];
  if (fillVec && fillVec.length !== 1 && fillVec.length !== d.c) throw new Error(`warpAffine: fill has ${fillVec.length} values for ${d.c} channels`);
  return scope(() => {
    const [cx, cy] = [(d.w - 1) / 2, (d.h - 1) / 2];
    const xs = np.sub(iota(d.w, [1, 1, d.w]), cx);
    const ys = np.sub(iota(d.h, [1, d.h, 1]), cy);
    const m = (k: number) => np.reshape(np.sliceAxis(matrix, 1, k, k + 1), [d.b, 1, 1]);
    const sx = np.add(np.add(np.add(np.mul(m(0), xs), np.mul(m(1), ys)), m(2)), cx);
    const sy = np.add(np.add(np.add(np.mul(m(3), xs), np.mul(m(4), ys)), m(5)), cy);
    const flat = np.reshape(images, [d.b * d.h * d.w, d.c]);
    let taps: [NdArray, NdArray][];
    if (interpolation === 'nearest') taps = [tap(flat, d, np.round(sy), np.round(sx), np.ones([1, 1, 1]))];
    else {
      const [x0, y0] = [np.floor(sx), np.floor(sy)];
      const [fx, fy] = [np.sub(sx, x0), np.sub(sy, y0)];
      const [gx, gy] = [np.sub(1, fx), np.sub(1, fy)];
      const [x1, y1] = [np.add(x0, 1), np.add(y0, 1)];
      taps = [tap(flat, d, y0, x0, np.mul(gy, gx)), tap(flat, d, y0, x1, np.mul(gy, fx)), tap(flat, d, y1, x0, np.mul(fy, gx)), tap(flat, d, y1, x1, np.mul(fy, fx))];
    }
    const out = taps.map((t) => t[0]).reduce((acc, t) => np.add(acc, t));
    if (!fillVec) return out;
    // The image's mask: the same sampling of an all-ones channel.
    let mask = np.expandDims(taps.map((t) => t[1]).reduce((acc, t) => np.add(acc, t)), 3);
    if (interpolation === 'nearest') mask = np.cast(np.greaterEqual(mask, 0.5), 'float32');
    const fillArr = np.array(fillVec, 'float32', [1, 1, 1, fillVec.length]);
    return np.add(np.mul(out, mask), np.mul(np.sub(1, mask), fillArr));
  });
}

/**
 * torchvision's `F.affine(img, angle, translate, scale, shear, interpolation, fill, center)`
 * on a batch; each parameter one number or per sample `[B]`.
 * @example affine(x, { angle: 30, translate: [2, -1], scale: 1.1, interpolation: 'bilinear' })
 */
export function affine(images: NdArray, opts: AffineOptions): NdArray {
  const d = dimsOf(images, 'affine');
  if (typeof opts.scale === 'number' && !(opts.scale > 0)) throw new Error(`affine: scale must be positive, got ${opts.scale}`);
  return scope(() => {
    const v = (p: PerSample | undefined, dflt: number) => asArray(p ?? dflt, d.b);
    const [tx, ty] = opts.translate ?? [0, 0];
    const [shx, shy] = opts.shear ?? [0, 0];
    const center: [number, number] = opts.center ? [opts.center[0] - d.w / 2, opts.center[1] - d.h / 2] : [0, 0];
    const matrix = inverseAffineMatrix(v(opts.angle, 0), v(tx, 0), v(ty, 0), v(opts.scale, 1), v(shx, 0), v(shy, 0), center);
    return warpAffine(images, matrix, opts.interpolation, opts.fill ?? null);
  });
}

/** torchvision's `F.rotate(img, angle, interpolation, expand=False, center, fill)`: counter-clockwise degrees, one or per sample. */
export function rotate(images: NdArray, angle: PerSample, opts: Pick<AffineOptions, 'interpolation' | 'fill' | 'center'> = {}): NdArray {
  return scope(() => affine(images, { ...opts, angle: typeof angle === 'number' ? -angle : np.neg(angle) }));
}

/** A symmetric range from a non-negative number, or the range itself. */
function rangeOf(v: number | readonly [number, number], what: string): [number, number] {
  if (typeof v === 'number') {
    if (!(v >= 0)) throw new Error(`${what} must be non-negative, got ${v}`);
    return [-v, v];
  }
  checkRange(v, what);
  return [v[0], v[1]];
}

/** Options of {@link randomRotation}. */
export interface RandomRotationOptions {
  /** Angle range in degrees: `d` for `[-d, d]`, or `[lo, hi]`. */
  readonly degrees: number | readonly [number, number];
  readonly interpolation?: AffineInterpolation;
  /** Default 0, as torchvision's `RandomRotation` (the mask blend; `null` for plain zero padding). */
  readonly fill?: number | readonly number[] | null;
}

/** torchvision's `RandomRotation(degrees, interpolation, fill=0)`: a uniform angle per sample, counter-clockwise. */
export function randomRotation(key: NdArray, images: NdArray, opts: RandomRotationOptions): NdArray {
  const d = dimsOf(images, 'randomRotation');
  const [lo, hi] = rangeOf(opts.degrees, 'randomRotation: degrees');
  return scope(() => rotate(images, uniform(key, [d.b], lo, hi), { interpolation: opts.interpolation, fill: opts.fill === undefined ? 0 : opts.fill }));
}

/** Options of {@link randomAffine}, as torchvision's `RandomAffine`. */
export interface RandomAffineOptions {
  /** Angle range in degrees: `d` for `[-d, d]`, or `[lo, hi]`. */
  readonly degrees: number | readonly [number, number];
  /** Maximal translation as fractions `[a, b]` of the width and height. Default none. */
  readonly translate?: readonly [number, number];
  /** Scale range `[lo, hi]`. Default none (1). */
  readonly scale?: readonly [number, number];
  /** Shear in degrees: `s` for x in `[-s, s]`, `[lo, hi]` for x, or `[xlo, xhi, ylo, yhi]`. Default none. */
  readonly shear?: number | readonly [number, number] | readonly [number, number, number, number];
  readonly interpolation?: AffineInterpolation;
  /** Default 0 (the mask blend; `null` for plain zero padding). */
  readonly fill?: number | readonly number[] | null;
}

function shearRanges(s: RandomAffineOptions['shear']): [[number, number], [number, number]] {
  if (s === undefined) return [[0, 0], [0, 0]];
  if (typeof s === 'number') return [rangeOf(s, 'randomAffine: shear'), [0, 0]];
  if (s.length === 2) return [rangeOf([s[0], s[1]], 'randomAffine: shear'), [0, 0]];
  if (s.length === 4) return [rangeOf([s[0], s[1]], 'randomAffine: shear x'), rangeOf([s[2], s[3]], 'randomAffine: shear y')];
  throw new Error(`randomAffine: shear must be a number or 2 or 4 numbers, got ${JSON.stringify(s)}`);
}

/**
 * torchvision's `RandomAffine` on a batch, per sample: angle uniform in `degrees`,
 * translation `round(U(-a·W, a·W))`, `round(U(-b·H, b·H))` pixels (half to even), scale
 * uniform in `scale`, shear uniform in its ranges; then {@link affine}.
 */
export function randomAffine(key: NdArray, images: NdArray, opts: RandomAffineOptions): NdArray {
  const d = dimsOf(images, 'randomAffine');
  const deg = rangeOf(opts.degrees, 'randomAffine: degrees');
  const tr = opts.translate ?? [0, 0];
  checkRange([0, tr[0]], 'randomAffine: translate[0]', 0, 1);
  checkRange([0, tr[1]], 'randomAffine: translate[1]', 0, 1);
  const sc = opts.scale ?? [1, 1];
  checkRange(sc, 'randomAffine: scale', Number.MIN_VALUE);
  const [shx, shy] = shearRanges(opts.shear);
  return scope(() => {
    const [kA, kX, kY, kS, kSx, kSy] = splitKey(key, 6);
    const [mx, my] = [tr[0] * d.w, tr[1] * d.h];
    return affine(images, {
      angle: uniform(kA, [d.b], deg[0], deg[1]),
      translate: [np.round(uniform(kX, [d.b], -mx, mx)), np.round(uniform(kY, [d.b], -my, my))],
      scale: uniform(kS, [d.b], sc[0], sc[1]),
      shear: [uniform(kSx, [d.b], shx[0], shx[1]), uniform(kSy, [d.b], shy[0], shy[1])],
      interpolation: opts.interpolation,
      fill: opts.fill === undefined ? 0 : opts.fill,
    });
  });
}
