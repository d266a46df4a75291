/**
 * Structured control flow over pytrees, as jax.lax has it: scan, foriLoop, whileLoop,
 * cond, switch; and remat (jax.checkpoint). Each traces its function(s) once to a
 * sub-jaxpr and applies one higher-order primitive, so a loop of any length is one
 * equation under jit and makeJaxpr, and grad/jvp/vmap apply the primitive's rules.
 */
import * as tree from '../../tree/index.js';
import { type Aval, type DType, avalStr } from '../aval.js';
import { describe, flattenArrays, normArgnums } from '../args.js';
import * as lax from '../lax.js';
import { joinDTypes, weakDType } from '../promotion.js';
import { scope } from '../scope.js';
import { constantValue } from '../lower/index.js';
import { type NdArray, avalOf, concreteOf, isArray } from '../trace.js';
import { condFlat } from './cond.js';
import { rematFlat } from './remat.js';
import { scanFlat } from './scan.js';
import { whileFlat } from './while.js';

type Tree = unknown;

/**
 * A loop's init for a carry of type C: an array leaf may be given as a JS number or boolean
 * (JAX's weakly typed Python scalar: `lax.foriLoop(0, 5, (i, c) => np.add(c, i), 0)`).
 */
export type LoopInit<C> = C extends NdArray ? C | number | boolean : C extends readonly unknown[] ? { readonly [K in keyof C]: LoopInit<C[K]> } : C extends object ? { readonly [K in keyof C]: LoopInit<C[K]> } : C;

/** A TypeError unless `f` is a function (JAX's "lax.fori_loop: body_fun argument should be callable"). */
export function assertCallable(f: unknown, what: string): void {
  if (typeof f !== 'function') throw new TypeError(`${what} must be a function, got ${describe(f)}`);
}

/** Names a leaf of `t` by its path for errors ("carry at .h"). */
const leafName = (t: unknown, what: string) => {
  const ps = tree.paths(t);
  return (i: number) => (ps[i] === '.' ? what : `${what} at ${ps[i]}`);
};

/**
 * Flattens a function's result, checking its structure against `want` (when given). A JS number
 * leaf is float32 (a carry's, taking the usual float init), or with `numberDType` that dtype.
 */
function flatResult(r: unknown, what: string, want?: tree.TreeDef, numberDType?: (v: number) => DType): [NdArray[], tree.TreeDef] {
  const [ls, def] = flattenArrays(r, what, numberDType);
  if (want) tree.assertSameStructure(def, want, what);
  return [ls, def];
}

/**
 * A loop's init as flat leaves, a JS number weakly typed as JAX's Python scalar (int32 when
 * integral, else float32), and which leaves are weak: the loop promotes those to the body's
 * output dtype (foriLoop(0, 5, (i, c) => c + i, 0) is int32 10, with c + 0.5 float32).
 */
function carryLeaves(init: unknown, what: string): [NdArray[], tree.TreeDef, boolean[]] {
  const [leaves, def] = flattenArrays(init, what, weakDType);
  return [leaves, def, tree.leaves(init).map((l) => typeof l === 'number')];
}

export interface ScanOptions {
  /** Number of iterations; required when xs is null/undefined, else it must equal xs's leading size. */
  readonly length?: number;
  /** Iterate from the last x to the first (each y still lands at its x's index). */
  readonly reverse?: boolean;
  /** jax.lax.scan's `unroll` (a positive integer, or a boolean): accepted for compatibility; the loop runs the same (it is a performance hint in JAX). */
  readonly unroll?: number | boolean;
}

/**
 * Loops `f(carry, x) -> [carry, y]` over the leading axis of `xs` (any pytree), returning
 * the final carry and the ys stacked along a new leading axis. The carry keeps its
 * structure, shapes and dtypes across iterations.
 * @example
 * // A running sum: [carry, ys] = [10, [1, 3, 6, 10]]
 * const [total, partial] = lax.scan((c, x) => { const s = np.add(c, x); return [s, s]; }, np.array(0), np.array([1, 2, 3, 4]));
 */
export function scan<C = any, Y = any>(f: (carry: C, x: any) => [C, Y], init: LoopInit<C>, xs?: Tree, opts: ScanOptions = {}): [C, Y] {
  assertCallable(f, 'lax.scan: f');
  checkUnroll(opts.unroll, 'lax.scan');
  return scope(() => {
    const [initLeaves, initDef, weak] = carryLeaves(init, 'lax.scan: init');
    const [xsLeaves, xsDef] = flattenArrays(xs ?? null, 'lax.scan: xs');
    const sizes = xsLeaves.map((x) => avalOf(x).shape[0]);
    const xsName = leafName(xs, 'xs');
    sizes.forEach((s, i) => {
      if (s === undefined) throw new Error(`lax.scan: ${xsName(i)} is a scalar (${avalStr(avalOf(xsLeaves[i]!))}); each xs leaf needs a leading axis to scan over`);
      if (s !== sizes[0]) throw new Error(`lax.scan: ${xsName(i)} has leading size ${s}, but ${xsName(0)} has ${sizes[0]}`);
    });
    const length = opts.length ?? sizes[0];
    if (length === undefined) throw new Error('lax.scan: give opts.length when there are no xs');
    if (!Number.isInteger(length) || length < 0) throw new Error(`lax.scan: length must be a non-negative integer, got ${length}`);
    if (sizes.length && sizes[0] !== length) throw new Error(`lax.scan: opts.length is ${length}, but the xs have leading size ${sizes[0]}`);
    const nK = initLeaves.length;
    let yDef: tree.TreeDef | undefined;
    const outs = scanFlat(
      (...a) => {
        const r = f(tree.unflatten<C>(initDef, a.slice(0, nK)), xs === undefined || xs === null ? xs : tree.unflatten(xsDef, a.slice(nK)));
        if (!Array.isArray(r) || r.length !== 2) throw new Error('lax.scan: the body must return [carry, y]');
        const [carry] = flatResult(r[0], 'lax.scan: the carry output and init', initDef);
        // A JS number y is weakly typed, as JAX stacks a Python scalar: 1 gives int32 ys, 0.5 float32.
        const [ys, def] = flatResult(r[1], 'lax.scan: y', undefined, weakDType);
        yDef = def;
        return [...carry, ...ys];
      },
      [],
      initLeaves,
      xsLeaves,
      length,
      opts.reverse ?? false,
      leafName(init, 'the carry'),
      weak,
    );
    // No leaves: init holds no array nor number, so it is a C as it is.
    if (outs.length === 0) return [init as C, tree.unflatten<Y>(yDef!, [])];
    return [tree.unflatten<C>(initDef, outs.slice(0, nK)), tree.unflatten<Y>(yDef!, outs.slice(nK))];
  });
}

/** A loop bound's value where it is known now (a JS number, or an int32 scalar array with a concrete value: JAX's `int(lower)`), else null. */
function concreteBound(b: number | NdArray): number | null {
  if (typeof b === 'number') return b;
  if (!isArray(b) || avalOf(b).dtype !== 'int32' || avalOf(b).shape.length !== 0) return null;
  const c = concreteOf(b);
  return (c && constantValue(c)) ?? null;
}

/** `unroll` (jax.lax.scan's): a positive integer or a boolean; it changes no result. */
function checkUnroll(unroll: number | boolean | undefined, what: string): void {
  if (unroll !== undefined && typeof unroll !== 'boolean' && !(Number.isInteger(unroll) && unroll >= 1))
    throw new Error(`${what}: unroll must be a boolean or a positive integer, got ${String(unroll)}`);
}

/**
 * Repeats `carry = body(i, carry)` for i from lower to upper - 1 (i an int32 scalar).
 * With bounds known now (JS numbers, or concrete int32 scalars: outside jit and vmap) it is a
 * scan, so reverse mode works; with traced bounds, a whileLoop (as JAX's fori_loop).
 * @example const fact5 = lax.foriLoop(1, 6, (i, acc) => np.mul(acc, np.cast(i, 'float32')), np.array(1));
 */
export function foriLoop<C = any>(lower: number | NdArray, upper: number | NdArray, body: (i: NdArray, carry: C) => C, init: LoopInit<C>, opts: { readonly unroll?: number | boolean } = {}): C {
  assertCallable(body, 'lax.foriLoop: body');
  checkUnroll(opts.unroll, 'lax.foriLoop');
  return scope(() => {
    const [initLeaves, initDef, weak] = carryLeaves(init, 'lax.foriLoop: init');
    const step = (i: NdArray, k: NdArray[]) => flatResult(body(i, tree.unflatten<C>(initDef, k)), 'lax.foriLoop: the body output and init', initDef)[0];
    const one = () => lax.scalar(1, 'int32');
    const name = leafName(init, 'the carry');
    const [lo, hi] = [concreteBound(lower), concreteBound(upper)];
    if (lo !== null && hi !== null) {
      if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new Error(`lax.foriLoop: the bounds must be integers, got ${lo} and ${hi}`);
      const outs = scanFlat((i, ...k) => [lax.add(i!, one()), ...step(i!, k)], [], [lax.scalar(lo, 'int32'), ...initLeaves], [], Math.max(0, hi - lo), false, (j) => (j === 0 ? 'the loop index' : name(j - 1)), [false, ...weak]);
      return tree.unflatten<C>(initDef, outs.slice(1));
    }
    const bound = (b: number | NdArray, what: string) => {
      const v = typeof b === 'number' ? lax.scalar(b, 'int32') : b;
      const a = avalOf(v);
      if (a.dtype !== 'int32' || a.shape.length !== 0) throw new Error(`lax.foriLoop: ${what} must be an int32 scalar or a JS integer, got ${avalStr(a)}`);
      return v;
    };
    const upperBound = bound(upper, 'upper');
    const outs = whileFlat((i) => [lax.lt(i!, upperBound)], (i, ...k) => [lax.add(i!, one()), ...step(i!, k)], [], [], [bound(lower, 'lower'), ...initLeaves], (j) => (j === 0 ? 'the loop index' : name(j - 1)), [false, ...weak]);
    return tree.unflatten<C>(initDef, outs.slice(1));
  });
}

/**
 * `while (condFn(carry)) carry = bodyFn(carry)`: condFn returns a bool scalar array. Forward
 * mode and vmap work through it; reverse mode does not (use scan or foriLoop), as in JAX.
 * @example const [n] = lax.whileLoop(([x]) => np.less(x, 100), ([x]) => [np.mul(x, 2)], [np.array(1)]); // 128
 */
export function whileLoop<C = any>(condFn: (carry: C) => NdArray | boolean, bodyFn: (carry: C) => C, init: LoopInit<C>): C {
  assertCallable(condFn, 'lax.whileLoop: condFn');
  assertCallable(bodyFn, 'lax.whileLoop: bodyFn');
  return scope(() => {
    const [initLeaves, initDef, weak] = carryLeaves(init, 'lax.whileLoop: init');
    const outs = whileFlat(
      (...k) => {
        // A JS boolean is a bool scalar, as JAX takes cond_fun's Python bool.
        const r = condFn(tree.unflatten<C>(initDef, k));
        const p = typeof r === 'boolean' ? lax.scalar(r ? 1 : 0, 'bool') : r;
        if (!isArray(p)) throw new Error(`lax.whileLoop: condFn must return a bool scalar array, got ${typeof p}`);
        return [p];
      },
      (...k) => flatResult(bodyFn(tree.unflatten<C>(initDef, k)), 'lax.whileLoop: the body output and init', initDef)[0],
      [],
      [],
      initLeaves,
      leafName(init, 'the carry'),
      weak,
    );
    return initLeaves.length ? tree.unflatten<C>(initDef, outs) : (init as C);
  });
}

/**
 * Applies one of `branches` to the operands; all must return the same structure, shapes and
 * dtypes. A JS number output is weakly typed, as JAX traces a Python scalar (`() => 1` int32,
 * `() => 2.5` float32), and takes the join of the branches' dtypes at its position (JS cannot
 * write Python's `1.`, so `() => 1` against `() => 2.5` is float32).
 */
function branchOn(index: NdArray, branches: readonly ((...ops: any[]) => unknown)[], operands: unknown[], what: string, names: (k: number) => string): any {
  const [opLeaves, opDef] = flattenArrays(operands, `${what}: operand`);
  const defs: tree.TreeDef[] = [];
  const weak: boolean[][] = [];
  const joined: (DType | undefined)[] = [];
  let first: unknown;
  const outs = condFlat(
    index,
    branches.map((b, k) => (...ls: NdArray[]) => {
      const r = b(...tree.unflatten<unknown[]>(opDef, ls));
      if (k === 0) first = r;
      const numbers = tree.leaves(r).map((l) => typeof l === 'number');
      const at = numbers.flatMap((n, i) => (n ? [i] : []));
      let j = 0;
      const [flat, def] = flatResult(r, `${what}: ${names(k)}'s output`, undefined, (v) => joined[at[j++]!] ?? weakDType(v));
      if (defs.length) tree.assertSameStructure(def, defs[0]!, `${what}: ${names(k)}'s output and ${names(0)}'s`);
      defs[k] = def;
      weak[k] = numbers;
      return flat;
    }),
    opLeaves,
    what,
    names,
    (avals) => joinWeakOutputs(avals, weak, joined),
    (i) => leafName(first, 'the output')(i),
  );
  return tree.unflatten(defs[0]!, outs);
}

/**
 * Sets `joined[i]` to the join of the branches' dtypes at output i where a branch gave a JS
 * number there and the dtypes differ; true when one was set (the branches are traced again).
 */
function joinWeakOutputs(avals: readonly Aval[][], weak: readonly boolean[][], joined: (DType | undefined)[]): boolean {
  let changed = false;
  avals[0]!.forEach((_, i) => {
    if (!weak.some((w) => w[i]) || avals.some((a) => a.length !== avals[0]!.length)) return;
    const dts = avals.map((a) => a[i]!.dtype);
    const to = dts.reduce(joinDTypes);
    if (dts.some((d, k) => d !== to && weak[k]![i])) [joined[i], changed] = [to, true];
  });
  return changed;
}

/** A scalar array from a JS scalar (an integral number int32, as JAX's weak int), or the array itself, checked to be a scalar. */
function scalarOperand(x: NdArray | number | boolean, what: string): NdArray {
  if (typeof x !== 'number' && typeof x !== 'boolean' && !isArray(x))
    throw new TypeError(`${what}: the predicate/index must be a boolean or number scalar, got ${describe(x)}`);
  const v = typeof x === 'boolean' ? lax.scalar(x ? 1 : 0, 'bool') : typeof x === 'number' ? lax.scalar(x, Number.isInteger(x) ? 'int32' : 'float32') : x;
  const a = avalOf(v);
  if (a.shape.length !== 0) throw new Error(`${what}: the predicate/index must be a scalar, got ${avalStr(a)}`);
  return v;
}

/** cond's branch index from a predicate of any dtype: `pred != 0` (NaN and negative numbers true), as JAX's lax.cond. */
function predicateIndex(pred: NdArray | number | boolean): NdArray {
  const v = scalarOperand(pred, 'lax.cond');
  return lax.cast(avalOf(v).dtype === 'bool' ? v : lax.cast(v, 'bool'), 'int32');
}

/** switch's branch index: an integer (JAX's "Index type must be an integer" TypeError for a float or bool one). */
function switchIndex(index: NdArray | number): NdArray {
  if (typeof index !== 'number' && !isArray(index)) throw new TypeError(`lax.switch: the index must be an integer, got ${String(index)}`);
  const v = scalarOperand(index, 'lax.switch');
  if (avalOf(v).dtype !== 'int32') throw new TypeError(`lax.switch: the index must be an integer, got ${typeof index === 'number' ? index : avalStr(avalOf(v))}`);
  return v;
}

/**
 * `pred ? trueFn(...operands) : falseFn(...operands)` as one primitive: both branches are
 * traced (and must return the same structure, shapes and dtypes); only one runs. Under vmap
 * with a batched pred both run and a select picks, as in JAX.
 * @example const y = lax.cond(np.greater(x, 0), (v) => np.log(v), (v) => np.neg(v), x);
 */
export function cond(pred: NdArray | boolean | number, trueFn: (...ops: any[]) => unknown, falseFn: (...ops: any[]) => unknown, ...operands: unknown[]): any {
  assertCallable(trueFn, 'lax.cond: trueFn');
  assertCallable(falseFn, 'lax.cond: falseFn');
  return scope(() => branchOn(predicateIndex(pred), [falseFn, trueFn], operands, 'lax.cond', (k) => (k === 1 ? 'the true branch' : 'the false branch')));
}

/**
 * `branches[index](...operands)`, the index clamped into range (as JAX's lax.switch).
 * @example const y = lax.switch(i, [(v) => v, (v) => np.mul(v, 2), (v) => np.square(v)], x);
 */
export function switchCase(index: NdArray | number, branches: readonly ((...ops: any[]) => unknown)[], ...operands: unknown[]): any {
  if (branches.length === 0) throw new Error('lax.switch: give at least one branch');
  branches.forEach((b, k) => assertCallable(b, `lax.switch: branch ${k}`));
  return scope(() => branchOn(switchIndex(index), branches, operands, 'lax.switch', (k) => `branch ${k}`));
}

export interface RematOptions {
  /** Positions of arguments passed to f as they are (JS values: numbers, strings, functions), as jax.checkpoint's static_argnums; negative ones count from the end. */
  readonly staticArgnums?: number | readonly number[];
  /**
   * jax.checkpoint's `policy` (which intermediates to save, e.g. `checkpointPolicies.dotsSaveable`):
   * accepted and ignored. Every intermediate of f is recomputed, as under JAX's default policy (nothing saveable).
   */
  readonly policy?: unknown;
  /** jax.checkpoint's `prevent_cse`: accepted; the recomputation is always kept apart from the forward pass. */
  readonly preventCse?: boolean;
}

/**
 * A `remat` policy: jax.checkpoint_policies' names (tfjax accepts them and recomputes every
 * intermediate, JAX's default, so a policy changes memory use in JAX only, never the numbers).
 */
export interface RematPolicy {
  readonly policy: string;
  /** The names of `saveOnlyTheseNames` / `saveAnyNames...` policies. */
  readonly names?: readonly string[];
}

const namedPolicy = (policy: string) => (...names: string[]): RematPolicy => ({ policy, names });

/** jax.checkpoint_policies under camelCase names, to pass as `remat`'s `policy` (accepted, not acted on: see {@link RematPolicy}). */
export const checkpointPolicies = {
  everythingSaveable: { policy: 'everything_saveable' },
  nothingSaveable: { policy: 'nothing_saveable' },
  dotsSaveable: { policy: 'dots_saveable' },
  checkpointDots: { policy: 'checkpoint_dots' },
  dotsWithNoBatchDimsSaveable: { policy: 'dots_with_no_batch_dims_saveable' },
  checkpointDotsWithNoBatchDims: { policy: 'checkpoint_dots_with_no_batch_dims' },
  saveOnlyTheseNames: namedPolicy('save_only_these_names'),
  saveAnyNamesButThese: namedPolicy('save_any_names_but_these'),
  saveAndOffloadOnlyTheseNames: namedPolicy('save_and_offload_only_these_names'),
} as const satisfies Record<string, RematPolicy | ((...names: string[]) => RematPolicy)>;

/**
 * jax.ad_checkpoint.checkpoint_name: x (any pytree) unchanged, named for a `remat` policy such as
 * `checkpointPolicies.saveOnlyTheseNames(name)`; tfjax's remat recomputes every intermediate, so the name only documents.
 * @example const y = checkpointName(np.sin(x), 'a');
 */
export function checkpointName<T>(x: T, name: string): T {
  if (typeof name !== 'string') throw new TypeError(`checkpointName: the name must be a string, got ${typeof name}`);
  return x;
}

/**
 * jax.checkpoint: f, whose intermediates are recomputed in the backward pass instead of
 * being kept from the forward pass (less memory, one more forward computation of f).
 * Arguments at `staticArgnums` reach f as they are (not traced), as jax.checkpoint's static_argnums.
 * @example const block = remat((w, x) => np.tanh(np.matmul(np.tanh(np.matmul(x, w)), w)));
 * @example const layer = remat((x, act: string) => (act === 'relu' ? np.relu(x) : np.tanh(x)), { staticArgnums: [1] });
 */
export function remat<F extends (...args: any[]) => any>(f: F, opts: RematOptions = {}): F {
  return ((...args: unknown[]) =>
    scope(() => {
      const statics = opts.staticArgnums === undefined ? [] : normArgnums(opts.staticArgnums, args.length, 'remat: static', true);
      const dynamic = args.filter((_, i) => !statics.includes(i));
      const [leaves, inDef] = flattenArrays(dynamic, 'remat: argument');
      let outDef: tree.TreeDef | undefined;
      const outs = rematFlat((...ls) => {
        const dyn = tree.unflatten<unknown[]>(inDef, ls);
        let k = 0;
        const full = args.map((a, i) => (statics.includes(i) ? a : dyn[k++]));
        const [r, def] = flatResult(f(...full), 'remat: output');
        outDef = def;
        return r;
      }, leaves);
      return tree.unflatten(outDef!, outs);
    })) as F;
}
