/**
 * tfjax's augmentations against torchvision's tensor maths (v0.17+ semantics, antialias=True
 * by default), with the same parameters fed to both: test/fixtures/augment_session14.json
 * (tools/augment_session14.py: torch 1.13's F.interpolate for the resampling, torchvision's
 * functional tensor formulas for the rest; channels-first there, channels-last here). The
 * samplers' parameter ranges and distributions are checked statistically.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as A from '../../lib/data/augment/index.js';
import { resizeBilinear } from '../../lib/data/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

interface Img { shape: [number, number, number, number]; data: number[] }
interface Fixture {
  rgb: Img;
  gray: Img;
  color: Record<'brightness' | 'contrast' | 'saturation' | 'hue', { factors: number[]; rgb: number[]; gray?: number[] }>;
  hsv: number[];
  jitter: { orders: number[][]; factors: number[][]; rgb: number[] };
  grayscale: number[];
  solarize: { threshold: number; rgb: number[] };
  normalize: { mean: number[]; std: number[]; rgb: number[] };
  blur: { k: number; sigmas: number[]; rgb: number[] }[];
  crops: ({ box: [number, number, number, number]; size: [number, number] } & Record<string, number[]>)[];
  fallback: { hw: [number, number]; ratio: [number, number]; box: [number, number, number, number] }[];
  resize_u8: { src: number[]; hw: [number, number]; cases: { size: [number, number]; aa: number[]; noaa: number[] }[] };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/augment_session14.json', import.meta.url), 'utf8')) as Fixture;

type T = tf.Tensor;
const read = (x: unknown): number[] => Array.from((x as T).dataSync());
const img = (i: Img): np.NdArray => np.array(i.data, 'float32', i.shape);
const rgb = img(fx.rgb);
const gray = img(fx.gray);
const sample = (x: np.NdArray, i: number) => np.sliceAxis(x, 0, i, i + 1);
const perSample = (f: number[]) => np.array(f, 'float32', [f.length, 1, 1, 1]);
// The fixture holds 6 decimals; float32 maths differs from torch's by a few ulps.
const TOL = { rtol: 0, atol: 3e-6 };

// ---------------------------------------------------------------------------------------
const color = suite('colour parts = torchvision with the same factors');

color('brightness, contrast, saturation, hue per sample; brightness and contrast on gray', () => {
  const fns = { brightness: A.adjustBrightness, contrast: A.adjustContrast, saturation: A.adjustSaturation, hue: A.adjustHue };
  for (const [name, fn] of Object.entries(fns) as [keyof typeof fns, (x: np.NdArray, f: np.NdArray) => np.NdArray][]) {
    const c = fx.color[name];
    allClose(read(fn(rgb, perSample(c.factors))), c.rgb, TOL, `${name} rgb`);
    if (c.gray) allClose(read(fn(gray, perSample(c.factors))), c.gray, TOL, `${name} gray`);
    else assert.equal(read(fn(gray, perSample(c.factors))), read(gray), `${name} is the identity on gray`);
  }
});

color('rgbToHsv is torchvision _rgb2hsv; composed in the sampled order, as ColorJitter', () => {
  const [h, s, v] = A.rgbToHsv(rgb);
  allClose(read(np.concatenate([h, s, v], 3)), fx.hsv, TOL);
  const parts = [A.adjustBrightness, A.adjustContrast, A.adjustSaturation, A.adjustHue];
  const out = fx.jitter.orders.map((order, i) => order.reduce((y, p) => parts[p](y, np.array(fx.jitter.factors[i][p])), sample(rgb, i)));
  allClose(read(np.concatenate(out, 0)), fx.jitter.rgb, TOL);
});

color('grayscale, solarize, normalize', () => {
  allClose(read(A.randomGrayscale(random.key(0), rgb, 1)), fx.grayscale, TOL);
  allClose(read(A.solarize(random.key(0), rgb, { p: 1, threshold: fx.solarize.threshold })), fx.solarize.rgb, TOL);
  allClose(read(A.normalize(rgb, fx.normalize.mean, fx.normalize.std)), fx.normalize.rgb, { rtol: 1e-6, atol: 3e-6 });
});

// ---------------------------------------------------------------------------------------
const blur = suite('gaussianBlur = torchvision gaussian_blur with the same sigma');

blur('kernel sizes 3 and 5, reflect borders, one sigma per sample', () => {
  for (const c of fx.blur) {
    const out = c.sigmas.map((s, i) => A.gaussianBlur(random.key(i), sample(rgb, i), { p: 1, sigma: [s, s], kernelSize: c.k }));
    allClose(read(np.concatenate(out, 0)), c.rgb, TOL, `k = ${c.k}`);
  }
  // torchvision also takes one number for a fixed sigma.
  const [c] = fx.blur;
  allClose(read(A.gaussianBlur(random.key(0), sample(rgb, 1), { p: 1, sigma: c.sigmas[1], kernelSize: c.k })), c.rgb.slice(c.rgb.length / 2), TOL);
  assert.throws(() => A.gaussianBlur(random.key(0), rgb, { sigma: 0 }), /gaussianBlur: sigma must be an interval/);
});

// ---------------------------------------------------------------------------------------
const geometry = suite('resized crop = torch crop then F.interpolate(align_corners=False)');

geometry('bilinear with and without antialias, shrinking and growing', () => {
  const one = sample(rgb, 0);
  for (const c of fx.crops) {
    const [top, left, h, w] = c.box;
    for (const antialias of [true, false]) {
      const rows = A.resampleMatrix(np.array([top]), np.array([h]), fx.rgb.shape[1], c.size[0], { antialias });
      const colsT = A.resampleMatrix(np.array([left]), np.array([w]), fx.rgb.shape[2], c.size[1], { antialias, transposed: true });
      allClose(read(A.applySeparable(one, rows, colsT)), c[`bilinear_${antialias ? 'aa' : 'noaa'}`], TOL, `${JSON.stringify(c.box)} -> ${c.size}, antialias ${antialias}`);
    }
  }
});

geometry('bicubic with and without antialias (torch: a = -0.5 widened and normalised; a = -0.75 with clamped taps)', () => {
  const one = sample(rgb, 0);
  for (const c of fx.crops) {
    const [top, left, h, w] = c.box;
    for (const antialias of [true, false]) {
      const o = { antialias, interpolation: 'bicubic' as const };
      const rows = A.resampleMatrix(np.array([top]), np.array([h]), fx.rgb.shape[1], c.size[0], o);
      const colsT = A.resampleMatrix(np.array([left]), np.array([w]), fx.rgb.shape[2], c.size[1], { ...o, transposed: true });
      allClose(read(A.applySeparable(one, rows, colsT)), c[`bicubic_${antialias ? 'aa' : 'noaa'}`], TOL, `${JSON.stringify(c.box)} -> ${c.size}, antialias ${antialias}`);
    }
  }
  // Through randomResizedCrop (a whole-image box) and the view pipeline's option.
  const whole = { size: [4, 8] as [number, number], scale: [1, 1] as [number, number], ratio: [6 / 7, 6 / 7] as [number, number] };
  allClose(read(A.randomResizedCrop(random.key(0), one, { ...whole, interpolation: 'bicubic' })), fx.crops[3].bicubic_aa, TOL);
  const view = A.augmentView(random.key(0), one, { ...whole, interpolation: 'bicubic', flip: 0, colorJitter: null, grayscale: 0, blur: null });
  allClose(read(view), fx.crops[3].bicubic_aa.map((v) => Math.min(1, Math.max(0, v))), TOL);
  assert.throws(() => A.randomResizedCrop(random.key(0), one, { size: 3, interpolation: 'nearest' as 'bicubic' }), /interpolation must be 'bilinear' or 'bicubic', got "nearest"/);
});

geometry('the centre-crop fallback when no attempt fits (Python round: half to even)', () => {
  for (const f of fx.fallback) {
    // An area fraction above 1 never fits, so every sample falls back.
    const boxes = A.sampleCropBoxes(random.key(1), { b: 2, h: f.hw[0], w: f.hw[1] }, [2, 3], f.ratio);
    const got = [boxes.top, boxes.left, boxes.height, boxes.width].map((v) => read(v));
    assert.equal(got, f.box.map((v) => [v, v]), `${f.hw} ratio ${f.ratio}`);
  }
});

geometry('sampled boxes: area fraction and log-ratio uniform in range before rounding, corners uniform', () => {
  const n = 4000;
  const [H, W] = [224, 224];
  const boxes = A.sampleCropBoxes(random.key(7), { b: n, h: H, w: W }, [0.08, 1], [3 / 4, 4 / 3]);
  const [top, left, h, w] = [boxes.top, boxes.left, boxes.height, boxes.width].map((v) => read(v));
  const area = h.map((hi, i) => (hi * w[i]) / (H * W));
  const logr = h.map((hi, i) => Math.log(w[i] / hi));
  // Rounding to whole pixels moves the area by < (h + w) / 2 + 1/4 pixels, the ratio by < 1/h + 1/w.
  const slack = (i: number) => (h[i] + w[i] + 1) / (2 * H * W);
  assert.ok(area.every((a, i) => a >= 0.08 - slack(i) && a <= 1 + slack(i)), 'area fraction in [0.08, 1]');
  assert.ok(logr.every((r, i) => Math.abs(r) <= Math.log(4 / 3) + 1.01 / Math.min(h[i], w[i]) + 1 / h[i]), 'log-ratio in range');
  // torchvision's get_params simulated 20,000 times (torch 1.13) at 224 px: area fraction mean
  // 0.4818 (sd 0.234: standard error 0.0037 for 4000 draws), log-ratio mean 0 and sd 0.1595.
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(mean(area) > 0.465 && mean(area) < 0.499, `mean area fraction ${mean(area)}`);
  assert.ok(Math.abs(mean(logr)) < 0.01, `mean log-ratio ${mean(logr)}`);
  const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));
  assert.ok(sd(logr) > 0.152 && sd(logr) < 0.167, `sd log-ratio ${sd(logr)}`);
  // The corner is uniform over the H - h + 1 positions: its position as a fraction has mean 1/2.
  const u = top.map((t, i) => (H - h[i] === 0 ? 0.5 : t / (H - h[i])));
  const v = left.map((l, i) => (W - w[i] === 0 ? 0.5 : l / (W - w[i])));
  assert.ok(Math.abs(mean(u) - 0.5) < 0.02 && Math.abs(mean(v) - 0.5) < 0.02, `corner fractions ${mean(u)} ${mean(v)}`);
  assert.ok(top.every((t, i) => t >= 0 && t + h[i] <= H && Number.isInteger(t)) && left.every((l, i) => l >= 0 && l + w[i] <= W && Number.isInteger(l)));
});

// ---------------------------------------------------------------------------------------
const resize = suite('resizeBilinear (uint8) = torch F.interpolate, rounded');

resize('with and without antialias', () => {
  const r = fx.resize_u8;
  const src = Uint8Array.from(r.src);
  const c = r.src.length / (r.hw[0] * r.hw[1]);
  for (const cs of r.cases) {
    for (const antialias of [true, false]) {
      const got = Array.from(resizeBilinear(src, r.hw, c, cs.size, { antialias }));
      const want = antialias ? cs.aa : cs.noaa;
      const bad = got.findIndex((g, i) => Math.abs(g - want[i]) > 0.5 + 1e-3);
      assert.is(bad, -1, `${r.hw} -> ${cs.size} antialias ${antialias}: at ${bad} got ${got[bad]}, torch ${want[bad]}`);
    }
  }
});

color.run();
blur.run();
geometry.run();
resize.run();
