/**
 * Keyed augmentations (lib/data/augment): shapes, determinism, exact identities,
 * torchvision maths on small cases, statistics, [0, 1] range, jit = eager, no leaks.
 * Small batches only: the whole file runs in seconds on cpu and on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/core/index.js';
import * as A from '../../lib/data/augment/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

type T = tf.Tensor;
const read = (x: unknown): Float32Array => (x as T).dataSync() as Float32Array;
const t = (x: unknown): T => x as T;
const key = (seed: number) => random.key(seed);
/** Deterministic images in [0, 1] (smooth plus noise, so crops and blurs have structure). */
function images(b: number, h: number, w: number, c: number, seed = 0): T {
  return tf.tidy(() => {
    const noise = tf.randomUniform([b, h, w, c], 0, 1, 'float32', seed);
    const yy = tf.reshape(tf.linspace(0, 1, h), [1, h, 1, 1]);
    const xx = tf.reshape(tf.linspace(0, 1, w), [1, 1, w, 1]);
    return tf.clipByValue(tf.add(tf.mul(noise, 0.5), tf.mul(tf.add(yy, xx), 0.25)), 0, 1);
  });
}
const maxAbsDiff = (a: unknown, b: unknown) => tf.tidy(() => tf.max(tf.abs(tf.sub(t(a), t(b)))).dataSync()[0]);
const inUnit = (x: unknown) => {
  const v = read(x);
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of v) {
    lo = Math.min(lo, e);
    hi = Math.max(hi, e);
  }
  return lo >= 0 && hi <= 1 && Number.isFinite(lo) && Number.isFinite(hi);
};
const perImageMean = (x: unknown): number[] => Array.from(tf.tidy(() => tf.mean(t(x), [1, 2, 3])).dataSync());
const perImageStd = (x: unknown): number[] => Array.from(tf.tidy(() => tf.sqrt(tf.moments(t(x), [1, 2, 3]).variance)).dataSync());

const gray = images(8, 28, 28, 1, 1);
const rgb = images(4, 16, 16, 3, 2);

// ---------------------------------------------------------------------------------------
const geometry = suite('randomResizedCrop and horizontalFlip');

geometry('shapes, and the same key gives the same crops, another key others', () => {
  const a = A.randomResizedCrop(key(0), gray, { size: 14, scale: [0.1, 0.3] });
  assert.equal(a.shape, [8, 14, 14, 1]);
  assert.equal(A.randomResizedCrop(key(0), rgb, { size: [10, 12] }).shape, [4, 10, 12, 3]);
  assert.is(maxAbsDiff(a, A.randomResizedCrop(key(0), gray, { size: 14, scale: [0.1, 0.3] })), 0);
  assert.ok(maxAbsDiff(a, A.randomResizedCrop(key(1), gray, { size: 14, scale: [0.1, 0.3] })) > 0.05);
});

geometry('scale [1, 1] and ratio [1, 1] at the same size is the identity', () => {
  assert.is(maxAbsDiff(A.randomResizedCrop(key(3), gray, { size: 28, scale: [1, 1], ratio: [1, 1] }), gray), 0);
  assert.is(maxAbsDiff(A.randomResizedCrop(key(3), rgb, { size: 16, scale: [1, 1], ratio: [1, 1] }), rgb), 0);
  // No attempt can fit (area > image): torchvision's fallback, the whole (square) image.
  assert.is(maxAbsDiff(A.randomResizedCrop(key(4), gray, { size: 28, scale: [1.5, 2] }), gray), 0);
});

geometry('crop boxes follow torchvision: area and ratio in range, inside the image, integral', () => {
  const b = 400;
  const boxes = A.sampleCropBoxes(key(5), { b, h: 28, w: 28 }, [0.1, 0.3], [3 / 4, 4 / 3]);
  const [top, left, hh, ww] = [boxes.top, boxes.left, boxes.height, boxes.width].map((x) => Array.from(read(x)));
  const tops = new Set<number>();
  for (let i = 0; i < b; i++) {
    assert.ok([top[i], left[i], hh[i], ww[i]].every(Number.isInteger), `box ${i} not integral`);
    assert.ok(top[i] >= 0 && left[i] >= 0 && top[i] + hh[i] <= 28 && left[i] + ww[i] <= 28, `box ${i} outside the image`);
    const area = (hh[i] * ww[i]) / 784;
    // Rounding w and h to integers moves the area and ratio a little outside the drawn range.
    assert.ok(area > 0.06 && area < 0.36, `area ${area}`);
    assert.ok(ww[i] / hh[i] > 0.6 && ww[i] / hh[i] < 1.6, `ratio ${ww[i] / hh[i]}`);
    tops.add(top[i]);
  }
  assert.ok(tops.size > 8, 'the crop position varies');
  const fallback = A.sampleCropBoxes(key(6), { b: 3, h: 20, w: 40 }, [2, 3], [0.75, 1.25]);
  // Whole image ratio 2 > 1.25: torchvision keeps h = 20, w = round(20 * 1.25) = 25, centred.
  assert.equal(Array.from(read(fallback.width)), [25, 25, 25]);
  assert.equal(Array.from(read(fallback.height)), [20, 20, 20]);
  assert.equal(Array.from(read(fallback.left)), [7, 7, 7]);
});

geometry('upscaling a crop is bilinear interpolation with half-pixel centres (tf.image.resizeBilinear)', () => {
  const boxes = A.sampleCropBoxes(key(7), { b: 8, h: 28, w: 28 }, [0.2, 0.6]);
  const [rows, colsT] = A.cropMatrices(boxes, [28, 28], [28, 28]);
  const out = A.applySeparable(gray, rows, colsT);
  const [top, left, hh, ww] = [boxes.top, boxes.left, boxes.height, boxes.width].map((x) => Array.from(read(x)));
  for (let i = 0; i < 8; i++) {
    const ref = tf.tidy(() => {
      const crop = tf.slice(gray, [i, top[i], left[i], 0], [1, hh[i], ww[i], 1]) as tf.Tensor4D;
      return tf.image.resizeBilinear(crop, [28, 28], false, true);
    });
    allClose(read(tf.slice(t(out), [i], [1])), read(ref), { atol: 2e-6, rtol: 0 }, `sample ${i}`);
    ref.dispose();
  }
});

geometry('shrinking is antialiased as PIL / torchvision: a triangle filter widened by the shrink factor', () => {
  const out = read(A.randomResizedCrop(key(8), gray, { size: 14, scale: [1, 1], ratio: [1, 1] }));
  // 28 -> 14: output i is centred at 2i + 1; pixels j weigh max(0, 1 - |j + 0.5 - (2i + 1)| / 2), renormalised.
  const w = Array.from({ length: 14 }, (_, i) => {
    const row = Array.from({ length: 28 }, (_, j) => Math.max(0, 1 - Math.abs(j + 0.5 - (2 * i + 1)) / 2));
    const sum = row.reduce((a, b) => a + b);
    return row.map((v) => v / sum);
  });
  const src = read(gray);
  for (const b of [0, 5]) {
    for (let i = 0; i < 14; i++)
      for (let k = 0; k < 14; k++) {
        let ref = 0;
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) ref += w[i][y] * w[k][x] * src[b * 784 + y * 28 + x];
        allClose(out[b * 196 + i * 14 + k], ref, { atol: 2e-6, rtol: 0 }, `sample ${b} pixel ${i},${k}`);
      }
  }
  // Without antialiasing: plain bilinear sampling (2x shrink: the mean of the two middle pixels).
  const plain = A.randomResizedCrop(key(8), gray, { size: 14, scale: [1, 1], ratio: [1, 1], antialias: false });
  const ref = tf.tidy(() => tf.image.resizeBilinear(gray as tf.Tensor4D, [14, 14], false, true));
  allClose(read(plain), read(ref), { atol: 2e-6, rtol: 0 });
  ref.dispose();
});

geometry('flipping twice with the same key is the identity; p = 1 mirrors; p = 0 does nothing', () => {
  for (const x of [gray, rgb]) {
    const once = A.horizontalFlip(key(9), x);
    assert.ok(maxAbsDiff(once, x) > 0, 'some samples flipped');
    assert.is(maxAbsDiff(A.horizontalFlip(key(9), once), x), 0);
    assert.is(maxAbsDiff(A.horizontalFlip(key(9), x, 1), tf.reverse(x, 2)), 0);
    assert.is(A.horizontalFlip(key(9), x, 0), x);
  }
  // About half the samples flip.
  const mask = Array.from(read(tf.cast(t(A.flipMask(key(10), 1000, 0.5)), 'float32')));
  const frac = mask.reduce((a, b) => a + b, 0) / 1000;
  assert.ok(frac > 0.43 && frac < 0.57, `flipped fraction ${frac}`);
});

geometry.run();

// ---------------------------------------------------------------------------------------
const color = suite('colorJitter, randomGrayscale, solarize, normalize');

color('brightness scales the mean; contrast scales the spread around the mean', () => {
  const half = A.colorJitter(key(11), gray, { brightness: [0.5, 0.5] });
  allClose(perImageMean(half), perImageMean(gray).map((m) => m / 2), { atol: 1e-6, rtol: 1e-5 });
  const brighter = A.colorJitter(key(11), gray, { brightness: [1.2, 1.6] });
  perImageMean(brighter).forEach((m, i) => assert.ok(m > perImageMean(gray)[i], `image ${i} got brighter`));
  const flat = A.colorJitter(key(12), gray, { contrast: [0.5, 0.5] });
  allClose(perImageMean(flat), perImageMean(gray), { atol: 1e-5, rtol: 1e-5 });
  allClose(perImageStd(flat), perImageStd(gray).map((s) => s / 2), { atol: 1e-5, rtol: 1e-4 });
  const rgbFlat = A.colorJitter(key(12), rgb, { contrast: [0.25, 0.25] });
  perImageStd(rgbFlat).forEach((s, i) => assert.ok(s < 0.5 * perImageStd(rgb)[i], `image ${i} lost contrast`));
});

color('neutral settings and p = 0 are identities; grayscale batches ignore saturation and hue', () => {
  assert.is(maxAbsDiff(A.colorJitter(key(13), rgb, { brightness: 0.8, contrast: 0.8, saturation: 0.8, p: 0 }), rgb), 0);
  assert.is(maxAbsDiff(A.colorJitter(key(13), gray, { saturation: 0.8, hue: 0.2 }), gray), 0);
  assert.is(maxAbsDiff(A.colorJitter(key(13), rgb, { brightness: 0, contrast: [1, 1] }), rgb), 0);
  // p: about that fraction of the samples change.
  const many = images(200, 4, 4, 1, 3);
  const out = A.colorJitter(key(14), many, { brightness: 0.5, p: 0.3 });
  const changed = tf.tidy(() => tf.sum(tf.cast(tf.greater(tf.max(tf.abs(tf.sub(t(out), many)), [1, 2, 3]), 0), 'float32')).dataSync()[0]);
  assert.ok(changed > 40 && changed < 80, `${changed} of 200 changed`);
});

color('hue and saturation follow torchvision on pure colours', () => {
  const red = tf.tensor4d([1, 0, 0, 0.5, 0.25, 0.25], [2, 1, 1, 3]);
  // A hue shift of 1/3 turns red into green.
  allClose(read(A.colorJitter(key(15), red, { hue: [1 / 3, 1 / 3] })), [0, 1, 0, 0.25, 0.5, 0.25], { atol: 1e-5 });
  // Saturation 0 is the luma in every channel.
  const l = 0.5 * 0.2989 + 0.25 * 0.587 + 0.25 * 0.114;
  allClose(read(A.colorJitter(key(15), red, { saturation: [0, 0] })), [0.2989, 0.2989, 0.2989, l, l, l], { atol: 1e-6 });
  // rgb -> hsv -> rgb is the identity.
  const [h, s, v] = A.rgbToHsv(rgb);
  allClose(read(A.hsvToRgb(h, s, v)), read(rgb), { atol: 2e-6 });
});

color('random order: every order of brightness and contrast occurs, and jitter stays in [0, 1]', () => {
  const x = images(32, 4, 4, 3, 4);
  const out = A.colorJitter(key(16), x, { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 });
  assert.ok(inUnit(out));
  const fixed = A.colorJitter(key(16), x, { brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, randomOrder: false });
  assert.ok(inUnit(fixed));
  assert.ok(maxAbsDiff(out, fixed) > 0, 'the order matters for some samples');
  const g = A.colorJitter(key(17), gray, { brightness: 0.8, contrast: 0.8 });
  assert.ok(inUnit(g));
});

color('randomGrayscale: p = 1 gives luma in every channel; identity on one channel', () => {
  const g = A.randomGrayscale(key(18), rgb, 1);
  const v = read(g);
  for (let i = 0; i < v.length; i += 3) assert.ok(v[i] === v[i + 1] && v[i] === v[i + 2]);
  const r = read(rgb);
  allClose(v[0], 0.2989 * r[0] + 0.587 * r[1] + 0.114 * r[2], { atol: 1e-6 });
  assert.is(A.randomGrayscale(key(18), gray, 1), gray);
});

color('solarize inverts the pixels at or above the threshold', () => {
  const x = tf.tensor4d([0, 0.25, 0.5, 0.75, 1, 0.49], [1, 1, 6, 1]);
  allClose(read(A.solarize(key(19), x, { p: 1, threshold: 0.5 })), [0, 0.25, 0.5, 0.25, 0, 0.49], { atol: 1e-7 });
  allClose(read(A.solarize(key(19), x, { p: 1, threshold: 0.75 })), [0, 0.25, 0.5, 0.25, 0, 0.49], { atol: 1e-7 });
  assert.is(maxAbsDiff(A.solarize(key(19), x, { p: 0 }), x), 0);
});

color('normalize is (x - mean) / std per channel', () => {
  const out = A.normalize(rgb, [0.5, 0.4, 0.3], [0.2, 0.25, 0.5]);
  const v = read(out);
  const r = read(rgb);
  allClose(Array.from(v.slice(0, 3)), [(r[0] - 0.5) / 0.2, (r[1] - 0.4) / 0.25, (r[2] - 0.3) / 0.5], { atol: 1e-5 });
  assert.throws(() => A.normalize(rgb, [0.5], [1, 1, 1]), /1 values for 3 channels/);
});

color.run();

// ---------------------------------------------------------------------------------------
const blur = suite('gaussianBlur');

blur('keeps the mean, lowers the variance, leaves constants alone; p = 0 is the identity', () => {
  const out = A.gaussianBlur(key(20), gray, { p: 1, sigma: [1, 2] });
  assert.equal(out.shape, gray.shape);
  allClose(perImageMean(out), perImageMean(gray), { atol: 5e-3, rtol: 0 });
  perImageStd(out).forEach((s, i) => assert.ok(s < perImageStd(gray)[i], `image ${i} smoother`));
  const c = tf.fill([2, 9, 9, 3], 0.3);
  allClose(read(A.gaussianBlur(key(21), c, { p: 1, kernelSize: 5 })), 0.3, { atol: 1e-6 });
  assert.is(A.gaussianBlur(key(22), gray, { p: 0 }), gray);
  assert.ok(inUnit(out));
});

blur('matches a direct reflect-padded separable convolution with torchvision taps', () => {
  // k = 5: depthwise convolutions; k = 15 > the image: the convolution-matrix fallback.
  for (const [k, sigma] of [[5, 1.3], [15, 3]] as const) {
    const x = images(2, 7, 9, 1, 5);
    const out = read(A.gaussianBlur(key(23), x, { p: 1, sigma: [sigma, sigma], kernelSize: k }));
    const r = (k - 1) / 2;
    const taps = Array.from({ length: k }, (_, i) => Math.exp(-0.5 * ((i - r) / sigma) ** 2));
    const sum = taps.reduce((a, b) => a + b);
    const g = taps.map((v) => v / sum);
    const src = read(x);
    for (let b = 0; b < 2; b++) {
      const at = (i: number, j: number) => src[b * 63 + A.reflectIndex(i, 7) * 9 + A.reflectIndex(j, 9)];
      const rowsDone = (i: number, j: number) => g.reduce((acc, w, t) => acc + w * at(i + t - r, j), 0);
      for (let i = 0; i < 7; i++)
        for (let j = 0; j < 9; j++) {
          const ref = g.reduce((acc, w, t) => acc + w * rowsDone(i, A.reflectIndex(j + t - r, 9)), 0);
          allClose(out[b * 63 + i * 9 + j], ref, { atol: 1e-5 }, `k=${k} sample ${b} pixel ${i},${j}`);
        }
    }
  }
  // RGB: every channel blurred with its sample's kernel.
  const c3 = images(3, 8, 8, 3, 6);
  const one = A.gaussianBlur(key(24), c3, { p: 1, kernelSize: 3 });
  const perChannel = [0, 1, 2].map((ch) => A.gaussianBlur(key(24), t(tf.slice(c3, [0, 0, 0, ch], [3, 8, 8, 1])), { p: 1, kernelSize: 3 }));
  allClose(read(one), read(tf.concat(perChannel.map(t), 3)), { atol: 1e-6 });
});

blur('kernel sizes and reflection', () => {
  assert.is(A.defaultKernelSize(224, 224), 23);
  assert.is(A.defaultKernelSize(28, 28), 3);
  assert.equal([-2, -1, 0, 4, 5, 6].map((i) => A.reflectIndex(i, 5)), [2, 1, 0, 4, 3, 2]);
  assert.throws(() => A.gaussianBlur(key(0), gray, { kernelSize: 4 }), /positive odd integer/);
});

blur.run();

// ---------------------------------------------------------------------------------------
const multi = suite('multiCrop, twoViews, augmentView');

multi('the Fashion-MNIST preset: 2 x 28 then 4 x 14 views, in [0, 1], deterministic', () => {
  const views = A.multiCrop(key(30), gray, A.fashionMnistAugment);
  assert.equal(views.map((v) => v.shape), [[8, 28, 28, 1], [8, 28, 28, 1], [8, 14, 14, 1], [8, 14, 14, 1], [8, 14, 14, 1], [8, 14, 14, 1]]);
  views.forEach((v, i) => assert.ok(inUnit(v), `view ${i} in [0, 1]`));
  const again = A.multiCrop(key(30), gray, A.fashionMnistAugment);
  views.forEach((v, i) => assert.is(maxAbsDiff(v, again[i]), 0));
  const other = A.multiCrop(key(31), gray, A.fashionMnistAugment);
  views.forEach((v, i) => assert.ok(maxAbsDiff(v, other[i]) > 0.05));
  // The views of one group differ from each other.
  assert.ok(maxAbsDiff(views[0], views[1]) > 0.05);
  assert.ok(maxAbsDiff(views[2], views[3]) > 0.05);
});

multi('RGB with the full SwAV pipeline (small sizes): shapes, range, normalisation', () => {
  const cfg: A.MultiCropConfig = { ...A.swavAugment, sizeCrops: [12, 6], nmbCrops: [2, 3], normalize: null, solarize: { p: 0.5 } };
  const views = A.multiCrop(key(32), rgb, cfg);
  assert.equal(views.map((v) => v.shape), [[4, 12, 12, 3], [4, 12, 12, 3], [4, 6, 6, 3], [4, 6, 6, 3], [4, 6, 6, 3]]);
  views.forEach((v, i) => assert.ok(inUnit(v), `view ${i} in [0, 1]`));
  const normed = A.multiCrop(key(32), rgb, { ...cfg, normalize: A.swavAugment.normalize });
  const n0 = read(normed[0]);
  const v0 = read(views[0]);
  allClose(n0[0], (v0[0] - 0.485) / 0.228, { atol: 1e-5 });
});

multi('a view is the composition of the public functions under split(key, 6)', () => {
  const k = key(33);
  const [kCrop, kFlip] = random.split(k, 6);
  const view = A.augmentView(k, gray, { size: 20, scale: [0.2, 1], colorJitter: null, blur: null, grayscale: 0 });
  const ref = A.horizontalFlip(kFlip, A.randomResizedCrop(kCrop, gray, { size: 20, scale: [0.2, 1] }));
  allClose(read(view), read(ref), { atol: 1e-6 });
  const full = A.augmentView(k, rgb, { size: 12, scale: [0.2, 1], blur: { p: 1 }, solarize: { p: 1 } });
  const [c, f, j, g, b, s] = random.split(k, 6);
  let y = A.horizontalFlip(f, A.randomResizedCrop(c, rgb, { size: 12, scale: [0.2, 1] }));
  y = A.solarize(s, A.gaussianBlur(b, A.randomGrayscale(g, A.colorJitter(j, y, A.SWAV_COLOR_JITTER), 0.2), { p: 1 }), { p: 1 });
  allClose(read(full), read(y), { atol: 1e-5 });
});

multi('twoViews: symmetric and asymmetric (BYOL-style) pipelines', () => {
  const [a, b] = A.twoViews(key(34), rgb, { size: 16, scale: [0.2, 1] });
  assert.equal(a.shape, [4, 16, 16, 3]);
  assert.ok(maxAbsDiff(a, b) > 0.05);
  const [c, d] = A.twoViews(key(34), rgb, { size: 16, views: [{ blur: { p: 1 } }, { blur: { p: 0.1 }, solarize: { p: 0.2 } }] });
  assert.equal(d.shape, [4, 16, 16, 3]);
  assert.ok(inUnit(c) && inUnit(d));
});

multi('config errors name the problem', () => {
  assert.throws(() => A.multiCrop(key(0), gray, { ...A.fashionMnistAugment, sizeCrops: [28] }), /sizeCrops has 1 entries, nmbCrops has 2/);
  assert.throws(() => A.multiCrop(key(0), gray, { ...A.fashionMnistAugment, minScale: [0.5, 0.4], maxScale: [1, 0.3] }), /group 1 needs 0 < minScale <= maxScale/);
  assert.throws(() => A.randomResizedCrop(key(0), tf.zeros([28, 28, 1]), { size: 14 }), /expected an NHWC batch/);
  assert.throws(() => A.horizontalFlip(key(0), gray, 1.5), /probability/);
  assert.throws(() => A.colorJitter(key(0), rgb, { hue: 0.7 }), /hue/);
});

multi.run();

// ---------------------------------------------------------------------------------------
const transforms = suite('jit and memory');

transforms('under jit: the same views as eager, for grayscale and RGB; one trace per shape', () => {
  const f = jit((k: T, x: T) => A.multiCrop(k, x, A.fashionMnistAugment));
  const eager = A.multiCrop(key(40), gray, A.fashionMnistAugment);
  const traced = f(key(40), gray) as T[];
  traced.forEach((v, i) => allClose(read(v), read(eager[i]), { atol: 1e-6 }, `view ${i}`));
  f(key(41), gray);
  assert.is(f.cacheSize(), 1);
  const cfg: A.MultiCropConfig = { ...A.swavAugment, sizeCrops: [10, 6], nmbCrops: [1, 2], solarize: { p: 0.5 } };
  const g = jit((k: T, x: T) => A.multiCrop(k, x, cfg));
  const e2 = A.multiCrop(key(42), rgb, cfg);
  (g(key(42), rgb) as T[]).forEach((v, i) => allClose(read(v), read(e2[i]), { atol: 1e-5 }, `rgb view ${i}`));
  const blurred = jit((k: T, x: T) => A.gaussianBlur(k, x, { p: 0.5 }));
  allClose(read(blurred(key(43), gray)), read(A.gaussianBlur(key(43), gray, { p: 0.5 })), { atol: 1e-6 });
});

transforms('under vmap over keys: one batch of views per key, each as eager with that key', () => {
  const cfg: A.MultiCropConfig = { ...A.fashionMnistAugment, sizeCrops: [12, 6] };
  const x = images(3, 12, 12, 1, 11);
  const keys = random.splitKeys(key(44), 3);
  const views = vmap((k: T) => A.multiCrop(k, x, cfg))(keys) as T[];
  assert.equal(views[0].shape, [3, 3, 12, 12, 1]);
  assert.equal(views[5].shape, [3, 3, 6, 6, 1]);
  const second = A.multiCrop(random.split(key(44), 3)[1], x, cfg);
  views.forEach((v, i) => allClose(read(tf.slice(v, [1], [1])), read(second[i]), { atol: 1e-6 }, `view ${i}`));
});

transforms('no tensors leak across 50 calls, eager and jitted', () => {
  // Tiny sizes: the count matters here, not the work (the cpu backend is slow).
  const cfg: A.MultiCropConfig = { ...A.fashionMnistAugment, sizeCrops: [12, 6] };
  const small = images(2, 12, 12, 1, 9);
  const tinyRgb = images(2, 8, 8, 3, 10);
  const f = jit((k: T, x: T) => A.multiCrop(k, x, cfg));
  const once = (i: number, jitted: boolean) => {
    const k = key(i);
    const views = (jitted ? f(k, small) : A.multiCrop(k, small, cfg)) as T[];
    views.forEach((v) => v.dispose());
    k.dispose();
  };
  for (const jitted of [false, true]) {
    once(0, jitted); // warm-up (jit traces and keeps its constants)
    const before = tf.memory().numTensors;
    for (let i = 1; i <= 50; i++) once(i, jitted);
    assert.is(tf.memory().numTensors, before, jitted ? 'jit' : 'eager');
  }
  const before = tf.memory().numTensors;
  for (let i = 0; i < 50; i++) {
    const k = key(i);
    const x = tinyRgb;
    [A.colorJitter(k, x, A.SWAV_COLOR_JITTER), A.randomGrayscale(k, x, 0.5), A.gaussianBlur(k, x), A.solarize(k, x), A.horizontalFlip(k, x), A.normalize(x, 0.5, 0.5), A.randomResizedCrop(k, x, { size: 4 })].forEach((x) => t(x).dispose());
    k.dispose();
  }
  assert.is(tf.memory().numTensors, before, 'single functions');
  small.dispose();
  tinyRgb.dispose();
});

transforms('np ops only: the pipeline traces to an IR with no host reads but the random bits', () => {
  const f = jit((k: T, x: T) => A.multiCrop(k, x, A.fashionMnistAugment));
  const prims = new Set(f.lower(key(0), gray).jaxpr.eqns.map((e) => e.prim));
  assert.ok(prims.has('dot') && prims.has('random_uniform'));
  assert.not.ok(prims.has('gather'), 'no gathers: crops are matmuls');
  np.zeros([1]).dispose();
});

transforms.run();
