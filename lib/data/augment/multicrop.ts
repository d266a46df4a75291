/**
 * SwAV's multi-crop (facebookresearch/swav `MultiCropDataset`): `nmbCrops[i]` views of
 * size `sizeCrops[i]`, each a `RandomResizedCrop(sizeCrops[i], scale=(minScale[i],
 * maxScale[i]))` followed by a horizontal flip, colour distortion (colour jitter in
 * `RandomApply`, random grayscale), Gaussian blur, optional solarisation (BYOL) and
 * optional normalisation, with fresh random parameters per view and per sample.
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type GaussianBlurOptions, gaussianBlur } from './blur.js';
import { type ColorJitterOptions, type SolarizeOptions, colorJitter, normalize, randomGrayscale, solarize } from './color.js';
import { cropMatrices, flipMask, sampleCropBoxes } from './geometry.js';
import { type Interpolation, applySeparable } from './resample.js';
import { checkProb, dimsOf, min1, splitKey } from './util.js';

/** What happens to a view after its crop; `null` or 0 turns a step off. */
export interface ViewAugment {
  /** Aspect-ratio range of the crop (log-uniform). Default `[3/4, 4/3]`. */
  readonly ratio?: readonly [number, number];
  /** Antialias when a crop is shrunk. Default true. */
  readonly antialias?: boolean;
  /** Resampling filter of the crop, 'bilinear' (default) or 'bicubic' (DINO's, MAE's). */
  readonly interpolation?: Interpolation;
  /** Horizontal flip probability. Default 0.5. */
  readonly flip?: number;
  /** Colour jitter. Default SwAV's `get_color_distortion(s=1)`: 0.8, 0.8, 0.8, 0.2 with p = 0.8. */
  readonly colorJitter?: ColorJitterOptions | null;
  /** Random grayscale probability (RGB only). Default 0.2. */
  readonly grayscale?: number;
  /** Gaussian blur. Default SwAV's: p = 0.5, sigma in [0.1, 2], kernel ~10% of the view's side. */
  readonly blur?: GaussianBlurOptions | null;
  /** Solarisation (BYOL's second view uses p = 0.2). Default off. */
  readonly solarize?: SolarizeOptions | null;
  /** Per-channel normalisation applied last (outputs leave [0, 1]). Default off. */
  readonly normalize?: { readonly mean: number | readonly number[]; readonly std: number | readonly number[] } | null;
}

/** One view: a random resized crop of `size` with area fraction in `scale`, then {@link ViewAugment}. */
export interface ViewConfig extends ViewAugment {
  readonly size: number | readonly [number, number];
  /** Area fraction range. Default `[0.08, 1]`. */
  readonly scale?: readonly [number, number];
}

/** SwAV's multi-crop parameters, plus the view pipeline (shared, with per-group overrides). */
export interface MultiCropConfig extends ViewAugment {
  /** Views per group, e.g. `[2, 6]`. */
  readonly nmbCrops: readonly number[];
  /** Output side of each group's views, e.g. `[224, 96]`. */
  readonly sizeCrops: readonly number[];
  /** Smallest area fraction per group, e.g. `[0.14, 0.05]`. */
  readonly minScale: readonly number[];
  /** Largest area fraction per group, e.g. `[1, 0.14]`. */
  readonly maxScale: readonly number[];
  /** Per-group overrides of the view pipeline (e.g. BYOL's asymmetric blur/solarisation). */
  readonly groups?: readonly (ViewAugment | undefined)[];
}

/** SwAV's colour distortion strength s = 1: jitter (0.8s, 0.8s, 0.8s, 0.2s) with p = 0.8. */
export const SWAV_COLOR_JITTER: ColorJitterOptions = { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, p: 0.8 };

/** The defaults of {@link ViewAugment}: SwAV's pipeline without normalisation. */
export const DEFAULT_VIEW_AUGMENT: Required<ViewAugment> = {
  ratio: [3 / 4, 4 / 3],
  antialias: true,
  interpolation: 'bilinear',
  flip: 0.5,
  colorJitter: SWAV_COLOR_JITTER,
  grayscale: 0.2,
  blur: { p: 0.5, sigma: [0.1, 2.0] },
  solarize: null,
  normalize: null,
};

/**
 * SwAV's ImageNet recipe (`main_swav.py` defaults of the 8-crop runs): 2 x 224 with scale
 * [0.14, 1] and 6 x 96 with scale [0.05, 0.14]; flip, colour distortion s = 1, blur p = 0.5,
 * normalisation with SwAV's mean and std.
 */
export const swavAugment: MultiCropConfig = {
  nmbCrops: [2, 6],
  sizeCrops: [224, 96],
  minScale: [0.14, 0.05],
  maxScale: [1, 0.14],
  ...DEFAULT_VIEW_AUGMENT,
  normalize: { mean: [0.485, 0.456, 0.406], std: [0.228, 0.224, 0.225] },
};

/**
 * Multi-crop for 28x28 grayscale (Fashion-MNIST, MNIST): 2 global views of 28 with scale
 * [0.3, 1] and 4 local views of 14 with scale [0.1, 0.3]; flip p = 0.5; brightness and
 * contrast jitter 0.4 with p = 0.8 (SwAV's s = 0.5; saturation, hue and grayscale do not
 * apply to one channel); no blur (at 28 px even sigma = 1 erases the texture and stroke
 * details the classes differ by; SimCLR's CIFAR recipe also drops it); no solarisation;
 * outputs stay in [0, 1].
 */
export const fashionMnistAugment: MultiCropConfig = {
  nmbCrops: [2, 4],
  sizeCrops: [28, 14],
  minScale: [0.3, 0.1],
  maxScale: [1, 0.3],
  ratio: [3 / 4, 4 / 3],
  antialias: true,
  flip: 0.5,
  colorJitter: { brightness: 0.4, contrast: 0.4, p: 0.8 },
  grayscale: 0,
  blur: null,
  solarize: null,
  normalize: null,
};

/** `cfg` over {@link DEFAULT_VIEW_AUGMENT}; keys set to `undefined` keep the default (`null` turns a step off). */
function withDefaults(cfg: ViewAugment): Required<ViewAugment> {
  const set = Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_VIEW_AUGMENT, ...set };
}

/**
 * One augmented view of every image: crop + flip (folded into the two interpolation
 * matrices: one pair of batched matmuls), colour jitter, random grayscale, blur,
 * solarisation, normalisation. The key is split as
 * `[crop, flip, colorJitter, grayscale, blur, solarize] = split(key, 6)`, so this equals
 * composing the public functions with those keys.
 */
export function augmentView(key: NdArray, images: NdArray, cfg: ViewConfig): NdArray {
  return augmentViews(key, images, cfg, 1);
}

/**
 * `n` views of every image as one `[n·B, ...]` batch, sample-major (sample `k` is a view of
 * image `floor(k / n)`): the pipeline of {@link augmentView} (same key use) on the images
 * repeated n times, with the crop's row pass sharing the images instead of copying them.
 */
export function augmentViews(key: NdArray, images: NdArray, cfg: ViewConfig, n: number): NdArray {
  const d0 = dimsOf(images, 'augmentView');
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`augmentViews: n must be a positive integer, got ${n}`);
  const d = { ...d0, b: d0.b * n };
  const a = withDefaults(cfg);
  checkProb(a.flip, 'augmentView: flip');
  checkProb(a.grayscale, 'augmentView: grayscale');
  const size: [number, number] = typeof cfg.size === 'number' ? [cfg.size, cfg.size] : [cfg.size[0], cfg.size[1]];
  if (!size.every((s) => Number.isInteger(s) && s > 0)) throw new Error(`augmentView: size must be positive integers, got ${JSON.stringify(cfg.size)}`);
  return scope(() => {
    const [kCrop, kFlip, kColor, kGray, kBlur, kSolar] = splitKey(key, 6);
    const boxes = sampleCropBoxes(kCrop, d, cfg.scale ?? [0.08, 1], a.ratio);
    const flip = a.flip > 0 ? flipMask(kFlip, d.b, a.flip) : undefined;
    const [rows, colsT] = cropMatrices(boxes, [d.h, d.w], size, { antialias: a.antialias, interpolation: a.interpolation, flip });
    let x = applySeparable(images, rows, colsT);
    if (a.colorJitter) x = colorJitter(kColor, x, a.colorJitter);
    if (a.grayscale > 0) x = randomGrayscale(kGray, x, a.grayscale);
    if (a.blur) x = gaussianBlur(kBlur, x, a.blur);
    if (a.solarize) x = solarize(kSolar, x, a.solarize);
    // Resampling and blurring are weighted means whose weights sum to 1 up to rounding, so
    // a white pixel can come out at 1 + 1e-7: clamp, so views are exactly in [0, 1].
    x = min1(x);
    if (a.normalize) x = normalize(x, a.normalize.mean, a.normalize.std);
    return x;
  });
}

function checkConfig(cfg: MultiCropConfig): void {
  const n = cfg.nmbCrops.length;
  const lists = { sizeCrops: cfg.sizeCrops, minScale: cfg.minScale, maxScale: cfg.maxScale } as const;
  if (n === 0) throw new Error('multiCrop: nmbCrops is empty');
  for (const [name, list] of Object.entries(lists)) {
    if (list.length !== n) throw new Error(`multiCrop: ${name} has ${list.length} entries, nmbCrops has ${n} (one per crop group)`);
  }
  cfg.nmbCrops.forEach((c, i) => {
    if (!(Number.isInteger(c) && c >= 0)) throw new Error(`multiCrop: nmbCrops[${i}] must be a non-negative integer, got ${c}`);
    if (!(cfg.minScale[i] > 0 && cfg.minScale[i] <= cfg.maxScale[i])) throw new Error(`multiCrop: group ${i} needs 0 < minScale <= maxScale, got [${cfg.minScale[i]}, ${cfg.maxScale[i]}]`);
  });
  if (cfg.groups && cfg.groups.length > n) throw new Error(`multiCrop: groups has ${cfg.groups.length} entries for ${n} crop groups`);
}

/** Splits a sample-major `[B·n, ...]` batch into n view batches `[B, ...]`. */
function unstackViews(out: NdArray, b: number, n: number): NdArray[] {
  if (n === 1) return [out];
  const rest = out.shape.slice(1);
  // One transpose to view-major, then contiguous slices (strided slices are slow on wasm).
  const r = rest.length;
  const viewMajor = np.transpose(np.reshape(out, [b, n, ...rest]), [1, 0, ...Array.from({ length: r }, (_, i) => i + 2)]);
  return Array.from({ length: n }, (_, v) => np.reshape(np.sliceAxis(viewMajor, 0, v, v + 1), [b, ...rest]));
}

/**
 * SwAV's multi-crop on a batch `[B, H, W, C]` in [0, 1]: returns `sum(nmbCrops)` view
 * batches, group by group in the order of the config (SwAV: the global group first), each
 * `[B, sizeCrops[i], sizeCrops[i], C]`. The key is split once per group; a group's views are
 * augmented together by {@link augmentViews} (every sample and view draws its own
 * parameters) and then split, so a whole group costs one pipeline's kernel launches.
 * Works under `jit` (key and images as arguments; the config closed over).
 * @example
 * const step = jit((key, x) => multiCrop(key, x, fashionMnistAugment));
 * const [g1, g2, ...locals] = step(random.foldIn(runKey, stepIndex), images);
 */
export function multiCrop(key: NdArray, images: NdArray, cfg: MultiCropConfig): NdArray[] {
  const { b } = dimsOf(images, 'multiCrop');
  checkConfig(cfg);
  const { nmbCrops, sizeCrops, minScale, maxScale, groups, ...shared } = cfg;
  return scope(() => {
    const keys = splitKey(key, nmbCrops.length);
    return nmbCrops.flatMap((n, g) => {
      if (n === 0) return [];
      const view: ViewConfig = { ...shared, ...groups?.[g], size: sizeCrops[g], scale: [minScale[g], maxScale[g]] };
      return unstackViews(augmentViews(keys[g], images, view, n), b, n);
    });
  });
}

/** Options of {@link twoViews}: one view pipeline, with optional per-view overrides. */
export interface TwoViewsConfig extends ViewConfig {
  /** Overrides for the first and second view (BYOL: `[{ blur: { p: 1 } }, { blur: { p: 0.1 }, solarize: { p: 0.2 } }]`). */
  readonly views?: readonly [ViewAugment | undefined, ViewAugment | undefined];
}

/**
 * Two augmented views `[v1, v2]` of every image (SimCLR / BYOL / two-crop SwAV). Without
 * `views` overrides: {@link augmentViews} with n = 2 under `key`; with them: two
 * {@link augmentView}s under `split(key, 2)`.
 */
export function twoViews(key: NdArray, images: NdArray, cfg: TwoViewsConfig): [NdArray, NdArray] {
  const { b } = dimsOf(images, 'twoViews');
  const { views, ...view } = cfg;
  const asym = views?.[0] !== undefined || views?.[1] !== undefined;
  return scope(() => {
    if (asym) {
      const [k1, k2] = splitKey(key, 2);
      return [augmentView(k1, images, { ...view, ...views?.[0] }), augmentView(k2, images, { ...view, ...views?.[1] })];
    }
    const [v1, v2] = unstackViews(augmentViews(key, images, view, 2), b, 2);
    return [v1, v2];
  });
}
