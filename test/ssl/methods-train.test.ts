/**
 * Every registered method trains on a small Fashion-MNIST subset (lib/data; random resized
 * crops as views) through `jit(ssl.trainStep(method, sgd))` with a tiny `convnet_small`
 * chosen by name: each step's loss is finite, the parameters move, the tensor count stays
 * flat from step to step, and the step is traced once. Also: the registry, `embed`, and a
 * configuration error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import { augment, gatherImages, loadFashionMnist } from '../../lib/data/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose, allCloseAsync, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

await useTestBackend();

const BATCH = 8;
const STEPS = 3;
const encoder = { encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] } };
const small = ssl.head([16, 8]);
const tinyVit = { encoder: 'vit_tiny_patch16_224', encoderOptions: { imgSize: 12, patchSize: 4, inChannels: 1, embedDim: 8, depth: 1, numHeads: 2 } };

/** Each method small: the seed's structure, tiny widths, queues shorter than two batches. */
const CONFIGS: Record<string, Record<string, unknown>> = {
  simclr: { ...encoder, projector: { dims: [16, 8] } },
  mocoV2: { ...encoder, projector: { dims: [16, 8] }, queueLength: 12, emaStart: 0.9 },
  byol: { ...encoder, projector: small, predictor: small, emaStart: 0.9 },
  simsiam: { ...encoder, projector: { dims: [16, 8] }, predictor: { dims: [4, 8] } },
  vicreg: { ...encoder, projector: { dims: [16, 8] } },
  barlowTwins: { ...encoder, projector: { dims: [16, 8] } },
  dino: { ...encoder, projector: { dims: [16, 8] }, numPrototypes: 12, warmupTeacherSteps: 2, emaStart: 0.9 },
  nnclr: { ...encoder, projector: { dims: [16, 8] }, predictor: { dims: [16, 8] }, queueLength: 12 },
  swav: { ...encoder, projector: { hiddenDim: 16, outDim: 8 }, numPrototypes: 10 },
  mocoV3: { ...encoder, projector: small, predictor: small, emaStart: 0.9 },
  tico: { ...encoder, projector: { dims: [16, 8] } },
  wmse: { ...encoder, projector: { dims: [16, 8] } },
  directclr: { ...encoder, dim: 6 },
  lejepa: { ...encoder, projectorInput: 8, projector: { dims: [16, 8] }, numSlices: 16 },
  spectralCl: { ...encoder, projector: { dims: [16, 8] } },
  mae: { ...tinyVit, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2 },
  pirl: { ...encoder, projectorDim: 8, queueLength: 12, jigsawGrid: 3 },
  dinov2: { ...tinyVit, projector: ssl.head([16, 8], { activation: 'gelu', batchNorm: false }), numClsPrototypes: 12, numPatchPrototypes: 10 },
  vicregl: { ...tinyVit, projector: ssl.head([16, 8], { lastBias: false }), localProjector: ssl.head([16, 8], { lastBias: false }) },
  ijepa: { ...tinyVit, predictorEmbedDim: 8, predictorDepth: 1, numTargets: 2 },
  ibot: { ...tinyVit, projector: ssl.head([16, 8], { activation: 'gelu', batchNorm: false }), numClsPrototypes: 12, numPatchPrototypes: 10 },
  msn: { ...tinyVit, projector: ssl.head([16, 8], { activation: 'gelu', batchNorm: false }), numPrototypes: 12 },
  simmim: { ...tinyVit },
  data2vec: { ...tinyVit, topKBlocks: 1, emaStart: 0.9 },
  dinov3: { ...tinyVit, projector: ssl.head([16, 8], { activation: 'gelu', batchNorm: false }), numClsPrototypes: 12, numPatchPrototypes: 10 },
  igpt: { ...tinyVit },
  maskfeat: { ...tinyVit },
  cmae: { ...tinyVit, projectorDim: 8 },
  beit: { ...tinyVit, vocabSize: 16 },
  mimRefiner: { ...tinyVit, projector: ssl.head([16, 8], { activation: 'gelu', batchNorm: false }), numClsPrototypes: 12, numPatchPrototypes: 10 },
  crossMae: { ...tinyVit, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2 },
  // NEPA builds its own transformer (the seed's module has no encoder option).
  nepa: { imgSize: 12, patchSize: 4, inChannels: 1, embedDim: 8, depth: 1, numHeads: 2 },
  salt: { ...tinyVit, predictorEmbedDim: 8, predictorDepth: 1, predictorNumHeads: 2, numTargets: 2 },
};
const MULTI_CROP = new Set(['dino', 'swav', 'lejepa', 'dinov2', 'ibot', 'dinov3', 'mimRefiner']);

const data = await loadFashionMnist({ split: 'train', limitPerClass: 2 });
const images = tf.tensor(gatherImages(data, Array.from({ length: BATCH * STEPS }, (_, i) => i % data.n)), [BATCH * STEPS, data.height, data.width, 1]);

/** Step `s`'s batch: two 12x12 global crops (and, for multi-crop methods, two 8x8 local ones) of 8 images. */
function batchOf(method: string, s: number): ssl.ViewsBatch {
  return tf.tidy(() => {
    const x = tf.slice(images, [s * BATCH, 0, 0, 0], [BATCH, -1, -1, -1]);
    const crop = (i: number, size: number) => augment.randomResizedCrop(random.key(100 * s + i), x, { size, scale: [0.4, 1] }) as tf.Tensor;
    const globalViews = [crop(0, 12), crop(1, 12)];
    return MULTI_CROP.has(method) ? { globalViews, localViews: [crop(2, 8), crop(3, 8)] } : { view1: globalViews[0], view2: globalViews[1] };
  }) as ssl.ViewsBatch;
}

/** How far each leaf of `a` is from `b`'s, by leaf path. */
const sumAbsDiff = async (a: unknown, b: unknown): Promise<[string, number][]> => {
  const [x, y] = [tree.leavesWithPath<tf.Tensor>(a), tree.leaves<tf.Tensor>(b)];
  const d = tf.tidy(() => x.map(([, t], i) => tf.sum(tf.abs(tf.sub(t, y[i])))));
  const out = await Promise.all(d.map(async (t, i): Promise<[string, number]> => [x[i]![0], (await t.data())[0]!]));
  tf.dispose(d);
  return out;
};
/** Encoder parameters a method leaves as they are: I-JEPA never uses the ViT's class token (the seed's optimiser skips it). */
const FROZEN: Record<string, RegExp> = { ijepa: /cls_token$/, crossMae: /^\.norm\./ };

/**
 * Runs `steps` jitted steps of `method` (SGD) on `batchOf(kind, s)`, freeing what each step replaces;
 * `onStep(s, result)` sees every step's result before its metrics are freed. Returns the final variables and the step.
 */
async function train(method: ssl.Method, kind: string, steps: number, onStep: (s: number, r: ssl.StepResult<any, any, any>) => Promise<void> | void, key?: NdArray) {
  const opt = optim.sgd({ learningRate: 0.05, momentum: 0.9 });
  let { params, state } = method.init(random.key(1));
  let optState = opt.init(params);
  const step = jit(ssl.trainStep(method, opt));
  for (let s = 0; s < steps; s++) {
    const batch = batchOf(kind, s);
    const r = step(params, state, optState, batch, key);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    await onStep(s, r);
    tf.dispose([...tensorsIn(r.metrics), ...tensorsIn(batch)]);
  }
  return { params, state, optState, step };
}

const Registry = suite('ssl.methods: the registry');
Registry('every method by name, each a Method with a decoded configuration', () => {
  assert.equal(ssl.methods.names().sort(), Object.keys(CONFIGS).sort());
  for (const name of ssl.methods.names()) assert.is(ssl.methods.byName(name)(CONFIGS[name] as never).name, name);
  assert.throws(() => ssl.methods.byName('moco'), /ssl.methods: unknown method 'moco'; known: simclr, mocoV2/);
});
Registry('a bad configuration is one line naming the path', () => {
  assert.is(errorOf(() => ssl.methods.simclr({ temperature: -1 })), 'simclr config: at .temperature expected a finite number > 0, got -1');
  assert.is(errorOf(() => ssl.methods.byol({ ...encoder, projector: small, predictor: ssl.head([16, 4]) } as never)), 'byol config: at .predictor.dims expected the output width 8 of the projector, got 4');
  assert.match(errorOf(() => ssl.methods.dino({ projector: { dim: [4] } } as never)), /^dino config: at \.projector\.dim unknown key \(known: dims, activation/);
});
Registry.run();

for (const name of Object.keys(CONFIGS)) {
  const test = suite(`ssl.methods.${name}: trains on Fashion-MNIST`);
  test(`${STEPS} jitted steps: finite loss, parameters move, no tensor leaks, one trace; embed`, async () => {
    const method = ssl.methods.byName(name)(CONFIGS[name] as never);
    const start = method.init(random.key(1));
    const key = random.key(7);
    const counts: number[] = [];
    const { params, state, optState, step } = await train(method, name, STEPS, async (s, r) => {
      const loss = (await (r.metrics.loss as tf.Tensor).data())[0];
      assert.ok(Number.isFinite(loss), `${name} step ${s}: loss ${loss}`);
      counts.push(tf.memory().numTensors);
    }, key);
    assert.is(step.cacheSize(), 1, 'one trace');
    assert.ok(counts.every((c) => c === counts[0]), `tensor count flat across steps: ${counts.join(', ')}`);
    const moved = await sumAbsDiff(params.encoder, start.params.encoder);
    const frozen = FROZEN[name];
    for (const [path, d] of moved) {
      if (frozen?.test(path)) assert.is(d, 0, `${name}: ${path} stays as it was`);
      else assert.ok(d > 0, `${name}: encoder parameter ${path} moved (${d})`);
    }
    const x = tf.slice(images, [0, 0, 0, 0], [4, 12, 12, 1]);
    const e = method.embed(params, state, x) as tf.Tensor;
    assert.equal(e.shape, [4, 8]);
    assert.ok(Array.from(await e.data()).every(Number.isFinite));
    tf.dispose([e, x, key, ...tensorsIn([params, state, optState, start])]);
  });
  test.run();
}

const Dino = suite('ssl.methods.dino: teacher temperature warm-up');
Dino('linear from warmupTeacherTemperature to teacherTemperature over warmupTeacherSteps, then constant', async () => {
  const method = ssl.methods.dino({ ...CONFIGS.dino, warmupTeacherTemperature: 0.04, teacherTemperature: 0.07, warmupTeacherSteps: 2 } as never);
  const temperatures: number[] = [];
  const end = await train(method, 'dino', 3, async (_, r) => {
    temperatures.push((await (r.metrics.teacherTemperature as tf.Tensor).data())[0]);
  });
  allClose(temperatures, [0.04, 0.055, 0.07], { rtol: 1e-6 });
  tf.dispose(tensorsIn(end));
});
Dino.run();

const Teacher = suite('ssl.methods.byol: the teacher follows the EMA coefficient schedule');
Teacher('coefficient 0 at step 0 (the teacher becomes the student), 1 from step 1 (it stays)', async () => {
  const method = ssl.methods.byol({ ...CONFIGS.byol, emaStart: 0, emaEnd: 1, emaSteps: 1 } as never);
  const snapshots: { student: tf.Tensor; teacher: tf.Tensor; teacherMean: tf.Tensor; studentMean: tf.Tensor }[] = [];
  const end = await train(method, 'byol', 2, (_, r) => {
    const t = r.state.teacher;
    snapshots.push({
      student: tf.clone(r.params.projector[0].w),
      teacher: tf.clone(t.params.projector[0].w),
      studentMean: tf.clone(r.state.projector[1].mean),
      teacherMean: tf.clone(t.state.projector[1].mean),
    });
  });
  await allCloseAsync(snapshots[0].teacher, snapshots[0].student, { rtol: 0, atol: 0 });
  await allCloseAsync(snapshots[0].teacherMean, snapshots[0].studentMean, { rtol: 0, atol: 0 });
  await allCloseAsync(snapshots[1].teacher, snapshots[0].teacher, { rtol: 0, atol: 0 });
  assert.ok((await sumAbsDiff(snapshots[1].student, snapshots[0].student))[0]![1] > 0, 'the student moved on');
  tf.dispose([...tensorsIn(snapshots), ...tensorsIn(end)]);
});
Teacher.run();

const Done = suite('ssl.methods: cleanup');
Done('frees the images', () => {
  images.dispose();
});
Done.run();
