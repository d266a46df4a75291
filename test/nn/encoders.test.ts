import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, scope } from '../../lib/core/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors.js';
import { readSafetensorsFile } from '../../lib/io/safetensors-file.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { countParams, randn, read } from './util.js';

const backend = await useTestBackend();
const E = suite(`nn encoders [${backend}]`);

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** The 44 MB weights stay out of the repository: CI has ../shared beside the clone. */
const SHARED_FIXTURES = join(ROOT, '..', 'shared', 'fixtures');
const RESNET_JSON = join(ROOT, 'test', 'fixtures', 'resnet18_lowres.json');
const RESNET_WEIGHTS = join(SHARED_FIXTURES, 'resnet18_lowres.safetensors');

const dispose = (t: unknown) => tf.dispose(tree.leaves(t) as tf.Tensor[]);

E('the registry: names, embedding widths, output shapes and parameter counts', () => {
  assert.equal(nn.encoderNames().sort(), ['convnet_small', 'resnet18', 'resnet34', 'resnet50', 'vit_small_patch16_224', 'vit_tiny_patch16_224']);
  // parameter counts of the torchvision/timm models without their classifier
  const cases: [string, Record<string, unknown>, number[], number, number][] = [
    ['resnet18', {}, [1, 32, 32, 3], 512, 11_176_512],
    ['resnet18', { lowResolution: true }, [2, 32, 32, 3], 512, 11_176_512 - 64 * 3 * (49 - 9)],
    ['resnet34', {}, [1, 32, 32, 3], 512, 21_284_672],
    ['resnet50', {}, [1, 32, 32, 3], 2048, 23_508_032],
    ['vit_tiny_patch16_224', {}, [1, 32, 32, 3], 192, 5_524_416],
    ['vit_small_patch16_224', {}, [1, 32, 48, 3], 384, 21_665_664],
    ['convnet_small', {}, [2, 28, 28, 1], 128, 288 + 18_432 + 73_728 + 2 * (32 + 64 + 128)],
    // a fourth stage: 28 -> 28 -> 14 -> 7 -> 4
    ['convnet_small', { widths: [16, 32, 64, 128] }, [2, 28, 28, 1], 128, 144 + 4_608 + 18_432 + 73_728 + 2 * (16 + 32 + 64 + 128)],
  ];
  for (const [name, opts, shape, width, count] of cases) {
    const enc = nn.encoder(name, opts);
    assert.is(enc.embeddingDim, width, name);
    assert.is(nn.embeddingDim(name, opts), width);
    const v = enc.init(random.key(0));
    assert.is(countParams(v.params), count, `${name} parameter count`);
    const y = scope(() => enc.apply(v.params, v.state, tf.zeros(shape))[0]) as tf.Tensor;
    assert.equal(y.shape, [shape[0], width], name);
    assert.ok(read(y).every(Number.isFinite));
    dispose([v, y]);
  }
  assert.throws(() => nn.encoder('resnet101'), /unknown encoder 'resnet101'; known: resnet18/);
  const thrown = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  // issue 11 item 15: every encoder checks its options (io-ts, unknown keys are errors), one line naming the key.
  assert.is(thrown(() => nn.encoder('convnet_small', { widths: [16, 0] })), 'convnet_small options: at .widths expected a non-empty list of positive integers, got [16,0]');
  assert.is(thrown(() => nn.encoder('convnet_small', { widths: 'abc' })), 'convnet_small options: at .widths expected a non-empty list of positive integers, got "abc"');
  assert.is(thrown(() => nn.encoder('convnet_small', { widthz: [8] })), 'convnet_small options: at .widthz unknown key (known: inChannels, widths)');
  assert.is(thrown(() => nn.encoder('resnet34', { inChannels: 0 })), 'resnet34 options: at .inChannels expected a positive integer, got 0');
  assert.is(thrown(() => nn.encoder('vit_small_patch16_224', { imgsize: 32 })), 'vit_small_patch16_224 options: at .imgsize unknown key (known: imgSize, patchSize, inChannels, embedDim, depth, numHeads, mlpRatio, dynamicImgSize, numRegisters, posDropRate, projDropRate, attnDropRate, dropPathRate)');
  assert.ok(nn.encoderOptionsCodec('convnet_small') === nn.ConvNetSmallOptionsCodec);
});

E('resnet init follows timm: kaiming normal (fan out) convs, zero-init last BatchNorm of each block', () => {
  const enc = nn.encoder('resnet18');
  const v = enc.init(random.key(1));
  const w = read(v.params.layer1[0].conv1.w); // [3, 3, 64, 64]
  const std = Math.sqrt(w.reduce((a, b) => a + b * b, 0) / w.length);
  allClose(std, Math.sqrt(2 / (64 * 9)), { rtol: 0.05 });
  assert.ok(read(v.params.layer2[1].bn2.scale).every((s) => s === 0));
  assert.ok(read(v.params.layer2[1].bn1.scale).every((s) => s === 1));
  assert.ok(read(v.params.layer2[0].downsample[1].scale).every((s) => s === 1));
  assert.ok(read(v.state.layer3[0].bn1.var).every((s) => s === 1));
  const tv = nn.encoder('resnet18', { zeroInitLast: false }).init(random.key(1));
  assert.ok(read(tv.params.layer2[1].bn2.scale).every((s) => s === 1));
  dispose([v, tv]);
});

E('resnet18 low-resolution parity with PyTorch (fixture weights)', async () => {
  if (!existsSync(RESNET_WEIGHTS)) {
    console.log(`  skipped: ${RESNET_WEIGHTS} is absent (the 44 MB weights live in ../shared/fixtures, not in the repository)`);
    return;
  }
  const fx = JSON.parse(readFileSync(RESNET_JSON, 'utf8')) as { input_nchw: number[][][][]; features: number[][] };
  const { tensors } = await readSafetensorsFile(RESNET_WEIGHTS);
  const enc = nn.encoder('resnet18', { lowResolution: true });
  const v = nn.loadTorchStateDict(enc, tensors);
  // our export has the same PyTorch names (plus num_batches_tracked)
  const exported = nn.exportTorchStateDict(enc, v);
  assert.equal(Object.keys(exported).filter((k) => !k.endsWith('num_batches_tracked')).sort(), Object.keys(tensors).sort());
  for (const k of ['conv1.weight', 'layer2.0.downsample.0.weight', 'layer4.1.bn2.running_var']) assert.equal(exported[k].shape, tensors[k].shape, k);
  allClose(read(exported['layer3.0.conv2.weight']), Array.from(tensors['layer3.0.conv2.weight'].data), { rtol: 0, atol: 0 });
  dispose(exported);
  const x = tf.transpose(tf.tensor(fx.input_nchw), [0, 2, 3, 1]); // NCHW -> NHWC
  const t0 = performance.now();
  const [features] = enc.apply(v.params, v.state, x); // eval mode
  const ms = performance.now() - t0;
  const got = read(features);
  const want = fx.features.flat();
  const scale = Math.max(...want.map(Math.abs));
  const err = Math.max(...want.map((w, i) => Math.abs(w - got[i])));
  console.log(`  resnet18_lowres: max abs error ${err.toExponential(2)} (features' max |x| ${scale.toFixed(3)}, relative ${(err / scale).toExponential(2)}); forward ${ms.toFixed(0)} ms`);
  assert.equal((features as tf.Tensor).shape, [2, 512]);
  assert.ok(err <= 1e-3 * scale, `max abs error ${err} exceeds 1e-3 * ${scale}`);
  // jit gives the same features
  const f = jit((p: any, s: any, xx: tf.Tensor) => enc.apply(p, s, xx)[0]);
  allClose(read(f(v.params, v.state, x)), got, { rtol: 1e-4, atol: 1e-4 });
  dispose([v, x, features]);
});

E('PyTorch state dict round trip through safetensors bytes (convnet_small)', () => {
  const enc = nn.encoder('convnet_small');
  const v0 = enc.init(random.key(2));
  // one training step so the running statistics are not the defaults
  const x = randn([4, 28, 28, 1], 3);
  const [, state] = enc.apply(v0.params, v0.state, x, { train: true });
  const v = { params: v0.params, state };
  const sd = nn.exportTorchStateDict('convnet_small', v);
  assert.equal(Object.keys(sd).sort(), [
    'bn1.bias', 'bn1.num_batches_tracked', 'bn1.running_mean', 'bn1.running_var', 'bn1.weight',
    'bn2.bias', 'bn2.num_batches_tracked', 'bn2.running_mean', 'bn2.running_var', 'bn2.weight',
    'bn3.bias', 'bn3.num_batches_tracked', 'bn3.running_mean', 'bn3.running_var', 'bn3.weight',
    'conv1.weight', 'conv2.weight', 'conv3.weight',
  ]);
  assert.equal(sd['conv2.weight'].shape, [64, 32, 3, 3]);
  const bytes = encodeSafetensors(nn.toTensorData(sd));
  const back = nn.loadTorchStateDict('convnet_small', decodeSafetensors(bytes).tensors);
  for (const train of [false, true]) {
    const [a, sa] = enc.apply(v.params, v.state, x, { train });
    const [b, sb] = enc.apply(back.params, back.state, x, { train });
    assert.equal(read(b), read(a));
    assert.equal(read(sb.bn3.var), read(sa.bn3.var));
  }
  // a prefixed dict with a classifier head: prefix + ignore
  const prefixed = Object.fromEntries(Object.entries(sd).map(([k, t]) => [`backbone.${k}`, t]));
  prefixed['backbone.fc.weight'] = tf.zeros([10, 128]);
  assert.throws(() => nn.loadTorchStateDict(enc, prefixed, { prefix: 'backbone.' }), /not used by convnet_small: backbone\.fc\.weight/);
  const vp = nn.loadTorchStateDict(enc, prefixed, { prefix: 'backbone.', ignore: [/^fc\./] });
  assert.equal(read(vp.params.conv1.w), read(v.params.conv1.w));
  dispose([sd, back, vp, v0, state, x]);
});

E("ViT: dynamic image size resizes the position embedding (timm's, against PyTorch in pos-resize-session20); gradients reach it", () => {
  const grid = randn([3, 3, 2], 4);
  assert.is(nn.resizeGrid(grid, 3, 3), grid);

  const enc = nn.vit('vit_test', { imgSize: 32, patchSize: 8, embedDim: 16, depth: 2, numHeads: 2 });
  assert.is(enc.embeddingDim, 16);
  const v = enc.init(random.key(5));
  assert.equal(v.params.pos_embed.shape, [1, 17, 16]);
  assert.equal(v.params.cls_token.shape, [1, 1, 16]);
  const x32 = randn([2, 32, 32, 3], 6);
  const x48 = randn([2, 48, 24, 3], 7);
  assert.equal((enc.apply(v.params, v.state, x32)[0] as tf.Tensor).shape, [2, 16]);
  assert.equal((enc.apply(v.params, v.state, x48)[0] as tf.Tensor).shape, [2, 16]);
  // one example (HWC) equals the batch's first row
  allClose(read(enc.apply(v.params, v.state, tf.reshape(tf.slice(x32, [0], [1]), [32, 32, 3]))[0]), read(enc.apply(v.params, v.state, x32)[0]).slice(0, 16), { rtol: 1e-4, atol: 1e-5 });
  const g = grad((p: any) => np.sum(np.square(enc.apply(p, v.state, x48)[0])))(v.params);
  const gp = read(g.pos_embed);
  assert.ok(gp.every(Number.isFinite) && gp.some((t) => t !== 0));
  assert.throws(() => enc.apply(v.params, v.state, randn([1, 30, 32, 3])), /multiples of the patch size 8/);
  const fixed = nn.vit('vit_fixed', { imgSize: 32, patchSize: 8, embedDim: 16, depth: 1, numHeads: 2, dynamicImgSize: false });
  const vf = fixed.init(random.key(5));
  assert.throws(() => fixed.apply(vf.params, vf.state, x48), /dynamicImgSize is off/);
  // timm's names
  const names = Object.keys(nn.exportTorchStateDict(enc, v));
  for (const k of ['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'blocks.1.attn.qkv.weight', 'blocks.0.mlp.fc2.bias', 'blocks.0.norm1.weight', 'norm.bias']) assert.ok(names.includes(k), k);
  // timm init: linear weights ~ trunc_normal(.02), zero biases
  const qkv = read(v.params.blocks[0].attn.qkv.w);
  allClose(Math.sqrt(qkv.reduce((a, b) => a + b * b, 0) / qkv.length), 0.02, { rtol: 0.1 });
  assert.ok(read(v.params.blocks[0].attn.qkv.b).every((t) => t === 0));
  const back = nn.loadTorchStateDict(enc, nn.exportTorchStateDict(enc, v));
  allClose(read(enc.apply(back.params, back.state, x48)[0]), read(enc.apply(v.params, v.state, x48)[0]), { rtol: 1e-6 });
});

E.run();
