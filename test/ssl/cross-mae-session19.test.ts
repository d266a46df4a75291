/**
 * CrossMAE (`ssl.methods.crossMae`) against test/fixtures/ssl_cross_mae_session19.json
 * (tools/ssl_cross_mae_session19.py: the seed's `methods/cross_mae.py` and its CrossAttention
 * transcribed in PyTorch 1.13, float32) on a ViT of width 4, depth 2 on 8x8 grey images (16 patches),
 * a decoder of width 8 (its cross-attention's context is 4 wide), 2 blocks, 2 heads, mlpRatio 1. Two
 * cases from the seed's state dict with the seed's noise replayed, three SGD steps (lr 0.05, momentum
 * 0.9, weight decay 1e-4) through `ssl.trainStep`, jitted (one trace) and eagerly, within 1e-4
 * (relative to each entry's largest value):
 * - main: mask ratio 0.75, kept 0.5 (4 visible, 4 skipped, 8 predicted), normPixLoss, the feature
 *   maps (input and both blocks) mixed per decoder block: every loss, a few entries after each step,
 *   the first step's gradients, the whole state dict and the evaluation embedding after;
 * - variant: mask ratio 0.6, kept 0.5 (int(6.4) = 6 visible, int(1.6) = 1 skipped, 9 predicted), raw
 *   pixels, one context (the final-normed tokens), self-attention among the queries: every loss, a few
 *   entries after each step, the first step's gradients.
 * Also: one step sharded over an axis = one process, which blocks are mixed (block order), the
 * seed's defaults, one-line errors, the toTorch/fromTorch round trip, a key drawing the noise, no
 * tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { checkKeyedLoss } from './round-trip.js';
import { type Arr, checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne, oneStep } from './sharded-step.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Case = Pick<ssl.methods.CrossMaeConfig, 'maskRatio' | 'keptMaskRatio' | 'normPixLoss' | 'weightFeatureMaps' | 'useFeatureMaps' | 'useInput' | 'selfAttn'>;
interface Step {
  loss: number;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}
interface Fixture {
  config: { decoderDim: number; decoderDepth: number; decoderHeads: number; mlpRatio: number; lr: number; momentum: number; weightDecay: number };
  main: { case: Case; initial: Record<string, Arr>; steps: (Step & { images: Arr; noise: Arr })[]; state_after: Record<string, Arr>; embedding: Arr };
  variant: { case: Case; initial_extra: Record<string, Arr>; steps: Step[] };
}
const fixture = loadFixture<Fixture>('ssl_cross_mae_session19.json');
const { main, variant, config: cfg } = fixture;
const { check, worst } = relErrChecker(1e-4);

const makeMethod = (c: Partial<ssl.methods.CrossMaeConfig> = main.case) =>
  ssl.methods.crossMae({
    encoder: nn.vit('cross_mae_s19', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 2, numHeads: 2 }),
    decoderEmbedDim: cfg.decoderDim,
    decoderDepth: cfg.decoderDepth,
    decoderNumHeads: cfg.decoderHeads,
    mlpRatio: cfg.mlpRatio,
    ...c,
  });
const mainDict = () => Object.fromEntries(Object.entries(main.initial).map(([k, v]) => [k, tensorOf(v)]));
/** The variant starts from the main case's weights (less its mixer) plus its own self-attention. */
const variantDict = () => {
  const d = Object.fromEntries(Object.entries({ ...main.initial, ...variant.initial_extra }).filter(([k]) => !/feature_mixer|context_norms/.test(k)).map(([k, v]) => [k, tensorOf(v)]));
  return d;
};
const batchOf = (s: number) => ({ images: tensorOf(main.steps[s].images), noise: tensorOf(main.steps[s].noise) });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });

/** The first step's loss and gradients (in the seed's layout) from `dict`. */
async function checkFirstGrads(method: ssl.Method<any, any, any>, dict: Record<string, tf.Tensor>, ref: Step, label: string) {
  const v = method.fromTorch(dict);
  const batch = batchOf(0);
  const { loss, grads, aux } = ssl.lossAndGrad(method, v.params, v.state, batch);
  await check('loss', loss, ref.loss, label);
  const g = method.toTorch(grads, v.state);
  for (const [k, want] of Object.entries(ref.grads!)) await check(`grad ${k}`, g[k], want.data, label);
  tf.dispose([...Object.values(dict), ...Object.values(g), ...tensorsIn([v, batch, loss, grads, aux])]);
}

const Seed = suite("ssl.methods.crossMae: the seed's steps (PyTorch transcription)");
Seed('main (feature maps mixed per block, normalised pixels, skipped patches): 3 SGD steps: losses, parameters, state dict and embedding as the seed\'s; jit = eager', () =>
  checkReplay({
    ...fixtureReplay(main, (s: (typeof main.steps)[number]) => ({ images: tensorOf(s.images), noise: tensorOf(s.noise) }), {
      label: 'crossMae main',
      method: makeMethod(),
      initialDict: mainDict,
      opt: opt(),
      check,
      metrics: ['loss'],
      embedding: { images: () => tensorOf(main.steps[0].images), expected: main.embedding.data },
    }),
  }),
);
Seed("main: the first step's gradients (mask token, positions, class token, patch embedding, mixer, context norm, cross-attention) as the seed's", () =>
  checkFirstGrads(makeMethod(), mainDict(), main.steps[0], 'crossMae main lossAndGrad'),
);
Seed('variant (one context, self-attention, raw pixels): 3 SGD steps: losses and parameters as the seed\'s; jit = eager', () =>
  checkReplay({
    label: 'crossMae variant',
    method: makeMethod(variant.case),
    initialDict: variantDict,
    opt: opt(),
    check,
    steps: variant.steps,
    metrics: ['loss'],
    batchOf,
    stateAfterStep: (s) => variant.steps[s].after,
    stateAfter: {},
  }),
);
Seed("variant: the first step's gradients (mask token, encoder norm, self- and cross-attention) as the seed's", () =>
  checkFirstGrads(makeMethod(variant.case), variantDict(), variant.steps[0], 'crossMae variant lossAndGrad'),
);
Seed.run();

const Axis = suite('ssl.methods.crossMae sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch', () => checkShardedMatchesOne({ method: () => makeMethod(), initialDict: mainDict, batchOf, opt }));
Axis.run();

const Parts = suite('ssl.methods.crossMae: feature maps, registry, defaults, errors, layout');
Parts('the mixed blocks: [-1] is every block; explicit indices in any order or negative are the same maps in block order; a subset has its own mixer', async () => {
  const lossOf = async (c: Partial<ssl.methods.CrossMaeConfig>) => {
    const m = makeMethod({ ...main.case, ...c });
    const v = m.fromTorch(mainDict());
    const batch = batchOf(0);
    const [loss, aux] = m.loss(v.params, v.state, batch);
    const out = (await (loss as tf.Tensor).data())[0];
    tf.dispose(tensorsIn([v, batch, loss, aux]));
    return out;
  };
  const all = await lossOf({ useFeatureMaps: [-1] });
  assert.ok(Math.abs(all - main.steps[0].loss) < 1e-4 * Math.abs(main.steps[0].loss));
  for (const useFeatureMaps of [[0, 1], [1, 0], [-1, 0], [-2, -1]]) assert.is(await lossOf({ useFeatureMaps }), all, `useFeatureMaps [${useFeatureMaps}]`);
  const one = makeMethod({ ...main.case, useFeatureMaps: [1], useInput: false });
  const v = one.init(random.key(0));
  const dict = one.toTorch(v.params, v.state);
  assert.equal(dict['decoder.feature_mixer.linear.weight'].shape, [2, 1]);
  tf.dispose([...Object.values(dict), ...tensorsIn(v)]);
});
Parts("parameters outside the loss (the final norm, blocks after the last mixed one) stay as they were, as the seed's optimiser skips them; the others move", async () => {
  const same = async (a: tf.Tensor, b: tf.Tensor) => Array.from(await a.data()).every((x, i) => x === (b.dataSync() as Float32Array)[i]);
  const cases: [Partial<ssl.methods.CrossMaeConfig>, string[], string[]][] = [
    [main.case, ['encoder.norm.weight', 'encoder.norm.bias'], ['encoder.blocks.1.mlp.fc2.weight', 'encoder.cls_token']],
    [{ ...main.case, useFeatureMaps: [0] }, ['encoder.norm.weight', 'encoder.blocks.1.attn.qkv.weight', 'encoder.blocks.1.norm2.bias'], ['encoder.blocks.0.mlp.fc2.weight']],
    [variant.case, [], ['encoder.norm.weight', 'encoder.norm.bias', 'encoder.blocks.1.mlp.fc2.weight']],
  ];
  for (const [c, kept, moved] of cases) {
    const m = makeMethod(c);
    const v = m.init(random.key(1));
    const start = m.toTorch(v.params, v.state);
    const after = oneStep(m, start, batchOf(0), opt(), false);
    for (const k of kept) assert.ok(await same(after[k], start[k]), `${k} kept (${JSON.stringify(c.useFeatureMaps)}, weightFeatureMaps ${c.weightFeatureMaps})`);
    for (const k of moved) assert.not.ok(await same(after[k], start[k]), `${k} moved (${JSON.stringify(c.useFeatureMaps)}, weightFeatureMaps ${c.weightFeatureMaps})`);
    tf.dispose([...Object.values(start), ...Object.values(after), ...tensorsIn(v)]);
  }
});
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('crossMae'));
  const d = ssl.methods.byName('crossMae').defaults as ssl.methods.CrossMaeConfig;
  assert.equal(
    [d.encoder, d.decoderEmbedDim, d.decoderDepth, d.decoderNumHeads, d.maskRatio, d.keptMaskRatio, d.normPixLoss, d.weightFeatureMaps, d.useFeatureMaps, d.useInput, d.selfAttn, d.mlpRatio],
    ['vit_small_patch16_224', 256, 12, 8, 0.75, 0.75, true, true, [-1], true, false, 4],
  );
});
Parts('configuration and batch errors are one line naming the field', () => {
  const tiny = { encoder: makeMethod().config.encoder };
  assert.is(errorOf(() => ssl.methods.crossMae({ maskRatio: 1 })), 'crossMae config: at .maskRatio expected a number in [0, 1), got 1');
  assert.is(errorOf(() => ssl.methods.crossMae({ maskRatio: 0.5, keptMaskRatio: 0.6 })), 'crossMae config: at .keptMaskRatio expected a number in (0, maskRatio 0.5], got 0.6');
  assert.is(errorOf(() => ssl.methods.crossMae({ keptMaskRatio: 0 })), 'crossMae config: at .keptMaskRatio expected a number in (0, maskRatio 0.75], got 0');
  assert.is(errorOf(() => ssl.methods.crossMae({ decoderEmbedDim: 30, decoderNumHeads: 3 })), 'crossMae config: at .decoderEmbedDim expected a multiple of 4 (the 2-D sine-cosine position embedding), got 30');
  assert.is(errorOf(() => ssl.methods.crossMae({ useFeatureMaps: [0.5] })), 'crossMae config: at .useFeatureMaps expected a list of integers, got [0.5]');
  assert.is(errorOf(() => ssl.methods.crossMae({ mlpRatio: 0.001 })), 'crossMae config: at .mlpRatio expected int(decoderEmbedDim * mlpRatio) >= 1, got 0.001');
  assert.is(errorOf(() => ssl.methods.crossMae({ ...tiny, useFeatureMaps: [2] })), 'crossMae config: at .useFeatureMaps expected distinct block indices in [-2, 2) (the encoder has 2 blocks; [-1] alone: every block), got [2]');
  assert.is(errorOf(() => ssl.methods.crossMae({ ...tiny, useFeatureMaps: [1, -1] })), 'crossMae config: at .useFeatureMaps expected distinct block indices in [-2, 2) (the encoder has 2 blocks; [-1] alone: every block), got [1, -1]');
  assert.is(errorOf(() => ssl.methods.crossMae({ ...tiny, useFeatureMaps: [], useInput: false })), 'crossMae config: at .useFeatureMaps expected at least one feature map to mix (or useInput), got [] and useInput false');
  assert.ok(ssl.methods.crossMae({ ...tiny, useFeatureMaps: [7], weightFeatureMaps: false }), 'without the mixer the indices are unused, as the seed');
  assert.match(errorOf(() => ssl.methods.crossMae({ encoder: 'resnet18' })), /^crossMae: the encoder must be a ViT/);
  const m = makeMethod();
  const v = m.init(random.key(0));
  const images = tf.ones([2, 8, 8, 1]);
  assert.is(errorOf(() => m.loss(v.params, v.state, { images, noise: tf.ones([2, 15]) })), 'crossMae: noise must be [2,16] (one value per patch), got [2,15]');
  assert.is(errorOf(() => m.loss(v.params, v.state, { images })), 'crossMae: the loss needs a key (for the random masking) or the batch its noise');
  assert.match(errorOf(() => m.loss(v.params, v.state, { images: tf.ones([2, 4, 4, 1]) }, { key: random.key(0) })), /^crossMae: expected 8x8 images \(16 patches: the decoder's position embedding is fixed\), got \[2,4,4,1\]$/);
  assert.match(errorOf(() => m.loss(v.params, v.state, { images, masks: images } as never)), /^crossMae: unknown input key\(s\) masks; expected \{ images, noise\? \}/);
  tf.dispose(tensorsIn([v, images]));
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the noise; the embedding; no leaks", () =>
  checkKeyedLoss({
    method: makeMethod(),
    layout: (dict) => {
      assert.equal(Object.keys(dict).sort(), Object.keys(main.state_after).sort());
      for (const k of Object.keys(dict)) assert.equal(dict[k].shape, main.state_after[k].shape, k);
    },
    batch: () => ({ images: random.uniform(random.key(4), [3, 8, 8, 1]) }),
    embedded: (b) => b.images as tf.Tensor,
  }),
);
Parts.after(() => {
  console.log('crossMae worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Parts.run();
