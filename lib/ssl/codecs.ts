/**
 * io-ts codecs shared by the configurations of the self-supervised methods, and the
 * decoding that turns `unknown` input into a full configuration (merged over defaults)
 * or ONE readable line naming the path and what was expected:
 *
 * ```
 * simclr config: at .temperature expected a finite number > 0, got -1
 * ```
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import * as nn from '../nn/index.js';
import { isPlainObject } from '../tree/index.js';

import { boolean, drawErrors, nonNegativeInt, nullable, positiveInt, refined, unitInterval } from '../util/codecs.js';

export { strictPartial } from '../util/strict-partial.js';
export { boolean, drawErrors, nonNegativeInt, nullable, positiveInt, refined, unitInterval };

/** An encoder given as a layer: anything with `init(key)` and `apply(params, state, x, opts)`. */
export interface EncoderLayer {
  init(key: unknown): { params: unknown; state: unknown };
  apply(params: any, state: any, x: any, opts?: any): [any, any];
  /** The embedding width, if the layer knows it (every `nn` encoder does). */
  readonly embeddingDim?: number;
  /** PyTorch state-dict interop (every `nn` layer has them). */
  toTorch?: nn.Layer['toTorch'];
  fromTorch?: nn.Layer['fromTorch'];
}

export const positiveNumber = refined('a finite number > 0', (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0);
export const nonNegativeNumber = refined('a finite number >= 0', (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= 0);
export const positiveInts = refined('a non-empty list of positive integers', (u): u is number[] => Array.isArray(u) && u.length > 0 && u.every((x) => Number.isInteger(x) && x >= 1));
export const encoderOptions = refined('an object of encoder options', (u): u is Record<string, unknown> => isPlainObject(u));

/** One of the given strings. */
export function oneOf<A extends string>(values: readonly A[]): t.Type<A, A, unknown> {
  return refined(values.map((v) => `'${v}'`).join(' or '), (u): u is A => typeof u === 'string' && (values as readonly string[]).includes(u));
}

const isLayer = (u: unknown): u is EncoderLayer => typeof u === 'object' && u !== null && typeof (u as EncoderLayer).init === 'function' && typeof (u as EncoderLayer).apply === 'function';

/** An `nn` encoder name (checked against the registry) or an (init, apply) layer. */
export const encoder = new t.Type<string | EncoderLayer, string | EncoderLayer, unknown>(
  'an nn encoder name or an (init, apply) layer',
  (u): u is string | EncoderLayer => (typeof u === 'string' && nn.encoderNames().includes(u)) || isLayer(u),
  (u, c) => {
    if (isLayer(u)) return t.success(u);
    if (typeof u === 'string' && nn.encoderNames().includes(u)) return t.success(u);
    if (typeof u === 'string') return t.failure(u, c, `expected one of the nn encoders (${nn.encoderNames().join(', ')}) or an (init, apply) layer`);
    return t.failure(u, c);
  },
  t.identity,
);

/**
 * Decodes `input` with `codec` and merges it over `defaults` (plain-object fields one level
 * deep, so `{ projector: { dims: [64, 8] } }` keeps the projector's other defaults); an
 * error is `<who> config: <drawErrors>`.
 */
export function decodeConfig<C extends object>(who: string, codec: t.Type<any, unknown, unknown>, defaults: C, input: unknown = {}): E.Either<string, C> {
  return pipe(
    codec.validate(input, [{ key: '', type: codec, actual: input }]),
    E.mapLeft((errs) => `${who} config: ${drawErrors(errs)}`),
    E.map((given: Record<string, unknown>) => {
      const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
      for (const [k, v] of Object.entries(given)) {
        const d = (defaults as Record<string, unknown>)[k];
        merged[k] = isPlainObject(d) && isPlainObject(v) ? { ...d, ...v } : v;
      }
      return merged as C;
    }),
  );
}

/** The encoder layer of a configuration: an `nn` encoder by name, or the layer given. */
export function encoderLayer(c: { readonly encoder: string | EncoderLayer; readonly encoderOptions: Readonly<Record<string, unknown>> }): EncoderLayer {
  return typeof c.encoder === 'string' ? nn.encoder(c.encoder, { ...c.encoderOptions }) : c.encoder;
}

/** The width of the encoder's embeddings: `embedDim` when given, else the layer's own. */
export function embeddingWidth(c: { readonly embedDim: number | null }, enc: EncoderLayer, who: string): number {
  const d = c.embedDim ?? enc.embeddingDim;
  if (d === undefined) throw new Error(`${who} config: at .embedDim expected a positive integer (the width of a layer encoder that has no embeddingDim), got undefined`);
  return d;
}
