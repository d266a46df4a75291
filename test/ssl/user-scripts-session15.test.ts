/**
 * The SSL toolkit as users drive it (session 15), through the public entry (lib/node.ts) and the
 * documented arbitraries only:
 * - a variant composed from SwAV's pieces (ViT encoder, the user's own LayerNorm projector,
 *   multi-crop 2 x 32 px + 4 x 16 px, the paper's pairing, `codesWithQueue` / `pushQueue`, a
 *   VICReg variance-covariance term), trained by `ssl.trainStep` under `jit` and eagerly with
 *   clipping + AdamW on a warm-up cosine: a checkpoint saved mid-run, reloaded and continued equals
 *   the uninterrupted run bit for bit (losses and every leaf), one trace, a flat tensor count;
 * - the pure step in a plain loop: gradient accumulation with `optim.multiSteps` on a schedule is
 *   `p - lr(g) * mean(grads)` of the two micro-batches, a jitted evaluation in between, no leaked
 *   tensors; plain JS arrays as views are a one-line error saying to make them arrays (it was
 *   "Cannot read properties of undefined (reading 'length')" from encodeViews, swav.apply and
 *   method.embed, and "got object" from the methods' view check);
 * - Sinkhorn properties with `tfjax/ssl/swav/arbitraries`: an uneven batch padded with masked rows
 *   and sharded over a named axis gives the codes of the whole batch (pad rows zero); permuting
 *   samples across shards permutes the codes; the epsilon limits (large: 1/K; small with 0
 *   iterations: the one-hot argmax).
 */
import * as fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, checkpoint, jit, nn, np, optim, random, ssl, swav, tf, tree, vmap } from '../../lib/node.js';
import { permutation, scoreMatrix, sinkhornCase } from '../../lib/ssl/swav/arbitraries.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

type Vars = { params: any; state: any; optState: any };
const { strictPartial, positiveInt, nonNegativeNumber } = ssl.codecs;

/** Bitwise equality of two lists of tensors (NaN-safe, -0 distinct). */
function sameBits(a: tf.Tensor[], b: tf.Tensor[], what: string): void {
  assert.is(a.length, b.length, `${what}: leaf count`);
  a.forEach((x, i) => {
    const [p, q] = [x.dataSync(), b[i]!.dataSync()];
    assert.ok(p.length === q.length && p.every((v, j) => Object.is(v, q[j])), `${what}: leaf ${i} differs`);
  });
}

// ---------------------------------------------------------------------------------------------
const Variant = suite('a SwAV + queue + VICReg variant on a ViT, multi-crop, resumed through a checkpoint');

/** SwAV's swapped prediction with codes over [queue; batch], plus VICReg's variance-covariance term on the global views. */
const swavQueueVc = ssl.defineMethod({
  name: 'swavQueueVc',
  codec: strictPartial({ numPrototypes: positiveInt, queueLength: positiveInt, vcWeight: nonNegativeNumber }, 'a swavQueueVc configuration'),
  defaults: { numPrototypes: 6, queueLength: 8, vcWeight: 0.05 },
  build(c) {
    const stages = {
      encoder: nn.encoder('vit_tiny_patch16_224', { imgSize: 32, patchSize: 8, inChannels: 1, embedDim: 16, depth: 1, numHeads: 2 }),
      projector: nn.sequential([nn.linear({ in: 16, out: 16 }), nn.layerNorm({ features: 16 }), nn.gelu(), nn.linear({ in: 16, out: 8 })]),
      prototypes: swav.prototypes({ dim: 8, count: c.numPrototypes }),
    };
    const net = ssl.network({ name: 'swavQueueVc', stages, extraState: () => ({ queue: swav.initQueue(2, c.queueLength, 8) }) });
    return {
      ...net.parts,
      loss(params, state, batch, { key } = {}) {
        net.checkState(state, ['queue']);
        const { views } = ssl.viewsOfOneBatch(batch, 'swavQueueVc')!;
        const { outputs, state: s } = ssl.encodeViews(net.chain(), params, state, views, { train: true, key });
        const z = outputs.projector.map((x) => np.divide(x, np.linalg.norm(x, 2, 1, true)));
        const weight = swav.normalizePrototypes(params.prototypes.weight);
        const scores = z.map((x) => swav.prototypeScores(weight, x));
        const inUse = swav.queueInUse(state.queue);
        const codes = [0, 1].map((v) => swav.codesWithQueue(scores[v]!, np.take(state.queue.embeddings, v, 0), weight, inUse));
        const swapped = swav.swavLoss(scores, codes, { temperature: 0.1, pairing: 'paper', cropsForAssign: [0, 1] });
        const vc = np.add(ssl.vcReg(outputs.projector[0]!), ssl.vcReg(outputs.projector[1]!));
        const queue = swav.pushQueue(state.queue, [z[0]!, z[1]!].map((x) => np.stopGradient(x)), np.array(true));
        return [np.add(swapped, np.mul(c.vcWeight, vc)), { state: net.next(state, s, { queue }), metrics: { swapped, vc }, params: { ...params, prototypes: { weight } } }];
      },
    };
  },
});

/** Step i's multi-crop batch (2 x 32 px global, 4 x 16 px local views of 4 images) and key; the caller frees them. */
function multiCrop(i: number): { batch: { globalViews: NdArray[]; localViews: NdArray[] }; key: NdArray } {
  const k = random.key(300 + i);
  const ks = random.split(k, 7);
  k.dispose();
  const globalViews = [0, 1].map((j) => random.uniform(ks[j]!, [4, 32, 32, 1]));
  const localViews = [2, 3, 4, 5].map((j) => random.uniform(ks[j]!, [4, 16, 16, 1]));
  tf.dispose(ks.slice(0, 6) as tf.Tensor[]);
  return { batch: { globalViews, localViews }, key: ks[6]! };
}

Variant('checkpoint at step 2 of 4, reload, continue = the uninterrupted run bit for bit, under jit and eagerly; one trace, flat tensor count', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-swav-vc-'));
  const method = swavQueueVc();
  const opt = optim.chain(optim.clipByGlobalNorm(1), optim.adamw({ learningRate: optim.warmupCosineDecay({ init: 0, peak: 1e-2, warmupSteps: 2, decaySteps: 6 }), weightDecay: 0.05 }));
  const losses: Record<string, number[]> = {};
  try {
    for (const mode of ['jit', 'eager'] as const) {
      const step = mode === 'jit' ? jit(ssl.trainStep(method, opt)) : ssl.trainStep(method, opt);
      const run = async (from: number, to: number, v?: Vars) => {
        if (!v) {
          const k = random.key(0);
          const { params, state } = method.init(k);
          k.dispose();
          v = { params, state, optState: opt.init(params) };
        }
        const out = { losses: [] as number[], counts: [] as number[] };
        for (let i = from; i < to; i++) {
          const { batch, key } = multiCrop(i);
          const r: ssl.StepResult<any, any, any> = step(v.params, v.state, v.optState, batch, key);
          tf.dispose([v, batch, key] as never);
          v = { params: r.params, state: r.state, optState: r.optState };
          out.losses.push((await r.metrics.loss.data())[0]!);
          tf.dispose(r.metrics as never);
          out.counts.push(tf.memory().numTensors);
        }
        return { v, ...out };
      };
      const full = await run(0, 4);
      const half = await run(0, 2);
      const file = join(dir, `${mode}.safetensors`);
      await checkpoint.save(file, half.v);
      const back = (await checkpoint.load(file, { like: half.v })) as Vars;
      tf.dispose(half.v as never);
      const rest = await run(2, 4, back);
      assert.equal([...half.losses, ...rest.losses], full.losses, `${mode}: losses`);
      assert.ok(full.losses.every(Number.isFinite), `${mode}: finite losses ${full.losses}`);
      sameBits(tree.leaves(full.v) as tf.Tensor[], tree.leaves(rest.v) as tf.Tensor[], mode);
      assert.is((await full.v.state.queue.filled.data())[0], 8, `${mode}: the queue is full after 4 steps of 4 images`);
      assert.equal(new Set(full.counts).size, 1, `${mode}: tensor count per step ${full.counts}`);
      if (mode === 'jit') assert.is((step as ReturnType<typeof jit>).cacheSize(), 1);
      losses[mode] = full.losses;
      tf.dispose([full.v, rest.v] as never);
    }
    losses.jit!.forEach((l, i) => assert.ok(Math.abs(l - losses.eager![i]!) <= 1e-4 * Math.abs(l), `step ${i}: jit ${l} vs eager ${losses.eager![i]}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
const Loop = suite('the pure step in a plain loop: multiSteps on a schedule, evaluation in between, plain arrays');

const ENC = { encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] } } as const;

/** A two-view batch of `n` images from JS numbers (the user's own data), as tensors. */
function ownData(seed: number, n = 4): number[][][][] {
  return Array.from({ length: n }, (_, b) => Array.from({ length: 8 }, (_, h) => Array.from({ length: 8 }, (_, w) => [((seed * 31 + b * 7 + h * 3 + w) % 17) / 17])));
}

Loop('multiSteps(sgd(cosineDecay), 2) under jit: every 2nd step is p - lr(g) * mean of the two micro-batch gradients; jitted embed between; no leak', async () => {
  const method = ssl.methods.simclr({ ...ENC, projector: { dims: [16, 8] } });
  const schedule = optim.cosineDecay({ init: 0.1, decaySteps: 4 });
  const opt = optim.multiSteps(optim.sgd({ learningRate: schedule }), 2);
  const step = jit(ssl.trainStep(method, opt));
  const embed = jit((p: any, s: any, x: NdArray) => method.embed(p, s, x));
  const probe = tf.tensor(ownData(99, 3));
  const k = random.key(0);
  let { params, state } = method.init(k);
  k.dispose();
  let optState: any = opt.init(params);
  const counts: number[] = [];
  for (let g = 0; g < 3; g++) {
    const [b1, b2] = [0, 1].map((m) => ({ view1: tf.tensor(ownData(10 * g + m)), view2: tf.tensor(ownData(10 * g + m + 5)) }));
    // The reference: both gradients at the parameters of the group's start (the first micro-step applies a zero update).
    const g1 = ssl.lossAndGrad(method, params, state, b1!);
    const g2 = ssl.lossAndGrad(method, params, g1.aux.state, b2!);
    const lr = schedule.at(g);
    const expected = tree.map((p: NdArray, x: NdArray, y: NdArray) => tf.tidy(() => np.sub(p, np.mul(lr / 2, np.add(x, y))) as tf.Tensor), params, g1.grads, g2.grads);
    const r1: ssl.StepResult<any, any, any> = step(params, state, optState, b1, undefined);
    const r2: ssl.StepResult<any, any, any> = step(r1.params, r1.state, r1.optState, b2, undefined);
    const [e, a] = [tree.leaves(expected) as tf.Tensor[], tree.leaves(r2.params) as tf.Tensor[]];
    e.forEach((x, i) => {
      const [p, q] = [Array.from(x.dataSync()), Array.from(a[i]!.dataSync())];
      const scale = p.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      p.forEach((v, j) => assert.ok(Math.abs(v - q[j]!) <= 1e-5 * scale + 1e-7, `group ${g}: leaf ${i}[${j}] ${q[j]} vs ${v}`));
    });
    assert.is((await r2.optState.gradientStep.data())[0], g + 1);
    tf.dispose([params, state, optState, b1, b2, g1, g2, expected, r1, r2.metrics] as never);
    ({ params, state, optState } = r2);
    const z = embed(params, state, probe);
    assert.equal(z.shape, [3, 8]);
    z.dispose();
    counts.push(tf.memory().numTensors);
  }
  assert.equal(new Set(counts).size, 1, `tensor count per group ${counts}`);
  assert.is(step.cacheSize(), 1);
  tf.dispose([params, state, optState, probe] as never);
});

Loop('plain JS arrays as views are a one-line error naming the view and saying to make arrays (trainStep, encodeViews, swav.apply, embed)', () => {
  const plain = ownData(0, 2) as unknown as NdArray;
  const simclr = ssl.methods.simclr({ ...ENC, projector: { dims: [16, 8] } });
  const dino = ssl.methods.dino({ ...ENC, projector: { dims: [16, 8] }, numPrototypes: 6 });
  const config = swav.swavConfig({ ...ENC, projector: { hiddenDim: 16, outDim: 8 }, numPrototypes: 6 });
  const k = random.key(0);
  const s = simclr.init(k);
  const d = dino.init(k);
  const m = swav.init(k, config);
  const opt = optim.sgd({ learningRate: 0.1 });
  const optState = opt.init(s.params);
  const x = tf.zeros([2, 8, 8, 1]);
  const flat = new Float32Array(4) as unknown as NdArray;
  const hint = 'must be a batch of images \\(an array \\[N, \\.\\.\\.\\]\\), got a JS array of length 2; make it one with np\\.array\\(\\.\\.\\.\\)$';
  const cases: [() => unknown, RegExp][] = [
    [() => ssl.trainStep(simclr, opt)(s.params, s.state, optState, { view1: plain, view2: plain }, k), new RegExp(`^simclr: view1 ${hint}`)],
    [() => dino.loss(d.params, d.state, { globalViews: [x, plain] }), new RegExp(`^dino: globalViews\\[1\\] ${hint}`)],
    [() => ssl.encodeViews({ encoder: nn.encoder(ENC.encoder, ENC.encoderOptions) }, s.params, s.state, [x, plain]), new RegExp(`^encodeViews: view 1 ${hint}`)],
    [() => swav.apply(m.params, m.state, { view1: x, view2: plain }, { train: true, config }), new RegExp(`^swav\\.apply: view2 ${hint}`)],
    [() => simclr.embed(s.params, s.state, plain), new RegExp(`^simclr\\.embed: images ${hint}`)],
    [() => swav.apply(m.params, m.state, { images: flat }, { config }), /^swav\.apply: images must be a batch of images \(an array \[N, \.\.\.\]\), got a Float32Array \(flat data\); make it one with tf\.tensor\(data, shape\)$/],
  ];
  for (const [f, pattern] of cases) {
    const before = tf.memory().numTensors;
    const message = errorOf(f);
    assert.match(message, pattern);
    assert.is(tf.memory().numTensors, before, `the failed call frees what it made: ${message}`);
  }
  tf.dispose([k, s, d, m, optState, x] as never);
});

// ---------------------------------------------------------------------------------------------
const Sinkhorn = suite('Sinkhorn properties with the documented arbitraries');

const maxAbsDiff = (a: NdArray, b: NdArray) => {
  const [p, q] = [Array.from((a as tf.Tensor).dataSync()), Array.from((b as tf.Tensor).dataSync())];
  return p.reduce((m, v, i) => Math.max(m, Math.abs(v - q[i]!)), 0);
};
/** docs/swav.md's float32 bound on `scores / epsilon`. */
const bound = (epsilon: number) => 1e-5 + (8 * 2 ** -24) / epsilon;

Sinkhorn('an uneven batch padded with masked rows, sharded over a named axis, gives the whole batch\'s codes (pad rows zero)', () => {
  fc.assert(
    fc.property(sinkhornCase({ maxBatch: 9, maxPrototypes: 7 }, { minEpsilon: 0.02, maxIterations: 5 }), fc.integer({ min: 2, max: 3 }), ({ batch, prototypes, scores, epsilon, iterations }, shards) =>
      tf.tidy(() => {
        const per = Math.ceil(batch / shards);
        const padded = per * shards;
        const s = tf.tensor(scores);
        const whole = swav.sinkhorn(s, { epsilon, iterations });
        const x = np.reshape(np.concatenate([s, np.zeros([padded - batch, prototypes])], 0), [shards, per, prototypes]);
        const mask = np.reshape(np.concatenate([np.ones([batch]), np.zeros([padded - batch])], 0), [shards, per]);
        const q = np.reshape(vmap((xi: NdArray, mi: NdArray) => swav.sinkhorn(xi, { epsilon, iterations, axisName: 'devices', mask: mi }), { axisName: 'devices' })(x, mask), [padded, prototypes]);
        const pads = padded > batch ? (np.max(np.abs(np.sliceAxis(q, 0, batch, padded))) as tf.Tensor).dataSync()[0] : 0;
        return maxAbsDiff(np.sliceAxis(q, 0, 0, batch), whole) <= bound(epsilon) && pads === 0;
      }),
    ),
    { numRuns: 30, seed: 15 },
  );
});

Sinkhorn('permuting samples across shards permutes the distributed codes', () => {
  fc.assert(
    fc.property(sinkhornCase({ minBatch: 6, maxBatch: 6, maxPrototypes: 6, kind: 'cosine' }, { minEpsilon: 0.02 }), permutation(6), ({ prototypes, scores, epsilon, iterations }, perm) =>
      tf.tidy(() => {
        const sharded = (s: NdArray) => np.reshape(vmap((y: NdArray) => swav.sinkhorn(y, { epsilon, iterations, axisName: 'devices' }), { axisName: 'devices' })(np.reshape(s, [2, 3, prototypes])), [6, prototypes]);
        const s = tf.tensor(scores);
        const order = tf.tensor1d(perm, 'int32');
        return maxAbsDiff(sharded(tf.gather(s, order)), tf.gather(sharded(s) as tf.Tensor, order)) <= bound(epsilon);
      }),
    ),
    { numRuns: 30, seed: 15 },
  );
});

Sinkhorn('epsilon limits: very large gives 1/K everywhere; very small with 0 iterations gives the one-hot argmax of each sample', () => {
  fc.assert(
    fc.property(scoreMatrix({ kind: 'cosine' }), fc.integer({ min: 0, max: 5 }), ({ prototypes, scores }, iterations) =>
      tf.tidy(() => {
        const q = swav.sinkhorn(tf.tensor(scores), { epsilon: 1e6, iterations });
        return maxAbsDiff(q, np.full(q.shape, 1 / prototypes)) <= 1e-6;
      }),
    ),
    { numRuns: 30, seed: 15 },
  );
  fc.assert(
    fc.property(scoreMatrix({ minPrototypes: 2 }), ({ scores }) =>
      tf.tidy(() => {
        const q = swav.sinkhorn(tf.tensor(scores), { epsilon: 1e-6, iterations: 0 }).arraySync() as number[][];
        return scores.every((row, b) => {
          const [top, second] = [...row].sort((u, v) => v - u);
          if (top! - second! < 1e-3) return true; // a near tie: no single argmax to expect
          return q[b]!.every((c, j) => (row[j] === top ? Math.abs(c - 1) <= 1e-6 : c <= 1e-6));
        });
      }),
    ),
    { numRuns: 30, seed: 15 },
  );
});

Variant.run();
Loop.run();
Sinkhorn.run();
