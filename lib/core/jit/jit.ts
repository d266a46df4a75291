/** jit: stage once per input signature and cache; replay eagerly as a rewritten program, or apply as a call primitive (call.ts) inside other transformations. */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../../tree/index.js';
import { type Aval, avalStr } from '../aval.js';
import { flattenArrays, markWeakInt, weakIntLeaves, weakScalar } from '../args.js';
import { weakDType } from '../promotion.js';
import { activeBackend } from '../lower/index.js';
import { type NdArray, avalOf, checkLive, disposedError, isArray, isTracer, transforming } from '../trace.js';
import { type Jaxpr, disposeJaxpr, printJaxpr } from './ir.js';
import { type Program, compile } from './program.js';
import { type RewriteOptions, optimize } from './rewrite.js';
import { axisEnvKey, bindCall, type StagedCall, stageCall } from './call.js';
import { traceToJaxpr } from './staging.js';
import { valueKey } from './value-key.js';

export interface JitOptions extends RewriteOptions {
  /**
   * Positions of arguments that are plain JS values baked into the trace (part of the cache
   * key): numbers, strings, ... by value; plain arrays/objects/Maps by contents; functions
   * and class instances by identity (as JAX hashes them). Tensors cannot be static.
   * A single position may be given as a number, as JAX's `static_argnums=1`.
   */
  readonly staticArgnums?: number | readonly number[];
  /**
   * jax.jit's `donate_argnums`: accepted and ignored (the arguments stay valid). tfjs cannot
   * reuse an input's buffer for an output, as JAX on CPU does not either.
   */
  readonly donateArgnums?: number | readonly number[];
  /** jax.jit's `keep_unused`: accepted; unused arguments never cost anything here. */
  readonly keepUnused?: boolean;
  /** jax.jit's `inline`: accepted; under other transformations the call is inlined where that is needed. */
  readonly inline?: boolean;
  /** jax.jit's `static_argnames`: JS has no keyword arguments, so a non-empty list is an error (use `staticArgnums`). */
  readonly staticArgnames?: string | readonly string[];
}

export type Jitted<F extends (...args: any[]) => any> = F & {
  /** Number of cached traces (one per distinct signature seen). */
  cacheSize(): number;
  /** The program run for the given arguments (tracing it if new): IR and kernel count. */
  lower(...args: Parameters<F>): Program;
  /** Frees the cached traces and their constants. */
  clearCache(): void;
};

interface Entry {
  /** The IR staged for this signature: what the call primitive applies inside other transformations. */
  readonly call: StagedCall;
  readonly outDef: tree.TreeDef;
  /** The rewritten, compiled IR that eager calls replay (made on the first one). */
  program?: Program;
}

/** Runs fn, freeing every tensor made meanwhile; a jaxpr's constants survive because they are kept. */
function discardingTemporaries<T>(fn: () => T): T {
  let out!: T;
  tf.tidy(() => {
    out = fn();
  });
  return out;
}

/**
 * The static positions for a call with n arguments: a negative one counts from the end, as in
 * JAX; one past the arguments is JAX's error ("jitted function has static_argnums=(3,) but was
 * called with only 1 positional argument").
 */
function staticPositions(argnums: number | readonly number[] | undefined, n: number, who: string): Set<number> {
  const list = typeof argnums === 'number' ? [argnums] : (argnums ?? []);
  if (!list.every(Number.isInteger)) throw new TypeError(`${who}: staticArgnums must be an integer or a list of integers, got ${JSON.stringify(argnums)}`);
  const bad = list.find((i) => i < -n || i >= n);
  if (bad !== undefined) throw new Error(`${who}: staticArgnums ${JSON.stringify(argnums)} includes ${bad}, but the function was called with only ${n} positional argument(s)`);
  return new Set(list.map((i) => (i < 0 ? i + n : i)));
}

/** Splits args into static values (by position) and the dynamic rest. */
function splitArgs(args: unknown[], statics: ReadonlySet<number>): { dynamic: unknown[]; key: string } {
  const dynamic = args.filter((_, i) => !statics.has(i));
  const key = args.map((a, i) => (statics.has(i) ? valueKey(a, `jit: static argument ${i}`) : '')).join('|');
  return { dynamic, key };
}

/** 'i' or 'i at .w': where a path into the dynamic arguments ('[k].w') lies among all arguments. */
function argumentAt(dynamicPath: string, args: unknown[], statics: ReadonlySet<number>): string {
  const [, k, rest] = /^\[(\d+)\](.*)$/.exec(dynamicPath)!;
  const position = args.map((_, i) => i).filter((i) => !statics.has(i))[Number(k)];
  return rest ? `${position} at ${rest}` : `${position}`;
}

/**
 * As JAX's "Error interpreting argument ... as an abstract array": a dynamic argument leaf that is
 * not an array, a number or a boolean (a string, a function) must be given in staticArgnums.
 */
function assertTraceable(dynamic: unknown[], args: unknown[], statics: ReadonlySet<number>): void {
  const ps = tree.paths(dynamic);
  tree.leaves(dynamic).forEach((l, i) => {
    if (isArray(l) || typeof l === 'number' || typeof l === 'boolean') return;
    throw new TypeError(`jit: argument ${argumentAt(ps[i], args, statics)} is ${typeof l === 'object' ? 'an object' : `a ${typeof l}`}, not an array, a number or a boolean; mark it static with staticArgnums`);
  });
}

/**
 * Stages f on abstract versions of the dynamic arguments and records the output structure;
 * null when f closes over a tracer of an enclosing transformation (then it runs inline).
 */
function traceEntry(f: (...args: any[]) => unknown, args: unknown[], statics: ReadonlySet<number>, inDef: tree.TreeDef, avals: Aval[], weakInts: readonly boolean[]): Entry | null {
  let outDef: tree.TreeDef | undefined;
  const call = stageCall(f.name || 'lambda', (...leaves) => {
    leaves.forEach((l, i) => weakInts[i] && markWeakInt(l));
    const dyn = tree.unflatten<unknown[]>(inDef, leaves);
    let k = 0;
    const full = args.map((a, i) => (statics.has(i) ? a : dyn[k++]));
    const out = f(...full);
    const [outLeaves, def] = tree.flatten(out);
    outDef = def;
    const ps = tree.paths(out);
    // A JS number or boolean returned is an array, as jax.jit returns a Python scalar as a (weakly typed) array.
    return outLeaves.map((l, i) => {
      if (typeof l === 'number' || typeof l === 'boolean') return weakScalar(l);
      if (!isArray(l)) throw new Error(`jit: the function must return arrays (a pytree of them, or JS numbers or booleans); at ${ps[i]} it returned ${typeof l}`);
      return l;
    });
  }, avals);
  return call && { call, outDef: outDef! };
}

/** The program eager calls replay: the staged IR with its captured values as constants, rewritten and compiled. */
function programOf(entry: Entry, opts: RewriteOptions): Program {
  if (!entry.program) {
    const { jaxpr, numCaptured } = entry.call;
    entry.program = discardingTemporaries(() => {
      const consts = entry.call.ownConstants();
      const constvars = jaxpr.invars.slice(0, numCaptured);
      const literals = entry.call.literalsOf(constvars);
      return compile(optimize({ ...jaxpr, invars: jaxpr.invars.slice(numCaptured), constvars, consts, ...(literals.size > 0 ? { literals } : {}) }, opts));
    });
  }
  return entry.program;
}

/**
 * Compiles f: the first call with a new signature (tree structure, shapes, dtypes,
 * static arguments, backend, axes bound by name) stages it to an IR, which is cached.
 * Eager calls replay it rewritten and compiled, freeing each intermediate as soon as it is
 * dead; inside another transformation (grad, vmap, an outer jit, ...) it is applied as one
 * `pjit` equation, whose rules derive and cache the IR's JVP, VJP and batched forms (see
 * call.ts), so f is traced once per signature there too. A function closing over an
 * enclosing transformation's values (rather than taking them as arguments) runs inline.
 * @example
 * const step = jit((w, x) => np.sum(np.relu(np.matmul(x, w))));
 * step(w, x); // traces
 * step(w, x); // replays
 * grad(step)(w, x); // no new trace: differentiates the cached IR
 */
export function jit<F extends (...args: any[]) => any>(f: F, opts: JitOptions = {}): Jitted<F> {
  if (opts.staticArgnames !== undefined && opts.staticArgnames.length > 0)
    throw new Error(`jit: staticArgnames has no meaning in JS (there are no keyword arguments); give the positions in staticArgnums instead`);
  const cache = new Map<string, Entry>();
  /** Signatures that run inline under transformations (see below), so that f is not traced twice. */
  const inline = new Set<string>();
  const entryFor = (args: unknown[]): [Entry | null, tf.Tensor[], tf.Tensor[]] => {
    const statics = staticPositions(opts.staticArgnums, args.length, 'jit');
    const { dynamic, key: staticKey } = splitArgs(args, statics);
    assertTraceable(dynamic, args, statics);
    // A JS number is weakly typed (an integral one a weak int), as a Python scalar passed to jax.jit: int32 here, so
    // that jit(f)(i32, 3) has f(i32, 3)'s dtype. In bool < int32 < float32 a strong int32 promotes as a weak int does.
    const [leaves, inDef] = flattenArrays(dynamic, 'jit: argument', weakDType);
    const made = leaves.filter((l, i) => l !== tree.leaves(dynamic)[i]) as tf.Tensor[];
    try {
      // Outside any transformation a tracer can only be one that escaped: say so before a kernel sees it.
      leaves.forEach((l, i) => {
        if (isTracer(l)) checkLive(l);
        else if (l.isDisposed) throw disposedError(l, `jit (argument ${argumentAt(tree.paths(dynamic)[i], args, statics)})`);
      });
      const avals = leaves.map(avalOf);
      // A JS integer is a weak int, which grad inside f takes as float32 (args.ts: floatWeakInts): keyed apart from an int32 array.
      const weakInts = weakIntLeaves(dynamic);
      const key = `${activeBackend()}#${tree.structureKey(inDef)}#${avals.map((a, i) => `${avalStr(a)}${weakInts[i] ? '~' : ''}`).join(',')}#${staticKey}#${axisEnvKey()}`;
      // Under a transformation f runs inline where the IR cannot stand for it: f closes over the
      // transformation's tracers instead of taking them as arguments (no IR then), or applies
      // customVjp functions (the IR drops their rules). The key is remembered, so f is traced once.
      const ins = leaves as tf.Tensor[];
      if (transforming() && inline.has(key)) return [null, ins, made];
      let entry = cache.get(key);
      if (!entry) {
        const traced = traceEntry(f, args, statics, inDef, avals, weakInts);
        if (!traced) {
          inline.add(key);
          return [null, ins, made];
        }
        cache.set(key, (entry = traced));
      }
      if (transforming() && entry.call.dropsCustomVjp) {
        inline.add(key);
        return [null, ins, made];
      }
      return [entry, ins, made];
    } catch (e) {
      // A call that fails (a disposed argument, an error while tracing) frees the arrays it made of numbers.
      if (!transforming()) made.forEach((t) => t.dispose());
      throw e;
    }
  };
  const jitted = ((...args: unknown[]) => {
    if (jitDisabled > 0 || jitDisabledByConfig) return f(...args);
    const [entry, leaves, made] = entryFor(args);
    // Under a transformation the outermost one owns memory, the numbers made into arrays included.
    if (!entry) return f(...args);
    if (transforming()) return tree.unflatten(entry.outDef, bindCall(entry.call, leaves));
    try {
      return tree.unflatten(entry.outDef, programOf(entry, opts).run(leaves));
    } finally {
      made.forEach((t) => t.dispose());
    }
  }) as Jitted<F>;
  jitted.cacheSize = () => cache.size;
  jitted.lower = (...args) => {
    const [entry, , made] = entryFor(args);
    made.forEach((t) => t.dispose());
    if (!entry) throw new Error('jit.lower: under this transformation the function runs inline (it closes over the transformation\'s values or applies customVjp), so it has no program of its own');
    return programOf(entry, opts);
  };
  jitted.clearCache = () => {
    cache.forEach((e) => {
      e.program?.dispose();
      e.call.dispose();
    });
    cache.clear();
    inline.clear();
  };
  return jitted;
}

/** How many `disableJit` calls are running: jitted functions then call f as it is. */
let jitDisabled = 0;
/** `config.update('jax_disable_jit', true)`: the same, until set back. */
let jitDisabledByConfig = false;

/** Sets the `jax_disable_jit` flag (config.ts). */
export function setJitDisabled(on: boolean): void {
  jitDisabledByConfig = on;
}

/**
 * jax.disable_jit (a context manager in JAX): runs fn with every jitted function calling its
 * function as it is (op by op, concrete values visible to `console.log`), for debugging.
 * @example disableJit(() => step(params, batch));
 */
export function disableJit<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`disableJit: expected a function to run, got ${typeof fn}`);
  jitDisabled++;
  try {
    return fn();
  } finally {
    jitDisabled--;
  }
}

/** A traced jaxpr, printable with `toString()`; `dispose()` frees its constants. */
export interface ClosedJaxpr extends Jaxpr {
  toString(): string;
  dispose(): void;
}

/**
 * The IR of f for the given arguments, as jit traces it (before rewrites).
 * @example console.log(String(makeJaxpr((x) => np.sin(np.mul(x, 2)))(np.ones([3]))));
 */
export function makeJaxpr(f: (...args: any[]) => unknown, opts: { staticArgnums?: number | readonly number[] } = {}) {
  return (...args: unknown[]): ClosedJaxpr => {
    const statics = staticPositions(opts.staticArgnums, args.length, 'makeJaxpr');
    const { dynamic } = splitArgs(args, statics);
    const [leaves, inDef] = flattenArrays(dynamic, 'makeJaxpr: argument', weakDType);
    const weakInts = weakIntLeaves(dynamic);
    const j = discardingTemporaries(() =>
      traceToJaxpr((...ls) => {
        ls.forEach((l, i) => weakInts[i] && markWeakInt(l));
        const dyn = tree.unflatten<unknown[]>(inDef, ls);
        let k = 0;
        return tree.leaves(f(...args.map((a, i) => (statics.has(i) ? a : dyn[k++])))) as NdArray[];
      }, leaves.map(avalOf)),
    );
    return { ...j, toString: () => printJaxpr(j), dispose: () => disposeJaxpr(j) };
  };
}
