/**
 * A self-supervised method as a small record of pure functions over explicit trees:
 *
 * ```
 * init(key)                                   -> { params, state }
 * loss(params, state, batch, { key })         -> [loss, { state, metrics, params? }]
 * afterUpdate?(after, before)                 -> after'      (teacher EMA, centre, freezing)
 * embed(params, state, images)                -> [N, D]      (evaluation: no gradient)
 * toTorch(params, state) / fromTorch(dict)    the seed's PyTorch state-dict layout
 * ```
 *
 * `params` is what the optimiser trains; everything else that changes (BatchNorm running
 * statistics, an EMA teacher, queues, DINO's centre, the step counter) is `state`. A method
 * is made by its factory from a configuration, which its io-ts codec decodes at the edge
 * and merges over the seed's defaults: `ssl.methods.simclr({ encoder: 'resnet18' })`.
 * `ssl.trainStep(method, optimizer)` turns any method into one pure, jittable step.
 */
import type * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type * as t from 'io-ts';
import type { NdArray } from '../core/index.js';
import { decodeConfig } from './codecs.js';
import { type TorchStateDict, readTorchDict } from './torch-dict.js';
import type { ViewsBatch } from './views.js';

/** Parameters and state of a method. */
export interface MethodVariables<P, S> {
  readonly params: P;
  readonly state: S;
}

/** What one training step threads: parameters, method state and optimiser state. */
export interface StepVariables<P, S, O = unknown> {
  readonly params: P;
  readonly state: S;
  readonly optState: O;
}

export interface LossContext {
  /** PRNG key for stochastic layers (dropout, drop path) and random choices. */
  readonly key?: NdArray;
  /**
   * The batch is sharded over this named axis (`vmap(f, { axisName })`, `pmap`, a synchronised
   * data-parallel program): the method's BatchNorm layers (student and teacher) use the whole
   * batch's statistics, and its loss gathers or all-reduces what couples samples (negatives,
   * variances, cross-correlations, centres, Sinkhorn), so the mean over the members of their
   * losses is the loss of one process on the whole batch. A queue stays per member.
   */
  readonly axisName?: string;
}

export interface LossAux<P, S> {
  /** The state after the forward pass (BatchNorm statistics, queue, centre, step). */
  readonly state: S;
  /** Scalars worth logging (the loss is added by the step). */
  readonly metrics: Readonly<Record<string, NdArray>>;
  /**
   * The parameters as the forward pass used them, when the method changes them before
   * its forward (SwAV renormalises its prototypes in place, as the seed does): the
   * optimiser then updates these instead of the given ones. No gradient flows through it.
   */
  readonly params?: Partial<P>;
}

/** A self-supervised method (see the module notes). */
export interface Method<P = any, S = any, B = ViewsBatch, C = unknown> {
  /** The registry name, e.g. 'simclr'. */
  readonly name: string;
  /** The decoded configuration (every field present). */
  readonly config: C;
  init(key: NdArray): MethodVariables<P, S>;
  /** The training loss (training mode: batch statistics, state updates). */
  loss(params: P, state: S, batch: B, ctx?: LossContext): [NdArray, LossAux<P, S>];
  /** After the optimiser's update (e.g. the teacher's EMA towards the new student). */
  afterUpdate?<O>(after: StepVariables<P, S, O>, before: StepVariables<P, S, O>): StepVariables<P, S, O>;
  /** Evaluation embeddings [N, D] of images (the seed's `forward(images)`): eval mode, no gradient. */
  embed(params: P, state: S, images: NdArray): NdArray;
  /** The seed's state dict (PyTorch names and layouts); new tensors the caller owns. */
  toTorch(params: P, state: S): Record<string, tf.Tensor>;
  /**
   * Parameters and state from the seed's state dict (every entry must be used): tensors, or the
   * entries of a safetensors file (`(await readSafetensorsFile(path)).tensors`).
   */
  fromTorch(dict: TorchStateDict): MethodVariables<P, S>;
}

/** What a definition's `build` returns: the method's functions, `fromTorch` reading the dict as tf tensors. */
export type MethodBody<P, S, B, C> = Omit<Method<P, S, B, C>, 'name' | 'config' | 'fromTorch'> & {
  fromTorch(dict: Readonly<Record<string, tf.Tensor>>): MethodVariables<P, S>;
};

/** A configuration as users give it: any subset of the fields, nested objects partial too. */
export type ConfigInput<C> = { readonly [K in keyof C]?: C[K] extends readonly unknown[] ? C[K] : C[K] extends object ? Partial<C[K]> : C[K] };

export interface MethodDefinition<C, P, S, B> {
  readonly name: string;
  /** The io-ts codec of the user's configuration (every key optional, none unknown). */
  readonly codec: t.Type<any, unknown, unknown>;
  /** The seed's defaults. */
  readonly defaults: C;
  /** Checks across fields of a decoded configuration: an error line, or null. */
  readonly check?: (config: C) => string | null;
  /** The method's functions for a decoded configuration. */
  build(config: C): MethodBody<P, S, B, C>;
}

/** Makes a method from a configuration; also offers the codec, defaults and decoding. */
export interface MethodFactory<C = any, P = any, S = any, B = any> {
  (config?: ConfigInput<C>): Method<P, S, B, C>;
  readonly methodName: string;
  readonly codec: t.Type<any, unknown, unknown>;
  readonly defaults: C;
  /** The decoded configuration or the one-line error. */
  decode(input: unknown): E.Either<string, C>;
}

/**
 * A method factory from its definition: decoding (with the seed's defaults) and the one-line
 * configuration error come for free.
 * @example
 * export const mine = defineMethod({ name: 'mine', codec, defaults, build: (c) => ({ init, loss, embed, toTorch, fromTorch }) });
 * const m = mine({ temperature: 0.2 });
 */
export function defineMethod<C extends object, P = any, S = any, B = ViewsBatch>(def: MethodDefinition<C, P, S, B>): MethodFactory<C, P, S, B> {
  const decode = (input: unknown): E.Either<string, C> =>
    pipe(
      decodeConfig(def.name, def.codec, def.defaults, input ?? {}),
      E.chain((c) => {
        const problem = def.check?.(c) ?? null;
        return problem === null ? E.right(c) : E.left(`${def.name} config: ${problem}`);
      }),
    );
  const factory = (input?: ConfigInput<C>): Method<P, S, B, C> => {
    const config = pipe(
      decode(input),
      E.getOrElseW((message): C => {
        throw new Error(message);
      }),
    );
    const body = def.build(config);
    return { name: def.name, config, ...body, fromTorch: (dict) => readTorchDict(dict, `${def.name}.fromTorch`, (d) => body.fromTorch(d)) };
  };
  return Object.assign(factory, { methodName: def.name, codec: def.codec, defaults: def.defaults, decode });
}
