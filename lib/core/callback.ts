/**
 * Host callbacks: jax.pure_callback and jax.debug.callback / jax.debug.print. A callback is
 * one higher-order equation (`pure_callback`, `debug_callback`) whose implementation calls the
 * JS function on concrete arrays, so it runs eagerly, and under jit each time the program runs
 * (on backends that can read arrays back synchronously: not webgpu).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { type Aval, avalStr, isFloat, shapeStr } from './aval.js';
import { flattenArrays } from './args.js';
import { isShapeDtype } from './eval-shape.js';
import { defineHigherOrder, type HigherOrderDef } from './higher-order.js';
import * as lax from './lax.js';
import { batchAt } from './prims/batching-util.js';
import type { BDim } from './prim-types.js';
import { scope } from './scope.js';
import { type NdArray, avalOf, bindHigherOrder } from './trace.js';

/** How a callback meets `vmap` (JAX's `vmap_method`); `undefined` makes vmap an error, as in JAX. */
export type VmapMethod = 'sequential' | 'expand_dims' | 'broadcast_all';
const VMAP_METHODS: readonly VmapMethod[] = ['sequential', 'expand_dims', 'broadcast_all'];

export interface CallbackParams {
  /** The user's function on flat concrete arguments, giving flat concrete results of `resultAvals` (printed as `<function name>`). */
  readonly callback: FlatCallback;
  readonly resultAvals: readonly Aval[];
  readonly vmapMethod?: VmapMethod;
}

type FlatCallback = (args: tf.Tensor[], resultAvals: readonly Aval[]) => tf.Tensor[];

/** The flat callback, printing in the IR as JAX prints a Python function. */
const named = (fn: FlatCallback, user: { readonly name: string }): FlatCallback => Object.assign(fn, { toString: () => `<function ${user.name || 'anonymous'}>` });
const whatOf = (prim: 'pure_callback' | 'debug_callback') => (prim === 'pure_callback' ? 'pureCallback' : 'debug.callback');

/** Calls the user's function on concrete arguments, keeping only its (cloned) results. */
const impl = (args: tf.Tensor[], p: CallbackParams): tf.Tensor[] => tf.tidy(() => p.callback(args, p.resultAvals).map((t) => tf.clone(t)));

/** One slice of the batch: example b of every batched argument. */
const exampleAt = (args: NdArray[], dims: BDim[], b: number): NdArray[] =>
  args.map((a, i) => {
    if (dims[i] === null) return a;
    const x = batchAt(a, dims[i]!);
    const s = x.shape as number[];
    return lax.reshape(lax.slice(x, s.map((_, k) => (k === 0 ? b : 0)), s.map((d, k) => (k === 0 ? b + 1 : d))), s.slice(1));
  });

/** vmap of a callback: as JAX's `vmap_method` says (a loop of calls, or one call on batched arrays). */
function batchCallback(prim: 'pure_callback' | 'debug_callback', args: NdArray[], dims: BDim[], p: CallbackParams, n: number): [NdArray[], BDim[]] {
  const method = p.vmapMethod;
  if (method === undefined)
    throw new Error(`${whatOf(prim)}: vmap of a callback needs vmapMethod ('sequential', 'expand_dims' or 'broadcast_all'), as JAX's vmap_method`);
  const batched = p.resultAvals.map((a): Aval => ({ shape: [n, ...a.shape], dtype: a.dtype }));
  if (method === 'sequential') {
    const per = Array.from({ length: n }, (_, b) => bindHigherOrder(prim, exampleAt(args, dims, b), p as unknown as Record<string, unknown>));
    const outs = p.resultAvals.map((_, k) => lax.concatenate(per.map((o) => lax.expandDims(o[k]!, 0)), 0));
    return [outs, outs.map(() => 0)];
  }
  // expand_dims: unbatched arguments get a leading axis of size 1; broadcast_all: of size n.
  const ins = args.map((a, i) => {
    if (dims[i] !== null) return batchAt(a, dims[i]!);
    const x = lax.expandDims(a, 0);
    return method === 'broadcast_all' ? lax.broadcastTo(x, [n, ...(a.shape as number[])]) : x;
  });
  const outs = bindHigherOrder(prim, ins, { ...p, resultAvals: batched } as unknown as Record<string, unknown>);
  return [outs, outs.map(() => 0)];
}

/** Rules shared by the two callbacks; `differentiate` says what grad and jvp do. */
function callbackDef(prim: 'pure_callback' | 'debug_callback', differentiable: boolean): HigherOrderDef<CallbackParams> {
  const noAD = () =>
    new Error(`${whatOf(prim)}: a pure callback cannot be differentiated (JAX: "Pure callbacks do not support JVP"); wrap it in customJvp or customVjp`);
  const bind = (args: NdArray[], p: CallbackParams) => bindHigherOrder(prim, args, p as unknown as Record<string, unknown>);
  return {
    abstractEval: (_avals, p) => [...p.resultAvals],
    impl,
    jvp(primals, tangents, p) {
      if (!differentiable && tangents.some((t) => t !== null)) throw noAD();
      return [bind(primals, p), p.resultAvals.map(() => null)];
    },
    vjpForward(primals, p, needed) {
      if (!differentiable && primals.some((x, i) => needed[i] && isFloat(avalOf(x).dtype))) throw noAD();
      return [bind(primals, p), []];
    },
    vjpBackward: (_cts, _res, primals) => primals.map(() => null),
    batch: (args, dims, p, n) => batchCallback(prim, args, dims, p, n),
  };
}

// debug_callback has no results and no derivative: under grad it sees the primal values (as JAX's).
defineHigherOrder('pure_callback', callbackDef('pure_callback', false));
defineHigherOrder('debug_callback', callbackDef('debug_callback', true));

/** A callback's result leaf as a tensor of the declared aval (JS numbers and nested lists are converted). */
function resultTensor(x: unknown, want: Aval, where: string, what: string): tf.Tensor {
  const numeric = (v: unknown): boolean => typeof v === 'number' || typeof v === 'boolean' || (Array.isArray(v) && v.every(numeric));
  if (!(x instanceof tf.Tensor) && !numeric(x))
    throw new Error(`${what}: the callback returned ${Array.isArray(x) ? 'a list holding non-numbers' : x === null ? 'null' : typeof x} at ${where}, where resultShapeDtypes declares one array ${avalStr(want)}`);
  const t = x instanceof tf.Tensor ? x : tf.tensor(x as number[], want.shape as number[], want.dtype);
  const got = { shape: t.shape, dtype: t.dtype as Aval['dtype'] };
  if (shapeStr(got.shape) !== shapeStr(want.shape) || got.dtype !== want.dtype)
    throw new Error(`${what}: the callback returned ${avalStr(got)} at ${where}, but resultShapeDtypes declares ${avalStr(want)}`);
  return t;
}

interface CallbackOptions {
  /** JAX's `vmap_method`: how vmap calls the callback (default: vmap is an error, as in JAX). */
  readonly vmapMethod?: VmapMethod;
}

const isCallbackOptions = (x: unknown): x is CallbackOptions => tree.isPlainObject(x) && Object.keys(x).length === 1 && 'vmapMethod' in x;

function checkVmapMethod(m: unknown, what: string): VmapMethod | undefined {
  if (m === undefined || VMAP_METHODS.includes(m as VmapMethod)) return m as VmapMethod | undefined;
  throw new Error(`${what}: vmapMethod must be one of ${VMAP_METHODS.map((v) => `'${v}'`).join(', ')}, got ${JSON.stringify(m)}`);
}

/**
 * jax.pure_callback: calls the JS function `callback` on the concrete values of `args` (arrays,
 * in the arguments' structure) and returns its result, declared by `resultShapeDtypes` (a pytree
 * of `shapeDtypeStruct`s or `{shape, dtype}`; the callback may return arrays, numbers or nested
 * lists). It runs eagerly, and under jit each time the program runs; under vmap as `vmapMethod`
 * says (a last argument `{ vmapMethod }`: 'sequential' calls it once per example, 'expand_dims'
 * once with a size-1 axis on unbatched arguments, 'broadcast_all' once with every argument
 * batched); it cannot be differentiated (JAX's error). The function should be pure: jit may drop
 * a call whose result is unused. Not on webgpu (no synchronous read-back).
 * @example const y = pureCallback((x) => np.array(Array.from(x.dataSync()).map(Math.cbrt)), shapeDtypeStruct([3]), x);
 */
export function pureCallback(callback: (...args: any[]) => unknown, resultShapeDtypes: unknown, ...args: unknown[]): any {
  const what = 'pureCallback';
  if (typeof callback !== 'function') throw new TypeError(`${what}: the callback must be a function, got ${typeof callback}`);
  const opts = isCallbackOptions(args[args.length - 1]) ? (args.pop() as CallbackOptions) : {};
  const vmapMethod = checkVmapMethod(opts.vmapMethod, what);
  const [descs, outDef] = tree.flatten(resultShapeDtypes, isShapeDtype);
  const paths = tree.paths(resultShapeDtypes, isShapeDtype).map((p) => (p === '.' || p === '' ? 'the root' : p));
  const resultAvals = descs.map((d, i): Aval => {
    if (!isShapeDtype(d)) throw new TypeError(`${what}: resultShapeDtypes must hold shapeDtypeStruct(shape, dtype) or {shape, dtype} leaves, got ${typeof d} at ${paths[i]!}`);
    return { shape: [...d.shape], dtype: d.dtype };
  });
  return scope(() => {
    const [leaves, inDef] = flattenArrays(args, `${what}: argument`);
    return tree.unflatten(outDef, bindHigherOrder('pure_callback', leaves, callbackParams(callback, inDef, outDef, paths, resultAvals, vmapMethod)));
  });
}

/** The params of a pure_callback equation: the user's function on flat arrays, checked against the declared avals. */
function callbackParams(callback: (...args: any[]) => unknown, inDef: tree.TreeDef, outDef: tree.TreeDef, paths: readonly string[], resultAvals: readonly Aval[], vmapMethod: VmapMethod | undefined): Record<string, unknown> {
  const what = 'pureCallback';
  const flat = (ts: tf.Tensor[], want: readonly Aval[]): tf.Tensor[] => {
    const out = callback(...tree.unflatten<unknown[]>(inDef, ts));
    // A leaf of the declared structure may be an array, a number or a nested list of numbers.
    const ls = tree.flattenUpTo(outDef, out, `${what}: the callback's result and resultShapeDtypes`);
    return ls.map((l, i) => resultTensor(l, want[i]!, paths[i]!, what));
  };
  const params: CallbackParams = { callback: named(flat, callback), resultAvals, vmapMethod };
  return params as unknown as Record<string, unknown>;
}

/**
 * Binds a host function with no results (debug.callback, debug.print): kept by jit, run each
 * time. Its equation gives one bool scalar that nothing reads (every equation has a result).
 */
function debugCallbackFlat(fn: (...args: any[]) => void, args: unknown[], what: string): void {
  const callback = (ts: tf.Tensor[], want: readonly Aval[]): tf.Tensor[] => {
    fn(...tree.unflatten<unknown[]>(inDef, ts));
    return [tf.fill(want[0]!.shape as number[], true as unknown as number, 'bool')];
  };
  const params: CallbackParams = { callback: named(callback, fn), resultAvals: [{ shape: [], dtype: 'bool' }], vmapMethod: 'sequential' };
  let inDef!: tree.TreeDef;
  // In a scope: the token and the arrays made of JS numbers are freed.
  scope(() => {
    const [leaves, def] = flattenArrays(args, `${what}: argument`);
    inDef = def;
    bindHigherOrder('debug_callback', leaves, params as unknown as Record<string, unknown>);
  });
}

/** JAX's `str.format` fields: `{}` (next argument), `{0}` (by position), `{name}` (a named argument). */
function formatText(fmt: string, positional: readonly unknown[], named: Readonly<Record<string, unknown>>, show: (x: unknown) => string): string {
  let next = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, field: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const key = field ?? '';
    if (key === '') {
      if (next >= positional.length) throw new Error(`debug.print: the format "${fmt}" has more {} fields than arguments (${positional.length})`);
      return show(positional[next++]);
    }
    if (/^\d+$/.test(key)) {
      const i = Number(key);
      if (i >= positional.length) throw new Error(`debug.print: the format "${fmt}" names argument {${i}}, but only ${positional.length} were given`);
      return show(positional[i]);
    }
    if (!(key in named)) throw new Error(`debug.print: the format "${fmt}" names {${key}}, which is not in the named arguments`);
    return show(named[key]);
  });
}

/** A float32 in numpy's shortest form: `1.`, `0.5`, `-2.25`, `nan`, `inf`. */
function floatText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  let digits = 1;
  while (digits < 9 && Math.fround(Number(v.toPrecision(digits))) !== v) digits++;
  const short = Number(v.toPrecision(digits));
  return Number.isInteger(short) ? `${short}.` : String(short);
}

/**
 * An array as numpy's str prints one (`[ 1.  8. 27.]`, `2.5`, `[ True False]`): elements padded
 * to a common width, floats aligned on the decimal point; other values as JSON.
 */
function showValue(x: unknown): string {
  if (!(x instanceof tf.Tensor)) return typeof x === 'object' && x !== null ? JSON.stringify(x, (_k, v: unknown) => (v instanceof tf.Tensor ? showValue(v) : v)) : String(x);
  const vals = Array.from(x.dataSync() as ArrayLike<number>);
  const raw = vals.map((v) => (x.dtype === 'bool' ? (v ? 'True' : 'False') : x.dtype === 'float32' ? floatText(v) : String(v)));
  if (x.shape.length === 0) return raw[0]!;
  const [ints, fracs] = [raw.map((r) => r.split('.')[0]!), raw.map((r) => (r.includes('.') ? r.slice(r.indexOf('.')) : ''))];
  const [wi, wf] = [Math.max(...ints.map((t) => t.length)), Math.max(...fracs.map((t) => t.length))];
  const cells = raw.map((_, i) => ints[i]!.padStart(wi) + fracs[i]!.padEnd(wf));
  const nest = (off: number, dims: readonly number[], depth: number): string => {
    if (dims.length === 0) return cells[off]!;
    const step = dims.slice(1).reduce((p, q) => p * q, 1);
    const sep = dims.length > 1 ? `${'\n'.repeat(dims.length - 1)}${' '.repeat(depth + 1)}` : ' ';
    return `[${Array.from({ length: dims[0]! }, (_, i) => nest(off + i * step, dims.slice(1), depth + 1)).join(sep)}]`;
  };
  return nest(0, x.shape, 0);
}

/**
 * jax.debug.callback: calls `fn(...args)` on concrete values, eagerly, and under jit each time the
 * program runs (never dropped); under vmap once per example, under grad on the primal values.
 */
function debugCallback(fn: (...args: any[]) => void, ...args: unknown[]): void {
  if (typeof fn !== 'function') throw new TypeError(`debug.callback: the callback must be a function, got ${typeof fn}`);
  debugCallbackFlat(fn, args, 'debug.callback');
}

/**
 * jax.debug.print: prints `fmt` (Python's format fields: `{}`, `{0}`, `{name}` from a last plain
 * object of named arguments) with the arrays' concrete values, eagerly and under jit when the
 * program runs (console.log; numpy's formatting: `[1. 2.]`).
 * @example jit((x) => { debug.print('x = {}', x); return np.sin(x); })(np.array([1, 2]));
 */
function debugPrint(fmt: string, ...args: unknown[]): void {
  if (typeof fmt !== 'string') throw new TypeError(`debug.print: the format must be a string, got ${typeof fmt}`);
  const last = args[args.length - 1];
  const named = tree.isPlainObject(last) && args.length > 0 ? (args.pop() as Record<string, unknown>) : {};
  const names = Object.keys(named).sort();
  debugCallbackFlat(
    (pos: unknown[], nv: unknown[]) => console.log(formatText(fmt, pos, Object.fromEntries(names.map((k, i) => [k, nv[i]])), showValue)),
    [args, names.map((k) => named[k])],
    'debug.print',
  );
}

/** jax.debug's callbacks (`breakpoint` is not provided). */
export const debug = { print: debugPrint, callback: debugCallback } as const;
