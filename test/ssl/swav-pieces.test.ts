/**
 * The SwAV pieces one by one: swapped prediction, prototype normalisation and head,
 * projector, the loss's pairings, the configuration's errors (exact text), the model's
 * calling conventions and PyTorch state-dict interop.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, scope } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as swav from '../../lib/ssl/swav/index.js';
import { allClose, allCloseAsync, toNested } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { randomViews, tensorsIn, tinyConfig } from './tiny-swav.js';

await useTestBackend();

const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());
const logSoftmax64 = (row: number[]) => {
  const m = Math.max(...row);
  const l = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
  return row.map((x) => x - l);
};

// ---------------------------------------------------------------------------------------------
const Pieces = suite('swav pieces: swapped prediction, prototypes, projector');

Pieces('swappedPrediction = -mean_b sum_k q log_softmax(s / T)', async () => {
  const s = [
    [0.2, -0.5, 0.9],
    [0.7, 0.1, -0.3],
  ];
  const q = [
    [0.1, 0.2, 0.7],
    [0.5, 0.5, 0],
  ];
  const expected = -s.map((row, b) => logSoftmax64(row.map((x) => x / 0.1)).reduce((a, l, k) => a + q[b][k] * l, 0)).reduce((a, x) => a + x, 0) / 2;
  const got = tf.tidy(() => swav.swappedPrediction(tf.tensor(s), tf.tensor(q), 0.1) as tf.Tensor);
  allClose(await read(got), [expected], { rtol: 1e-6 });
  got.dispose();
  assert.throws(() => swav.swappedPrediction(tf.zeros([2, 3]), tf.zeros([2, 4]), 0.1), /scores and codes must both be \[batch, prototypes\] of one shape, got \[2,3\] and \[2,4\]/);
  assert.throws(() => swav.swappedPrediction(tf.zeros([2, 3]), tf.zeros([2, 3]), 0), /temperature must be a finite number > 0, got 0/);
});

Pieces('normalizePrototypes scales rows (prototypes) to unit length and returns a new array', async () => {
  const w = tf.tensor([
    [3, 4],
    [1, 0],
    [0, -2],
  ]);
  const n = swav.normalizePrototypes(w) as tf.Tensor;
  allClose(await toNested(n), [
    [0.6, 0.8],
    [1, 0],
    [0, -1],
  ]);
  allClose(await toNested(w), [
    [3, 4],
    [1, 0],
    [0, -2],
  ]);
  assert.throws(() => swav.normalizePrototypes(tf.zeros([3])), /expected a \[prototypes, dim\] weight/);
  tf.dispose([w, n]);
});

Pieces('prototype scores: cosine similarities; the gradient reaches W as the gradient w.r.t. the normalised W (the seed)', async () => {
  const w = tf.tensor([
    [3, 4],
    [1, 1],
  ]);
  const z = tf.tensor([
    [2, 0],
    [0, 5],
  ]);
  const s = swav.prototypeScores(w, z) as tf.Tensor;
  const r = Math.SQRT1_2;
  allClose(await toNested(s), [
    [0.6, r],
    [0.8, r],
  ]);
  // d/dW sum(c * (zn @ Wn.T)) with the seed's in-place renormalisation = c.T @ zn (no projection onto the sphere).
  const c = tf.tensor([
    [1, 2],
    [3, 4],
  ]);
  const g = scope(() => grad((ww: NdArray) => np.sum(np.mul(c, swav.prototypeScores(ww, z))))(w)) as tf.Tensor;
  allClose(await toNested(g), [
    [1, 3],
    [2, 4],
  ]);
  tf.dispose([w, z, s, c, g]);
});

Pieces('prototypes head: PyTorch init bounds, scores [N, K], state-dict name `weight`', async () => {
  const head = swav.prototypes({ dim: 8, count: 12 });
  const { params } = head.init(random.key(1));
  const w = params.weight as tf.Tensor;
  assert.equal(w.shape, [12, 8]);
  const vals = await read(w);
  assert.ok(vals.every((v) => Math.abs(v) <= 1 / Math.sqrt(8)));
  const z = tf.randomNormal([5, 8], 0, 1, 'float32', 3);
  const [scores] = head.apply(params, {}, z);
  assert.equal((scores as tf.Tensor).shape, [5, 12]);
  assert.ok((await read(scores)).every((v) => v >= -1 - 1e-6 && v <= 1 + 1e-6));
  const dict: Record<string, NdArray> = {};
  head.toTorch({ params, state: {} }, 'prototypes.', dict);
  assert.equal(Object.keys(dict), ['prototypes.weight']);
  assert.throws(() => swav.prototypes({ dim: 0, count: 3 }), /prototypes: dim must be a positive integer, got 0/);
  tf.dispose([w, z, scores as tf.Tensor, ...tensorsIn(dict)]);
});

Pieces('projector: Linear-BN-ReLU-Linear-L2 with the seed names, and the no-BatchNorm variant', async () => {
  const withBn = swav.projector({ in: 16, hiddenDim: 32, outDim: 8 });
  const noBn = swav.projector({ in: 16, hiddenDim: 32, outDim: 8, batchNorm: false });
  const x = tf.randomNormal([6, 16], 0, 1, 'float32', 4);
  for (const [head, names] of [
    [withBn, ['0.bias', '0.weight', '1.bias', '1.num_batches_tracked', '1.running_mean', '1.running_var', '1.weight', '3.bias', '3.weight']],
    [noBn, ['0.bias', '0.weight', '2.bias', '2.weight']],
  ] as const) {
    const v = head.init(random.key(2));
    const [z, state2] = head.apply(v.params, v.state, x, { train: true });
    assert.equal((z as tf.Tensor).shape, [6, 8]);
    const rows = (await toNested(z as tf.Tensor)) as number[][];
    for (const r of rows) allClose([Math.hypot(...r)], [1], { rtol: 1e-5 });
    const dict: Record<string, NdArray> = {};
    head.toTorch(v, '', dict);
    assert.equal(Object.keys(dict).sort(), [...names]);
    tf.dispose([...tensorsIn([v, z, state2, dict])]);
  }
  x.dispose();
});

Pieces('hardAssignments: one-hot of the best prototype', async () => {
  const q = tf.tidy(() => swav.hardAssignments(tf.tensor([
    [0.1, 0.9, -0.2],
    [0.5, -0.1, 0.2],
  ])) as tf.Tensor);
  allClose(await toNested(q), [
    [0, 1, 0],
    [1, 0, 0],
  ]);
  q.dispose();
});

Pieces.run();

// ---------------------------------------------------------------------------------------------
const Loss = suite('swav pieces: the loss over views (seed and paper pairings)');

/** Random scores and codes for V views (codes: softmax rows). */
function randomViewsScores(v: number, b = 4, k = 5, seed = 0) {
  let s = seed + 1;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const scores = Array.from({ length: v }, () => Array.from({ length: b }, () => Array.from({ length: k }, rnd)));
  const codes = scores.map((m) => m.map((row) => logSoftmax64(row.map((x) => x * 3)).map(Math.exp)));
  return { scores, codes };
}
const swapped64 = (s: number[][], q: number[][], t: number) =>
  -s.map((row, b) => logSoftmax64(row.map((x) => x / t)).reduce((a, l, k) => a + q[b][k] * l, 0)).reduce((a, x) => a + x, 0) / s.length;

Loss('seed pairing: each global view with every later view, both ways, divided by the number of terms', async () => {
  const { scores, codes } = randomViewsScores(4);
  // 2 global + 2 local: pairs (0,1) (0,2) (0,3) (1,2) (1,3) -> 10 terms
  assert.equal(swav.lossTerms(4, 'seed', [0, 1]), {
    terms: [[0, 1], [1, 0], [0, 2], [2, 0], [0, 3], [3, 0], [1, 2], [2, 1], [1, 3], [3, 1]],
    divisor: 10,
  });
  let expected = 0;
  for (const i of [0, 1]) for (let j = i + 1; j < 4; j++) expected += swapped64(scores[i], codes[j], 0.1) + swapped64(scores[j], codes[i], 0.1);
  expected /= 10;
  const got = tf.tidy(() => swav.swavLoss(scores.map((s) => tf.tensor(s)), codes.map((q) => tf.tensor(q)), { temperature: 0.1 }) as tf.Tensor);
  allClose(await read(got), [expected], { rtol: 1e-5 });
  got.dispose();
});

Loss('paper pairing: codes of the assignment views only, each predicted from every other view (main_swav.py)', async () => {
  const { scores, codes } = randomViewsScores(4, 4, 5, 7);
  let expected = 0;
  for (const i of [0, 1]) {
    let sub = 0;
    for (let v = 0; v < 4; v++) if (v !== i) sub += swapped64(scores[v], codes[i], 0.1);
    expected += sub / 3;
  }
  expected /= 2;
  // local views' codes are not needed
  const got = tf.tidy(() => swav.swavLoss(scores.map((s) => tf.tensor(s)), [tf.tensor(codes[0]), tf.tensor(codes[1]), null, null], { temperature: 0.1, pairing: 'paper', cropsForAssign: [0, 1] }) as tf.Tensor);
  allClose(await read(got), [expected], { rtol: 1e-5 });
  got.dispose();
});

Loss('with two views both pairings are (swapped(s0, q1) + swapped(s1, q0)) / 2', async () => {
  const { scores, codes } = randomViewsScores(2, 3, 4, 3);
  const expected = (swapped64(scores[0], codes[1], 0.2) + swapped64(scores[1], codes[0], 0.2)) / 2;
  for (const pairing of ['seed', 'paper'] as const) {
    const got = tf.tidy(() => swav.swavLoss(scores.map((s) => tf.tensor(s)), codes.map((q) => tf.tensor(q)), { temperature: 0.2, pairing }) as tf.Tensor);
    allClose(await read(got), [expected], { rtol: 1e-5 });
    got.dispose();
  }
});

Loss('errors: seed pairing needs the global views first; indices must exist; codes must be there', () => {
  const s = [tf.zeros([2, 3]), tf.zeros([2, 3]), tf.zeros([2, 3])];
  assert.throws(() => swav.swavLoss(s, s, { cropsForAssign: [1, 2] }), /with pairing 'seed' the assignment \(global\) views are the first ones, cropsForAssign \[0..n-1\]; got \[1, 2\]/);
  assert.throws(() => swav.swavLoss(s, s, { pairing: 'paper', cropsForAssign: [0, 5] }), /cropsForAssign holds 5, not a view index in 0..2/);
  assert.throws(() => swav.swavLoss(s, [s[0], null, null], {}), /view 1 is an assignment view but has no codes/);
  assert.throws(() => swav.swavLoss([s[0]], [s[0]], {}), /needs at least 2 views, got 1/);
  tf.dispose(s);
});

Loss.run();

// ---------------------------------------------------------------------------------------------
const Config = suite('swav config: io-ts decoding with readable errors');

const errorOf = (input: unknown) => {
  try {
    swav.swavConfig(input);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

Config('the defaults mirror the seed', () => {
  const c = swav.swavConfig();
  assert.is(c.encoder, 'vit_small_patch16_224');
  assert.equal(c.projector, { hiddenDim: 2048, outDim: 128, batchNorm: true, bnMomentum: 0.1, bnEps: 1e-5 });
  assert.is(c.numPrototypes, 3000);
  assert.is(c.temperature, 0.1);
  assert.is(c.sinkhornIterations, 3);
  assert.is(c.epsilon, 0.05);
  assert.is(c.pairing, 'seed');
  assert.is(c.queueLength, 0);
  assert.is(c.freezePrototypesSteps, 0);
  const p = swav.parts(c);
  assert.is(p.embedDim, 384); // vit_small_patch16_224
  assert.is(swav.swavConfig(c), c, 'a decoded configuration decodes to itself');
});

Config('merges over the defaults (projector fields one by one)', () => {
  const c = swav.swavConfig({ projector: { hiddenDim: 64 }, numPrototypes: 10, encoder: 'resnet18' });
  assert.equal(c.projector, { hiddenDim: 64, outDim: 128, batchNorm: true, bnMomentum: 0.1, bnEps: 1e-5 });
  assert.is(c.numPrototypes, 10);
  assert.is(swav.parts(c).embedDim, 512);
});

Config('a wrong field: the path and what was expected (exact text)', () => {
  assert.is(errorOf({ projector: { hiddenDim: -3 } }), 'swav config: at .projector.hiddenDim expected a positive integer, got -3');
  assert.is(errorOf({ temperature: '0.1' }), 'swav config: at .temperature expected a finite number > 0, got "0.1"');
  assert.is(errorOf({ sinkhornIterations: 2.5 }), 'swav config: at .sinkhornIterations expected an integer >= 0, got 2.5');
  assert.is(errorOf({ pairing: 'swapped' }), 'swav config: at .pairing expected \'seed\' or \'paper\', got "swapped"');
  assert.is(errorOf({ projector: { batchNorm: 'no' } }), 'swav config: at .projector.batchNorm expected true or false, got "no"');
  assert.is(errorOf({ cropsForAssign: [0, 0] }), 'swav config: at .cropsForAssign expected a non-empty list of distinct view indices (integers >= 0), got [0,0]');
  assert.is(errorOf(5), 'swav config: at (the root) expected a SwAV configuration object, got 5');
  assert.is(errorOf({ projector: [] }), 'swav config: at .projector expected an object with projector settings, got []');
});

Config('unknown keys are rejected, naming the known ones', () => {
  assert.is(
    errorOf({ temprature: 0.1 }),
    'swav config: at .temprature unknown key (known: encoder, encoderOptions, embedDim, projector, numPrototypes, temperature, epsilon, sinkhornIterations, pairing, cropsForAssign, queueLength, queueStartStep, freezePrototypesSteps)',
  );
  assert.is(errorOf({ projector: { hiddenDims: 3 } }), 'swav config: at .projector.hiddenDims unknown key (known: hiddenDim, outDim, batchNorm, bnMomentum, bnEps)');
});

Config('encoders: a registered name or an (init, apply) layer; a layer without embeddingDim needs embedDim', () => {
  assert.is(errorOf({ encoder: 'resnet19' }), `swav config: at .encoder expected one of the nn encoders (${nn.encoderNames().join(', ')}) or an (init, apply) layer, got "resnet19"`);
  assert.is(errorOf({ encoder: 42 }), 'swav config: at .encoder expected an nn encoder name or an (init, apply) layer, got 42');
  const bare = { init: () => ({ params: {}, state: {} }), apply: (_p: unknown, s: unknown, x: NdArray) => [x, s] as [NdArray, unknown] };
  assert.is(errorOf({ encoder: bare }), 'swav config: at .embedDim expected a positive integer (the width of a layer encoder that has no embeddingDim), got undefined');
  assert.is(swav.swavConfig({ encoder: bare, embedDim: 7 }).embedDim, 7);
});

Config('every error at once, and the Either form', () => {
  assert.is(
    errorOf({ numPrototypes: 0, projector: { outDim: 1.5 }, epsilon: -1 }),
    'swav config: at .numPrototypes expected a positive integer, got 0; at .projector.outDim expected a positive integer, got 1.5; at .epsilon expected a finite number > 0, got -1',
  );
  const r = swav.decodeSwavConfig({ queueLength: -1 });
  assert.ok(E.isLeft(r));
  assert.is(E.isLeft(r) && r.left, 'swav config: at .queueLength expected an integer >= 0, got -1');
  assert.is(errorOf({ cropsForAssign: [1, 2] }), "swav config: at .cropsForAssign expected [0, 1, ..., n-1] with pairing 'seed' (the global views come first), got [1,2]");
});

Config.run();

// ---------------------------------------------------------------------------------------------
const Model = suite('swav model: calling conventions, outputs, PyTorch interop');

Model('{ view1, view2 }: loss, embedding of both views, projection, scores and codes', async () => {
  const config = swav.swavConfig(tinyConfig());
  const { params, state } = swav.init(random.key(0), config);
  const [v1, v2] = randomViews(1, 2, 6, 8);
  const [out, state2] = scope(() => swav.apply(params, state, { view1: v1, view2: v2 }, { train: true, config }));
  assert.equal((out.embedding as tf.Tensor).shape, [12, 16]);
  assert.equal((out.projection as tf.Tensor).shape, [12, 8]);
  assert.is(out.scores!.length, 2);
  assert.equal((out.codes![1] as tf.Tensor).shape, [6, 12]);
  const loss = (await read(out.loss))[0];
  assert.ok(Number.isFinite(loss) && loss > 0);
  assert.is((await read(state2.step))[0], 1, 'a training apply advances the step');
  // eval mode: running statistics, state unchanged (step too)
  const [evalOut, state3] = scope(() => swav.apply(params, state, { view1: v1, view2: v2 }, { config }));
  assert.is(state3.step, state.step);
  assert.ok(tensorsIn(state3).every((t, i) => t === tensorsIn(state)[i]), 'the same running statistics');
  tf.dispose([...tensorsIn([params, state, state2, out, evalOut]), v1, v2]);
});

Model('{ globalViews, localViews }: views of different sizes; embedding of the global views only', async () => {
  const config = swav.swavConfig(tinyConfig());
  const { params, state } = swav.init(random.key(0), config);
  const [g1, g2] = randomViews(2, 2, 4, 16);
  const [l1, l2, l3] = randomViews(3, 3, 4, 8);
  const [out, state2] = scope(() => swav.apply(params, state, { globalViews: [g1, g2], localViews: [l1, l2, l3] }, { train: true, config }));
  assert.equal((out.embedding as tf.Tensor).shape, [8, 16]);
  assert.equal((out.projection as tf.Tensor).shape, [20, 8]);
  assert.is(out.codes!.length, 5);
  // The loss is the seed pairing over the outputs.
  const expected = scope(() => swav.swavLoss(out.scores!, out.codes!, { temperature: 0.1 })) as tf.Tensor;
  await allCloseAsync(out.loss as tf.Tensor, expected, { rtol: 1e-6 });
  // paper pairing: codes only for the assignment views
  const paper = swav.swavConfig(tinyConfig({ pairing: 'paper' }));
  const [outP] = scope(() => swav.apply(params, state, { globalViews: [g1, g2], localViews: [l1] }, { train: true, config: paper }));
  assert.ok(outP.codes![0] && outP.codes![1] && outP.codes![2] === null);
  tf.dispose([...tensorsIn([params, state, state2, out, outP, expected]), g1, g2, l1, l2, l3]);
});

Model('{ images } and { view1 } alone: the backbone embedding and a zero loss', async () => {
  const config = swav.swavConfig(tinyConfig());
  const { params, state } = swav.init(random.key(0), config);
  const [x] = randomViews(4, 1, 3, 8);
  for (const input of [{ images: x }, { view1: x }]) {
    const [out, s2] = scope(() => swav.apply(params, state, input, { config }));
    assert.equal((out.embedding as tf.Tensor).shape, [3, 16]);
    assert.equal(await read(out.loss), [0]);
    assert.is(out.projection, undefined);
    assert.is(s2.step, state.step);
    tf.dispose(tensorsIn(out));
  }
  assert.throws(() => swav.apply(params, state, { view2: x } as any, { config }), /needs either \{ view1, view2 \}, \{ globalViews, localViews \}, or \{ images \}/);
  assert.throws(() => swav.apply(params, state, { views: [x] } as any, { config }), /unknown input key\(s\) views/);
  tf.dispose([...tensorsIn([params, state]), x]);
});

Model('any nn encoder by name (resnet18, low resolution)', async () => {
  const config = swav.swavConfig({ encoder: 'resnet18', encoderOptions: { lowResolution: true }, projector: { hiddenDim: 16, outDim: 8 }, numPrototypes: 5 });
  const { params, state } = swav.init(random.key(0), config);
  const [x] = randomViews(5, 1, 2, 8);
  const [out] = scope(() => swav.apply(params, state, { images: x }, { config }));
  assert.equal((out.embedding as tf.Tensor).shape, [2, 512]);
  tf.dispose([...tensorsIn([params, state, out]), x]);
});

Model('PyTorch state dict: toTorch then fromTorch round-trips; unused entries are an error', async () => {
  const config = swav.swavConfig(tinyConfig());
  const { params, state } = swav.init(random.key(3), config);
  const dict = swav.toTorch(params, state, config);
  assert.ok(dict['backbone.conv1.weight'] && dict['projector.3.weight'] && dict['prototypes.weight']);
  assert.equal(dict['backbone.conv1.weight'].shape, [8, 3, 3, 3]);
  assert.equal(dict['projector.0.weight'].shape, [32, 16]);
  const back = swav.fromTorch(dict, config);
  for (const [a, b] of [
    [params.encoder.conv1.w, back.params.encoder.conv1.w],
    [params.projector[3].w, back.params.projector[3].w],
    [params.prototypes.weight, back.params.prototypes.weight],
    [state.projector[1].var, back.state.projector[1].var],
  ])
    await allCloseAsync(b as tf.Tensor, a as tf.Tensor, { rtol: 0, atol: 0 });
  assert.throws(() => swav.fromTorch({ ...dict, 'head.weight': tf.zeros([1]) }, config), /entries not used by the model: head.weight/);
  tf.dispose([...tensorsIn([params, state, dict, back])]);
});

Model.run();
