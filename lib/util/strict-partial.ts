/** io-ts helpers shared by the configuration codecs. */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { isPlainObject } from '../tree/index.js';

/** An object with only the given (optional) keys: unknown keys are an error naming the known ones, not dropped. */
export function strictPartial<P extends t.Props>(props: P, name: string): t.Type<Partial<t.TypeOf<t.PartialC<P>>>, unknown, unknown> {
  const known = Object.keys(props);
  return new t.Type<Partial<t.TypeOf<t.PartialC<P>>>, unknown, unknown>(
    name,
    (u): u is Partial<t.TypeOf<t.PartialC<P>>> => isPlainObject(u),
    (u, c) => {
      if (!isPlainObject(u)) return t.failure(u, c);
      const errors: t.Errors = [];
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(u)) {
        if (!Object.hasOwn(props, k)) {
          errors.push({ value: v, context: t.appendContext(c, k, t.unknown, v), message: `unknown key (known: ${known.join(', ')})` });
          continue;
        }
        if (v === undefined) continue;
        const r = props[k].validate(v, t.appendContext(c, k, props[k], v));
        if (E.isLeft(r)) errors.push(...r.left);
        else out[k] = r.right;
      }
      return errors.length ? t.failures(errors) : t.success(out as Partial<t.TypeOf<t.PartialC<P>>>);
    },
    t.identity,
  );
}
