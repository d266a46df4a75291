/**
 * The training configuration's schema: its type, defaults and the io-ts codec of one layer
 * (a preset, a file, a flag), whose errors are one line naming the path.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import * as nn from '../nn/index.js';
import { DEFAULT_STEP_TIMEOUT } from '../parallel/watchdog.js';
import * as ssl from '../ssl/methods/index.js';
import { boolean, drawErrors, listOf, nonNegativeInt, nullable, positiveInt, positiveNumber, refined } from '../util/codecs.js';
import { strictPartial } from '../util/strict-partial.js';

// ---------------------------------------------------------------------------------------------
// The configuration

export type OptimizerName = 'sgd' | 'lars' | 'adam' | 'adamw';
export type BackendChoice = 'wasm' | 'cpu' | 'webgpu';

export interface DatasetConfig {
  /** 'fashion-mnist', 'mnist', or a folder of images (one subfolder per class). */
  readonly name: string;
  /** The part trained on: 'train' (default) or 'all' (train + test; eval still uses 'test'). */
  readonly split: 'train' | 'all';
  /** Keep only the first N images of each class for training (null: all). */
  readonly limitPerClass: number | null;
  /** Image folders: skip unreadable files (with a count) instead of failing. */
  readonly skipUnreadable: boolean;
  /** Image folders: resize every image to [height, width] (bilinear); null: all must share one size. */
  readonly imageSize: readonly [number, number] | null;
}

/** The encoder every method trains (its heads are in the method's section). */
export interface ModelConfig {
  /** An `nn` encoder name, e.g. 'convnet_small' or 'resnet18'. */
  readonly encoder: string;
  /** Options of the encoder (e.g. `{ widths: [16, 32, 64] }`); inChannels is set from the data. */
  readonly encoderOptions: Readonly<Record<string, unknown>>;
}

/** The registered self-supervised methods (`ssl.methods`), in the order `--help` lists them. */
export const METHOD_NAMES = ['simclr', 'mocoV2', 'mocoV3', 'byol', 'simsiam', 'vicreg', 'barlowTwins', 'tico', 'wmse', 'directclr', 'spectralCl', 'dino', 'nnclr', 'swav', 'lejepa', 'mae', 'pirl', 'dinov2', 'vicregl', 'ijepa', 'ibot', 'msn', 'simmim', 'data2vec', 'dinov3', 'igpt', 'maskfeat', 'cmae', 'beit', 'mimRefiner', 'crossMae', 'nepa', 'salt'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

/**
 * A method's settings as the user gives them: any subset of the method's own configuration
 * (decoded by its codec, e.g. `ssl.methods.simclr.codec`), merged over the method's defaults
 * when the run starts. The encoder is not part of it: it is `model`.
 */
export type MethodSection = Readonly<Record<string, unknown>>;

/** Methods that train on multi-crop batches (global and local views); the others take two views, or one ({@link ONE_VIEW_METHODS}). */
export const MULTI_CROP_METHODS: readonly MethodName[] = ['swav', 'dino', 'lejepa', 'dinov2', 'ibot', 'dinov3', 'mimRefiner'];

/**
 * Methods that train on one augmented view of each image (`augment.nmbCrops` [1]): MAE, whose
 * batch is `{ images, noise }` (its masking noise drawn from the step's key, see step-batches.ts),
 * PIRL (`{ view1 }`, its jigsaw drawn from the step's key), I-JEPA, SimMIM, data2vec, MaskFeat,
 * BEiT, CrossMAE and SALT (`{ images }`, their masks drawn from the step's key) and iGPT and NEPA
 * (`{ images }`, no mask).
 */
export const ONE_VIEW_METHODS: readonly MethodName[] = ['mae', 'pirl', 'ijepa', 'simmim', 'data2vec', 'igpt', 'maskfeat', 'beit', 'crossMae', 'nepa', 'salt'];

/** How a method takes its step's views: all of them (`{ globalViews, localViews }`), or the first as `{ view1 }` (PIRL) or `{ images }` (the other one-view methods). */
export type ViewForm = 'views' | 'view1' | 'images';

/** Methods that take the first view as `{ images }` ({@link ViewForm}). */
const IMAGES_METHODS: readonly MethodName[] = ['mae', 'ijepa', 'simmim', 'data2vec', 'igpt', 'maskfeat', 'beit', 'crossMae', 'nepa', 'salt'];

/** The {@link ViewForm} of a method. */
export function viewFormOf(method: MethodName): ViewForm {
  return method === 'pirl' ? 'view1' : IMAGES_METHODS.includes(method) ? 'images' : 'views';
}

/**
 * Methods whose encoder (`.model.encoder`) must be a ViT: they mask or select its patch tokens
 * (NEPA builds its own causal transformer of the ViT's sizes, see `methodInput` in recipe.ts).
 */
export const VIT_METHODS: readonly MethodName[] = ['mae', 'dinov2', 'ijepa', 'ibot', 'msn', 'simmim', 'data2vec', 'dinov3', 'igpt', 'maskfeat', 'cmae', 'beit', 'mimRefiner', 'crossMae', 'nepa', 'salt'];

/**
 * The ViT methods that take a ViT with register tokens (`.model.encoderOptions.numRegisters`): they
 * skip them when reading the patch tokens (DINOv3 needs them); the other ViT methods read the patch
 * tokens from index 1 and refuse them.
 */
export const REGISTER_METHODS: readonly MethodName[] = ['dinov2', 'ibot', 'msn', 'dinov3', 'mimRefiner'];

/**
 * Methods that start from an earlier run's encoder, named by their section's `pretrained` (a run
 * directory, one of its checkpoints, or its `tfjax export --torch` file; see pretrained.ts):
 * MIM-Refiner's student and teacher (required, as the seed's `pretrained_encoder`), SALT's frozen
 * teacher (optional, as the seed's `teacher_state_dict`: without it a random encoder).
 */
export const PRETRAINED_METHODS: readonly MethodName[] = ['mimRefiner', 'salt'];

/** NEPA's sizes, which the CLI takes from the run's ViT (`.model`; NEPA builds its own causal transformer, see `methodInput` in recipe.ts). */
export const NEPA_SIZES = ['imgSize', 'patchSize', 'inChannels', 'embedDim', 'depth', 'numHeads', 'mlpRatio'] as const;

export interface AugmentConfig {
  /** Views per group: global views first, e.g. [2, 4]. */
  readonly nmbCrops: readonly number[];
  readonly sizeCrops: readonly number[];
  readonly minScale: readonly number[];
  readonly maxScale: readonly number[];
  readonly flip: number;
  readonly brightness: number;
  readonly contrast: number;
  /** Probability of the colour jitter. */
  readonly jitterP: number;
  /** Probability of the Gaussian blur (0: off). */
  readonly blurP: number;
  /** Probability of solarisation (0: off). */
  readonly solarizeP: number;
}

export interface OptimizerConfig {
  readonly name: OptimizerName;
  /** Peak learning rate (after warmup). */
  readonly lr: number;
  /** First learning rate of the warmup. */
  readonly warmupStartLr: number;
  /** Learning rate at the last step (the end of the cosine). */
  readonly finalLr: number;
  readonly warmupSteps: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** LARS trust coefficient. */
  readonly trustCoefficient: number;
}

export interface EvalConfig {
  /** kNN neighbour counts. */
  readonly ks: readonly number[];
  /** Also train a linear probe on frozen features at the end. */
  readonly linearProbe: boolean;
  /** kNN during training every N steps (0: only before and after). */
  readonly every: number;
  /** Images of the training split used as the kNN memory bank (null: all). */
  readonly trainSubset: number | null;
  /** Test images evaluated (null: all). */
  readonly testSubset: number | null;
  /** Smaller subsets for the evaluations during training. */
  readonly duringTrainSubset: number;
  readonly duringTestSubset: number;
  /** Evaluate before training and the baselines (raw pixels, random encoder). */
  readonly before: boolean;
  readonly baselines: boolean;
}

export interface TrainConfig extends Readonly<Record<MethodName, MethodSection>> {
  /** The self-supervised method trained; its settings are the section of that name. */
  readonly method: MethodName;
  readonly dataset: DatasetConfig;
  readonly model: ModelConfig;
  readonly augment: AugmentConfig;
  readonly optimizer: OptimizerConfig;
  readonly batchSize: number;
  /** Training steps (ignored when `epochs` is set). */
  readonly steps: number;
  /** Epochs over the training set (null: use `steps`). */
  readonly epochs: number | null;
  readonly seed: number;
  /**
   * A safety limit on training time in minutes (summed over resumes; null: none). When it is
   * reached the run checkpoints, stops training early (the schedule unfinished) and evaluates.
   */
  readonly timeLimitMinutes: number | null;
  readonly checkpoint: { readonly every: number; readonly keep: number };
  readonly eval: EvalConfig;
  readonly log: { readonly every: number };
  readonly backend: BackendChoice;
  /**
   * Data-parallel workers (worker threads, one core each; 1: this thread), each on a shard of
   * the batch. With `sync` they train the model of one process on the whole batch.
   */
  readonly workers: number;
  /**
   * With workers: synchronise what couples the samples of a batch (SyncBN, gathered negatives,
   * all-reduced statistics and centre, distributed Sinkhorn), so N workers train the same
   * model as one process (a queue stays per worker). `false`: each worker's forward sees its
   * shard only (DDP without SyncBatchNorm), and runs reproduce for the same number of workers.
   */
  readonly sync: boolean;
  /**
   * With workers: when a step counts as stuck (a hung worker). It may take `stepTimeoutFactor`
   * x the median step, at least `stepTimeoutMinSeconds`; the first step (tracing, compiling)
   * `firstStepTimeoutSeconds`. Then the run fails naming the worker and the last checkpoint.
   */
  readonly parallel: { readonly stepTimeoutFactor: number; readonly stepTimeoutMinSeconds: number; readonly firstStepTimeoutSeconds: number };
  /** The run directory: config.json, metrics.jsonl, checkpoints/, plots, eval.json. */
  readonly outDir: string;
  /**
   * Test hooks. `nanAtStep`: the images of that step (1-based, as logged) become NaN.
   * `stopAfterStep`: checkpoint after that step and stop, as an interrupted run would.
   * `stallWorkerAtStep`: with workers, the last one stops answering in the N-th step it runs.
   */
  readonly debug: { readonly nanAtStep: number | null; readonly stopAfterStep: number | null; readonly stallWorkerAtStep: number | null };
}

/** A deep partial: what a preset, a file or a flag gives. */
export type ConfigInput = { readonly [K in keyof TrainConfig]?: TrainConfig[K] extends readonly unknown[] | null | number | string | boolean ? TrainConfig[K] : Partial<TrainConfig[K]> };

export const DEFAULTS: TrainConfig = {
  dataset: { name: 'fashion-mnist', split: 'train', limitPerClass: null, skipUnreadable: false, imageSize: null },
  method: 'swav',
  model: { encoder: 'convnet_small', encoderOptions: {} },
  // Heads sized for 28x28 images on a CPU (the seed's defaults are ImageNet's); the rest of each method's defaults are the seed's.
  simclr: { projector: { dims: [512, 128] } },
  mocoV2: { projector: { dims: [512, 128] }, queueLength: 4096 },
  mocoV3: { projector: { dims: [512, 128] }, predictor: { dims: [512, 128] } },
  byol: { projector: { dims: [512, 128] }, predictor: { dims: [512, 128] } },
  simsiam: { projector: { dims: [512, 128] }, predictor: { dims: [64, 128] } },
  vicreg: { projector: { dims: [512, 512] } },
  barlowTwins: { projector: { dims: [512, 512] } },
  tico: { projector: { dims: [512, 128] } },
  wmse: { projector: { dims: [512, 64] } },
  // DirectCLR: the paper's 360 of ResNet-50's 2048 features is about a sixth; the default encoder is 128 wide.
  directclr: { dim: 32 },
  spectralCl: { projector: { dims: [512, 512, 128] } },
  dino: { projector: { dims: [512, 128] }, numPrototypes: 1024 },
  nnclr: { projector: { dims: [512, 128] }, predictor: { dims: [512, 128] }, queueLength: 4096 },
  swav: { projector: { hiddenDim: 512, outDim: 128 }, numPrototypes: 100 },
  // LeJEPA: SIGReg over 256 directions instead of 1024 (its cost grows with them); tMax, nPoints, lamb the seed's.
  lejepa: { projectorInput: 128, projector: { dims: [512, 512, 128] }, numSlices: 256 },
  // MAE needs a ViT (.model.encoder; its presets give one for 28 px images); the mask ratio and loss are the seed's.
  mae: { decoderEmbedDim: 64, decoderDepth: 2, decoderNumHeads: 4 },
  // PIRL: a memory bank of 4096 (MoCo v2's here; the seed's 16384), temperature, lambda and the 4 x 4 jigsaw the seed's.
  pirl: { projectorDim: 128, queueLength: 4096 },
  // DINOv2 needs a ViT: heads and prototypes as DINO's here (the seed's 2048-2048-256, 65536 and 8192 are ImageNet's); mask ratio and temperatures the seed's.
  dinov2: { projector: { dims: [512, 128] }, numClsPrototypes: 1024, numPatchPrototypes: 256 },
  // VICRegL: both projectors as VICReg's here (the seed's 2048-2048-2048), alpha and coefficients the seed's.
  vicregl: { projector: { dims: [512, 512] }, localProjector: { dims: [512, 512] } },
  // I-JEPA needs a ViT whose image size is the view's: a predictor 64 wide, 2 blocks of 4 heads (the seed's 384, 6, 6); masks the seed's.
  ijepa: { predictorEmbedDim: 64, predictorDepth: 2, predictorNumHeads: 4 },
  // iBOT needs a ViT: heads and prototypes as DINOv2's here (the seed's 2048-2048-256, 65536 and 8192); mask ratio, temperatures and centre the seed's.
  ibot: { projector: { dims: [512, 128] }, numClsPrototypes: 1024, numPatchPrototypes: 256 },
  // MSN needs a ViT: its head as DINO's here (the seed's 2048-2048-256); 1024 prototypes, mask ratio 0.6 and temperatures the seed's.
  msn: { projector: { dims: [512, 128] } },
  // SimMIM needs a ViT: its mask ratio 0.6 and one-Linear decoder the seed's (nothing to size).
  simmim: {},
  // data2vec needs a ViT: the seed's top 6 blocks (all of them for a shallower ViT), mask ratio 0.6 and EMA.
  data2vec: {},
  // DINOv3 needs a ViT: heads and prototypes as DINOv2's here; its 4 registers (the ViT's), KoLeo 0.1, mask ratio and temperatures the seed's.
  dinov3: { projector: { dims: [512, 128] }, numClsPrototypes: 1024, numPatchPrototypes: 256 },
  // iGPT needs a ViT: its one-Linear head the seed's (nothing to size).
  igpt: {},
  // MaskFeat needs a ViT: its mask ratio 0.4, 9 HOG bins and one-Linear head the seed's.
  maskfeat: {},
  // CMAE needs a ViT: projector 256 wide (its hidden width the encoder's), mask ratio 0.75, contrast weight 1 and EMA 0.99 the seed's.
  cmae: {},
  // BEiT needs a ViT: a vocabulary of 1024 (the seed's 8192 is DALL-E's) from the seed's placeholder tokenizer (ssl.methods.patchKmeansTokenizer); mask ratio 0.4 the seed's.
  beit: { vocabSize: 1024 },
  // MIM-Refiner needs a ViT and .mimRefiner.pretrained (an MAE's run, say): heads and prototypes as iBOT's here; the rest the seed's.
  mimRefiner: { projector: { dims: [512, 128] }, numClsPrototypes: 1024, numPatchPrototypes: 256 },
  // CrossMAE needs a ViT: a decoder as MAE's here (the seed's 256 wide, 12 blocks, 8 heads); mask ratios and feature maps the seed's.
  crossMae: { decoderEmbedDim: 64, decoderDepth: 2, decoderNumHeads: 4 },
  // NEPA's transformer has the ViT's sizes (.model); RoPE, QK-Norm, SwiGLU and layer scale the seed's.
  nepa: {},
  // SALT needs a ViT (its teacher an MAE's: .salt.pretrained): a predictor as I-JEPA's here (the seed's 384, 12, 16); masks the seed's.
  salt: { predictorEmbedDim: 64, predictorDepth: 2, predictorNumHeads: 4 },
  augment: { nmbCrops: [2, 4], sizeCrops: [28, 14], minScale: [0.3, 0.1], maxScale: [1, 0.3], flip: 0.5, brightness: 0.4, contrast: 0.4, jitterP: 0.8, blurP: 0, solarizeP: 0 },
  optimizer: { name: 'sgd', lr: 0.3, warmupStartLr: 0, finalLr: 0.0003, warmupSteps: 20, momentum: 0.9, weightDecay: 1e-5, trustCoefficient: 0.001 },
  batchSize: 256,
  steps: 100,
  epochs: null,
  seed: 0,
  timeLimitMinutes: null,
  checkpoint: { every: 50, keep: 3 },
  eval: { ks: [20, 200], linearProbe: false, every: 0, trainSubset: null, testSubset: null, duringTrainSubset: 10000, duringTestSubset: 2000, before: true, baselines: true },
  log: { every: 10 },
  backend: 'wasm',
  workers: 1,
  sync: true,
  parallel: { stepTimeoutFactor: DEFAULT_STEP_TIMEOUT.factor, stepTimeoutMinSeconds: DEFAULT_STEP_TIMEOUT.minSeconds, firstStepTimeoutSeconds: DEFAULT_STEP_TIMEOUT.firstStepSeconds },
  outDir: 'runs/default',
  debug: { nanAtStep: null, stopAfterStep: null, stallWorkerAtStep: null },
};

// ---------------------------------------------------------------------------------------------
// Codecs with readable names

export const isPlain = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && [Object.prototype, null].includes(Object.getPrototypeOf(u));
const isNum = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u);

const nonNegativeNumber = refined('a number >= 0', (u): u is number => isNum(u) && u >= 0);
const probability = refined('a probability in [0, 1]', (u): u is number => isNum(u) && u >= 0 && u <= 1);
const unitFraction = refined('a number in (0, 1]', (u): u is number => isNum(u) && u > 0 && u <= 1);
const momentum = refined('a number in [0, 1)', (u): u is number => isNum(u) && u >= 0 && u < 1);
const integer = refined('an integer', (u): u is number => isNum(u) && Number.isSafeInteger(u));
/** The seeds the data order accepts (`lib/data`'s `epochPermutation`: 32 bits, signed or not). */
const SEED_RANGE = [-(2 ** 31), 2 ** 32 - 1] as const;
/** An integer seed in {@link SEED_RANGE}; other integers fail naming the range (a non-integer as 'an integer'). */
const seedCodec = new t.Type<number, number, unknown>(
  'an integer',
  (u): u is number => integer.is(u) && u >= SEED_RANGE[0] && u <= SEED_RANGE[1],
  (u, c) =>
    !integer.is(u)
      ? t.failure(u, c)
      : u < SEED_RANGE[0] || u > SEED_RANGE[1]
        ? t.failure(u, c, `expected an integer in [${SEED_RANGE[0]}, ${SEED_RANGE[1]}] (the data order's seed has 32 bits)`)
        : t.success(u),
  t.identity,
);
const nonEmptyString = refined('a non-empty string', (u): u is string => typeof u === 'string' && u.length > 0);
const oneOf = <A extends string>(values: readonly A[]) =>
  refined<A>(values.map((v) => `'${v}'`).join(values.length === 2 ? ' or ' : ', ').replace(/, ([^,]*)$/, ', or $1'), (u): u is A => values.includes(u as A));
export const plainObject = refined<Record<string, unknown>>('an object', isPlain);
const encoderName = new t.Type<string, string, unknown>(
  'an nn encoder name',
  (u): u is string => typeof u === 'string' && nn.encoderNames().includes(u),
  (u, c) =>
    typeof u === 'string' && nn.encoderNames().includes(u)
      ? t.success(u)
      : t.failure(u, c, `expected one of the nn encoders (${nn.encoderNames().join(', ')})`),
  t.identity,
);


/**
 * A method's section codec that also takes `pretrained` ({@link PRETRAINED_METHODS}): a path, as
 * text; the CLI reads it when the run starts (pretrained.ts), the method never sees it.
 */
function withPretrained(codec: t.Type<unknown, unknown, unknown>): t.Type<unknown, unknown, unknown> {
  return new t.Type<unknown, unknown, unknown>(
    codec.name,
    codec.is,
    (u, c) => {
      const { pretrained, ...rest } = isPlain(u) ? u : { pretrained: undefined };
      const path = pretrained === undefined ? t.success(undefined) : nonEmptyString.validate(pretrained, t.appendContext(c, 'pretrained', nonEmptyString, pretrained));
      const others = codec.validate(isPlain(u) ? rest : u, c);
      // The section's own unknown keys: `pretrained` is known too.
      const named = (errs: t.Errors) => errs.map((e) => (e.context.length === c.length + 1 && e.message?.startsWith('unknown key (known: ') ? { ...e, message: e.message.replace(/\)$/, ', pretrained)') } : e));
      if (E.isLeft(path) || E.isLeft(others)) return t.failures(named([...(E.isLeft(path) ? path.left : []), ...(E.isLeft(others) ? others.left : [])]));
      return t.success(path.right === undefined ? others.right : { ...(others.right as object), pretrained: path.right });
    },
    t.identity,
  );
}

const crops = listOf(positiveInt, 'a non-empty list of positive integers');
const heightWidth = refined<readonly [number, number]>('[height, width] with positive integers', (u): u is readonly [number, number] => Array.isArray(u) && u.length === 2 && u.every((x) => positiveInt.is(x)));
const scales = listOf(unitFraction, 'a non-empty list of numbers in (0, 1]');

export const ConfigCodec = strictPartial(
  {
    dataset: strictPartial(
      { name: nonEmptyString, split: oneOf(['train', 'all'] as const), limitPerClass: nullable(positiveInt), skipUnreadable: boolean, imageSize: nullable(heightWidth) },
      'an object with dataset settings',
    ),
    method: oneOf(METHOD_NAMES),
    model: strictPartial({ encoder: encoderName, encoderOptions: plainObject }, 'an object with model settings'),
    // Each method's section is decoded by the method's own codec.
    ...Object.fromEntries(METHOD_NAMES.map((m) => [m, PRETRAINED_METHODS.includes(m) ? withPretrained(ssl.byName(m).codec) : ssl.byName(m).codec])),
    augment: strictPartial(
      {
        nmbCrops: crops,
        sizeCrops: crops,
        minScale: scales,
        maxScale: scales,
        flip: probability,
        brightness: nonNegativeNumber,
        contrast: nonNegativeNumber,
        jitterP: probability,
        blurP: probability,
        solarizeP: probability,
      },
      'an object with augmentation settings',
    ),
    optimizer: strictPartial(
      {
        name: oneOf(['sgd', 'lars', 'adam', 'adamw'] as const),
        lr: positiveNumber,
        warmupStartLr: nonNegativeNumber,
        finalLr: nonNegativeNumber,
        warmupSteps: nonNegativeInt,
        momentum,
        weightDecay: nonNegativeNumber,
        trustCoefficient: positiveNumber,
      },
      'an object with optimizer settings',
    ),
    batchSize: positiveInt,
    steps: positiveInt,
    epochs: nullable(positiveInt),
    seed: seedCodec,
    timeLimitMinutes: nullable(positiveNumber),
    checkpoint: strictPartial({ every: nonNegativeInt, keep: positiveInt }, 'an object with checkpoint settings'),
    eval: strictPartial(
      {
        ks: listOf(positiveInt, 'a non-empty list of positive integers'),
        linearProbe: boolean,
        every: nonNegativeInt,
        trainSubset: nullable(positiveInt),
        testSubset: nullable(positiveInt),
        duringTrainSubset: positiveInt,
        duringTestSubset: positiveInt,
        before: boolean,
        baselines: boolean,
      },
      'an object with eval settings',
    ),
    log: strictPartial({ every: positiveInt }, 'an object with log settings'),
    backend: oneOf(['wasm', 'cpu', 'webgpu'] as const),
    workers: positiveInt,
    sync: boolean,
    parallel: strictPartial(
      { stepTimeoutFactor: positiveNumber, stepTimeoutMinSeconds: positiveNumber, firstStepTimeoutSeconds: positiveNumber },
      'an object with data-parallel settings',
    ),
    outDir: nonEmptyString,
    debug: strictPartial(
      { nanAtStep: nullable(positiveInt), stopAfterStep: nullable(positiveInt), stallWorkerAtStep: nullable(positiveInt) },
      'an object with debug settings',
    ),
  },
  'a configuration object',
);

// ---------------------------------------------------------------------------------------------
// Errors as one line

/** An error in the configuration; the CLI exits with code 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export { drawErrors };

/** Decodes one layer (a preset, a file's contents, one flag) named `source` in errors. */
export function decodeLayer(input: unknown, source: string): E.Either<string, ConfigInput> {
  return pipe(
    ConfigCodec.validate(input, [{ key: '', type: ConfigCodec, actual: input }]),
    E.mapLeft((errs) => `config ${source}: ${drawErrors(errs)}`),
    E.map((x) => x as ConfigInput),
  );
}

