/**
 * The training program's configuration: defaults, presets, a JSON file and command-line
 * flags, each layer decoded from `unknown` with io-ts at the edge and merged in that order.
 * A wrong value is one readable message naming its source, the path and what was expected:
 *
 * ```
 * config configs/x.json: at .optimizer.lr expected a positive number, got "fast"
 * config configs/x.json: at .optimizer.lrr unknown key (known: name, lr, ...)
 * config flag --batch-size: at .batchSize expected a positive integer, got 0
 * ```
 *
 * Every layer is a deep partial of {@link TrainConfig}; unknown keys are errors, never dropped.
 */
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import * as nn from '../nn/index.js';
import { DEFAULT_STEP_TIMEOUT } from '../parallel/watchdog.js';
import { showValue } from '../util/show-value.js';
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
}

export interface ModelConfig {
  /** An `nn` encoder name, e.g. 'convnet_small' or 'resnet18'. */
  readonly encoder: string;
  /** Options of the encoder (e.g. `{ widths: [16, 32, 64] }`); inChannels is set from the data. */
  readonly encoderOptions: Readonly<Record<string, unknown>>;
  readonly projectorHiddenDim: number;
  readonly projectorOutDim: number;
  readonly projectorBatchNorm: boolean;
}

export interface SwavSettings {
  readonly numPrototypes: number;
  readonly temperature: number;
  readonly epsilon: number;
  readonly sinkhornIterations: number;
  /** Queue length per assignment view (0: none). */
  readonly queueLength: number;
  /** Step from which the queue is filled. */
  readonly queueStartStep: number;
  /** No prototype update for the first N steps. */
  readonly freezePrototypesSteps: number;
  readonly pairing: 'seed' | 'paper';
}

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

export interface TrainConfig {
  readonly dataset: DatasetConfig;
  readonly model: ModelConfig;
  readonly swav: SwavSettings;
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
   * Data-parallel workers (worker threads, one core each; 1: this thread). Each holds a
   * shard of the batch, with its own BatchNorm statistics and Sinkhorn (DDP without
   * SyncBatchNorm), so runs reproduce for the same number of workers.
   */
  readonly workers: number;
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
  dataset: { name: 'fashion-mnist', split: 'train', limitPerClass: null, skipUnreadable: false },
  model: { encoder: 'convnet_small', encoderOptions: {}, projectorHiddenDim: 512, projectorOutDim: 128, projectorBatchNorm: true },
  swav: { numPrototypes: 100, temperature: 0.1, epsilon: 0.05, sinkhornIterations: 3, queueLength: 0, queueStartStep: 0, freezePrototypesSteps: 0, pairing: 'seed' },
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
  parallel: { stepTimeoutFactor: DEFAULT_STEP_TIMEOUT.factor, stepTimeoutMinSeconds: DEFAULT_STEP_TIMEOUT.minSeconds, firstStepTimeoutSeconds: DEFAULT_STEP_TIMEOUT.firstStepSeconds },
  outDir: 'runs/default',
  debug: { nanAtStep: null, stopAfterStep: null, stallWorkerAtStep: null },
};

/**
 * Presets, merged over the defaults (a file and flags go on top):
 * - `quick`: the default of `tfjax train`: a few minutes on a 2-core CPU, kNN before and after;
 * - `fashion-mnist`: the quality run (at most 30 minutes of training on the 2-core machine,
 *   on both cores: 2 data-parallel workers of 128 images each);
 * - `mnist`: the same recipe on MNIST;
 * - `tiny`: seconds, for tests (tiny encoder, a few images per class).
 */
export const PRESETS: Readonly<Record<string, ConfigInput>> = {
  quick: {
    dataset: { name: 'fashion-mnist', limitPerClass: 1000 },
    model: { encoderOptions: { widths: [16, 32, 64, 128] }, projectorHiddenDim: 512 },
    augment: { minScale: [0.4, 0.15], maxScale: [1, 0.4] },
    optimizer: { name: 'adamw', lr: 0.002, weightDecay: 1e-4, finalLr: 1e-5, warmupSteps: 10 },
    batchSize: 256,
    workers: 2,
    steps: 150,
    checkpoint: { every: 50, keep: 2 },
    eval: { trainSubset: 10000, testSubset: 2000, baselines: true },
    outDir: 'runs/quick',
  },
  'fashion-mnist': {
    dataset: { name: 'fashion-mnist' },
    model: { encoderOptions: { widths: [16, 32, 64, 128] }, projectorHiddenDim: 512 },
    swav: { numPrototypes: 100 },
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
    model: { encoderOptions: { widths: [16, 32, 64] }, projectorHiddenDim: 512 },
    augment: { flip: 0, minScale: [0.4, 0.15], maxScale: [1, 0.4] },
    optimizer: { name: 'adamw', lr: 0.002, weightDecay: 1e-4, finalLr: 1e-5, warmupSteps: 20 },
    batchSize: 128,
    steps: 400,
    eval: { every: 100 },
    outDir: 'runs/mnist',
  },
  tiny: {
    dataset: { name: 'fashion-mnist', limitPerClass: 8 },
    model: { encoderOptions: { widths: [4, 8, 8] }, projectorHiddenDim: 16, projectorOutDim: 8 },
    swav: { numPrototypes: 10 },
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

// ---------------------------------------------------------------------------------------------
// Codecs with readable names

function refined<A>(name: string, is: (u: unknown) => u is A): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity);
}

const isPlain = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && [Object.prototype, null].includes(Object.getPrototypeOf(u));
const isNum = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u);

const positiveInt = refined('a positive integer', (u): u is number => isNum(u) && Number.isInteger(u) && u >= 1);
const nonNegativeInt = refined('an integer >= 0', (u): u is number => isNum(u) && Number.isInteger(u) && u >= 0);
const positiveNumber = refined('a positive number', (u): u is number => isNum(u) && u > 0);
const nonNegativeNumber = refined('a number >= 0', (u): u is number => isNum(u) && u >= 0);
const probability = refined('a probability in [0, 1]', (u): u is number => isNum(u) && u >= 0 && u <= 1);
const unitFraction = refined('a number in (0, 1]', (u): u is number => isNum(u) && u > 0 && u <= 1);
const momentum = refined('a number in [0, 1)', (u): u is number => isNum(u) && u >= 0 && u < 1);
const integer = refined('an integer', (u): u is number => isNum(u) && Number.isSafeInteger(u));
const boolean = refined('true or false', (u): u is boolean => typeof u === 'boolean');
const nonEmptyString = refined('a non-empty string', (u): u is string => typeof u === 'string' && u.length > 0);
const oneOf = <A extends string>(values: readonly A[]) =>
  refined<A>(values.map((v) => `'${v}'`).join(values.length === 2 ? ' or ' : ', ').replace(/, ([^,]*)$/, ', or $1'), (u): u is A => values.includes(u as A));
const listOf = <A>(item: t.Type<A, A, unknown>, name: string) =>
  refined<readonly A[]>(name, (u): u is readonly A[] => Array.isArray(u) && u.length > 0 && u.every((x) => item.is(x)));
const nullable = <A>(codec: t.Type<A, A, unknown>) =>
  refined<A | null>(`${codec.name} or null`, (u): u is A | null => u === null || codec.is(u));
const plainObject = refined<Record<string, unknown>>('an object', isPlain);
const encoderName = new t.Type<string, string, unknown>(
  'an nn encoder name',
  (u): u is string => typeof u === 'string' && nn.encoderNames().includes(u),
  (u, c) =>
    typeof u === 'string' && nn.encoderNames().includes(u)
      ? t.success(u)
      : t.failure(u, c, `expected one of the nn encoders (${nn.encoderNames().join(', ')})`),
  t.identity,
);


const crops = listOf(positiveInt, 'a non-empty list of positive integers');
const scales = listOf(unitFraction, 'a non-empty list of numbers in (0, 1]');

export const ConfigCodec = strictPartial(
  {
    dataset: strictPartial(
      { name: nonEmptyString, split: oneOf(['train', 'all'] as const), limitPerClass: nullable(positiveInt), skipUnreadable: boolean },
      'an object with dataset settings',
    ),
    model: strictPartial(
      { encoder: encoderName, encoderOptions: plainObject, projectorHiddenDim: positiveInt, projectorOutDim: positiveInt, projectorBatchNorm: boolean },
      'an object with model settings',
    ),
    swav: strictPartial(
      {
        numPrototypes: positiveInt,
        temperature: positiveNumber,
        epsilon: positiveNumber,
        sinkhornIterations: nonNegativeInt,
        queueLength: nonNegativeInt,
        queueStartStep: nonNegativeInt,
        freezePrototypesSteps: nonNegativeInt,
        pairing: oneOf(['seed', 'paper'] as const),
      },
      'an object with SwAV settings',
    ),
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
    seed: integer,
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


/** `at <path> expected <what>, got <value>` (or `at <path> unknown key (known: ...)`), joined by '; '. */
export function drawErrors(errors: t.Errors): string {
  return errors
    .map((e) => {
      const path = e.context.slice(1).map((x) => `.${x.key}`).join('') || '(the root)';
      if (e.message?.startsWith('unknown key')) return `at ${path} ${e.message}`;
      const expected = e.message ?? `expected ${e.context[e.context.length - 1]?.type.name ?? 'a valid value'}`;
      return `at ${path} ${expected}, got ${showValue(e.value)}`;
    })
    .join('; ');
}

/** Decodes one layer (a preset, a file's contents, one flag) named `source` in errors. */
export function decodeLayer(input: unknown, source: string): E.Either<string, ConfigInput> {
  return pipe(
    ConfigCodec.validate(input, [{ key: '', type: ConfigCodec, actual: input }]),
    E.mapLeft((errs) => `config ${source}: ${drawErrors(errs)}`),
    E.map((x) => x as ConfigInput),
  );
}

// ---------------------------------------------------------------------------------------------
// Merging and cross-field checks

/** `b` over `a`, objects merged key by key; arrays and other values replaced. */
export function deepMerge<T>(a: T, b: unknown): T {
  if (!isPlain(a) || !isPlain(b)) return (b === undefined ? a : b) as T;
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    // encoderOptions is replaced as a whole only when the layer says so; merged otherwise.
    out[k] = isPlain(out[k]) && isPlain(v) ? deepMerge(out[k], v) : v;
  }
  return out as T;
}

function checkCrossFields(c: TrainConfig): E.Either<string, TrainConfig> {
  const a = c.augment;
  const n = a.nmbCrops.length;
  for (const [k, v] of [['sizeCrops', a.sizeCrops], ['minScale', a.minScale], ['maxScale', a.maxScale]] as const)
    if (v.length !== n) return E.left(`config: at .augment.${k} expected ${n} entries (one per group of .augment.nmbCrops), got ${showValue(v)}`);
  const bad = a.minScale.findIndex((lo, i) => lo > a.maxScale[i]!);
  if (bad >= 0) return E.left(`config: at .augment.minScale[${bad}] expected at most .augment.maxScale[${bad}] (${a.maxScale[bad]}), got ${a.minScale[bad]}`);
  if ((a.nmbCrops[0] ?? 0) < 2) return E.left(`config: at .augment.nmbCrops[0] expected at least 2 global views, got ${a.nmbCrops[0]}`);
  const steps = c.steps;
  if (c.epochs === null && c.optimizer.warmupSteps >= steps)
    return E.left(`config: at .optimizer.warmupSteps expected fewer than the ${steps} steps, got ${c.optimizer.warmupSteps}`);
  const bs = c.batchSize;
  if (c.swav.queueLength > 0 && c.swav.queueLength % bs !== 0)
    return E.left(`config: at .swav.queueLength expected a multiple of .batchSize (${bs}), got ${c.swav.queueLength}`);
  if (bs % c.workers !== 0) return E.left(`config: at .workers expected a divisor of .batchSize (${bs}), got ${c.workers}`);
  // BatchNorm's batch statistics (and Sinkhorn's) over one image are degenerate; PyTorch's BatchNorm refuses them too.
  if (bs / c.workers < 2)
    return E.left(
      c.workers === 1
        ? `config: at .batchSize expected at least 2 (BatchNorm and Sinkhorn need batch statistics), got ${bs}`
        : `config: at .workers expected at most ${Math.floor(bs / 2)} (each worker's BatchNorm and Sinkhorn need at least 2 of the ${bs} images of a batch), got ${c.workers}`,
    );
  if (c.workers > 1 && c.backend === 'webgpu') return E.left(`config: at .workers expected 1 with the webgpu backend (workers run wasm or cpu), got ${c.workers}`);
  if (c.eval.ks.some((k) => c.eval.trainSubset !== null && k > c.eval.trainSubset))
    return E.left(`config: at .eval.ks expected values at most .eval.trainSubset (${c.eval.trainSubset}), got ${showValue(c.eval.ks)}`);
  return E.right(c);
}

/** Where a configuration comes from, in merge order: defaults < preset < file < flags. */
export interface ConfigSources {
  readonly preset?: string;
  /** A path to a JSON file. */
  readonly file?: string;
  /** Flags as pairs `[flag, value]`, e.g. `['--optimizer.lr', '0.3']` (value unparsed text). */
  readonly flags?: readonly (readonly [string, string])[];
  /** Already-parsed layers (for programs), merged after the flags. */
  readonly layers?: readonly ConfigInput[];
}

/** `batch-size` -> `batchSize`. */
const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/** A flag's text as a JSON value when it parses as one (numbers, booleans, null, lists), else the text itself. */
export function parseFlagValue(text: string): unknown {
  const s = text.trim();
  if (/^(-?\d|\[|\{|true$|false$|null$|")/.test(s)) {
    try {
      return JSON.parse(s);
    } catch {
      // a plain string, e.g. a path starting with a digit
    }
  }
  return text;
}

/** A flag as a one-key deep object: `--optimizer.lr 0.3` -> `{ optimizer: { lr: 0.3 } }`. */
export function flagLayer(flag: string, value: string): E.Either<string, unknown> {
  const path = flag.replace(/^--?/, '').split('.').map(camel);
  if (path.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype'))
    return E.left(`config flag ${flag}: not a configuration path (use e.g. --optimizer.lr 0.3)`);
  let v: unknown = parseFlagValue(value);
  for (const p of [...path].reverse()) v = { [p]: v };
  return E.right(v);
}

/** Reads and parses a JSON file; errors name the file. */
export function readConfigFile(file: string): E.Either<string, unknown> {
  return pipe(
    E.tryCatch(
      () => readFileSync(file, 'utf8'),
      (e) => `config ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    ),
    E.chain((text) => E.tryCatch(() => JSON.parse(text) as unknown, (e) => `config ${file}: not valid JSON (${(e as Error).message})`)),
  );
}

/** The full configuration from its sources, or the message of the first layer that is wrong. */
export function resolveConfig(sources: ConfigSources = {}): E.Either<string, TrainConfig> {
  const layers: E.Either<string, ConfigInput>[] = [];
  if (sources.preset !== undefined) {
    layers.push(
      Object.hasOwn(PRESETS, sources.preset)
        ? E.right(PRESETS[sources.preset]!)
        : E.left(`config: unknown preset ${JSON.stringify(sources.preset)} (known: ${Object.keys(PRESETS).join(', ')})`),
    );
  }
  if (sources.file !== undefined) {
    const file = sources.file;
    layers.push(pipe(readConfigFile(file), E.chain((json) => decodeLayer(json, file))));
  }
  for (const [flag, value] of sources.flags ?? []) layers.push(pipe(flagLayer(flag, value), E.chain((json) => decodeLayer(json, `flag ${flag}`))));
  for (const [i, layer] of (sources.layers ?? []).entries()) layers.push(decodeLayer(layer, `layer ${i}`));
  let merged: TrainConfig = DEFAULTS;
  for (const l of layers) {
    if (E.isLeft(l)) return l;
    merged = deepMerge(merged, l.right);
  }
  return checkCrossFields(merged);
}

/** {@link resolveConfig}, throwing a {@link ConfigError}. */
export function loadConfig(sources: ConfigSources = {}): TrainConfig {
  return pipe(
    resolveConfig(sources),
    E.getOrElseW((m): never => {
      throw new ConfigError(m);
    }),
  );
}

/** Steps per epoch for `n` training images (the last partial batch is dropped). */
export function stepsPerEpoch(n: number, batchSize: number): number {
  return Math.max(1, Math.floor(n / batchSize));
}

/** Total steps: `epochs * stepsPerEpoch` when epochs is set, else `steps`. */
export function totalSteps(c: TrainConfig, n: number): number {
  return c.epochs !== null ? c.epochs * stepsPerEpoch(n, c.batchSize) : c.steps;
}

/**
 * The part of the configuration that decides the training stream: a resumed run must match
 * it (the output directory, logging, evaluation, backend and test hooks may differ).
 */
export function trainingIdentity(c: TrainConfig): unknown {
  const { dataset, model, swav, augment, optimizer, batchSize, steps, epochs, seed } = c;
  return { dataset, model, swav, augment, optimizer, batchSize, steps, epochs, seed };
}

/** The first path where two JSON-like values differ, with both values, or null. */
export function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (isPlain(a) && isPlain(b)) {
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const d = firstDifference(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    return null;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  return JSON.stringify(a) === JSON.stringify(b) ? null : `at ${path || '(the root)'}: ${showValue(a)} vs ${showValue(b)}`;
}
