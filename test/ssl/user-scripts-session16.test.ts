/**
 * The SSL toolkit as users drive it (session 16), through the public entry (lib/node.ts) only:
 * - (a) a variant composed from the blocks: an MAE-style ViT (`patchTokens` / `encodeTokens` on
 *   the tokens `ssl.masking` keeps) with SimCLR's NT-Xent on two masked views of each image,
 *   registered with `defineMethod` and trained under `jit` with one trace; its state dict written
 *   to a safetensors file and read back with `method.fromTorch((await readSafetensorsFile(p)).tensors)`
 *   (it was a raw tfjs stack, "Argument 'x' passed to 'transpose' must be a Tensor", for every
 *   method and `swav.fromTorch`: they took tf tensors only, where `nn.loadTorchStateDict` takes the
 *   file's `{dtype, shape, data}` entries); sharded over an axis with `vmap(step, { axisName })` it
 *   is the one-process step;
 * - (b) the pure step in the user's own loop: `chain(clipByGlobalNorm, multiTransform({ adamw
 *   injected with a warm-up cosine and masked weight decay, sgd }))` under `multiSteps`, an EMA of
 *   the parameters, a checkpoint saved mid-run and resumed = the uninterrupted run bit for bit,
 *   one trace, a flat tensor count over 20 steps. A mask function given to `injectHyperparams`
 *   without `staticArgs` was taken as a schedule and called with the step count, so the factory
 *   got `mask: false` and no parameter decayed, silently (optax does the same); it is now a
 *   one-line error saying to name it in `staticArgs`. `ssl.trainStep` passes the loss to the
 *   optimiser as optax's extra argument `value`, so `reduceOnPlateau` / `polyakSgd` run in it
 *   (they threw "update needs the loss value", which the step's caller could not give).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, checkpoint, jit, nn, np, optim, random, readSafetensorsFile, scope, ssl, swav, tf, tree, vmap, writeSafetensorsFile } from '../../lib/node.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const { strictPartial, nonNegativeNumber } = ssl.codecs;

/** Largest absolute difference between two trees of arrays (same structure). */
function maxDiff(a: unknown, b: unknown): number {
  const [xs, ys] = [tree.leaves(a) as tf.Tensor[], tree.leaves(b) as tf.Tensor[]];
  assert.is(xs.length, ys.length, 'leaf count');
  return Math.max(0, ...xs.map((x, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(tf.cast(x, 'float32'), tf.cast(ys[i]!, 'float32')))).dataSync()[0]!)));
}

/** Bitwise equality of two trees of arrays (NaN-safe, -0 distinct). */
function sameBits(a: unknown, b: unknown, what: string): void {
  const [xs, ys] = [tree.leaves(a) as tf.Tensor[], tree.leaves(b) as tf.Tensor[]];
  assert.is(xs.length, ys.length, `${what}: leaf count`);
  xs.forEach((x, i) => {
    const [p, q] = [x.dataSync(), ys[i]!.dataSync()];
    assert.ok(p.length === q.length && p.every((v, j) => Object.is(v, q[j])), `${what}: leaf ${i} differs`);
  });
}

// ---------------------------------------------------------------------------------------------
const Compose = suite('(a) MAE encoder + NT-Xent on the visible tokens, a registered method: jit, state dict file, axis');

const L = 16; // 16x16 grey images in 4x4 patches
type MaskedBatch = { images: NdArray; noise?: NdArray };

/** Two masked views of each image through the ViT's visible tokens, mean-pooled, projected, NT-Xent. */
const maskedClr = ssl.defineMethod<{ maskRatio: number; temperature: number }, any, any, MaskedBatch>({
  name: 'maskedClr',
  codec: strictPartial({ maskRatio: nonNegativeNumber, temperature: nonNegativeNumber }, 'a maskedClr configuration'),
  defaults: { maskRatio: 0.5, temperature: 0.2 },
  build(c) {
    const encoder = nn.vit('vit_user16', { imgSize: 16, patchSize: 4, inChannels: 1, embedDim: 16, depth: 1, numHeads: 2 });
    const projector = ssl.mlpHead(16, ssl.head([16, 8]));
    const net = ssl.network({ name: 'maskedClr', stages: { encoder, projector } });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const n = batch.images.shape[0]!;
        const tokens = encoder.patchTokens(params.encoder, state.encoder, batch.images);
        const keys = batch.noise ? null : random.split(key!, 2);
        const pooled = [0, 1].map((v) => {
          // `noise` [N, 2, L] replays the masks (each member of an axis then masks its own rows as one process does).
          const m = batch.noise ? ssl.masking.randomMaskingFromNoise(np.take(batch.noise, v, 1), c.maskRatio) : ssl.masking.randomMasking(keys![v]!, n, L, c.maskRatio);
          const h = encoder.encodeTokens(params.encoder, state.encoder, ssl.masking.keepTokens(tokens, m.idsKeep), { train: true });
          return np.mean(np.sliceAxis(h, 1, 1, h.shape[1]!), 1);
        });
        const { outputs, state: s } = ssl.encodeViews(net.chain(['projector']), { projector: params.projector }, { projector: state.projector }, pooled, { train: true, axisName });
        const loss = ssl.ntXent(outputs.projector[0]!, outputs.projector[1]!, { temperature: c.temperature, axisName });
        return [loss, { state: net.next(state, s), metrics: {} }];
      },
    };
  },
});

Compose('three jitted steps (one trace), the state dict through a safetensors file, fromTorch of the file entries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-user16-'));
  try {
    const method = maskedClr({ maskRatio: 0.5 });
    const opt = optim.adamw({ learningRate: 1e-3, weightDecay: 0.05 });
    const step = jit(ssl.trainStep(method, opt));
    let { params, state } = method.init(random.key(0));
    let optState = opt.init(params);
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const [kx, kmask] = random.split(random.key(10 + i));
      const images = random.uniform(kx!, [8, 16, 16, 1]);
      const r = step(params, state, optState, { images }, kmask);
      tf.dispose([params, state, optState, images, kx, kmask] as never);
      ({ params, state, optState } = r);
      losses.push(r.metrics.loss.dataSync()[0]!);
      tf.dispose(r.metrics as never);
    }
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.is(step.cacheSize(), 1);

    const file = join(dir, 'maskedClr.safetensors');
    const dict = method.toTorch(params, state);
    assert.ok('backbone.patch_embed.proj.weight' in dict && 'projector.1.running_var' in dict, Object.keys(dict).join(', '));
    await writeSafetensorsFile(file, nn.toTensorData(dict));
    const { tensors } = await readSafetensorsFile(file);
    const back = method.fromTorch(tensors);
    assert.is(maxDiff(back.params, params), 0, 'params through the file');
    assert.is(maxDiff({ e: back.state.encoder, p: back.state.projector }, { e: state.encoder, p: state.projector }), 0, 'BatchNorm statistics through the file');
    const images = random.uniform(random.key(5), [4, 16, 16, 1]);
    assert.is(maxDiff(method.embed(back.params, back.state, images), method.embed(params, state, images)), 0, 'embeddings');
    tf.dispose([dict, back, params, state, optState, images] as never);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Compose('every fromTorch takes the entries of a safetensors file; a bad entry is one line naming it', () => {
  const simclr = ssl.methods.simclr({ encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] }, projector: { dims: [8, 4] } });
  const v = simclr.init(random.key(1));
  const dict = simclr.toTorch(v.params, v.state);
  const before = tf.memory().numTensors;
  const back = simclr.fromTorch(nn.toTensorData(dict));
  assert.is(maxDiff(back.params, v.params), 0, 'simclr params');
  // Only the loaded variables stay: the tensors made from the entries and dropped are freed.
  assert.is(tf.memory().numTensors - before, tree.leaves(back).length, 'tensors kept by fromTorch');

  const config = swav.swavConfig({ encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] }, projector: { hiddenDim: 8, outDim: 4 }, numPrototypes: 3 });
  const s = swav.init(random.key(2), config);
  const sd = swav.toTorch(s.params, s.state, config);
  const sBack = swav.fromTorch(nn.toTensorData(sd), config);
  assert.is(maxDiff(sBack.params, s.params), 0, 'swav.fromTorch params');

  const bad = { ...nn.toTensorData(dict), 'projector.0.weight': [[1, 2]] } as never;
  const m = errorOf(() => simclr.fromTorch(bad));
  assert.match(m, /^simclr\.fromTorch: state dict entry 'projector\.0\.weight' is neither a tensor nor \{dtype, shape, data\}/);
  assert.not.ok(m.includes('\n'), m);
  tf.dispose([v, dict, back, s, sd, sBack] as never);
});

Compose('sharded over an axis (vmap with axisName, 2 members) = one process on the whole batch', () => {
  const method = maskedClr();
  const opt = optim.sgd({ learningRate: 0.1 });
  const { params, state } = method.init(random.key(3));
  const optState = opt.init(params);
  const images = random.uniform(random.key(4), [8, 16, 16, 1]);
  const noise = random.uniform(random.key(6), [8, 2, L]);
  const one = ssl.trainStep(method, opt)(params, state, optState, { images, noise }, random.key(7));
  const sharded = vmap(ssl.trainStep(method, opt, { axisName: 'batch' }), { inAxes: [null, null, null, 0, null], axisName: 'batch' })(
    params,
    state,
    optState,
    { images: np.reshape(images, [2, 4, 16, 16, 1]), noise: np.reshape(noise, [2, 4, 2, L]) },
    random.key(7),
  );
  const first = (t: unknown) => tree.map((x: NdArray) => np.take(x, 0, 0), t);
  const [l1, l2] = [one.metrics.loss.dataSync()[0]!, sharded.metrics.loss.dataSync()];
  assert.ok(Math.abs(l1 - l2[0]!) <= 1e-5 * Math.abs(l1) && l2[0] === l2[1], `loss ${l1} vs ${l2}`);
  assert.ok(maxDiff(first(sharded.params), one.params) <= 2e-6, `params ${maxDiff(first(sharded.params), one.params)}`);
  assert.ok(maxDiff(first(sharded.state.projector), one.state.projector) <= 1e-6, 'synchronised BatchNorm statistics');
  tf.dispose([params, state, optState, images, noise, one, sharded] as never);
});

Compose.run();

// ---------------------------------------------------------------------------------------------
const Loop = suite('(b) the pure step in a user loop: optax-style chain, multiSteps, EMA of params, resume bit for bit');

const lr = optim.warmupCosine({ start: 0, base: 0.01, final: 0, warmupSteps: 3, totalSteps: 20 });
const encoderLabels = (p: any) => ({ encoder: tree.map(() => 'body', p.encoder), projector: tree.map(() => 'head', p.projector) });

Loop('a mask function given to injectHyperparams must be named in staticArgs (it silently became mask: false)', () => {
  const params = { w: np.array([[1, 2], [3, 4]]), b: np.array([1, 1]) };
  const adamw = (o: optim.AdamWOptions) => optim.adamw(o);
  const m = errorOf(() => optim.injectHyperparams(adamw)({ learningRate: 0.1, weightDecay: 0.5, mask: optim.maskNoDecayOnBiasAndNorm }).init(params));
  assert.is(m, "injectHyperparams: option 'mask' is a function, so it is taken as a schedule of the step count (as in optax), but it returned false, not a number or an array; if it is not a schedule (a mask function), pass it in staticArgs: injectHyperparams(f, { staticArgs: ['mask'] })");
  // Named static, the mask decays the matrix only: zero gradients give updates -lr * wd * p there, 0 on the bias.
  const opt = optim.injectHyperparams(adamw, { staticArgs: ['mask'] })({ learningRate: 0.1, weightDecay: 0.5, mask: optim.maskNoDecayOnBiasAndNorm });
  const state = opt.init(params);
  const [u] = opt.update(tree.map((x: NdArray) => np.zerosLike(x), params), state, params) as [typeof params, unknown];
  assert.equal(Array.from(u.w.dataSync()), [1, 2, 3, 4].map((p) => Math.fround(-0.1 * Math.fround(0.5 * p))));
  assert.equal(Array.from(u.b.dataSync()), [0, 0]);
});

Loop('20 jitted steps: checkpoint at step 9, reload, continue = the uninterrupted run bit for bit; one trace, flat tensor count', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-user16-loop-'));
  try {
    const method = ssl.methods.simclr({ encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] }, projector: { dims: [16, 8] } });
    const inner = optim.chain(
      optim.clipByGlobalNorm(1),
      optim.multiTransform(
        {
          body: optim.injectHyperparams((o: optim.AdamWOptions) => optim.adamw(o), { staticArgs: ['mask'] })({ learningRate: lr, weightDecay: 0.05, mask: optim.maskNoDecayOnBiasAndNorm }),
          head: optim.sgd({ learningRate: 0.05, momentum: 0.9 }),
        },
        encoderLabels,
      ),
    );
    const opt = optim.multiSteps(inner, 2);
    const emaTx = optim.ema(0.9, { startFromParams: true });
    const step = jit(ssl.trainStep(method, opt));
    const emaStep = jit((e: unknown, p: unknown) => emaTx.update(p as never, e as never));
    type Vars = { params: any; state: any; optState: any; emaState: any };
    const batch = (i: number) =>
      scope(() => {
        const [k1, k2, k3] = random.split(random.key(100 + i), 3);
        return { views: { view1: random.uniform(k1!, [4, 8, 8, 1]), view2: random.uniform(k2!, [4, 8, 8, 1]) }, key: k3! };
      });
    const run = (v: Vars, from: number, to: number) => {
      const losses: number[] = [];
      const counts: number[] = [];
      for (let i = from; i < to; i++) {
        const { views, key } = batch(i);
        const r = step(v.params, v.state, v.optState, views, key);
        const [average, emaState] = emaStep(v.emaState, r.params);
        losses.push(r.metrics.loss.dataSync()[0]!);
        tf.dispose([v, views, key, r.metrics, average] as never);
        v = { params: r.params, state: r.state, optState: r.optState, emaState };
        counts.push(tf.memory().numTensors);
      }
      return { v, losses, counts };
    };
    const init = method.init(random.key(0));
    const start = (): Vars => ({ ...tree.map((x: tf.Tensor) => x.clone(), init), optState: opt.init(init.params), emaState: emaTx.init(init.params) });
    const full = run(start(), 0, 20);
    assert.equal(new Set(full.counts.slice(1)).size, 1, `tensor count per step ${full.counts}`);
    assert.ok(full.losses.every(Number.isFinite), `losses ${full.losses}`);
    const half = run(start(), 0, 9);
    const file = join(dir, 'ckpt.safetensors');
    await checkpoint.save(file, half.v);
    const back = await checkpoint.load<Vars>(file, { like: half.v });
    tf.dispose(half.v as never);
    const rest = run(back, 9, 20);
    assert.equal([...half.losses, ...rest.losses], full.losses, 'losses');
    sameBits(full.v, rest.v, 'resumed run');
    assert.is(step.cacheSize(), 1);
    // The EMA of the parameters moved from the start towards the trained parameters.
    const ema = (full.v.emaState as optim.EmaState).ema;
    assert.ok(maxDiff(ema, init.params) > 0 && maxDiff(ema, full.v.params) > 0);
    tf.dispose([full.v, rest.v, init] as never);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Loop('optimisers that read the loss (optax extra argument `value`) run in ssl.trainStep: reduceOnPlateau halves the scale on a plateau', () => {
  // It was "reduceOnPlateau: update needs the loss value: call update(grads, state, params, { value: loss })",
  // which trainStep's caller cannot do. Learning rate 0 and one batch: the loss stays put, a plateau every step from the second.
  const method = ssl.methods.simclr({ encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] }, projector: { dims: [8, 4] } });
  const opt = optim.chain(optim.sgd({ learningRate: 0 }), optim.reduceOnPlateau({ factor: 0.5, patience: 1 }));
  const step = jit(ssl.trainStep(method, opt));
  const v0 = method.init(random.key(8));
  let v = { ...v0, optState: opt.init(v0.params) };
  const views = { view1: random.uniform(random.key(9), [4, 8, 8, 1]), view2: random.uniform(random.key(10), [4, 8, 8, 1]) };
  const scales: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = step(v.params, v.state, v.optState, views, random.key(11));
    const plateau = (r.optState as [unknown, optim.ReduceOnPlateauState])[1];
    assert.is(plateau.bestValue.dataSync()[0], r.metrics.loss.dataSync()[0], 'the value the optimiser saw is the loss');
    scales.push(plateau.scale.dataSync()[0]!);
    v = { params: r.params, state: r.state, optState: r.optState };
  }
  assert.equal(scales, [1, 0.5, 0.25]);
  assert.is(step.cacheSize(), 1);
});

Loop.run();
