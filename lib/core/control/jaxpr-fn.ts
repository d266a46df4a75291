/**
 * Sub-jaxprs as functions: what the higher-order primitives' rules need to re-bind a body
 * under another interpreter, to run it on tensors, and to tell which of its results a
 * batched input reaches.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr } from '../aval.js';
import { isHigherOrder } from '../higher-order.js';
import { type Eqn, type FusedPrim, type Jaxpr, type Var, isJaxpr, outsOf } from '../jit/ir.js';
import { type Program, compile } from '../jit/program.js';
import { optimize } from '../jit/rewrite.js';
import { hoistInvariant } from './loop-invariant.js';
import * as lax from '../lax.js';
import { activeBackend } from '../lower/index.js';
import { primitive } from '../primitive.js';
import { joinDTypes } from '../promotion.js';
import { type NdArray, avalOf, bind, bindHigherOrder, isTracer } from '../trace.js';

/** A function over flat lists of arrays. */
export type Flat = (...xs: NdArray[]) => NdArray[];

/** Applies a jaxpr's equations to values through the interpreter stack (binding each primitive). */
export function evalJaxpr(j: Jaxpr, args: readonly NdArray[]): NdArray[] {
  const env = new Map<Var, NdArray>();
  j.invars.forEach((v, i) => env.set(v, args[i]!));
  j.constvars.forEach((v, i) => env.set(v, j.consts[i]!));
  for (const e of j.eqns) {
    const ins = e.inputs.map((v) => env.get(v)!);
    if (isHigherOrder(e.prim)) {
      const outs = bindHigherOrder(e.prim, ins, e.params);
      outsOf(e).forEach((v, k) => env.set(v, outs[k]!));
    } else if (e.prim === 'fused_matmul' || e.prim === 'fused_conv' || e.prim === 'fused_elementwise') {
      throw new Error(`internal: evalJaxpr met the rewritten equation ${e.prim}`);
    } else env.set(e.out, bind(e.prim, ins, e.params));
  }
  return j.outvars.map((v) => env.get(v)!);
}

/** The jaxpr as a function (binding its equations). */
export const fnOf =
  (j: Jaxpr): Flat =>
  (...xs) =>
    evalJaxpr(j, xs);

const programs = new WeakMap<Jaxpr, Map<string, Program>>();

/**
 * Runs a jaxpr on tensors, rewritten as jit rewrites (fusion included) and compiled once per
 * jaxpr and backend (the kernels are the backend's): intermediates are freed at their last use.
 */
export function runJaxpr(j: Jaxpr, args: readonly tf.Tensor[]): tf.Tensor[] {
  const compiled = programs.get(j) ?? new Map<string, Program>();
  programs.set(j, compiled);
  let p = compiled.get(activeBackend());
  if (!p) compiled.set(activeBackend(), (p = compile(optimize(j))));
  return p.run(args);
}

/**
 * A loop body to run each iteration, with its constants: `body`'s work on its first
 * `consts.length` inputs alone runs here once (loop-invariant.ts) and joins the constants as
 * `made`, which the caller frees after the loop.
 */
export function withInvariantHoisted(body: Jaxpr, consts: readonly tf.Tensor[]): { body: Jaxpr; consts: tf.Tensor[]; made: tf.Tensor[] } {
  const split = hoistInvariant(body, consts.length);
  if (!split.pre) return { body, consts: [...consts], made: [] };
  const made = runJaxpr(split.pre, consts);
  return { body: split.body, consts: [...consts, ...made], made };
}

/**
 * Per output of a traced body whose invars are (`skip` leading ones, then inputs...), the input
 * it returns unchanged (JAX's `pe._jaxpr_forwarding`), or null.
 */
export function forwardedInputs(j: Jaxpr, skip: number): (number | null)[] {
  return j.outvars.map((v) => {
    const at = j.invars.indexOf(v);
    return at >= skip ? at - skip : null;
  });
}

/**
 * An input a control-flow primitive forwards instead of computing it (as JAX returns the
 * operand itself): a traced value as it is, a concrete one copied, since eager results are
 * fresh arrays the caller may dispose.
 */
export const forwarded = (x: NdArray): NdArray => (isTracer(x) ? x : tf.clone(x));

const axisNames = new WeakMap<Jaxpr, readonly string[]>();
const isFused = (p: string): p is FusedPrim => p === 'fused_matmul' || p === 'fused_conv' || p === 'fused_elementwise';

/** The axis names of the collectives in a jaxpr, nested bodies included. */
export function axisNamesOf(j: Jaxpr): readonly string[] {
  let names = axisNames.get(j);
  if (!names) {
    const found = new Set<string>();
    for (const e of j.eqns) {
      if (!isHigherOrder(e.prim) && !isFused(e.prim)) primitive(e.prim).axisNames?.(e.params).forEach((n) => found.add(n));
      for (const v of Object.values(e.params)) for (const sub of [v].flat()) if (isJaxpr(sub)) axisNamesOf(sub).forEach((n) => found.add(n));
    }
    axisNames.set(j, (names = [...found]));
  }
  return names;
}

/** Whether a body holds collectives over the vmapped axis `name` (their results are batched whatever the inputs). */
export const communicatesOver = (j: Jaxpr, name: string | null): boolean => name !== null && axisNamesOf(j).includes(name);

/** Which outputs depend on the flagged inputs (a batched input, say): a conservative data-flow pass. */
export function dependentOutputs(j: Jaxpr, flagged: readonly boolean[]): boolean[] {
  const reached = new Set<Var>(j.invars.filter((_, i) => flagged[i]));
  const touches = (e: Eqn) => e.inputs.some((v) => reached.has(v));
  for (const e of j.eqns) if (touches(e)) outsOf(e).forEach((v) => reached.add(v));
  return j.outvars.map((v) => reached.has(v));
}

/**
 * Which carries of a loop body are batched once iterations have run: those batched in init,
 * and those an iteration makes batched (a fixpoint). The body takes (before..., carry...,
 * after...) and returns the carry first.
 */
export function batchedCarries(body: Jaxpr, before: readonly boolean[], carry: readonly boolean[], after: readonly boolean[]): boolean[] {
  let k = [...carry];
  for (;;) {
    const out = dependentOutputs(body, [...before, ...k, ...after]);
    const next = k.map((b, i) => b || out[i]!);
    if (next.every((b, i) => b === k[i])) return k;
    k = next;
  }
}

export const avalsOut = (j: Jaxpr): Aval[] => j.outvars.map((v) => v.aval);
export const avalsIn = (j: Jaxpr): Aval[] => j.invars.map((v) => v.aval);

/** Tangents for every primal: those given at `at` (in order), zeros elsewhere. */
export function withZeros(primals: readonly NdArray[], at: readonly number[], given: readonly NdArray[]): NdArray[] {
  return primals.map((p, i) => (at.includes(i) ? given[at.indexOf(i)]! : lax.zerosLike(p)));
}

/** Indices i in [0, n) where pred(i) holds. */
export const indicesWhere = (n: number, pred: (i: number) => boolean): number[] => [...Array(n).keys()].filter(pred);

/**
 * JAX's _promote_weak_typed_inputs: a weakly typed carry (from a JS number in init, as a
 * Python scalar in JAX) whose body output has another dtype takes the join of the two, so the
 * body can be traced again; the other carries stay. Null when nothing changes.
 * @example promoteWeak([int32 0], [true], [f32[]]) // [float32 0]: foriLoop(0, 3, (i, c) => c + 0.5, 0) is float32
 */
export function promoteWeak(init: readonly NdArray[], weak: readonly boolean[], outs: readonly Aval[]): NdArray[] | null {
  let changed = false;
  const promoted = init.map((k, i) => {
    const from = avalOf(k).dtype;
    const to = outs[i]?.dtype;
    if (!weak[i] || to === undefined || joinDTypes(from, to) === from) return k;
    changed = true;
    return lax.cast(k, joinDTypes(from, to));
  });
  return changed ? promoted : null;
}

/**
 * Traces a loop body on `init`, promoting its weakly typed carries (promoteWeak) and tracing
 * again until they settle: a promotion can change another carry's output (a carry shifted into
 * another's place), and JS cannot write Python's `0.`, so `[0, 1, x]` must reach float32 in steps.
 * Each round raises a weak carry's dtype, so this ends. Returns the last trace and the init it took.
 */
export function traceSettlingWeak<T>(init: NdArray[], weak: readonly boolean[], trace: (k: NdArray[]) => T, outsOf: (t: T) => readonly Aval[]): [T, NdArray[]] {
  let traced = trace(init);
  for (let p = promoteWeak(init, weak, outsOf(traced)); p; p = promoteWeak(init, weak, outsOf(traced))) traced = trace((init = p));
  return [traced, init];
}

/** One-line error for avals that must agree (loop carries, branch outputs). */
export function assertSameAvals(got: readonly Aval[], want: readonly Aval[], what: string, name: (i: number) => string, gotWhat: string, wantWhat: string, rule: string): void {
  if (got.length !== want.length) throw new Error(`${what}: ${gotWhat} gives ${got.length} array(s), ${wantWhat} ${want.length}`);
  got.forEach((g, i) => {
    const w = want[i]!;
    if (avalStr(g) !== avalStr(w)) throw new Error(`${what}: ${name(i)} is ${avalStr(g)} in ${gotWhat} but ${avalStr(w)} in ${wantWhat}; ${rule}`);
  });
}
