/**
 * Photometric augmentations with torchvision's maths (`ColorJitter`, `RandomGrayscale`,
 * `RandomSolarize`, `Normalize`), on whole NHWC batches with one random factor per sample.
 *
 * Grayscale batches (C = 1): only brightness and contrast apply; saturation and hue are
 * identities on a gray image (torchvision skips them too), and random grayscale does
 * nothing.
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { applyWithProb, checkProb, checkRange, clamp01, coin, dimsOf, luma, min1, perSample, select01, splitKey, step, uniform } from './util.js';

/** A jitter strength `v` (the range `[max(0, 1 - v), 1 + v]`; for hue `[-v, v]`) or an explicit range. */
export type JitterSpec = number | readonly [number, number];

/** Options of {@link colorJitter}. Every part defaults to 0 (off). */
export interface ColorJitterOptions {
  readonly brightness?: JitterSpec;
  readonly contrast?: JitterSpec;
  readonly saturation?: JitterSpec;
  /** Hue shift as a fraction of the colour wheel, within [-0.5, 0.5]. */
  readonly hue?: JitterSpec;
  /** Probability of jittering a sample at all (torchvision's `RandomApply`). Default 1. */
  readonly p?: number;
  /**
   * Apply the parts in a random order per sample, as torchvision does per image. Default
   * true. Vectorised, this evaluates every active part at every position (n² part
   * evaluations for n active parts); `false` uses the fixed order brightness, contrast,
   * saturation, hue (n evaluations).
   */
  readonly randomOrder?: boolean;
}

function factorRange(v: JitterSpec | undefined, what: string, centre: number, bound: readonly [number, number]): [number, number] | null {
  if (v === undefined) return null;
  let r: [number, number];
  if (typeof v === 'number') {
    if (!(v >= 0)) throw new Error(`colorJitter: ${what} must be non-negative, got ${v}`);
    r = centre === 1 ? [Math.max(0, 1 - v), 1 + v] : [-v, v];
  } else r = [v[0], v[1]];
  checkRange(r, `colorJitter: ${what}`, bound[0], bound[1]);
  return r[0] === centre && r[1] === centre ? null : r;
}

/**
 * `clamp(f·x)`: torchvision's `adjust_brightness`, f >= 0 per sample `[B, 1, 1, 1]`. Inputs
 * are taken to be in [0, 1], so only the upper bound is applied.
 */
export function adjustBrightness(x: NdArray, f: NdArray): NdArray {
  return min1(np.mul(x, f));
}

/** Blend `f·x + (1 - f)·other`, clamped (torchvision's `_blend`). */
function blend(x: NdArray, other: NdArray, f: NdArray): NdArray {
  return clamp01(np.add(np.mul(x, f), np.mul(other, np.sub(1, f))));
}

/** Blend with the mean gray level of each image: torchvision's `adjust_contrast`. */
export function adjustContrast(x: NdArray, f: NdArray): NdArray {
  const gray = x.shape[3] === 3 ? luma(x) : x;
  return blend(x, np.mean(gray, [1, 2, 3], true), f);
}

/** Blend with the grayscale image: torchvision's `adjust_saturation` (identity for C = 1). */
export function adjustSaturation(x: NdArray, f: NdArray): NdArray {
  return x.shape[3] === 3 ? blend(x, luma(x), f) : x;
}

/** `x mod 1` for any real x (Python's `%`). */
function frac(x: NdArray): NdArray {
  return np.sub(x, np.floor(x));
}

/** RGB [B, H, W, 3] -> hue, saturation, value, each [B, H, W, 1], as torchvision's `_rgb2hsv`. */
export function rgbToHsv(x: NdArray): [NdArray, NdArray, NdArray] {
  const r = np.sliceAxis(x, 3, 0, 1);
  const g = np.sliceAxis(x, 3, 1, 2);
  const b = np.sliceAxis(x, 3, 2, 3);
  const maxc = np.maximum(np.maximum(r, g), b);
  const minc = np.minimum(np.minimum(r, g), b);
  // Masks as float 0/1 and arithmetic selects (fast on wasm; see util.ts).
  const flat = np.cast(np.equal(maxc, minc), 'float32');
  const cr = np.sub(maxc, minc); // 0 where flat
  const s = np.div(cr, np.add(maxc, flat)); // torchvision: cr / (flat ? 1 : maxc); both 0 where flat
  const crd = np.add(cr, flat);
  const rc = np.div(np.sub(maxc, r), crd);
  const gc = np.div(np.sub(maxc, g), crd);
  const bc = np.div(np.sub(maxc, b), crd);
  const isR = np.cast(np.equal(maxc, r), 'float32');
  const isG = np.cast(np.equal(maxc, g), 'float32');
  const h6 = select01(isR, np.sub(bc, gc), select01(isG, np.add(np.sub(rc, bc), 2), np.add(np.sub(gc, rc), 4)));
  return [frac(np.div(h6, 6)), s, maxc];
}

/** Hue, saturation, value [B, H, W, 1] each -> RGB [B, H, W, 3] (`v - v·s·clip(min(k, 4 - k), 0, 1)`, `k = (n + 6h) mod 6`). */
export function hsvToRgb(h: NdArray, s: NdArray, v: NdArray): NdArray {
  const vs = np.mul(v, s);
  const channel = (n: number) => {
    const k = np.mul(frac(np.add(h, n / 6)), 6);
    return np.sub(v, np.mul(vs, clamp01(np.minimum(k, np.sub(4, k)))));
  };
  return np.concatenate([channel(5), channel(3), channel(1)], 3);
}

/** Rotates the hue by `f` turns (per sample): torchvision's `adjust_hue` (identity for C = 1). */
export function adjustHue(x: NdArray, f: NdArray): NdArray {
  if (x.shape[3] !== 3) return x;
  const [h, s, v] = rgbToHsv(x);
  return hsvToRgb(frac(np.add(h, f)), s, v);
}

type Part = { readonly range: [number, number]; readonly apply: (x: NdArray, f: NdArray) => NdArray };

/**
 * torchvision's `ColorJitter` (wrapped in `RandomApply(p)`) on a batch: per sample a
 * brightness, contrast and saturation factor uniform in their ranges and a hue shift
 * uniform in its range, applied in a random order per sample (see `randomOrder`), each
 * step clamped to [0, 1] as torchvision does. On grayscale batches only brightness and
 * contrast apply.
 * @example colorJitter(key, x, { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 })
 */
export function colorJitter(key: NdArray, images: NdArray, opts: ColorJitterOptions): NdArray {
  const d = dimsOf(images, 'colorJitter');
  const p = opts.p ?? 1;
  checkProb(p, 'colorJitter: p');
  const rgb = d.c === 3;
  const specs: (Part | null)[] = [
    mk(factorRange(opts.brightness, 'brightness', 1, [0, Infinity]), adjustBrightness),
    mk(factorRange(opts.contrast, 'contrast', 1, [0, Infinity]), adjustContrast),
    rgb ? mk(factorRange(opts.saturation, 'saturation', 1, [0, Infinity]), adjustSaturation) : null,
    rgb ? mk(factorRange(opts.hue, 'hue', 0, [-0.5, 0.5]), adjustHue) : null,
  ];
  if (!rgb) {
    factorRange(opts.saturation, 'saturation', 1, [0, Infinity]);
    factorRange(opts.hue, 'hue', 0, [-0.5, 0.5]);
  }
  if (p <= 0 || specs.every((s) => s === null)) return images;
  return scope(() => {
    const [kApply, kOrder, ...kParts] = splitKey(key, 6);
    // Samples not picked (probability 1 - p) get neutral factors (1, or a hue shift of 0),
    // which leave them unchanged (exactly, but for the hue's round trip through HSV,
    // ~1e-7): cheaper than jittering everything and selecting.
    const picked = p < 1 ? coin(kApply, d.b, p) : null;
    const parts = specs.flatMap((s, i) => {
      if (!s) return [];
      const neutral = i === 3 ? 0 : 1;
      const f = uniform(kParts[i], [d.b], s.range[0], s.range[1]);
      return [{ ...s, f: perSample(picked ? np.where(picked, f, neutral) : f) }];
    });
    const x = images;
    if (!(opts.randomOrder ?? true) || parts.length === 1) return parts.reduce((y, part) => part.apply(y, part.f), x);
    const u = uniform(kOrder, [d.b, parts.length]);
    if (parts.length === 2) {
      // Two parts, two orders: compute both, keep one per sample (float mask: exact, fast).
      const [a, b] = parts;
      const first = perSample(np.cast(np.less(np.sliceAxis(u, 1, 0, 1), np.sliceAxis(u, 1, 1, 2)), 'float32'));
      return select01(first, b.apply(a.apply(x, a.f), b.f), a.apply(b.apply(x, b.f), a.f));
    }
    // Rank of each part per sample (ties, of probability ~2^-24, broken by position).
    const cols = parts.map((_, k) => np.sliceAxis(u, 1, k, k + 1));
    const ranks = cols.map((uk, k) =>
      cols.reduce<NdArray>((acc, uj, j) => (j === k ? acc : np.add(acc, np.cast(j < k ? np.lessEqual(uj, uk) : np.less(uj, uk), 'float32'))), np.zerosLike(uk)),
    );
    // At each stage every part runs on the whole batch; a one-hot per-sample mask keeps
    // the part whose rank is the stage (sum of masked terms: exact, fast on wasm).
    let y = x;
    for (let stage = 0; stage < parts.length; stage++) {
      const before = y;
      const terms = parts.map((part, k) => np.mul(part.apply(before, part.f), perSample(np.cast(np.equal(np.reshape(ranks[k], [d.b]), stage), 'float32'))));
      y = terms.reduce((acc, t) => np.add(acc, t));
    }
    return y;
  });
}

function mk(range: [number, number] | null, apply: Part['apply']): Part | null {
  return range ? { range, apply } : null;
}

/**
 * torchvision's `RandomGrayscale(p)`: with probability p per sample, the image becomes its
 * luma (0.2989 R + 0.587 G + 0.114 B) in all three channels. Identity on grayscale batches.
 */
export function randomGrayscale(key: NdArray, images: NdArray, p = 0.1): NdArray {
  const d = dimsOf(images, 'randomGrayscale');
  checkProb(p, 'randomGrayscale: p');
  if (d.c !== 3) return images;
  return scope(() => applyWithProb(key, images, p, (x) => np.mul(luma(x), np.ones([1, 1, 1, 3]))));
}

/** Options of {@link solarize}. */
export interface SolarizeOptions {
  /** Probability per sample. Default 0.5 (torchvision's `RandomSolarize`). */
  readonly p?: number;
  /** Pixels at or above it are inverted (`1 - x`). Default 0.5. */
  readonly threshold?: number;
}

/** torchvision's `F.solarize(img, threshold)` (no key): `x >= threshold ? 1 - x : x`, the threshold one number or per sample `[B]`. */
export function solarizeAt(images: NdArray, threshold: number | NdArray): NdArray {
  const t = typeof threshold === 'number' ? threshold : perSample(threshold);
  // x + [x >= t]·(1 - 2x): exact, and only fast wasm kernels (see util.ts).
  return np.add(images, np.mul(step(np.sub(images, t)), np.sub(1, np.mul(images, 2))));
}

/** torchvision's `RandomSolarize(threshold, p)`: with probability p, `x >= threshold ? 1 - x : x`. */
export function solarize(key: NdArray, images: NdArray, opts: SolarizeOptions = {}): NdArray {
  dimsOf(images, 'solarize');
  const p = opts.p ?? 0.5;
  const threshold = opts.threshold ?? 0.5;
  checkProb(p, 'solarize: p');
  return scope(() => applyWithProb(key, images, p, (x) => solarizeAt(x, threshold)));
}

/** `(x - mean) / std` per channel (numbers apply to every channel), as torchvision's `Normalize`. */
export function normalize(images: NdArray, mean: number | readonly number[], std: number | readonly number[]): NdArray {
  const d = dimsOf(images, 'normalize');
  const vec = (v: number | readonly number[], what: string): number[] => {
    const a = typeof v === 'number' ? new Array<number>(d.c).fill(v) : [...v];
    if (a.length !== d.c) throw new Error(`normalize: ${what} has ${a.length} values for ${d.c} channels`);
    if (what === 'std' && a.some((s) => !(s > 0))) throw new Error(`normalize: std must be positive, got ${JSON.stringify(v)}`);
    return a;
  };
  const m = vec(mean, 'mean');
  const s = vec(std, 'std');
  return scope(() => np.mul(np.sub(images, np.array(m, 'float32', [1, 1, 1, d.c])), np.array(s.map((v) => 1 / v), 'float32', [1, 1, 1, d.c])));
}
