/**
 * io-ts codecs with readable names (`expected a positive integer`), shared by the training
 * configuration, the encoders' options and the self-supervised methods' configurations, and their errors drawn as one line:
 * `at .optimizer.lr expected a positive number, got "fast"`.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { showValue } from './show-value.js';

/** A codec that accepts what `is` accepts, named `name` in errors. */
export function refined<A>(name: string, is: (u: unknown) => u is A): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(name, is, (u, c) => (is(u) ? t.success(u) : t.failure(u, c)), t.identity);
}

const isNum = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u);

export const positiveInt = refined('a positive integer', (u): u is number => isNum(u) && Number.isInteger(u) && u >= 1);
export const nonNegativeInt = refined('an integer >= 0', (u): u is number => isNum(u) && Number.isInteger(u) && u >= 0);
export const positiveNumber = refined('a positive number', (u): u is number => isNum(u) && u > 0);
export const unitInterval = refined('a number in [0, 1]', (u): u is number => isNum(u) && u >= 0 && u <= 1);
export const boolean = refined('true or false', (u): u is boolean => typeof u === 'boolean');

/** `codec` or null (null: the default, as in a decoded configuration); other values fail as `codec` says. */
export function nullable<A>(codec: t.Type<A, A, unknown>): t.Type<A | null, A | null, unknown> {
  return new t.Type<A | null, A | null, unknown>(
    `${codec.name} or null`,
    (u): u is A | null => u === null || codec.is(u),
    (u, c) => (u === null ? t.success(null) : codec.validate(u, [...c.slice(0, -1), { ...c[c.length - 1]!, type: codec }])),
    t.identity,
  );
}

/** A non-empty list of `item`s, named `name` in errors. */
export const listOf = <A>(item: t.Type<A, A, unknown>, name: string) =>
  refined<readonly A[]>(name, (u): u is readonly A[] => Array.isArray(u) && u.length > 0 && u.every((x) => item.is(x)));

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

/**
 * `input` decoded with `codec`, or an Error `<what>: <errors as one line>`.
 * @example decodeOrThrow(ConvNetSmallOptionsCodec, { widths: [0] }, 'convnet_small options') // throws 'convnet_small options: at .widths expected ...'
 */
export function decodeOrThrow<A>(codec: t.Type<A, unknown, unknown>, input: unknown, what: string): A {
  const r = codec.validate(input, [{ key: '', type: codec, actual: input }]);
  if (E.isLeft(r)) throw new Error(`${what}: ${drawErrors(r.left)}`);
  return r.right;
}
