/**
 * The SwAV configuration: decoded from `unknown` with io-ts at the edge, merged over the
 * seed's defaults, with one readable error naming the path and what was expected:
 *
 * ```
 * swav config: at .projector.hiddenDim expected a positive integer, got -3
 * swav config: at .projector.hiddenDims unknown key (known: hiddenDim, outDim, batchNorm, bnMomentum, bnEps)
 * ```
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { showValue } from '../../util/show-value.js';
import { strictPartial } from '../../util/strict-partial.js';
import {
  type EncoderLayer,
  boolean,
  decodeConfig,
  encoder,
  encoderOptions,
  nonNegativeInt,
  nullable,
  positiveInt,
  positiveNumber,
  refined,
  unitInterval,
} from '../codecs.js';
import type { Pairing } from './loss.js';

export type { EncoderLayer } from '../codecs.js';

export interface ProjectorSettings {
  /** Hidden width (the seed's projector_dims[0]). Default 2048. */
  readonly hiddenDim: number;
  /** Output width (projector_dims[1]). Default 128. */
  readonly outDim: number;
  /** Linear-BN-ReLU-Linear (true, the seed) or Linear-ReLU-Linear (false). Default true. */
  readonly batchNorm: boolean;
  /** BatchNorm momentum, PyTorch convention (weight of the new batch). Default 0.1. */
  readonly bnMomentum: number;
  /** Default 1e-5. */
  readonly bnEps: number;
}

/** The full, decoded configuration (every field present). */
export interface SwavConfig {
  /** An `nn` encoder name (timm-style) or a layer. Default 'vit_small_patch16_224' (the seed's). */
  readonly encoder: string | EncoderLayer;
  /** Options for a named encoder (e.g. `{ lowResolution: true }`). Default {}. */
  readonly encoderOptions: Readonly<Record<string, unknown>>;
  /** The encoder's output width; needed only for a layer without `embeddingDim`. */
  readonly embedDim: number | null;
  readonly projector: ProjectorSettings;
  /** Number of prototypes K. Default 3000. */
  readonly numPrototypes: number;
  /** Softmax temperature of the swapped prediction. Default 0.1. */
  readonly temperature: number;
  /** Sinkhorn epsilon. Default 0.05. */
  readonly epsilon: number;
  /** Sinkhorn iterations. Default 3. */
  readonly sinkhornIterations: number;
  /** 'seed' (every global view with every later view, default) or 'paper' (crops_for_assign). */
  readonly pairing: Pairing;
  /** The views whose codes are computed; default: the global views (0..n-1). */
  readonly cropsForAssign: readonly number[] | null;
  /** facebookresearch/swav's queue of past embeddings per assignment view; 0 (default) = none. */
  readonly queueLength: number;
  /** The step from which the queue is filled (it is used once full). Default 0. */
  readonly queueStartStep: number;
  /** No prototype update (and no optimiser state change for them) while step < this. Default 0. */
  readonly freezePrototypesSteps: number;
}

/** What users pass: any subset of the fields (projector fields too), merged over the defaults. */
export type SwavConfigInput = Partial<Omit<SwavConfig, 'projector'>> & { readonly projector?: Partial<ProjectorSettings> };

export const DEFAULT_PROJECTOR: ProjectorSettings = { hiddenDim: 2048, outDim: 128, batchNorm: true, bnMomentum: 0.1, bnEps: 1e-5 };

/** The seed's defaults (stable-pretraining's `SwAV.__init__`). */
export const DEFAULT_CONFIG: SwavConfig = {
  encoder: 'vit_small_patch16_224',
  encoderOptions: {},
  embedDim: null,
  projector: DEFAULT_PROJECTOR,
  numPrototypes: 3000,
  temperature: 0.1,
  epsilon: 0.05,
  sinkhornIterations: 3,
  pairing: 'seed',
  cropsForAssign: null,
  queueLength: 0,
  queueStartStep: 0,
  freezePrototypesSteps: 0,
};

const pairing = refined<Pairing>("'seed' or 'paper'", (u): u is Pairing => u === 'seed' || u === 'paper');
const viewIndices = refined('a non-empty list of distinct view indices (integers >= 0)', (u): u is number[] =>
  Array.isArray(u) && u.length > 0 && u.every((x) => Number.isInteger(x) && x >= 0) && new Set(u).size === u.length,
);

const projectorCodec = strictPartial(
  { hiddenDim: positiveInt, outDim: positiveInt, batchNorm: boolean, bnMomentum: unitInterval, bnEps: positiveNumber },
  'an object with projector settings',
);

/** The io-ts codec of the user's configuration (every key optional, none unknown). */
export const SwavConfigCodec = strictPartial(
  {
    encoder,
    encoderOptions,
    embedDim: nullable(positiveInt),
    projector: projectorCodec,
    numPrototypes: positiveInt,
    temperature: positiveNumber,
    epsilon: positiveNumber,
    sinkhornIterations: nonNegativeInt,
    pairing,
    cropsForAssign: nullable(viewIndices),
    queueLength: nonNegativeInt,
    queueStartStep: nonNegativeInt,
    freezePrototypesSteps: nonNegativeInt,
  },
  'a SwAV configuration object',
);

/** Decodes and checks the user's configuration, merged over the defaults. */
export function decodeSwavConfig(input: unknown = {}): E.Either<string, SwavConfig> {
  return pipe(
    decodeConfig('swav', SwavConfigCodec, DEFAULT_CONFIG, input),
    E.chain((c) => {
      const problem = crossFieldProblem(c);
      return problem === null ? E.right(c) : E.left(`swav config: ${problem}`);
    }),
  );
}

/** What is wrong across fields of a decoded configuration, or null. */
export function crossFieldProblem(c: SwavConfig): string | null {
  if (c.pairing === 'seed' && c.cropsForAssign && !c.cropsForAssign.every((v, i) => v === i))
    return `at .cropsForAssign expected [0, 1, ..., n-1] with pairing 'seed' (the global views come first), got ${showValue(c.cropsForAssign)}`;
  if (typeof c.encoder !== 'string' && c.encoder.embeddingDim === undefined && c.embedDim === null)
    return 'at .embedDim expected a positive integer (the width of a layer encoder that has no embeddingDim), got undefined';
  return null;
}

/**
 * The decoded configuration, or an Error with the readable message.
 * @example swavConfig({ projector: { hiddenDim: -3 } }) // throws 'swav config: at .projector.hiddenDim expected a positive integer, got -3'
 */
export function swavConfig(input: unknown = {}): SwavConfig {
  if (typeof input === 'object' && input !== null && decodedConfigs.has(input)) return input as SwavConfig;
  const c = pipe(
    decodeSwavConfig(input),
    E.getOrElseW((message): SwavConfig => {
      throw new Error(message);
    }),
  );
  decodedConfigs.add(c);
  return c;
}

/** Configurations this module decoded (decoding them again returns them as they are). */
const decodedConfigs = new WeakSet<object>();

