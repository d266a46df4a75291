/**
 * The torchvision transforms added in session 15 (sharpness, autocontrast, posterize,
 * equalize, invert, resize, center crop, rotate / affine, random erasing, RandAugment,
 * TrivialAugmentWide, AutoAugment) against torchvision 0.14's
 * functional tensor maths with the same parameters: test/fixtures/torchvision_session15.json
 * (tools/torchvision_session15.py, on torch 1.13; channels-first there, channels-last here).
 * The keyed forms are checked for their per-sample application and their samplers against
 * a scalar transcription of torchvision's `get_params`.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as A from '../../lib/data/augment/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

type Shape = [number, number, number, number];
interface Fixture {
  small: { shape: Shape; bytes: number[] };
  sharpness: { factors: number[]; rgb: number[] };
  autocontrast: number[];
  posterize: Record<string, number[]>;
  equalize_small: number[];
  big: { shape: Shape; bytes: number[] };
  equalize_big: number[];
  resize_src: { shape: Shape; data: number[] };
  resize: { size: number | [number, number]; hw: [number, number]; interpolation: 'bilinear' | 'bicubic'; antialias: boolean; out: number[] }[];
  warp_src: { shape: Shape; data: number[] };
  warps: ({ kind: 'rotate' | 'affine'; interpolation: 'nearest' | 'bilinear'; fill: number[] | null; center?: [number, number]; out: number[] } & Record<'angle' | 'scale', number[]> &
    Record<'translate' | 'shear', [number, number][]>)[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/torchvision_session15.json', import.meta.url), 'utf8')) as Fixture;

const read = (x: unknown): number[] => Array.from((x as tf.Tensor).dataSync());
const bytesOf = (x: np.NdArray): number[] => read(x).map((v) => Math.round(v * 255));
const fromBytes = (b: number[], shape: Shape) => np.array(b.map((v) => v / 255), 'float32', shape);
const small = fromBytes(fx.small.bytes, fx.small.shape);
const big = fromBytes(fx.big.bytes, fx.big.shape);
const sample = (x: np.NdArray, i: number) => np.sliceAxis(x, 0, i, i + 1);
// The fixture holds 6 decimals; float32 maths differs from torch's by a few ulps.
const TOL = { rtol: 0, atol: 3e-6 };

// ---------------------------------------------------------------------------------------
const photo = suite('photometric transforms = torchvision functional_tensor');

photo('adjustSharpness: 3x3 smoothing (borders kept) blended per sample; identity on H or W <= 2', () => {
  allClose(read(A.adjustSharpness(small, np.array(fx.sharpness.factors, 'float32'))), fx.sharpness.rgb, TOL);
  const thin = np.sliceAxis(small, 1, 0, 2);
  assert.equal(read(A.adjustSharpness(thin, 0)), read(thin));
  assert.throws(() => A.adjustSharpness(small, -1), /adjustSharpness: factor must be non-negative, got -1/);
});

photo('autocontrast: per-channel min/max stretch, a constant channel unchanged', () => {
  allClose(read(A.autocontrast(small)), fx.autocontrast, TOL);
});

photo('posterize keeps the high bits of each byte; bits 8 is the identity', () => {
  for (const [bits, want] of Object.entries(fx.posterize)) assert.equal(bytesOf(A.posterize(small, Number(bits))), want, `bits ${bits}`);
  assert.equal(read(A.posterize(small, 8)), read(small));
  assert.equal(bytesOf(A.posterize(small, 0)), fx.small.bytes.map(() => 0));
  assert.throws(() => A.posterize(small, 9), /posterize: bits must be an integer in \[0, 8\], got 9/);
});

photo('equalize: torchvision histogram LUT per image and channel (and step 0 unchanged)', () => {
  assert.equal(bytesOf(A.equalize(big)), fx.equalize_big);
  assert.equal(bytesOf(A.equalize(small)), fx.equalize_small);
  assert.equal(bytesOf(jit((x: np.NdArray) => A.equalize(x))(big)), fx.equalize_big, 'under jit');
});

photo('invert is 1 - x', () => {
  allClose(read(A.invert(small)), fx.small.bytes.map((v) => 1 - v / 255), TOL);
});

photo('random forms apply the transform to a per-sample coin flip of p', () => {
  const key = random.key(3);
  const eight = np.concatenate(Array.from({ length: 8 }, () => big), 0);
  const fns: [string, (k: np.NdArray, x: np.NdArray, p: number) => np.NdArray, (x: np.NdArray) => np.NdArray][] = [
    ['sharpness', (k, x, p) => A.randomAdjustSharpness(k, x, { sharpnessFactor: 2, p }), (x) => A.adjustSharpness(x, 2)],
    ['autocontrast', (k, x, p) => A.randomAutocontrast(k, x, p), A.autocontrast],
    ['equalize', (k, x, p) => A.randomEqualize(k, x, p), A.equalize],
    ['posterize', (k, x, p) => A.randomPosterize(k, x, { bits: 2, p }), (x) => A.posterize(x, 2)],
    ['invert', (k, x, p) => A.randomInvert(k, x, p), A.invert],
  ];
  for (const [name, rand, det] of fns) {
    assert.equal(read(rand(key, eight, 0)), read(eight), `${name} p = 0`);
    assert.equal(read(rand(key, eight, 1)), read(det(eight)), `${name} p = 1`);
    const out = rand(key, eight, 0.5);
    const all = det(eight);
    let hits = 0;
    for (let i = 0; i < 8; i++) {
      const got = read(sample(out, i));
      const yes = got.every((v, j) => v === read(sample(all, i))[j]);
      const no = got.every((v, j) => v === read(sample(eight, i))[j]);
      assert.ok(yes || no, `${name}: sample ${i} is either transformed or untouched`);
      hits += yes && !no ? 1 : 0;
    }
    assert.ok(hits > 0 && hits < 8, `${name}: p = 0.5 picks some samples, got ${hits} of 8`);
    assert.equal(read(rand(key, eight, 0.5)), read(out), `${name}: same key, same output`);
  }
});

// ---------------------------------------------------------------------------------------
const geometry = suite('resize and centerCrop = torchvision');

geometry('resize = F.interpolate with torchvision output sizes (number: shorter side)', () => {
  const src = np.array(fx.resize_src.data, 'float32', fx.resize_src.shape);
  for (const c of fx.resize) {
    const out = A.resize(src, c.size, { antialias: c.antialias, interpolation: c.interpolation });
    assert.equal(out.shape, [1, ...c.hw, 3], `shape for size ${JSON.stringify(c.size)}`);
    allClose(read(out), c.out, { rtol: 0, atol: 1e-5 }, `size ${JSON.stringify(c.size)} ${c.interpolation} aa=${c.antialias}`);
  }
  assert.equal(A.resizedSize(224, 300, 256), [256, 342]);
  assert.equal(A.resizedSize(300, 224, 256), [342, 256]);
  assert.equal(A.resizedSize(100, 400, 50, 150), [37, 150]);
  assert.throws(() => A.resize(src, 0), /resize: size must be positive integers, got 0/);
});

geometry('centerCrop: offsets round half to even; larger crops pad with zeros as torchvision', () => {
  const x = np.reshape(np.arange(0, 30, 1, 'float32'), [1, 5, 6, 1]);
  // 5 x 6 -> 2 x 3: top round(1.5) = 2, left round(1.5) = 2.
  assert.equal(read(A.centerCrop(x, [2, 3])), [14, 15, 16, 20, 21, 22]);
  // 5 x 6 -> 4 x 4: top round(0.5) = 0, left round(1) = 1.
  assert.equal(read(A.centerCrop(x, 4)), [1, 2, 3, 4, 7, 8, 9, 10, 13, 14, 15, 16, 19, 20, 21, 22]);
  // 5 x 6 -> 8 x 7: padded top 1, bottom 2, left 0, right 1.
  const big8 = read(A.centerCrop(x, [8, 7]));
  const want = Array.from({ length: 56 }, (_, k) => {
    const [i, j] = [Math.floor(k / 7) - 1, k % 7];
    return i >= 0 && i < 5 && j < 6 ? i * 6 + j : 0;
  });
  assert.equal(big8, want);
});

geometry('rotate and affine = torchvision F.rotate / F.affine (grid, grid_sample, fill)', () => {
  const src = np.array(fx.warp_src.data, 'float32', fx.warp_src.shape);
  const col = (v: number[]) => np.array(v, 'float32');
  for (const w of fx.warps) {
    const opts = { interpolation: w.interpolation, fill: w.fill, center: w.center };
    const out =
      w.kind === 'rotate'
        ? A.rotate(src, col(w.angle), opts)
        : A.affine(src, { ...opts, angle: col(w.angle), scale: col(w.scale), translate: [0, 1].map((k) => col(w.translate.map((t) => t[k]))) as [np.NdArray, np.NdArray], shear: [0, 1].map((k) => col(w.shear.map((t) => t[k]))) as [np.NdArray, np.NdArray] });
    allClose(read(out), w.out, { rtol: 0, atol: 2e-5 }, `${w.kind} ${w.interpolation} fill ${JSON.stringify(w.fill)}`);
  }
  // Rotating by 0 is the identity; by 90 degrees a transpose-and-flip (counter-clockwise).
  assert.equal(read(A.rotate(src, 0)), read(src));
  const sq = np.reshape(np.arange(0, 9, 1, 'float32'), [1, 3, 3, 1]);
  allClose(read(A.rotate(sq, 90)), [2, 5, 8, 1, 4, 7, 0, 3, 6], { rtol: 0, atol: 1e-6 });
  assert.throws(() => A.rotate(src, 10, { interpolation: 'bicubic' as 'nearest' }), /warpAffine: interpolation must be 'nearest' or 'bilinear', got "bicubic"/);
});

geometry('randomRotation / randomAffine draw per-sample parameters in range; same key, same output', () => {
  const src = np.array(fx.warp_src.data, 'float32', fx.warp_src.shape);
  const key = random.key(5);
  const angle = read(random.uniform(key, [2], { minval: -40, maxval: 40 }));
  assert.equal(read(A.randomRotation(key, src, { degrees: 40 })), read(A.rotate(src, np.array(angle, 'float32'), { fill: 0 })));
  const aff = A.randomAffine(key, src, { degrees: [0, 0], translate: [0.3, 0], interpolation: 'nearest', fill: null });
  // A pure integer translation: every output column is an input column shifted by tx in [-2, 2].
  const [, kX] = random.split(key, 6);
  const tx = read(np.round(random.uniform(kX, [2], { minval: -0.3 * 7, maxval: 0.3 * 7 })));
  assert.equal(read(aff), read(A.affine(src, { translate: [np.array(tx, 'float32'), 0] })));
  assert.ok(tx.every((t) => Number.isInteger(t) && Math.abs(t) <= 2));
  assert.throws(() => A.randomAffine(key, src, { degrees: -1 }), /randomAffine: degrees must be non-negative, got -1/);
});

// ---------------------------------------------------------------------------------------
const erasing = suite('randomErasing = torchvision RandomErasing');

/** torchvision's get_params, scalar, on the same uniform draws. */
function erasingRef(area: number[], logr: number[], u: [number, number], H: number, W: number): [number, number, number, number] {
  for (let a = 0; a < area.length; a++) {
    const aspect = Math.exp(logr[a]);
    const h = Math.round(Math.fround(Math.sqrt(Math.fround(area[a] * aspect))));
    const w = Math.round(Math.fround(Math.sqrt(Math.fround(area[a] / aspect))));
    if (h < H && w < W) return [Math.floor(u[0] * (H - h + 1)), Math.floor(u[1] * (W - w + 1)), h, w];
  }
  return [0, 0, 0, 0];
}

erasing('boxes: first attempt with h < H and w < W (h from area·aspect), corner uniform', () => {
  const [H, W, b] = [10, 16, 64];
  const key = random.key(7);
  const scale: [number, number] = [0.02, 0.9];
  const ratio: [number, number] = [0.3, 3.3];
  const boxes = A.sampleErasingBoxes(key, { b, h: H, w: W }, scale, ratio);
  const [kArea, kRatio, kTop, kLeft] = random.split(key, 4);
  const area = read(np.mul(random.uniform(kArea, [b, 10], { minval: scale[0], maxval: scale[1] }), H * W));
  const logr = read(random.uniform(kRatio, [b, 10], { minval: Math.log(ratio[0]), maxval: Math.log(ratio[1]) }));
  const ut = read(random.uniform(kTop, [b]));
  const ul = read(random.uniform(kLeft, [b]));
  const got = [boxes.top, boxes.left, boxes.height, boxes.width].map(read);
  let empty = 0;
  for (let i = 0; i < b; i++) {
    const want = erasingRef(area.slice(10 * i, 10 * i + 10), logr.slice(10 * i, 10 * i + 10), [ut[i], ul[i]], H, W);
    assert.equal(got.map((g) => g[i]), want, `sample ${i}`);
    empty += want[2] === 0 ? 1 : 0;
  }
  assert.ok(empty < b / 2, 'most samples find a box');
});

erasing('fills the box with the value (number, per channel, or noise); p = 0 identity', () => {
  const x = np.full([6, 12, 14, 3], 0.5);
  const key = random.key(1);
  const out = read(A.randomErasing(key, x, { p: 1, value: [1, 2, 3] }));
  const boxes = A.sampleErasingBoxes(random.split(key, 3)[0], { b: 6, h: 12, w: 14 });
  const [top, left, height, width] = [boxes.top, boxes.left, boxes.height, boxes.width].map(read);
  for (let k = 0; k < out.length; k++) {
    const [b, i, j, c] = [Math.floor(k / 504), Math.floor(k / 42) % 12, Math.floor(k / 3) % 14, k % 3];
    const inside = i >= top[b] && i < top[b] + height[b] && j >= left[b] && j < left[b] + width[b];
    if (out[k] !== (inside ? c + 1 : 0.5)) assert.unreachable(`pixel ${k}: ${out[k]}, inside ${inside}`);
  }
  assert.ok(height.some((h) => h > 0));
  assert.equal(read(A.randomErasing(key, x, { p: 0 })), read(x));
  const noisy = read(A.randomErasing(key, x, { p: 1, value: 'random' }));
  const changed = noisy.filter((v) => v !== 0.5).length;
  assert.equal(changed, out.filter((v) => v !== 0.5).length, 'noise fills the same boxes');
  assert.equal(read(jit((k: np.NdArray, y: np.NdArray) => A.randomErasing(k, y, { p: 1, value: [1, 2, 3] }))(key, x)), out, 'under jit');
  assert.throws(() => A.randomErasing(key, x, { value: [1, 2] }), /randomErasing: value has 2 entries for 3 channels/);
});

// ---------------------------------------------------------------------------------------
const auto = suite('randAugment / trivialAugmentWide = torchvision spaces and _apply_op');

auto('magnitude bins as torchvision _augmentation_space', () => {
  assert.equal(A.AUGMENT_OPS, ['Identity', 'ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate', 'Brightness', 'Color', 'Contrast', 'Sharpness', 'Posterize', 'Solarize', 'AutoContrast', 'Equalize']);
  const ra = { height: 224, width: 331, wide: false };
  const ta = { height: 224, width: 331, wide: true };
  allClose(A.magnitudeBins('ShearX', ra)?.[9] ?? NaN, 0.09, { rtol: 1e-12 });
  allClose(A.magnitudeBins('TranslateX', ra)?.[30] ?? NaN, 150, { rtol: 1e-12 });
  allClose(A.magnitudeBins('TranslateY', ra)?.[30] ?? NaN, (150 / 331) * 224, { rtol: 1e-12 });
  allClose(A.magnitudeBins('Rotate', ta)?.[30] ?? NaN, 135, { rtol: 1e-12 });
  // 8 - round(arange(31) / (30 / 4)) and 8 - round(arange(31) / (30 / 6)) (torch.round: half to even).
  assert.equal(A.magnitudeBins('Posterize', ra), [8, 8, 8, 8, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4]);
  assert.equal(A.magnitudeBins('Posterize', ta), [8, 8, 8, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2]);
  assert.equal(A.magnitudeBins('Solarize', ra)?.[0], 255);
  assert.equal(A.magnitudeBins('Equalize', ra), null);
  assert.throws(() => A.magnitudeBins('Cutout', ra), /magnitudeBins: unknown op "Cutout"/);
});

/** torchvision's _apply_op for one sample, from the public functions. */
function applyOp(name: string, x: np.NdArray, m: number): np.NdArray {
  const deg = (Math.atan(m) * 180) / Math.PI;
  switch (name) {
    case 'Identity': return x;
    case 'ShearX': return A.affine(x, { shear: [deg, 0], center: [0, 0] });
    case 'ShearY': return A.affine(x, { shear: [0, deg], center: [0, 0] });
    case 'TranslateX': return A.affine(x, { translate: [Math.trunc(m), 0] });
    case 'TranslateY': return A.affine(x, { translate: [0, Math.trunc(m)] });
    case 'Rotate': return A.rotate(x, m);
    case 'Brightness': return A.adjustBrightness(x, np.array(1 + m));
    case 'Color': return A.adjustSaturation(x, np.array(1 + m));
    case 'Contrast': return A.adjustContrast(x, np.array(1 + m));
    case 'Sharpness': return A.adjustSharpness(x, 1 + m);
    case 'Posterize': return A.posterize(x, Math.trunc(m));
    case 'Solarize': return A.solarizeAt(x, m / 255);
    case 'AutoContrast': return A.autocontrast(x);
    case 'Equalize': return A.equalize(x);
    case 'Invert': return A.invert(x);
  }
  throw new Error(name);
}

/** The per-sample draws of one round, as the implementation documents them. */
function draws(key: np.NdArray, b: number, bin: (k: np.NdArray) => number[]) {
  const [kOp, kBin, kSign] = random.split(key, 3);
  const which = read(random.uniform(kOp, [b])).map((u) => Math.floor(Math.fround(u * 14)));
  const sign = read(random.uniform(kSign, [b])).map((u) => (u < 0.5 ? -1 : 1));
  return { which, sign, bins: bin(kBin) };
}

auto('each sample gets its drawn op, magnitude and sign (RandAugment one op, TrivialAugmentWide)', () => {
  const b = 16;
  const x = np.concatenate(Array.from({ length: b / 2 }, () => np.array(fx.warp_src.data, 'float32', fx.warp_src.shape)), 0);
  const [h, w] = [fx.warp_src.shape[1], fx.warp_src.shape[2]];
  const key = random.key(11);
  const cases: [string, np.NdArray, ReturnType<typeof draws>, boolean][] = [
    ['randAugment', A.randAugment(key, x, { numOps: 1, magnitude: 9 }), draws(random.split(key, 1)[0], b, () => new Array<number>(b).fill(9)), false],
    ['trivialAugmentWide', A.trivialAugmentWide(key, x), draws(key, b, (k) => read(random.uniform(k, [b])).map((u) => Math.floor(Math.fround(u * 31)))), true],
  ];
  for (const [name, out, dr, wide] of cases) {
    const seen = new Set<number>();
    for (let i = 0; i < b; i++) {
      const op = A.AUGMENT_OPS[dr.which[i]];
      seen.add(dr.which[i]);
      const bins = A.magnitudeBins(op, { height: h, width: w, wide });
      const signed = bins !== null && !['Posterize', 'Solarize'].includes(op);
      const m = bins ? Math.fround(bins[dr.bins[i]]) * (signed ? dr.sign[i] : 1) : 0;
      allClose(read(sample(out, i)), read(applyOp(op, sample(x, i), m)), { rtol: 0, atol: 1e-6 }, `${name} sample ${i}: ${op} ${m}`);
    }
    assert.ok(seen.size >= 8, `${name}: ${seen.size} different ops over ${b} samples`);
  }
  assert.equal(read(A.randAugment(key, x, { numOps: 0 })), read(x));
  allClose(read(jit((k: np.NdArray, y: np.NdArray) => A.trivialAugmentWide(k, y))(key, x)), read(cases[1][1]), { rtol: 0, atol: 1e-6 }, 'under jit');
  assert.throws(() => A.randAugment(key, x, { magnitude: 31 }), /randAugment: magnitude must be an integer in \[0, 30\], got 31/);
});

auto('autoAugment: per sample a sub-policy, each step applied when u <= p, 10-bin magnitudes', () => {
  const b = 12;
  const x = np.concatenate(Array.from({ length: b / 2 }, () => np.array(fx.warp_src.data, 'float32', fx.warp_src.shape)), 0);
  const [h, w] = [fx.warp_src.shape[1], fx.warp_src.shape[2]];
  assert.equal(A.AUTO_AUGMENT_POLICIES.imagenet[18], [['ShearX', 0.6, 5], ['Equalize', 1.0, null]]);
  for (const policy of ['imagenet', 'svhn'] as const) {
    const key = random.key(policy.length);
    const out = A.autoAugment(key, x, { policy });
    const [kPolicy, ...kSteps] = random.split(key, 5);
    const id = read(random.uniform(kPolicy, [b])).map((u) => Math.floor(Math.fround(u * 25)));
    const us = [0, 2].map((j) => read(random.uniform(kSteps[j], [b])));
    const signs = [1, 3].map((j) => read(random.uniform(kSteps[j], [b])).map((u) => (u < 0.5 ? -1 : 1)));
    let stepsApplied = 0;
    for (let i = 0; i < b; i++) {
      let want = sample(x, i);
      A.AUTO_AUGMENT_POLICIES[policy][id[i]].forEach(([op, p, bin], s) => {
        if (!(us[s][i] <= Math.fround(p))) return;
        stepsApplied++;
        const bins = A.magnitudeBins(op, { numBins: 10, height: h, width: w, wide: false });
        const signed = bins !== null && !['Posterize', 'Solarize'].includes(op);
        want = applyOp(op, want, bins && bin !== null ? Math.fround(bins[bin]) * (signed ? signs[s][i] : 1) : 0);
      });
      allClose(read(sample(out, i)), read(want), { rtol: 0, atol: 1e-6 }, `${policy} sample ${i}: sub-policy ${id[i]}`);
    }
    assert.ok(stepsApplied > b / 2, `${policy}: ${stepsApplied} steps applied`);
  }
  assert.throws(() => A.autoAugment(random.key(0), x, { policy: 'coco' as 'svhn' }), /autoAugment: policy must be 'imagenet', 'cifar10' or 'svhn', got "coco"/);
});

photo.run();
geometry.run();
erasing.run();
auto.run();
