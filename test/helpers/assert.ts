/**
 * Numeric assertions for tests: closeness of arrays/tensors with a relative and an
 * absolute tolerance, `|actual - expected| <= atol + rtol * |expected|` element-wise
 * (numpy's `allclose`). NaN matches NaN; infinities must match exactly.
 */
import { Assertion } from 'uvu/assert';

/** Anything with an async `data()`, such as a tf.Tensor. */
export interface TensorLike {
  data(): Promise<ArrayLike<number> | ArrayLike<unknown>>;
  readonly shape?: readonly number[];
}

/** A number, a flat array-like of numbers, or nested arrays of numbers. */
export type NumericLike = number | boolean | ArrayLike<number> | readonly NumericLike[];

export interface Tolerance {
  /** relative tolerance (default 1e-5) */
  rtol?: number;
  /** absolute tolerance (default 1e-6) */
  atol?: number;
}

function isTensorLike(x: unknown): x is TensorLike {
  return typeof x === 'object' && x !== null && typeof (x as { data?: unknown }).data === 'function';
}

/** Flattens numbers / typed arrays / nested arrays into a list of numbers, and its shape. */
function flatten(x: unknown, what: string): { values: number[]; shape: number[] } {
  const values: number[] = [];
  let shape: number[] | undefined;
  const visit = (v: unknown, depth: number, dims: number[]): void => {
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
      values.push(Number(v));
      if (shape === undefined) shape = dims;
      return;
    }
    if (ArrayBuffer.isView(v) || Array.isArray(v) || (typeof v === 'object' && v !== null && typeof (v as ArrayLike<unknown>).length === 'number')) {
      const a = v as ArrayLike<unknown>;
      if (a.length === 0 && shape === undefined) shape = [...dims, 0];
      for (let i = 0; i < a.length; i++) visit(a[i], depth + 1, [...dims, a.length]);
      return;
    }
    throw new TypeError(`allClose: ${what} contains a non-numeric value: ${String(v)}`);
  };
  visit(x, 0, []);
  return { values, shape: shape ?? [] };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(8))) : String(x);
}

function unravel(i: number, shape: readonly number[]): string {
  if (shape.length <= 1) return `[${i}]`;
  const idx: number[] = [];
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d] || 1;
    idx.unshift(r % n);
    r = Math.floor(r / n);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * Asserts that `actual` and `expected` have the same number of elements (or that
 * `expected` is a single number) and are element-wise close. Takes numbers, typed arrays, arrays and nested arrays (use
 * {@link allCloseAsync} for tensors). Throws uvu's `Assertion` naming the max abs
 * error, the index where it occurs and the tolerance.
 */
export function allClose(actual: NumericLike, expected: NumericLike, tol: Tolerance = {}, message?: string): void {
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  if (isTensorLike(actual) || isTensorLike(expected)) {
    throw new TypeError('allClose: got a tensor; use `await allCloseAsync(...)` (tensors must be read with await t.data())');
  }
  const a = flatten(actual, 'actual');
  const e = flatten(expected, 'expected');
  // A scalar `expected` is compared against every element (numpy broadcasting).
  if (typeof expected === 'number' && a.values.length !== 1) {
    e.values = new Array<number>(a.values.length).fill(expected);
    e.shape = a.shape;
  }
  const prefix = message ? `${message}: ` : '';
  const fail = (msg: string): never => {
    throw new Assertion({ message: prefix + msg, operator: 'allClose', actual: a.values, expects: e.values, generated: !message });
  };
  if (a.values.length !== e.values.length) {
    fail(`size mismatch: actual has ${a.values.length} elements (shape [${a.shape}]), expected ${e.values.length} (shape [${e.shape}])`);
  }
  // Among the violations, find the largest absolute error (NaN/inf mismatches count as Infinity).
  let worst = -1;
  let worstErr = -1;
  let count = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    let err: number;
    let bad: boolean;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      bad = Number.isNaN(x) !== Number.isNaN(y);
      err = Infinity;
    } else if (!Number.isFinite(x) || !Number.isFinite(y)) {
      bad = x !== y;
      err = Infinity;
    } else {
      err = Math.abs(x - y);
      bad = err > atol + rtol * Math.abs(y);
    }
    if (!bad) continue;
    count++;
    if (err > worstErr) {
      worst = i;
      worstErr = err;
    }
  }
  if (count > 0) {
    const i = worst;
    fail(
      `not close: max abs error among violations ${fmt(worstErr)} at index ${unravel(i, e.shape.length ? e.shape : a.shape)} ` +
        `(actual ${fmt(a.values[i]!)}, expected ${fmt(e.values[i]!)}); tolerance atol=${atol} + rtol=${rtol}*|expected|` +
        ` = ${fmt(atol + rtol * Math.abs(e.values[i]!))}; ${count} of ${a.values.length} elements differ`,
    );
  }
}

/**
 * Like {@link allClose}, but either side may be a tensor (anything with an async
 * `data()`), read with `await x.data()`, which works on every backend (webgpu included).
 */
export async function allCloseAsync(
  actual: TensorLike | NumericLike,
  expected: TensorLike | NumericLike,
  tol: Tolerance = {},
  message?: string,
): Promise<void> {
  const read = async (x: TensorLike | NumericLike): Promise<NumericLike> =>
    isTensorLike(x) ? (x.shape ? await toNested(x as TensorLike & { shape: readonly number[] }) : Array.from(await x.data(), Number)) : x;
  allClose(await read(actual), await read(expected), tol, message);
}

/** A nested JS array (or a number for a scalar). */
export type Nested = number | Nested[];

/**
 * Reads a tensor (via `await t.data()`, which works on webgpu) into a nested JS array
 * following its shape; a scalar gives a number.
 */
export async function toNested(t: TensorLike & { readonly shape: readonly number[] }): Promise<Nested> {
  const flat = Array.from(await t.data(), Number);
  const shape = t.shape;
  if (shape.length === 0) return flat[0]!;
  let pos = 0;
  const build = (d: number): Nested[] => {
    const n = shape[d]!;
    const out: Nested[] = [];
    for (let i = 0; i < n; i++) out.push(d === shape.length - 1 ? flat[pos++]! : build(d + 1));
    return out;
  };
  return build(0);
}

/** The message of the error `fn` throws; fails the test if it does not throw. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Assertion({ message: 'expected an error', operator: 'throws', generated: false, actual: undefined, expects: undefined });
}
