/** The training presets (`--preset NAME`). */
import { type ConfigInput, METHOD_NAMES, MULTI_CROP_METHODS, ONE_VIEW_METHODS, type MethodName, VIT_METHODS } from './config-schema.js';

/**
 * Steps of each method's 29-minute run on the 2-core machine (2 workers, batch 256): SwAV's
 * are the `fashion-mnist` preset's (2,600 steps in about 19 minutes, measured on a quiet
 * machine); the others scale them by each method's speed relative to SwAV's, keeping SwAV's
 * margin. `timeLimitMinutes: 29` stops a slower run in time either way.
 */
const SWAV_STEPS = 2600;
/**
 * Step speed relative to SwAV's, from `npx tsx bench/method-speed.ts` (one wasm thread, batch
 * 64, the presets' heads and crops): the median of three runs on a quiet machine (session 6,
 * 08:28 UTC; the three runs' ratios differed by up to 25% for some methods, see
 * docs/training.md); MoCo v3, TiCo and W-MSE from one run (session 15, 10:34 UTC, quiet;
 * W-MSE's whitening makes it the slowest); DirectCLR, spectral CL, LeJEPA and MAE the median of
 * three runs of the same step on a loaded machine (session 16, load average 6-8 on 2 cores;
 * interleaved with SwAV, so the ratios hold better than the times).
 */
const MEASURED_SPEED: Readonly<Record<MethodName, number>> = {
  simclr: 2.27,
  mocoV2: 1.0,
  mocoV3: 1.29,
  byol: 1.75,
  simsiam: 2.38,
  vicreg: 2.14,
  barlowTwins: 2.21,
  tico: 1.98,
  wmse: 0.23,
  directclr: 2.74,
  spectralCl: 1.79,
  dino: 0.58,
  nnclr: 1.22,
  swav: 1,
  lejepa: 1.34,
  mae: 0.37,
  // Session 18: one run of the same step (3 interleaved rounds) on a loaded machine (load average 4.3 on 2 cores),
  // in which MAE's ratio was 0.52 (0.37 above): rough; `timeLimitMinutes` 29 stops a slower run.
  pirl: 1.92,
  dinov2: 0.15, // the median of this run's 0.26 and the two below (0.15, 0.14)
  vicregl: 0.46,
  ijepa: 0.4,
  // Session 18 (b): the median of three runs of `bench/method-speed.ts mae ibot msn simmim data2vec` (the second and third
  // with dinov2 and ijepa too) on a loaded machine (load average 3-4.4 on 2 cores); MAE's ratios 0.83/0.43/0.37 (the first
  // run's SwAV step was slowed 2.5x: that run's ratios are high). DINOv2 measured 0.15/0.14 in those runs.
  ibot: 0.14,
  msn: 0.31,
  simmim: 0.55,
  data2vec: 0.37,
  // Session 19: the median of three runs of `bench/method-speed.ts mae dinov2 dinov3 igpt maskfeat cmae` on a machine
  // shared with other work (load average 1.9-4.9 on 2 cores); MAE's ratios 0.53/0.38/0.52 and DINOv2's 0.18/0.14/0.19
  // in those runs (0.37 and 0.15 above): rough.
  dinov3: 0.15,
  igpt: 0.76,
  maskfeat: 0.75,
  cmae: 0.45,
  // Session 20: one run of `bench/method-speed.ts mae ibot beit mimRefiner crossMae nepa salt` (3 interleaved rounds) on
  // a loaded machine (load average 6-8 on 2 cores), in which MAE's ratio was 0.33 and iBOT's 0.18 (0.37 and 0.14 above): rough.
  beit: 0.77,
  mimRefiner: 0.2,
  crossMae: 0.66,
  nepa: 0.52,
  salt: 0.5,
};

/**
 * The ViT of the ViT methods (`VIT_METHODS`) for 28 px images: 7 x 7 patches of 4 px (so MAE keeps
 * 12 of the 49 at the seed's mask ratio 0.75), 64 wide, 4 blocks of 4 heads (128 wide took twice
 * as long a step for MAE).
 */
const VIT_ENCODER = { encoder: 'vit_tiny_patch16_224', encoderOptions: { imgSize: 28, patchSize: 4, embedDim: 64, depth: 4, numHeads: 4 } } as const;

/**
 * The views of a method's run: multi-crop (2 global 28 px + 4 local 14 px crops; the ViT methods'
 * (DINOv2, iBOT, DINOv3, MIM-Refiner) local crops 16 px, a multiple of their ViT's 4 px patches), two 28 px
 * views, or one 28 px crop of scale [0.2, 1]: for the one-view ViT methods (MAE, I-JEPA, SimMIM, ...)
 * with flips and no colour jitter (the seed's MAE transform), for PIRL with the colour jitter too.
 */
function augmentOfRun(method: MethodName): ConfigInput['augment'] {
  if (MULTI_CROP_METHODS.includes(method) && VIT_METHODS.includes(method)) return { sizeCrops: [28, 16], minScale: [0.4, 0.15], maxScale: [1, 0.4] };
  if (MULTI_CROP_METHODS.includes(method)) return { minScale: [0.4, 0.15], maxScale: [1, 0.4] };
  if (ONE_VIEW_METHODS.includes(method)) return { nmbCrops: [1], sizeCrops: [28], minScale: [0.2], maxScale: [1], ...(method === 'pirl' ? {} : { jitterP: 0 }) };
  return { nmbCrops: [2], sizeCrops: [28], minScale: [0.2], maxScale: [1] };
}

/**
 * The 29-minute Fashion-MNIST run of a method: the `fashion-mnist` recipe, with two views for
 * the two-view methods. SimCLR takes temperature 0.2 instead of the seed's 0.5: the quick
 * preset's search (docs/results.md, session 6) found 0.1-0.2 about a point better at k=20.
 */
function fashionMnistRun(method: MethodName): ConfigInput {
  return {
    method,
    ...(method === 'simclr' ? { simclr: { temperature: 0.2 } } : {}),
    // MIM-Refiner and SALT start from the MAE preset's run (`tfjax train --preset fashion-mnist-mae` first).
    ...(method === 'mimRefiner' || method === 'salt' ? { [method]: { pretrained: 'runs/fashion-mnist-mae' } } : {}),
    dataset: { name: 'fashion-mnist' },
    model: VIT_METHODS.includes(method) ? VIT_ENCODER : { encoderOptions: { widths: [16, 32, 64, 128] } },
    augment: augmentOfRun(method),
    optimizer: { name: 'adamw', lr: 0.002, weightDecay: 1e-4, finalLr: 1e-5, warmupSteps: 100 },
    batchSize: 256,
    workers: 2,
    steps: Math.round((SWAV_STEPS * MEASURED_SPEED[method]) / 50) * 50,
    timeLimitMinutes: 29,
    checkpoint: { every: 200, keep: 3 },
    eval: { every: 400, linearProbe: true },
    outDir: `runs/fashion-mnist-${method}`,
  };
}

/**
 * Presets, merged over the defaults (a file and flags go on top):
 * - `quick`: the default of `tfjax train`: SimCLR (temperature 0.2, two 28 px views, batch 128,
 *   800 steps), about 3 minutes on a 2-core CPU, kNN before and after: the cheapest recipe
 *   found that beats raw pixels at k=20 and k=200 (docs/results.md has the search);
 * - `fashion-mnist`: the quality run (at most 30 minutes of training on the 2-core machine,
 *   on both cores: 2 data-parallel workers of 128 images each);
 * - `fashion-mnist-<method>`: each method's 29-minute run (see {@link fashionMnistRun});
 * - `mnist`: the same recipe on MNIST;
 * - `tiny`: seconds, for tests (tiny encoder, a few images per class).
 */
export const PRESETS: Readonly<Record<string, ConfigInput>> = {
  quick: {
    method: 'simclr',
    dataset: { name: 'fashion-mnist', limitPerClass: 1000 },
    model: { encoderOptions: { widths: [16, 32, 64, 128] } },
    simclr: { temperature: 0.2 },
    augment: { nmbCrops: [2], sizeCrops: [28], minScale: [0.2], maxScale: [1] },
    optimizer: { name: 'adamw', lr: 0.002, weightDecay: 1e-4, finalLr: 1e-5, warmupSteps: 10 },
    batchSize: 128,
    workers: 2,
    steps: 800,
    checkpoint: { every: 200, keep: 2 },
    eval: { trainSubset: 10000, testSubset: 2000, baselines: true },
    outDir: 'runs/quick',
  },
  'fashion-mnist': {
    dataset: { name: 'fashion-mnist' },
    model: { encoderOptions: { widths: [16, 32, 64, 128] } },
    swav: { numPrototypes: 100, projector: { hiddenDim: 512 } },
    augment: { minScale: [0.4, 0.15], maxScale: [1, 0.4] },
    optimizer: { name: 'adamw', lr: 0.002, weightDecay: 1e-4, finalLr: 1e-5, warmupSteps: 100 },
    batchSize: 256,
    workers: 2,
    steps: 2600,
    timeLimitMinutes: 29,
    checkpoint: { every: 200, keep: 3 },
    eval: { every: 400, linearProbe: true },
    outDir: 'runs/fashion-mnist',
  },
  mnist: {
    dataset: { name: 'mnist' },
    model: { encoderOptions: { widths: [16, 32, 64] } },
    augment: { flip: 0, minScale: [0.4, 0.15], maxScale: [1, 0.4] },
    optimizer: { name: 'adamw', lr: 0.002, weightDecay: 1e-4, finalLr: 1e-5, warmupSteps: 20 },
    batchSize: 128,
    steps: 400,
    eval: { every: 100 },
    outDir: 'runs/mnist',
  },
  ...Object.fromEntries(METHOD_NAMES.map((m) => [`fashion-mnist-${m}`, fashionMnistRun(m)])),
  tiny: {
    dataset: { name: 'fashion-mnist', limitPerClass: 8 },
    model: { encoderOptions: { widths: [4, 8, 8] } },
    swav: { numPrototypes: 10, projector: { hiddenDim: 16, outDim: 8 } },
    simclr: { projector: { dims: [16, 8] } },
    mocoV2: { projector: { dims: [16, 8] }, queueLength: 32 },
    mocoV3: { projector: { dims: [16, 8] }, predictor: { dims: [16, 8] } },
    byol: { projector: { dims: [16, 8] }, predictor: { dims: [16, 8] } },
    simsiam: { projector: { dims: [16, 8] }, predictor: { dims: [4, 8] } },
    vicreg: { projector: { dims: [16, 16] } },
    barlowTwins: { projector: { dims: [16, 16] } },
    tico: { projector: { dims: [16, 8] } },
    wmse: { projector: { dims: [16, 8] } },
    dino: { projector: { dims: [16, 8] }, numPrototypes: 16 },
    nnclr: { projector: { dims: [16, 8] }, predictor: { dims: [16, 8] }, queueLength: 32 },
    directclr: { dim: 4 },
    spectralCl: { projector: { dims: [16, 8] } },
    lejepa: { projectorInput: 8, projector: { dims: [16, 8] }, numSlices: 16 },
    // MAE also needs a ViT and one view: --model.encoder vit_tiny_patch16_224 --model.encoder-options '{"imgSize":28,"patchSize":7,"embedDim":8,"depth":1,"numHeads":2}' --augment.nmb-crops [1] (see test/train/cli-methods-session16.test.ts).
    mae: { decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2 },
    // PIRL takes one view (--augment.nmb-crops [1]); DINOv2 and I-JEPA a ViT as MAE's above (DINOv2 keeps the multi-crop), I-JEPA one view.
    pirl: { projectorDim: 8, queueLength: 32 },
    dinov2: { projector: { dims: [16, 8] }, numClsPrototypes: 16, numPatchPrototypes: 16 },
    vicregl: { projector: { dims: [16, 16] }, localProjector: { dims: [16, 16] } },
    ijepa: { predictorEmbedDim: 8, predictorDepth: 1, predictorNumHeads: 2 },
    // iBOT, MSN, SimMIM and data2vec need the ViT too: iBOT keeps the multi-crop, MSN takes two views, SimMIM and data2vec one
    // (nothing of theirs to shrink: SimMIM's decoder is one Linear, data2vec averages all of a 1-block ViT's blocks).
    ibot: { projector: { dims: [16, 8] }, numClsPrototypes: 16, numPatchPrototypes: 16 },
    msn: { projector: { dims: [16, 8] }, numPrototypes: 16 },
    // DINOv3, iGPT, MaskFeat and CMAE need the ViT too: DINOv3 keeps the multi-crop (and its 4 registers), CMAE takes two
    // views, iGPT and MaskFeat one (nothing of theirs to shrink: each head is one Linear).
    dinov3: { projector: { dims: [16, 8] }, numClsPrototypes: 16, numPatchPrototypes: 16 },
    cmae: { projectorDim: 8 },
    // BEiT, MIM-Refiner, CrossMAE, NEPA and SALT need the ViT too: MIM-Refiner keeps the multi-crop (and needs
    // --mim-refiner.pretrained, e.g. a tiny MAE run), the others take one view; NEPA's transformer is the ViT's.
    beit: { vocabSize: 16 },
    mimRefiner: { projector: { dims: [16, 8] }, numClsPrototypes: 16, numPatchPrototypes: 16 },
    crossMae: { decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 2 },
    salt: { predictorEmbedDim: 8, predictorDepth: 1, predictorNumHeads: 2 },
    // Multi-crop (SwAV, DINO, LeJEPA, DINOv2, iBOT, DINOv3, MIM-Refiner); the two-view methods need --augment.nmb-crops [2] (see test/train/methods.test.ts).
    augment: { nmbCrops: [2, 1] },
    batchSize: 16,
    steps: 6,
    optimizer: { warmupSteps: 2, lr: 0.1 },
    checkpoint: { every: 2, keep: 5 },
    eval: { ks: [5, 20], trainSubset: 80, testSubset: 40, baselines: false },
    log: { every: 1 },
    outDir: 'runs/tiny',
  },
};

