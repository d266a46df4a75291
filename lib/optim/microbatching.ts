/**
 * optax's microbatching (`optax.microbatch`, `optax/microbatching/_microbatching.py`): evaluate a
 * function over a batch one microbatch at a time and combine the results (sum, mean, running
 * mean, concatenation), so the peak memory is a microbatch's. As optax, microbatch `a` of a batch
 * of `B` rows with `n = B / size` microbatches holds rows `a, a + n, a + 2n, ...` (a column-major
 * reshape of the batch axis); a concatenation puts every row back in its place.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';

/** optax's `Accumulator`: how one output (a subtree of the function's output) is combined over microbatches. */
export interface Accumulator {
  /** The initial carry from the first microbatch's output (its shape; the values are not used). */
  init(value: unknown): unknown;
  /** The carry after microbatch `index`'s output `value`. */
  update(carry: unknown, value: unknown, index: number): unknown;
  /** The result from the last carry. */
  finalize(carry: unknown): unknown;
}

/** optax's `AccumulationType`: the built-in accumulators, applied leafwise. */
export const AccumulationType = { SUM: 'sum', MEAN: 'mean', RUNNING_MEAN: 'runningMean', CONCAT: 'concat' } as const;
export type AccumulationTypeName = (typeof AccumulationType)[keyof typeof AccumulationType];

const TYPES: readonly string[] = Object.values(AccumulationType);

function floating(x: NdArray, what: string): NdArray {
  if (x.dtype !== 'float32') throw new Error(`microbatch: the ${what} accumulator needs floating-point outputs, got ${x.dtype}`);
  return x;
}

/** A leafwise accumulator of a built-in type, for `n` microbatches of `size` rows. */
function leafwise(type: AccumulationTypeName, n: number, size: number): Accumulator {
  const lift = (init: (x: NdArray) => NdArray, update: (c: NdArray, v: NdArray, i: number) => NdArray, finalize: (c: NdArray) => NdArray): Accumulator => ({
    init: (v) => tree.map(init, v),
    update: (c, v, i) => tree.map((cc: NdArray, vv: NdArray) => update(cc, vv, i), c, v),
    finalize: (c) => tree.map(finalize, c),
  });
  const add = (c: NdArray, v: NdArray) => np.add(c, v);
  switch (type) {
    case 'sum':
      return lift((x) => np.zerosLike(x), add, (c) => c);
    case 'mean':
      return lift((x) => np.zerosLike(floating(x, 'mean')), add, (c) => np.div(c, n));
    case 'runningMean':
      return lift((x) => np.zerosLike(floating(x, 'runningMean')), (c, v, i) => np.add(np.mul(c, i / (i + 1)), np.mul(v, 1 / (i + 1))), (c) => c);
    case 'concat':
      return lift(
        (x) => np.zeros([n, ...x.shape], x.dtype as 'float32' | 'int32'),
        (c, v, i) => np.where(np.reshape(np.equal(np.arange(n), i), [n, ...v.shape.map(() => 1)]), np.expandDims(v, 0), c),
        // [n, size, ...] -> rows a + n c, as optax's column-major reshape.
        (c) => np.reshape(np.swapaxes(c, 0, 1), [n * size, ...c.shape.slice(2)]),
      );
  }
}

const isAccumulator = (x: unknown): x is Accumulator =>
  typeof x === 'object' && x !== null && ['init', 'update', 'finalize'].every((k) => typeof (x as Record<string, unknown>)[k] === 'function');
const isSpecLeaf = (x: unknown) => isAccumulator(x) || (typeof x === 'string' && TYPES.includes(x));

/** The accumulator of a tree of accumulators (a prefix of the output), each given its subtree. */
function compose(spec: unknown, n: number, size: number): Accumulator {
  const accs = tree.map((a: unknown) => {
    if (isAccumulator(a)) return a;
    if (typeof a === 'string' && TYPES.includes(a)) return leafwise(a as AccumulationTypeName, n, size);
    throw new Error(`microbatch: unknown accumulator ${String(a)} (expected one of ${TYPES.join(', ')} or an Accumulator)`);
  }, spec, { isLeaf: isSpecLeaf });
  const opts = { isLeaf: isAccumulator };
  return {
    init: (v) => tree.map((a: Accumulator, x: unknown) => a.init(x), accs, v, opts),
    update: (c, v, i) => tree.map((a: Accumulator, cc: unknown, x: unknown) => a.update(cc, x, i), accs, c, v, opts),
    finalize: (c) => tree.map((a: Accumulator, cc: unknown) => a.finalize(cc), accs, c, opts),
  };
}

const normAxis = (x: NdArray, axis: number) => {
  const a = axis < 0 ? axis + x.shape.length : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.shape.length) throw new Error(`microbatch: batch axis ${axis} out of range for an array of shape [${x.shape.join(', ')}]`);
  return a;
};

/**
 * optax's `reshape_batch_axis`: each leaf's batch axis `axis` (length `B`) split into
 * `[B / microbatchSize, microbatchSize]` column-major (row `b` goes to `[b mod n, floor(b / n)]`).
 */
export function reshapeBatchAxis<T>(t: T, microbatchSize: number, axis = 0): T {
  return tree.map<T>((x: NdArray) => {
    const a = normAxis(x, axis);
    const n = x.shape[a] / microbatchSize;
    if (!Number.isInteger(n)) throw new Error(`reshapeBatchAxis: batch size ${x.shape[a]} must be divisible by microbatchSize ${microbatchSize}`);
    const pre = x.shape.slice(0, a);
    const post = x.shape.slice(a + 1);
    return np.swapaxes(np.reshape(x, [...pre, microbatchSize, n, ...post]), a, a + 1);
  }, t);
}

export interface MicrobatchOptions {
  /** The batch axis of each argument of `argnums` (one number for all; default 0). */
  readonly inAxes?: number | readonly number[];
  /** Run only the first microbatches (optax's `num_real_microbatches`, a JS number here). */
  readonly numRealMicrobatches?: number;
}

/**
 * optax.microbatch: `fun` evaluated on each microbatch of `microbatchSize` rows of the arguments
 * `argnums` (the others passed whole), the outputs combined by `accumulator`: `'sum'` (default),
 * `'mean'`, `'runningMean'`, `'concat'` (along axis 0), an {@link Accumulator}, or a tree of these
 * (a prefix of the output). `microbatchSize` null returns `fun` itself.
 * @example
 * const f = optim.microbatch((x) => [np.add(x, 1), np.sum(np.mul(3, x))], 0, 2, ['concat', 'sum']);
 * f(np.array([1, 2, 3, 4])) // [[2, 3, 4, 5], 30]
 */
export function microbatch<F extends (...args: never[]) => unknown>(
  fun: F,
  argnums: number | readonly number[],
  microbatchSize: number | null,
  accumulator: AccumulationTypeName | Accumulator | unknown = 'sum',
  { inAxes = 0, numRealMicrobatches }: MicrobatchOptions = {},
): F {
  if (typeof fun !== 'function') throw new Error(`microbatch: fun must be a function, got ${typeof fun}`);
  if (microbatchSize === null) return fun;
  if (!Number.isInteger(microbatchSize) || microbatchSize < 1) throw new Error(`microbatch: microbatchSize must be a positive integer or null, got ${microbatchSize}`);
  const nums = typeof argnums === 'number' ? [argnums] : [...argnums];
  const axes = typeof inAxes === 'number' ? nums.map(() => inAxes) : [...inAxes];
  if (axes.length !== nums.length) throw new Error(`microbatch: inAxes has ${axes.length} entries for ${nums.length} argnums`);
  const wrapped = (...args: unknown[]) => {
    nums.forEach((i) => {
      if (i < 0 || i >= args.length) throw new Error(`microbatch: argnum ${i} out of range for a call with ${args.length} argument(s)`);
    });
    const sizes = nums.flatMap((i, k) => tree.leaves<NdArray>(args[i]).map((x) => x.shape[normAxis(x, axes[k])]));
    if (new Set(sizes).size > 1) throw new Error(`microbatch: the batch arguments must have equal-size batch axes, got [${sizes.join(', ')}]`);
    const batch = sizes[0];
    if (batch === undefined || batch === 0) throw new Error('microbatch: the batch arguments have no rows');
    if (batch % microbatchSize !== 0) throw new Error(`microbatch: batch size ${batch} must be divisible by microbatchSize ${microbatchSize}`);
    const n = batch / microbatchSize;
    const reshaped = nums.map((i, k) => reshapeBatchAxis(args[i], microbatchSize, axes[k]));
    const call = (index: number) => {
      const input = [...args];
      nums.forEach((i, k) => {
        input[i] = tree.map((x: NdArray) => np.take(x, index, normAxis(x, axes[k])), reshaped[k]);
      });
      return (fun as unknown as (...a: unknown[]) => unknown)(...input);
    };
    const acc = compose(accumulator, n, microbatchSize);
    const bound = numRealMicrobatches ?? n;
    if (!Number.isInteger(bound) || bound < 1 || bound > n) throw new Error(`microbatch: numRealMicrobatches must be an integer in [1, ${n}], got ${bound}`);
    const first = call(0);
    let carry = acc.update(acc.init(first), first, 0);
    for (let i = 1; i < bound; i++) carry = acc.update(carry, call(i), i);
    return acc.finalize(carry);
  };
  return wrapped as unknown as F;
}
