/**
 * Where a configuration comes from and how the layers merge: defaults < preset < file <
 * flags, then the checks across fields; and what a resumed run must match.
 */
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import * as nn from '../nn/index.js';
import * as ssl from '../ssl/methods/index.js';
import { firstDuplicateKeyPath } from '../io/json-duplicate-keys.js';
import { drawErrors } from '../util/codecs.js';
import { showValue } from '../util/show-value.js';
import { type ConfigInput, type MethodName, type TrainConfig, ConfigCodec, ConfigError, DEFAULTS, METHOD_NAMES, MULTI_CROP_METHODS, NEPA_SIZES, ONE_VIEW_METHODS, REGISTER_METHODS, VIT_METHODS, decodeLayer, isPlain, plainObject } from './config-schema.js';
import { PRESETS } from './config-presets.js';
import { methodInput } from './recipe.js';

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

/** `model.encoderOptions` checked with the encoder's options codec; `inChannels` comes from the data. */
function checkEncoderOptions(c: TrainConfig): string | null {
  const options = c.model.encoderOptions;
  if (Object.hasOwn(options, 'inChannels'))
    return `config: at .model.encoderOptions.inChannels expected nothing (the channels come from the data), got ${showValue(options['inChannels'])}`;
  const codec = nn.encoderOptionsCodec(c.model.encoder);
  if (codec === undefined) return null;
  const context: t.Context = [
    { key: '', type: ConfigCodec, actual: c },
    { key: 'model', type: t.unknown, actual: c.model },
    { key: 'encoderOptions', type: plainObject, actual: options },
  ];
  const r = codec.validate(options, context);
  return E.isLeft(r) ? `config: ${drawErrors(r.left)}` : null;
}

/** The method's section, decoded by the method (its own cross-field checks included), and what the run adds to it. */
function checkMethod(c: TrainConfig): string | null {
  const sectionError = checkSection(c);
  if (sectionError !== null) return sectionError;
  for (const name of METHOD_NAMES) {
    const own = ['encoder', 'encoderOptions', 'embedDim'].find((k) => Object.hasOwn(c[name], k));
    if (own) return `config: at .${name}.${own} expected nothing (every method trains .model.encoder), got ${showValue(c[name][own])}`;
  }
  const name = c.method;
  const decoded = ssl.byName(name).decode(methodInput(c));
  // The method's errors name paths inside its section: `simclr config: at .temperature ...`;
  // one that names none (a check across its fields) is put at the section.
  if (E.isLeft(decoded)) {
    const line = decoded.left.replace(`${name} config: `, '');
    return `config: ${/\bat \./.test(line) ? line.replace(/\bat \./g, `at .${name}.`) : `at .${name}: ${line}`}`;
  }
  const cropsError = checkViews(c);
  if (cropsError !== null) return cropsError;
  const queue = (decoded.right as { queueLength?: number }).queueLength ?? 0;
  if (name === 'swav' && queue > 0 && queue % c.batchSize !== 0)
    return `config: at .swav.queueLength expected a multiple of .batchSize (${c.batchSize}), got ${queue}`;
  return checkMethodEncoder(c, decoded.right as Readonly<Record<string, unknown>>) ?? checkPretrained(c);
}

/** The ViT's dropout options (NEPA has its own, in its section). */
const VIT_DROPOUTS = ['posDropRate', 'projDropRate', 'attnDropRate', 'dropPathRate'];

/** What the run's section may not say: NEPA's sizes, MIM-Refiner's encoder other than by `pretrained`. */
function checkSection(c: TrainConfig): string | null {
  const name = c.method;
  const section = c[name];
  // NEPA's sizes are the ViT's: its section has only its own switches.
  const size = name === 'nepa' ? NEPA_SIZES.find((k) => Object.hasOwn(section, k)) : undefined;
  if (size !== undefined)
    return `config: at .nepa.${size} expected nothing (NEPA's transformer has the ViT's sizes: .model.encoderOptions${size === 'inChannels' ? ', the channels the data\'s' : ''}), got ${showValue(section[size])}`;
  // The ViT's dropouts would not reach NEPA's own transformer: they are its section's.
  const drop = name === 'nepa' ? VIT_DROPOUTS.find((k) => Object.hasOwn(c.model.encoderOptions, k)) : undefined;
  if (drop !== undefined)
    return `config: at .model.encoderOptions.${drop} expected nothing for nepa (its dropouts are .nepa.dropRate, .nepa.attnDropRate and .nepa.dropPathRate), got ${showValue(c.model.encoderOptions[drop])}`;
  if (name !== 'mimRefiner') return null;
  if (Object.hasOwn(section, 'pretrainedEncoder'))
    return `config: at .mimRefiner.pretrainedEncoder expected nothing (name the run or file with .mimRefiner.pretrained), got ${showValue(section['pretrainedEncoder'])}`;
  return null;
}

/** MIM-Refiner without `pretrained` (checked after its encoder: a ConvNet is the first thing to fix). */
function checkPretrained(c: TrainConfig): string | null {
  if (c.method !== 'mimRefiner' || c.mimRefiner['pretrained'] !== undefined) return null;
  return (
    'config: at .mimRefiner.pretrained expected the path of a pretrained encoder (a run directory, a checkpoint or an exported state dict, e.g. of --method mae), got nothing; ' +
    "the seed's MIMRefiner requires one (--mim-refiner.pretrained runs/fashion-mnist-mae)"
  );
}

/** `a, b and c`. */
const listed = (names: readonly string[]) => names.join(', ').replace(/, ([^,]*)$/, ' and $1');

/** The views the method trains on: multi-crop, two views ([2]), or one ([1]). */
function checkViews(c: TrainConfig): string | null {
  const name = c.method;
  const crops = c.augment.nmbCrops;
  if (MULTI_CROP_METHODS.includes(name)) return null;
  const want = ONE_VIEW_METHODS.includes(name) ? 1 : 2;
  if (crops[0] === want && !crops.slice(1).some((n) => n > 0)) return null;
  return (
    `config: at .augment.nmbCrops expected [${want}] for ${name} (it trains on ${want === 1 ? 'one view' : 'two views'}; multi-crop is for ${listed(MULTI_CROP_METHODS)}), got ${showValue(crops)}; ` +
    `use --preset fashion-mnist-${name}, or --augment.nmb-crops [${want}] --augment.size-crops [28] --augment.min-scale [0.2] --augment.max-scale [1]`
  );
}

/**
 * What the method asks of the run's encoder (built, not initialised) and views: DirectCLR's `dim`
 * at most its width; PIRL's jigsaw at most one tile per pixel of a view's side; MAE, DINOv2,
 * I-JEPA, iBOT, MSN, SimMIM, data2vec, DINOv3, iGPT, MaskFeat and CMAE a ViT ({@link VIT_METHODS},
 * see {@link checkViT}).
 */
function checkMethodEncoder(c: TrainConfig, m: Readonly<Record<string, unknown>>): string | null {
  const side = c.augment.sizeCrops[0]!;
  if (c.method === 'pirl' && (m['jigsawGrid'] as number) > side)
    return `config: at .pirl.jigsawGrid expected at most the view's side ${side} (.augment.sizeCrops[0]), got ${m['jigsawGrid']}`;
  if (c.method !== 'directclr' && !VIT_METHODS.includes(c.method)) return null;
  const enc = nn.encoder(c.model.encoder, c.model.encoderOptions);
  if (c.method === 'directclr')
    return (m['dim'] as number) > enc.embeddingDim ? `config: at .directclr.dim expected at most the encoder's width ${enc.embeddingDim} (.model), got ${m['dim']}` : null;
  return checkViT(c, enc, m);
}

/** What positions a method's ViT cannot resize: MAE's, CrossMAE's, I-JEPA's, SALT's and NEPA's are fixed (DINOv2, iBOT, DINOv3 and MIM-Refiner resize the ViT's for local views). */
const FIXED_POSITIONS: Partial<Record<MethodName, string>> = {
  mae: "its decoder's positions are fixed",
  ijepa: "its predictor's positions are fixed",
  crossMae: "its decoder's positions are fixed",
  nepa: 'its patch embedding takes that size only',
  salt: "its predictor's positions are fixed",
};

/** Methods that mask `round(L maskRatio)` of a view's L patches (none masked: no patch loss, or a loss of 0). */
const ROUNDED_MASK_METHODS: readonly MethodName[] = ['dinov2', 'ibot', 'msn', 'simmim', 'data2vec', 'dinov3', 'maskfeat', 'cmae', 'beit', 'mimRefiner'];

/**
 * A ViT method's encoder and views: a ViT; no register tokens but for {@link REGISTER_METHODS};
 * its patch size dividing every crop size; MAE's and I-JEPA's image size the views'
 * ({@link FIXED_POSITIONS}), every crop's without `dynamicImgSize`; iGPT's view at least 2
 * patches; the mask ratio of {@link ROUNDED_MASK_METHODS} masking at least one patch of a
 * (global) view.
 */
function checkViT(c: TrainConfig, enc: nn.Encoder, m: Readonly<Record<string, unknown>>): string | null {
  const name = c.method;
  if (!nn.isViT(enc))
    return (
      `config: at .model.encoder expected a ViT for ${name} (${nn.encoderNames().filter((n) => n.startsWith('vit')).join(', ')}), got ${showValue(c.model.encoder)}; ` +
      `use --preset fashion-mnist-${name}, or e.g. --model.encoder vit_tiny_patch16_224 --model.encoder-options '{"imgSize":28,"patchSize":7}'`
    );
  const { imgSize, patchSize, dynamicImgSize, numRegisters } = enc.options as { imgSize: number; patchSize: number; dynamicImgSize: boolean; numRegisters: number };
  if (numRegisters > 0 && !REGISTER_METHODS.includes(name))
    return `config: at .model.encoderOptions.numRegisters expected 0 for ${name} (it reads the patch tokens right after the class token; registers are for ${listed(REGISTER_METHODS)}), got ${numRegisters}`;
  const sizes = c.augment.sizeCrops;
  const fixed = FIXED_POSITIONS[name];
  if (fixed !== undefined && sizes[0] !== imgSize)
    return `config: at .augment.sizeCrops[0] expected the ViT's image size ${imgSize} for ${name} (.model.encoderOptions.imgSize; ${fixed}), got ${sizes[0]}`;
  if (sizes[0]! % patchSize) return `config: at .model.encoderOptions.patchSize expected a divisor of the image size ${sizes[0]} for ${name}, got ${patchSize}`;
  for (const [i, size] of sizes.entries()) {
    if (size % patchSize) return `config: at .augment.sizeCrops[${i}] expected a multiple of the ViT's patch size ${patchSize} for ${name} (.model.encoderOptions.patchSize), got ${size}`;
    if (!dynamicImgSize && size !== imgSize)
      return `config: at .augment.sizeCrops[${i}] expected the ViT's image size ${imgSize} for ${name} (.model.encoderOptions.dynamicImgSize is false), got ${size}`;
  }
  const patches = (sizes[0]! / patchSize) ** 2;
  if (name === 'igpt' && patches < 2)
    return `config: at .augment.sizeCrops[0] expected at least 2 patches of the ViT's ${patchSize} px for igpt (it predicts each patch from those before it), got ${sizes[0]}`;
  // These mask round(L maskRatio) patches (half to even): none when L maskRatio <= 0.5.
  if (ROUNDED_MASK_METHODS.includes(name) && patches * (m['maskRatio'] as number) <= 0.5) {
    const view = MULTI_CROP_METHODS.includes(name) ? 'a global view' : 'a view';
    return `config: at .${name}.maskRatio expected a ratio that masks at least one of the ${patches} patches of ${view} (round(${patches} x maskRatio) >= 1), got ${m['maskRatio']}`;
  }
  return null;
}

function checkCrossFields(c: TrainConfig): E.Either<string, TrainConfig> {
  const optionsError = checkEncoderOptions(c);
  if (optionsError !== null) return E.left(optionsError);
  const a = c.augment;
  const n = a.nmbCrops.length;
  for (const [k, v] of [['sizeCrops', a.sizeCrops], ['minScale', a.minScale], ['maxScale', a.maxScale]] as const)
    if (v.length !== n) return E.left(`config: at .augment.${k} expected ${n} entries (one per group of .augment.nmbCrops), got ${showValue(v)}`);
  const bad = a.minScale.findIndex((lo, i) => lo > a.maxScale[i]!);
  if (bad >= 0) return E.left(`config: at .augment.minScale[${bad}] expected at most .augment.maxScale[${bad}] (${a.maxScale[bad]}), got ${a.minScale[bad]}`);
  if ((a.nmbCrops[0] ?? 0) < 2 && !ONE_VIEW_METHODS.includes(c.method)) return E.left(`config: at .augment.nmbCrops[0] expected at least 2 global views, got ${a.nmbCrops[0]}`);
  const steps = c.steps;
  if (c.epochs === null && c.optimizer.warmupSteps >= steps)
    return E.left(`config: at .optimizer.warmupSteps expected fewer than the ${steps} steps, got ${c.optimizer.warmupSteps}`);
  const bs = c.batchSize;
  const methodError = checkMethod(c);
  if (methodError !== null) return E.left(methodError);
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

/** Where a configuration comes from, in merge order: defaults < preset < base < file < flags < layers. */
export interface ConfigSources {
  readonly preset?: string;
  /** Already-parsed layers merged before the file and the flags (a checkpoint's stored configuration, which flags then override). */
  readonly base?: readonly ConfigInput[];
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

/**
 * A flag as a one-key deep object: `--optimizer.lr 0.3` -> `{ optimizer: { lr: 0.3 } }`; with
 * `asText`, the value is kept as the text given (`--out-dir 2024` -> `{ outDir: '2024' }`).
 */
export function flagLayer(flag: string, value: string, asText = false): E.Either<string, unknown> {
  const path = flag.replace(/^--?/, '').split('.').map(camel);
  if (path.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype'))
    return E.left(`config flag ${flag}: not a configuration path (use e.g. --optimizer.lr 0.3)`);
  let v: unknown = asText ? value : parseFlagValue(value);
  for (const p of [...path].reverse()) v = { [p]: v };
  return E.right(v);
}

/**
 * One flag decoded as a layer. A value that reads as JSON but is refused where text is
 * expected (`--out-dir 2024`, `--dataset.name 1e3`) is taken as its text; when that fails too,
 * the error is the one about the JSON value.
 */
function decodeFlag(flag: string, value: string): E.Either<string, ConfigInput> {
  const decode = (asText: boolean) => pipe(flagLayer(flag, value, asText), E.chain((json) => decodeLayer(json, `flag ${flag}`)));
  const parsed = decode(false);
  if (E.isRight(parsed) || typeof parseFlagValue(value) === 'string') return parsed;
  const text = decode(true);
  return E.isRight(text) ? text : parsed;
}

/** Reads and parses a JSON file (a key repeated in one object is an error); errors name the file. */
export function readConfigFile(file: string): E.Either<string, unknown> {
  return pipe(
    E.tryCatch(
      () => readFileSync(file, 'utf8'),
      (e) => `config ${file}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    ),
    E.chain((text) =>
      pipe(
        E.tryCatch(() => JSON.parse(text) as unknown, (e) => `config ${file}: not valid JSON (${(e as Error).message})`),
        E.chain((json) => {
          // JSON.parse keeps the last of a repeated key: the first would be dropped unseen.
          const dup = firstDuplicateKeyPath(text);
          return dup === undefined ? E.right(json) : E.left(`config ${file}: at ${dup.path || '(the root)'} the key ${JSON.stringify(dup.key)} appears twice`);
        }),
      ),
    ),
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
  for (const [i, layer] of (sources.base ?? []).entries()) layers.push(decodeLayer(layer, `base layer ${i}`));
  if (sources.file !== undefined) {
    const file = sources.file;
    layers.push(pipe(readConfigFile(file), E.chain((json) => decodeLayer(json, file))));
  }
  for (const [flag, value] of sources.flags ?? []) layers.push(decodeFlag(flag, value));
  for (const [i, layer] of (sources.layers ?? []).entries()) layers.push(decodeLayer(layer, `layer ${i}`));
  let merged: TrainConfig = DEFAULTS;
  for (const l of layers) {
    if (E.isLeft(l)) return l;
    // A layer that names another encoder starts its options afresh: the previous encoder's would not fit it.
    const encoder = l.right.model?.encoder;
    if (encoder !== undefined && encoder !== merged.model.encoder) merged = { ...merged, model: { ...merged.model, encoderOptions: {} } };
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
  const { method, dataset, model, augment, optimizer, batchSize, steps, epochs, seed } = c;
  return { method, [method]: c[method], dataset, model, augment, optimizer, batchSize, steps, epochs, seed };
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
