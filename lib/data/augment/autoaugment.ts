/**
 * torchvision 0.14's `RandAugment`, `TrivialAugmentWide` and `AutoAugment` on whole batches: their
 * augmentation spaces (op names, magnitude bins, signed or not) and `_apply_op`, with an op,
 * a sign and (TrivialAugmentWide) a magnitude bin drawn per sample. Vectorised: every op
 * runs on the whole batch with per-sample magnitudes and a one-hot mask per sample keeps the
 * drawn one, so one round costs the 14 ops.
 *
 * torchvision runs these on uint8 images (its posterize needs them) and rounds to bytes
 * after every op; here the images stay float32 between ops (posterize, solarize and
 * equalize read the bytes `round(255·x)`, see photometric.ts).
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type AffineInterpolation, affine, rotate } from './affine.js';
import { adjustBrightness, adjustContrast, adjustSaturation, solarizeAt } from './color.js';
import { roundHalfEven } from './geometry.js';
import { adjustSharpness, autocontrast, equalize, invert, posterize } from './photometric.js';
import { coin, dimsOf, splitKey, uniform } from './util.js';

/** One op of an augmentation space: its magnitude bins (null: none), whether they take a random sign, and `_apply_op`. */
interface AugmentOp {
  readonly name: string;
  readonly bins: readonly number[] | null;
  readonly signed: boolean;
  readonly apply: (x: NdArray, m: NdArray, warp: WarpOptions) => NdArray;
}

interface WarpOptions {
  readonly interpolation: AffineInterpolation;
  readonly fill: number | readonly number[] | null;
}

/** torch.linspace(lo, hi, n) in doubles. */
function linspace(lo: number, hi: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => (n === 1 ? lo : lo + ((hi - lo) * i) / (n - 1)));
}

const DEG = 180 / Math.PI;
const noMagnitude = (name: string, apply: (x: NdArray) => NdArray): AugmentOp => ({ name, bins: null, signed: false, apply: (x) => apply(x) });
const shear = (axis: 0 | 1) => (x: NdArray, m: NdArray, w: WarpOptions) => {
  const deg = np.mul(np.arctan(m), DEG);
  const zero = np.zerosLike(deg);
  return affine(x, { ...w, shear: axis === 0 ? [deg, zero] : [zero, deg], center: [0, 0] });
};
const translate = (axis: 0 | 1) => (x: NdArray, m: NdArray, w: WarpOptions) => {
  const t = np.trunc(m); // Python's int()
  const zero = np.zerosLike(t);
  return affine(x, { ...w, translate: axis === 0 ? [t, zero] : [zero, t] });
};
const factor = (fn: (x: NdArray, f: NdArray) => NdArray) => (x: NdArray, m: NdArray) => fn(x, np.reshape(np.add(m, 1), [-1, 1, 1, 1]));

/**
 * The augmentation space of RandAugment (`wide = false`: shear 0.3, translate 150/331 of the
 * side, rotate 30, enhance 0.9, posterize down to 4 bits; AutoAugment's too, with 10 bins and
 * Invert) or TrivialAugmentWide (`wide`: 0.99, 32 px, 135, 0.99, down to 2 bits), as
 * torchvision's `_augmentation_space`.
 */
function augmentationSpace(numBins: number, h: number, w: number, wide: boolean): AugmentOp[] {
  const [sh, tx, ty, rot, enh, postBits] = wide ? [0.99, 32, 32, 135, 0.99, 6] : [0.3, (150 / 331) * w, (150 / 331) * h, 30, 0.9, 4];
  const signed = (name: string, hi: number, apply: AugmentOp['apply']): AugmentOp => ({ name, bins: linspace(0, hi, numBins), signed: true, apply });
  return [
    noMagnitude('Identity', (x) => x),
    signed('ShearX', sh, shear(0)),
    signed('ShearY', sh, shear(1)),
    signed('TranslateX', tx, translate(0)),
    signed('TranslateY', ty, translate(1)),
    signed('Rotate', rot, (x, m, wo) => rotate(x, m, wo)),
    signed('Brightness', enh, factor(adjustBrightness)),
    signed('Color', enh, factor(adjustSaturation)),
    signed('Contrast', enh, factor(adjustContrast)),
    signed('Sharpness', enh, factor(adjustSharpness)),
    { name: 'Posterize', bins: Array.from({ length: numBins }, (_, i) => 8 - roundHalfEven(i / ((numBins - 1) / postBits))), signed: false, apply: (x, m) => posterize(x, np.cast(m, 'int32')) },
    { name: 'Solarize', bins: linspace(255, 0, numBins), signed: false, apply: (x, m) => solarizeAt(x, np.div(m, 255)) },
    noMagnitude('AutoContrast', autocontrast),
    noMagnitude('Equalize', equalize),
    noMagnitude('Invert', invert),
  ];
}

/** Options shared by {@link randAugment} and {@link trivialAugmentWide}. */
export interface AutoAugmentOptions {
  /** Number of magnitude bins. Default 31. */
  readonly numMagnitudeBins?: number;
  /** Sampling of the geometric ops. Default 'nearest', as torchvision. */
  readonly interpolation?: AffineInterpolation;
  /** Fill of the geometric ops (see `AffineOptions.fill`). Default null (zeros), as torchvision. */
  readonly fill?: number | readonly number[] | null;
}

/**
 * Applies op `which[i]` (float `[B]`, an index into `ops`) at magnitude bin `bins[i]` (int32
 * `[B]`) with sign `sign[i]` (±1, for signed ops) to each sample: every op of `candidates`
 * (the indices that can occur) runs on the whole batch, a one-hot mask keeps the drawn one.
 */
function applyPerSample(x: NdArray, ops: AugmentOp[], candidates: readonly number[], which: NdArray, bins: NdArray, sign: NdArray, warp: WarpOptions): NdArray {
  const b = x.shape[0];
  const terms = candidates.map((k) => {
    const op = ops[k];
    const mask = np.reshape(np.cast(np.equal(which, k), 'float32'), [b, 1, 1, 1]);
    const table = op.bins ? np.take(np.array(op.bins, 'float32'), bins, 0, 'clip') : np.zeros([b]);
    return np.mul(op.apply(x, op.signed ? np.mul(table, sign) : table, warp), mask);
  });
  return terms.reduce((acc, t) => np.add(acc, t));
}

/** A random sign per sample, ±1 (torchvision negates when `randint(2)` says so). */
function randomSign(key: NdArray, b: number): NdArray {
  return np.sub(1, np.mul(np.cast(coin(key, b, 0.5), 'float32'), 2));
}

/** One round: per sample an op (uniform), a magnitude bin (`bin`, `[B]` int32) and a sign. */
function applyRandomOp(key: NdArray, x: NdArray, ops: AugmentOp[], bin: (k: NdArray) => NdArray, warp: WarpOptions): NdArray {
  const b = x.shape[0];
  const [kOp, kBin, kSign] = splitKey(key, 3);
  const which = np.floor(np.mul(uniform(kOp, [b]), ops.length));
  return applyPerSample(x, ops, ops.map((_, k) => k), which, bin(kBin), randomSign(kSign, b), warp);
}

function checkBins(n: number, fn: string): void {
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`${fn}: numMagnitudeBins must be an integer >= 2, got ${n}`);
}

/**
 * torchvision's `RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31)`: `numOps`
 * rounds, each applying one op drawn uniformly per sample from RandAugment's 14, at bin
 * `magnitude` with a random sign for the signed ops.
 * @example randAugment(key, images, { numOps: 2, magnitude: 9 })
 */
export function randAugment(key: NdArray, images: NdArray, opts: AutoAugmentOptions & { readonly numOps?: number; readonly magnitude?: number } = {}): NdArray {
  const d = dimsOf(images, 'randAugment');
  const numBins = opts.numMagnitudeBins ?? 31;
  const numOps = opts.numOps ?? 2;
  const magnitude = opts.magnitude ?? 9;
  checkBins(numBins, 'randAugment');
  if (!(Number.isInteger(numOps) && numOps >= 0)) throw new Error(`randAugment: numOps must be a non-negative integer, got ${numOps}`);
  if (!(Number.isInteger(magnitude) && magnitude >= 0 && magnitude < numBins)) throw new Error(`randAugment: magnitude must be an integer in [0, ${numBins - 1}], got ${magnitude}`);
  const ops = randSpace(numBins, d.h, d.w, false);
  const warp = { interpolation: opts.interpolation ?? 'nearest', fill: opts.fill ?? null };
  return scope(() => {
    const fixed = () => np.full([d.b], magnitude, 'int32');
    return splitKey(key, Math.max(numOps, 1))
      .slice(0, numOps)
      .reduce((x, k) => applyRandomOp(k, x, ops, fixed, warp), images);
  });
}

/**
 * torchvision's `TrivialAugmentWide(num_magnitude_bins=31)`: per sample one op drawn
 * uniformly from the wide space, at a magnitude bin drawn uniformly, with a random sign for
 * the signed ops.
 */
export function trivialAugmentWide(key: NdArray, images: NdArray, opts: AutoAugmentOptions = {}): NdArray {
  const d = dimsOf(images, 'trivialAugmentWide');
  const numBins = opts.numMagnitudeBins ?? 31;
  checkBins(numBins, 'trivialAugmentWide');
  const ops = randSpace(numBins, d.h, d.w, true);
  const warp = { interpolation: opts.interpolation ?? 'nearest', fill: opts.fill ?? null };
  return scope(() => applyRandomOp(key, images, ops, (k) => np.cast(np.floor(np.mul(uniform(k, [d.b]), numBins)), 'int32'), warp));
}

/** RandAugment's and TrivialAugmentWide's 14 ops (all but Invert). */
function randSpace(numBins: number, h: number, w: number, wide: boolean): AugmentOp[] {
  return augmentationSpace(numBins, h, w, wide).filter((op) => op.name !== 'Invert');
}

/** The op names of RandAugment's and TrivialAugmentWide's spaces, in torchvision's order (an op's index is its draw). */
export const AUGMENT_OPS: readonly string[] = randSpace(31, 1, 1, false).map((op) => op.name);

/** The magnitude bins of an op (null for ops without one), for RandAugment and AutoAugment (`wide: false`; AutoAugment uses 10 bins) or TrivialAugmentWide. */
export function magnitudeBins(op: string, opts: { numBins?: number; height: number; width: number; wide: boolean }): readonly number[] | null {
  const found = augmentationSpace(opts.numBins ?? 31, opts.height, opts.width, opts.wide).find((o) => o.name === op);
  if (!found) throw new Error(`magnitudeBins: unknown op ${JSON.stringify(op)}; expected one of ${AUGMENT_OPS.join(', ')}, Invert`);
  return found.bins;
}

/** One step of an AutoAugment sub-policy: op name, probability, magnitude bin (null: none). */
type PolicyStep = readonly [string, number, number | null];
type SubPolicy = readonly [PolicyStep, PolicyStep];

/** torchvision's `AutoAugmentPolicy` tables (25 sub-policies each, from the AutoAugment paper). */
export const AUTO_AUGMENT_POLICIES: Readonly<Record<'imagenet' | 'cifar10' | 'svhn', readonly SubPolicy[]>> = {
  imagenet: [
    [['Posterize', 0.4, 8], ['Rotate', 0.6, 9]], [['Solarize', 0.6, 5], ['AutoContrast', 0.6, null]],
    [['Equalize', 0.8, null], ['Equalize', 0.6, null]], [['Posterize', 0.6, 7], ['Posterize', 0.6, 6]],
    [['Equalize', 0.4, null], ['Solarize', 0.2, 4]], [['Equalize', 0.4, null], ['Rotate', 0.8, 8]],
    [['Solarize', 0.6, 3], ['Equalize', 0.6, null]], [['Posterize', 0.8, 5], ['Equalize', 1.0, null]],
    [['Rotate', 0.2, 3], ['Solarize', 0.6, 8]], [['Equalize', 0.6, null], ['Posterize', 0.4, 6]],
    [['Rotate', 0.8, 8], ['Color', 0.4, 0]], [['Rotate', 0.4, 9], ['Equalize', 0.6, null]],
    [['Equalize', 0.0, null], ['Equalize', 0.8, null]], [['Invert', 0.6, null], ['Equalize', 1.0, null]],
    [['Color', 0.6, 4], ['Contrast', 1.0, 8]], [['Rotate', 0.8, 8], ['Color', 1.0, 2]],
    [['Color', 0.8, 8], ['Solarize', 0.8, 7]], [['Sharpness', 0.4, 7], ['Invert', 0.6, null]],
    [['ShearX', 0.6, 5], ['Equalize', 1.0, null]], [['Color', 0.4, 0], ['Equalize', 0.6, null]],
    [['Equalize', 0.4, null], ['Solarize', 0.2, 4]], [['Solarize', 0.6, 5], ['AutoContrast', 0.6, null]],
    [['Invert', 0.6, null], ['Equalize', 1.0, null]], [['Color', 0.6, 4], ['Contrast', 1.0, 8]],
    [['Equalize', 0.8, null], ['Equalize', 0.6, null]],
  ],
  cifar10: [
    [['Invert', 0.1, null], ['Contrast', 0.2, 6]], [['Rotate', 0.7, 2], ['TranslateX', 0.3, 9]],
    [['Sharpness', 0.8, 1], ['Sharpness', 0.9, 3]], [['ShearY', 0.5, 8], ['TranslateY', 0.7, 9]],
    [['AutoContrast', 0.5, null], ['Equalize', 0.9, null]], [['ShearY', 0.2, 7], ['Posterize', 0.3, 7]],
    [['Color', 0.4, 3], ['Brightness', 0.6, 7]], [['Sharpness', 0.3, 9], ['Brightness', 0.7, 9]],
    [['Equalize', 0.6, null], ['Equalize', 0.5, null]], [['Contrast', 0.6, 7], ['Sharpness', 0.6, 5]],
    [['Color', 0.7, 7], ['TranslateX', 0.5, 8]], [['Equalize', 0.3, null], ['AutoContrast', 0.4, null]],
    [['TranslateY', 0.4, 3], ['Sharpness', 0.2, 6]], [['Brightness', 0.9, 6], ['Color', 0.2, 8]],
    [['Solarize', 0.5, 2], ['Invert', 0.0, null]], [['Equalize', 0.2, null], ['AutoContrast', 0.6, null]],
    [['Equalize', 0.2, null], ['Equalize', 0.6, null]], [['Color', 0.9, 9], ['Equalize', 0.6, null]],
    [['AutoContrast', 0.8, null], ['Solarize', 0.2, 8]], [['Brightness', 0.1, 3], ['Color', 0.7, 0]],
    [['Solarize', 0.4, 5], ['AutoContrast', 0.9, null]], [['TranslateY', 0.9, 9], ['TranslateY', 0.7, 9]],
    [['AutoContrast', 0.9, null], ['Solarize', 0.8, 3]], [['Equalize', 0.8, null], ['Invert', 0.1, null]],
    [['TranslateY', 0.7, 9], ['AutoContrast', 0.9, null]],
  ],
  svhn: [
    [['ShearX', 0.9, 4], ['Invert', 0.2, null]], [['ShearY', 0.9, 8], ['Invert', 0.7, null]],
    [['Equalize', 0.6, null], ['Solarize', 0.6, 6]], [['Invert', 0.9, null], ['Equalize', 0.6, null]],
    [['Equalize', 0.6, null], ['Rotate', 0.9, 3]], [['ShearX', 0.9, 4], ['AutoContrast', 0.8, null]],
    [['ShearY', 0.9, 8], ['Invert', 0.4, null]], [['ShearY', 0.9, 5], ['Solarize', 0.2, 6]],
    [['Invert', 0.9, null], ['AutoContrast', 0.8, null]], [['Equalize', 0.6, null], ['Rotate', 0.9, 3]],
    [['ShearX', 0.9, 4], ['Solarize', 0.3, 3]], [['ShearY', 0.8, 8], ['Invert', 0.7, null]],
    [['Equalize', 0.9, null], ['TranslateY', 0.6, 6]], [['Invert', 0.9, null], ['Equalize', 0.6, null]],
    [['Contrast', 0.3, 3], ['Rotate', 0.8, 4]], [['Invert', 0.8, null], ['TranslateY', 0.0, 2]],
    [['ShearY', 0.7, 6], ['Solarize', 0.4, 8]], [['Invert', 0.6, null], ['Rotate', 0.8, 4]],
    [['ShearY', 0.3, 7], ['TranslateX', 0.9, 3]], [['ShearX', 0.1, 6], ['Invert', 0.6, null]],
    [['Solarize', 0.7, 2], ['TranslateY', 0.6, 7]], [['ShearY', 0.8, 4], ['Invert', 0.8, null]],
    [['ShearX', 0.7, 9], ['TranslateY', 0.8, 3]], [['ShearY', 0.8, 5], ['AutoContrast', 0.7, null]],
    [['ShearX', 0.7, 2], ['Invert', 0.1, null]],
  ],
};

/**
 * torchvision's `AutoAugment(policy)`: per sample a sub-policy drawn uniformly from the 25 of
 * `policy`, whose two steps each apply with their probability (`u <= p`), at their magnitude
 * bin of AutoAugment's 10-bin space, with a random sign for the signed ops.
 * @example autoAugment(key, images, { policy: 'cifar10' })
 */
export function autoAugment(key: NdArray, images: NdArray, opts: { readonly policy?: 'imagenet' | 'cifar10' | 'svhn'; readonly interpolation?: AffineInterpolation; readonly fill?: number | readonly number[] | null } = {}): NdArray {
  const d = dimsOf(images, 'autoAugment');
  const policy = opts.policy ?? 'imagenet';
  const table = AUTO_AUGMENT_POLICIES[policy];
  if (!table) throw new Error(`autoAugment: policy must be 'imagenet', 'cifar10' or 'svhn', got ${JSON.stringify(policy)}`);
  const ops = augmentationSpace(10, d.h, d.w, false);
  const index = (name: string) => ops.findIndex((op) => op.name === name);
  const identity = index('Identity');
  const warp = { interpolation: opts.interpolation ?? 'nearest', fill: opts.fill ?? null };
  return scope(() => {
    const [kPolicy, ...kSteps] = splitKey(key, 5);
    const id = np.cast(np.floor(np.mul(uniform(kPolicy, [d.b]), table.length)), 'int32');
    return [0, 1].reduce((x, i) => {
      const steps = table.map((sub) => sub[i]);
      const lookup = (v: number[]) => np.take(np.array(v, 'float32'), id, 0, 'clip');
      const applied = np.lessEqual(uniform(kSteps[2 * i], [d.b]), lookup(steps.map((s) => s[1])));
      const which = np.where(applied, lookup(steps.map((s) => index(s[0]))), identity);
      const bins = np.cast(lookup(steps.map((s) => s[2] ?? 0)), 'int32');
      const candidates = [...new Set([identity, ...steps.map((s) => index(s[0]))])];
      return applyPerSample(x, ops, candidates, which, bins, randomSign(kSteps[2 * i + 1], d.b), warp);
    }, images);
  });
}
