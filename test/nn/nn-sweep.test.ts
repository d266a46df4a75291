/**
 * Layers PyTorch and Equinox users reach for, against PyTorch 1.13 (test/fixtures/nn_sweep.json,
 * written by tools/torch-fixtures-nn-sweep.py): transposed convolutions, convolutions with
 * padding_mode, F.interpolate, pixel (un)shuffle and the 1-D pools; outputs and the gradients of
 * sum(y * gy) with respect to the input and the weights. Also dropout with rate 1,
 * flatten/unflatten options, init bounds, one-line errors.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

const backend = await useTestBackend();
const S = suite(`nn: sweep of PyTorch/Equinox layers [${backend}]`);

type Flat = [number[], number[]];
interface Case {
  config: Record<string, number | number[] | boolean | string>;
  x: Flat;
  y: Flat;
  gx: Flat;
  state_dict: Record<string, Flat>;
  grads: Record<string, Flat>;
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/nn_sweep.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };

/**
 * Tolerances: the fixture holds 6 significant digits (5e-7 relative), and float32 sums of up to
 * ~40 products in another order differ by a few ulps each; 2e-5 relative with an absolute floor
 * of 1e-5 (entries that cancel to near zero) covers both, far below any indexing or weight error.
 */
const TOL = { rtol: 2e-5, atol: 1e-5 };

const tensor = ([v, shape]: Flat) => tf.tensor(v, shape);
/** PyTorch's channels-first [N, C, ...] <-> our channels-last [N, ..., C]. */
const toLast = (x: NdArray) => np.transpose(x, x.shape.length === 3 ? [0, 2, 1] : [0, 2, 3, 1]);
const toFirst = (x: NdArray) => np.transpose(x, x.shape.length === 3 ? [0, 2, 1] : [0, 3, 1, 2]);
/** The fixture's cotangent: cos(0.37 i + 0.1) over the flat (channels-first) index. */
const cotangent = (shape: readonly number[]) => np.reshape(np.cos(np.add(np.mul(np.arange(shape.reduce((a, b) => a * b, 1)), 0.37), 0.1)), shape);

const cfg = (c: Case, k: string) => c.config[k] as never;

/** Each case as a layer (weights from the state dict) or a function of the channels-last input. */
const MAKERS: Record<string, (c: Case) => nn.Layer | ((x: NdArray) => NdArray)> = {
  ct2d: (c) =>
    nn.convTranspose2d({
      in: cfg(c, 'in_channels'), out: cfg(c, 'out_channels'), kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'),
      outputPadding: cfg(c, 'output_padding'), dilation: c.config.dilation as never, groups: c.config.groups as never, bias: c.config.bias as never,
    }),
  ct1d: (c) => nn.convTranspose1d({ in: cfg(c, 'in_channels'), out: cfg(c, 'out_channels'), kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'), outputPadding: cfg(c, 'output_padding') }),
  conv2d: (c) =>
    nn.conv2d({ in: cfg(c, 'in_channels'), out: cfg(c, 'out_channels'), kernel: cfg(c, 'kernel_size'), padding: cfg(c, 'padding'), stride: c.config.stride as never, paddingMode: cfg(c, 'padding_mode') }),
  conv1d: (c) => nn.conv1d({ in: cfg(c, 'in_channels'), out: cfg(c, 'out_channels'), kernel: cfg(c, 'kernel_size'), padding: cfg(c, 'padding'), paddingMode: cfg(c, 'padding_mode') }),
  interp: (c) => (x) =>
    nn.F.interpolate(x, { size: c.config.size as never, scaleFactor: c.config.scale_factor as never, mode: cfg(c, 'mode'), alignCorners: c.config.align_corners as never }),
  pixel_shuffle: (c) => (x) => nn.F.pixelShuffle(x, cfg(c, 'r')),
  pixel_unshuffle: (c) => (x) => nn.F.pixelUnshuffle(x, cfg(c, 'r')),
  maxpool1d: (c) => nn.maxPool1d({ kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'), ceilMode: cfg(c, 'ceil_mode') }),
  avgpool1d: (c) =>
    nn.avgPool1d({ kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'), ceilMode: c.config.ceil_mode as never, countIncludePad: c.config.count_include_pad as never }),
  adaptiveavg1d: (c) => nn.adaptiveAvgPool1d({ output: cfg(c, 'output_size') }),
  adaptivemax1d: (c) => nn.adaptiveMaxPool1d({ output: cfg(c, 'output_size') }),
};
/** A case's maker: its own name, or the part before the first '_' (ct2d_groups -> ct2d). */
const makerOf = (name: string) => MAKERS[name] ?? MAKERS[name.replace(/_.*/, '')];

/** Checks one case: output and gradients (input and weights, in PyTorch's layouts), eagerly or under jit. */
function check(name: string, c: Case, useJit: boolean): void {
  const made = makerOf(name)(c);
  const layer: nn.Layer | null = typeof made === 'function' ? null : made;
  const params = layer ? layer.fromTorch(new nn.TorchReader(Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, tensor(v)]))), '').params : {};
  const forward = (p: unknown, x: NdArray) => toFirst(layer ? layer.apply(p, {}, toLast(x))[0] : (made as (x: NdArray) => NdArray)(toLast(x)));
  const x = tensor(c.x);
  const gy = cotangent(c.y[1]);
  const loss = (p: unknown, xx: NdArray) => np.sum(np.mul(forward(p, xx), gy));
  const run = useJit ? jit((p: unknown, xx: NdArray) => [forward(p, xx), ...grad(loss, { argnums: [0, 1] })(p, xx)]) : (p: unknown, xx: NdArray) => [forward(p, xx), ...grad(loss, { argnums: [0, 1] })(p, xx)];
  const [y, gp, gx] = run(params, x) as [NdArray, unknown, NdArray];
  const what = `${name}${useJit ? ' (jit)' : ''}`;
  assert.equal(y.shape, c.y[1], `${what}: output shape`);
  allClose(read(y), c.y[0], TOL, `${what}: output`);
  allClose(read(gx), c.gx[0], TOL, `${what}: gradient of the input`);
  if (!layer) return;
  const gTorch: nn.TorchDict = {};
  layer.toTorch({ params: gp, state: {} }, '', gTorch);
  assert.equal(Object.keys(gTorch).sort(), Object.keys(c.grads).sort(), `${what}: gradient entries`);
  for (const [k, v] of Object.entries(c.grads)) allClose(read(gTorch[k]), v[0], TOL, `${what}: gradient of ${k}`);
}

for (const [name, c] of Object.entries(cases)) S(`${name} matches PyTorch (output, input and weight gradients)`, () => check(name, c, false));
for (const name of ['ct2d_groups', 'ct2d_strided_dilated', 'ct1d', 'conv2d_circular', 'interp_bilinear_ac', 'avgpool1d']) S(`${name} under jit`, () => check(name, cases[name], true));

S('convTranspose2d: fromTorch then toTorch gives the state dict back; one example equals the batched call under vmap', () => {
  const c = cases.ct2d_groups;
  const layer = makerOf('ct2d_groups')(c) as nn.Layer;
  const v = layer.fromTorch(new nn.TorchReader(Object.fromEntries(Object.entries(c.state_dict).map(([k, t]) => [k, tensor(t)]))), '');
  const out: nn.TorchDict = {};
  layer.toTorch(v, '', out);
  for (const [k, t] of Object.entries(c.state_dict)) assert.equal(read(out[k]), read(tensor(t)), `round trip ${k}`);
  const xs = toLast(tensor(c.x));
  const batched = layer.apply(v.params, v.state, np.concatenate([xs, np.mul(xs, 2)], 0))[0];
  const mapped = vmap((x: NdArray) => layer.apply(v.params, v.state, x)[0])(np.concatenate([xs, np.mul(xs, 2)], 0));
  allClose(read(mapped), read(batched), { rtol: 1e-6, atol: 1e-6 }, 'vmap over HWC examples');
});

S("convTranspose2d's default init is PyTorch's U(+-1/sqrt(fan_in)), fan_in = out/groups * kh * kw (weight axis 1)", () => {
  const layer = nn.convTranspose2d({ in: 32, out: 8, kernel: 3, groups: 2 });
  const { params } = layer.init(random.key(3));
  assert.equal(params.w.shape, [3, 3, 32, 4]);
  const bound = 1 / Math.sqrt(4 * 9);
  for (const [k, t] of [['w', params.w], ['b', params.b!]] as const) {
    const m = Math.max(...read(t).map(Math.abs));
    assert.ok(m <= bound && m > 0.8 * bound, `${k}: max |value| ${m} should be just under ${bound}`);
  }
  const [y] = layer.apply(params, {}, np.ones([1, 5, 5, 32]));
  assert.equal(y.shape, [1, 7, 7, 8]);
});

S('dropout with rate 1 zeroes everything (PyTorch and Equinox allow p = 1); a rate above 1 is an error', () => {
  const d = nn.dropout({ rate: 1 });
  const [y] = d.apply({}, {}, np.ones([2, 3]), { train: true, key: random.key(0) });
  assert.equal(read(y), [0, 0, 0, 0, 0, 0]);
  assert.equal(read(d.apply({}, {}, np.ones([2]))[0]), [1, 1], 'evaluation passes x through');
  assert.throws(() => nn.dropout({ rate: 1.5 }), /dropout: rate must be in \[0, 1\], got 1\.5/);
});

S('flatten({ startDim, endDim }) and unflatten({ dim, sizes }) as torch.nn.Flatten / Unflatten', () => {
  const x = np.reshape(np.arange(120), [2, 3, 4, 5]);
  const shape = (l: nn.Layer) => l.apply({}, {}, x)[0].shape;
  assert.equal(shape(nn.flatten()), [2, 60]);
  assert.equal(shape(nn.flatten({ startDim: 0 })), [120]);
  assert.equal(shape(nn.flatten({ startDim: 1, endDim: 2 })), [2, 12, 5]);
  assert.equal(shape(nn.flatten({ startDim: -2 })), [2, 3, 20]);
  assert.equal(shape(nn.unflatten({ dim: 2, sizes: [2, -1] })), [2, 3, 2, 2, 5]);
  assert.equal(read(nn.F.unflatten(nn.F.flatten(x), 1, [3, 4, 5])), read(x));
  assert.throws(() => nn.flatten().apply({}, {}, np.ones([3])), /flatten: startDim/);
  assert.throws(() => nn.flatten({ startDim: 2, endDim: 1 }).apply({}, {}, x), /flatten: startDim 2 comes after endDim 1/);
  assert.throws(() => nn.F.unflatten(x, 1, [2, 2]), /unflatten: sizes \[2,2\] do not split axis 1 of size 3/);
});

S('pixelUnshuffle inverts pixelShuffle; upsample is interpolate as a layer; nearest with scale 2 repeats pixels', () => {
  const x = random.normal(random.key(1), [2, 3, 4, 12]);
  assert.equal(read(nn.F.pixelUnshuffle(nn.F.pixelShuffle(x, 2), 2)), read(x));
  const [shuffled] = nn.pixelShuffle({ upscaleFactor: 2 }).apply({}, {}, x);
  assert.equal(shuffled.shape, [2, 6, 8, 3]);
  assert.equal(read(nn.pixelUnshuffle({ downscaleFactor: 2 }).apply({}, {}, shuffled)[0]), read(x));
  const small = np.reshape(np.arange(4), [1, 2, 2, 1]);
  const [up] = nn.upsample({ scaleFactor: 2 }).apply({}, {}, small);
  assert.equal(read(np.reshape(up, [4, 4])), [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
});

S('one-line errors for bad options', () => {
  assert.throws(() => nn.convTranspose2d({ in: 2, out: 2, kernel: 3, stride: 2, outputPadding: 2 }), /convTranspose2d: outputPadding \[2,2\] must be smaller than the stride \[2,2\] or the dilation \[1,1\]/);
  assert.throws(() => nn.convTranspose2d({ in: 4, out: 3, kernel: 3, groups: 2 }), /in \(4\) and out \(3\) must be divisible by groups \(2\)/);
  const ct = nn.convTranspose2d({ in: 2, out: 2, kernel: 3 });
  assert.throws(() => ct.apply(ct.init(random.key(0)).params, {}, np.ones([1, 4, 4, 3])), /convTranspose2d: expected 2 input channels/);
  assert.throws(() => nn.conv2d({ in: 1, out: 1, kernel: 3, paddingMode: 'mirror' as never }), /conv2d: paddingMode must be 'zeros', 'reflect', 'replicate' or 'circular', got "mirror"/);
  const x = np.ones([1, 4, 4, 2]);
  assert.throws(() => nn.F.interpolate(x, { size: 8, scaleFactor: 2 }), /interpolate: give exactly one of size and scaleFactor/);
  assert.throws(() => nn.F.interpolate(x, { size: 8, alignCorners: true }), /alignCorners applies to the linear modes only, not 'nearest'/);
  assert.throws(() => nn.F.interpolate(x, { size: 8, mode: 'linear' }), /interpolate: mode 'linear' needs \[N, L, C\]/);
  assert.throws(() => nn.F.pixelShuffle(x, 2), /pixelShuffle: the channels 2 of \[1,4,4,2\] must be divisible by upscaleFactor\^2 = 4/);
});

S.run();
