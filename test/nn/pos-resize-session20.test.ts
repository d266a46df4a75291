/**
 * PyTorch's antialiased resampling and timm's dynamic-size ViT, against PyTorch 1.13
 * (test/fixtures/vit_pos_resize_session20.json, tools/vit_pos_resize_session20.py):
 * `F.interpolate(..., { antialias: true })` for 'bilinear' and 'bicubic' (up, down, mixed, a
 * large shrink, alignCorners, scaleFactor: values and input gradients, eager and jit), and
 * `nn.vit` on images whose patch grid is not the native one: the position embedding resized as
 * timm's `resample_abs_pos_embed` (bicubic, antialiased), the class token and the gradient of
 * the position embedding as timm's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture } from '../ssl/fixtures.js';
import { read } from './util.js';

await useTestBackend();

interface Arr {
  data: number[];
  shape: number[];
}
interface InterpolateCase {
  options: { size?: number[]; scale_factor?: number | number[]; mode: 'bilinear' | 'bicubic'; align_corners: boolean };
  x: Arr;
  y: Arr;
  dx: Arr;
}
interface VitRun {
  images: Arr;
  cls: Arr;
  dPosEmbed: Arr;
}
interface Fixture {
  interpolate: InterpolateCase[];
  vit: { imgSize: number; patchSize: number; inChannels: number; embedDim: number; depth: number; numHeads: number; state: Record<string, Arr>; runs: VitRun[] };
}
const fx = loadFixture<Fixture>('vit_pos_resize_session20.json');
const tensorOf = (a: Arr) => tf.tensor(a.data, a.shape);
const cotangent = (shape: readonly number[]) => np.reshape(np.cos(np.add(np.mul(np.arange(shape.reduce((a, b) => a * b, 1)), 0.37), 0.1)), shape);
/** The fixtures' cotangent laid over PyTorch's NCHW order, as the channels-last [N, H, W, C] array it becomes. */
const cotangentNchw = ([n, h, w, c]: readonly number[]) => np.transpose(cotangent([n, c, h, w]), [0, 2, 3, 1]);
// Resampling: a weighted sum of at most ~16 taps per axis, float32 weights on both sides (PyTorch
// computes them in float32, we in float64 then round): a few ulps of the inputs' scale (~1).
const RESAMPLE_TOL = { rtol: 1e-5, atol: 2e-6 };
// The ViT: float32 through LayerNorm, softmax and GELU on both sides.
const VIT_TOL = { rtol: 1e-4, atol: 1e-5 };

const Aa = suite("F.interpolate antialias: PyTorch's antialiased bilinear and bicubic");
for (const c of fx.interpolate) {
  const o = c.options;
  const label = `${o.mode} ${c.x.shape.join('x')} -> ${c.y.shape.join('x')}${o.align_corners ? ' alignCorners' : ''}${o.scale_factor !== undefined ? ` scaleFactor ${JSON.stringify(o.scale_factor)}` : ''}`;
  Aa(`${label}: values and the input's gradient, eager and jit`, () => {
    const opts: nn.InterpolateOptions = { mode: o.mode, alignCorners: o.align_corners, antialias: true, ...(o.size ? { size: o.size } : { scaleFactor: o.scale_factor }) };
    const f = (x: NdArray) => nn.F.interpolate(x, opts);
    const x = tensorOf(c.x);
    allClose(read(jit(f)(x)), c.y.data, RESAMPLE_TOL, `${label}: values under jit`);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      allClose(read(f(x)), c.y.data, RESAMPLE_TOL, `${label}: values`);
      const g = grad((xi: NdArray) => np.sum(np.mul(f(xi), cotangentNchw(c.y.shape))))(x);
      allClose(read(g), c.dx.data, RESAMPLE_TOL, `${label}: gradient`);
    });
    assert.is(tf.memory().numTensors, before, `${label}: tensors left`);
    x.dispose();
  });
}
Aa('antialias is refused for the other modes, in one line', () => {
  const x = np.zeros([1, 4, 4, 1]);
  assert.is(errorOf(() => nn.F.interpolate(x, { size: 2, mode: 'nearest', antialias: true })), "interpolate: antialias applies to modes 'bilinear' and 'bicubic' only, not 'nearest'");
  assert.is(errorOf(() => nn.F.interpolate(x, { size: 2, mode: 'area', antialias: true })), "interpolate: antialias applies to modes 'bilinear' and 'bicubic' only, not 'area'");
});
Aa('at the same size antialiasing is the identity; a constant stays constant when shrinking', () => {
  const x = tensorOf(fx.interpolate[0].x);
  allClose(read(nn.F.interpolate(x, { size: x.shape.slice(1, 3), mode: 'bicubic', antialias: true })), read(x), { atol: 1e-7 });
  allClose(read(nn.F.interpolate(np.full([1, 9, 7, 2], 3.5), { size: [2, 3], mode: 'bicubic', antialias: true })), new Array(12).fill(3.5), { rtol: 1e-6 });
});
Aa.run();

const Vit = suite("nn.vit with dynamic image size: the position embedding resized as timm's");
const v = fx.vit;
const enc = nn.vit('vit_resize', { imgSize: v.imgSize, patchSize: v.patchSize, inChannels: v.inChannels, embedDim: v.embedDim, depth: v.depth, numHeads: v.numHeads });
const variables = nn.loadTorchStateDict(enc, Object.fromEntries(Object.entries(v.state).map(([k, a]) => [k, tensorOf(a)])));
for (const run of v.runs) {
  const side = run.images.shape.slice(1, 3).join('x');
  Vit(`images ${side}: the class token and the position embedding's gradient as timm's (eager and jit)`, () => {
    const images = tensorOf(run.images);
    const forward = (p: unknown) => enc.apply(p, variables.state, images)[0] as NdArray;
    allClose(read(forward(variables.params)), run.cls.data, VIT_TOL, `${side}: class token`);
    allClose(read(jit(forward)(variables.params)), run.cls.data, VIT_TOL, `${side}: class token under jit`);
    const g = grad((p: unknown) => np.sum(np.mul(forward(p), cotangent(run.cls.shape))))(variables.params) as { pos_embed: NdArray };
    allClose(read(g.pos_embed), run.dPosEmbed.data, VIT_TOL, `${side}: gradient of pos_embed`);
  });
}
Vit('resizeGrid: the native size is returned as is; another size matches interpolate bicubic antialias', () => {
  const grid = tensorOf({ data: v.state.pos_embed.data.slice(v.embedDim), shape: [4, 4, v.embedDim] });
  assert.is(nn.resizeGrid(grid, 4, 4), grid);
  const viaInterpolate = nn.F.interpolate(np.reshape(grid, [1, 4, 4, v.embedDim]), { size: [6, 3], mode: 'bicubic', antialias: true });
  allClose(read(nn.resizeGrid(grid, 6, 3)), read(viaInterpolate), { atol: 0 });
});
Vit.run();
