/**
 * Cache keys for JS values baked into a trace (jit's static arguments, primitive params),
 * as JAX hashes them: primitives by value and type; functions, symbols and class
 * instances by identity; plain arrays and objects, typed arrays, Sets and Maps by their
 * current contents (sound: equal keys mean equal contents when the trace reads them).
 * Arrays (tensors, tracers) have no key: they belong among the dynamic arguments.
 */
import { isArray } from '../trace.js';

const ids = new WeakMap<object, number>();
const symbolIds = new Map<symbol, number>(); // registered symbols cannot be WeakMap keys
let nextId = 0;

function identity(x: object | symbol): string {
  const table = (typeof x === 'symbol' ? symbolIds : ids) as Map<object | symbol, number>;
  let id = table.get(x);
  if (id === undefined) table.set(x, (id = nextId++));
  return `#${id}`;
}

/**
 * A string that is equal for two values exactly when a trace made with one is right for
 * the other; errors start with `where`.
 * @example valueKey({ eps: NaN, fn: Math.exp }, 'jit: static argument 1') // '{"eps":nNaN,"fn":#0}'
 */
export function valueKey(value: unknown, where: string): string {
  const open = new Set<object>();
  const key = (x: unknown, at: string): string => {
    switch (typeof x) {
      case 'number':
        return Object.is(x, -0) ? 'n-0' : `n${x}`; // String keeps NaN and ±Infinity apart
      case 'string':
        return `s${JSON.stringify(x)}`;
      case 'boolean':
        return `b${x}`;
      case 'bigint':
        return `i${x}`;
      case 'undefined':
        return 'u';
      case 'symbol':
      case 'function':
        return identity(x);
    }
    if (x === null) return 'z';
    const o = x as object;
    if (isArray(o)) throw new Error(`${where}${at}: an array (tensor) cannot be a static value; pass it as a dynamic argument`);
    if (open.has(o)) throw new Error(`${where}${at}: a cyclic structure cannot be a static value`);
    open.add(o);
    try {
      if (Array.isArray(o)) return `[${o.map((v, i) => key(v, `${at}[${i}]`)).join(',')}]`;
      if (ArrayBuffer.isView(o) && !(o instanceof DataView)) return `${o.constructor.name}[${Array.from(o as unknown as ArrayLike<number | bigint>, (v) => key(v, at)).join(',')}]`;
      if (o instanceof Set) return `Set{${[...o].map((v) => key(v, `${at} (an element)`)).join(',')}}`;
      if (o instanceof Map) return `Map{${[...o].map(([k, v], i) => `${key(k, `${at}.keys()[${i}]`)}=>${key(v, `${at}.get(…)`)}`).join(',')}}`;
      const proto = Object.getPrototypeOf(o);
      if (proto !== Object.prototype && proto !== null) return identity(o);
      // Plain objects: keys sorted, so that insertion order does not matter.
      const ks = Object.keys(o).sort();
      return `{${ks.map((k) => `${JSON.stringify(k)}:${key((o as Record<string, unknown>)[k], `${at}.${k}`)}`).join(',')}}`;
    } finally {
      open.delete(o);
    }
  };
  return key(value, '');
}
