/**
 * The interpreter stack (after JAX's Autodidax). A primitive application goes through
 * `bind`: the highest-level trace among its arguments' tracers interprets it, and
 * interpreters recursively bind on the values one level down. With no tracer among
 * the arguments, the primitive runs on tfjs kernels (see `eval.ts`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, type DType, type Shape, avalStr, shapeStr, sizeOf, tensorDType } from './aval.js';
import { EFFECTFUL, type HigherOrderPrim, type Params, type Prim } from './prim-types.js';

/** A value flowing through user code: a concrete tfjs tensor, or a tracer of some transformation. */
export type NdArray = tf.Tensor | Tracer;

export class MainTrace {
  active = true;
  constructor(
    readonly level: number,
    readonly kind: string,
    readonly makeTrace: (main: MainTrace) => Trace,
    readonly global: unknown,
    /** The name collectives use for this interpreter's axis (vmap with `axisName`), else null. */
    readonly axisName: string | null = null,
  ) {}
  private trace?: Trace;
  get current(): Trace {
    return (this.trace ??= this.makeTrace(this));
  }
}

export abstract class Trace {
  constructor(readonly main: MainTrace) {}
  /** Wraps a value from a lower level (or a concrete tensor) as a tracer of this trace. */
  abstract lift(x: NdArray): Tracer;
  abstract processPrimitive(prim: Prim, tracers: Tracer[], params: Params): Tracer;
  /** `customVjp` functions: each interpreter decides how the user rule applies. */
  abstract processCustomVjp(call: CustomVjpCall, tracers: Tracer[]): Tracer[];
  /** Control flow and remat (higher-order.ts): several results. */
  abstract processHigherOrder(prim: HigherOrderPrim, tracers: Tracer[], params: Params): Tracer[];
  /**
   * A staged `custom_vjp_call` equation (control/custom.ts) met again: the user's rules apply,
   * as to the customVjp call it came from (its leading captured operands aside: the rules close over them).
   */
  processCustomVjpCall(tracers: Tracer[], params: Params): Tracer[] {
    const { rules, nCaptured } = params as { rules: CustomVjpCall; nCaptured: number };
    return this.processCustomVjp(rules, tracers.slice(nCaptured));
  }
}

/**
 * A user function with its own forward/backward, as `customVjp` builds it (flat arrays in and
 * out). `customJvp` builds one too, with `jvp` (its rule for forward mode) and a backward pass
 * that transposes that rule.
 */
export interface CustomVjpCall {
  readonly fun: (...xs: NdArray[]) => NdArray[];
  readonly fwd: (...xs: NdArray[]) => [NdArray[], NdArray[]];
  readonly bwd: (residuals: NdArray[], cts: NdArray[]) => NdArray[];
  /** Outputs and output tangents from inputs and input tangents (a rule linear in the tangents). */
  readonly jvp?: (xs: NdArray[], ts: NdArray[]) => [NdArray[], NdArray[]];
}

export abstract class Tracer {
  abstract readonly trace: Trace;
  abstract readonly aval: Aval;
  get shape(): number[] {
    return this.aval.shape as number[];
  }
  get dtype(): DType {
    return this.aval.dtype;
  }
  get rank(): number {
    return this.aval.shape.length;
  }
  get size(): number {
    return sizeOf(this.aval.shape);
  }
  dataSync(): never {
    throw new Error(
      `a ${this.trace.main.kind} tracer ${avalStr(this.aval)} has no concrete value: it stands for every value of its shape while the function is transformed. ` +
        `Read values outside the transformed function, or use np.where / stopGradient instead of JavaScript control flow on array values.`,
    );
  }
  data(): never {
    return this.dataSync();
  }
  arraySync(): never {
    return this.dataSync();
  }
  toString(): string {
    return `Tracer<${this.trace.main.kind}>(${avalStr(this.aval)})`;
  }
  /** Always false: a tracer holds no memory (so code written for `NdArray` can ask, as of a tensor). */
  get isDisposed(): boolean {
    return false;
  }
  /** Nothing to free: a tracer holds no memory; present so that code typed on `NdArray` can dispose what it made. */
  dispose(): void {}
  /** The tracer itself: tracers are immutable values, so a copy is the same value (for `NdArray`-typed code, `np.copy`). */
  clone(): this {
    return this;
  }
  /**
   * The concrete array this tracer stands for, where it has one (JAX's `to_concrete_value`):
   * grad and jvp applied eagerly carry one; jit and vmap tracers do not (null).
   */
  concrete(): tf.Tensor | null {
    return null;
  }
  /**
   * `x > 0`, `Number(x)`, `x + 1`: a one-element tracer with a concrete value (eager grad, jvp)
   * gives its number, so JavaScript control flow works under grad as Python's does under
   * jax.grad; otherwise JavaScript would silently compare or add NaN or a string, so those
   * throw. Text (`${x}`, String(x)) is allowed.
   */
  [Symbol.toPrimitive](hint: 'number' | 'string' | 'default'): string | number {
    if (hint === 'string') return this.toString();
    const c = this.trace.main.active ? this.concrete() : null;
    if (c !== null && c.size === 1 && !c.isDisposed) return c.dataSync()[0]!;
    return this.dataSync();
  }
}

/** The concrete array behind a value: itself, or a tracer's (see `Tracer.concrete`). */
export function concreteOf(x: NdArray): tf.Tensor | null {
  return x instanceof Tracer ? x.concrete() : x;
}

const stack: MainTrace[] = [];

/** True while any transformation is being applied (grad, vmap, jit tracing, ...). */
export function transforming(): boolean {
  return stack.length > 0;
}

/** The active interpreters, innermost last. */
export function activeMains(): readonly MainTrace[] {
  return stack;
}

/** Runs `fn` with a new interpreter on top of the stack. */
export function withMain<R>(kind: string, makeTrace: (m: MainTrace) => Trace, global: unknown, fn: (main: MainTrace) => R, axisName: string | null = null): R {
  const main = new MainTrace(stack.length, kind, makeTrace, global, axisName);
  stack.push(main);
  try {
    return fn(main);
  } finally {
    main.active = false;
    stack.pop();
  }
}

export function isTracer(x: unknown): x is Tracer {
  return x instanceof Tracer;
}

export function isArray(x: unknown): x is NdArray {
  return x instanceof Tracer || x instanceof tf.Tensor;
}

export function avalOf(x: NdArray): Aval {
  if (x instanceof Tracer) return x.aval;
  if (!(x instanceof tf.Tensor)) throw notAnArray(x);
  return { shape: x.shape, dtype: tensorDType(x) };
}

export function shapeOf(x: NdArray): Shape {
  if (x instanceof Tracer) return x.aval.shape;
  if (!(x instanceof tf.Tensor)) throw notAnArray(x);
  return x.shape;
}

/**
 * The one-line error for a JS value where an array was expected: as jax.numpy's TypeError for a
 * list (`jnp.sum([1, 2, 3])`), the value is not converted silently.
 */
function notAnArray(x: unknown): TypeError {
  const what = Array.isArray(x) ? `a JS array of length ${x.length}` : x === null ? 'null' : typeof x === 'object' ? `an object (${(x as object).constructor?.name ?? 'no class'})` : `a JS ${typeof x} (${String(x)})`;
  return new TypeError(`expected an array (a tensor or a traced value), got ${what}; make it one with np.array(...)`);
}

/** Throws the "escaped its transformation" error for a tracer whose transformation has ended. */
export function checkLive(t: Tracer): void {
  if (!t.trace.main.active)
    throw new Error(
      `a ${t.trace.main.kind} tracer ${avalStr(t.aval)} escaped its transformation (it was stored or returned outside the function being transformed) and cannot be used any more`,
    );
}

/** The one-line error for a tensor that was freed, given before a kernel meets its missing data. */
export function disposedError(t: tf.Tensor, where: string): Error {
  return new Error(`a disposed array (shape ${shapeStr(t.shape)}, dtype ${t.dtype}) was passed to ${where}; it was freed (dispose, tf.tidy or scope) before this use`);
}

/** The highest live interpreter among the arguments; checks every argument is still usable. */
function topMain(args: readonly NdArray[], op: string): MainTrace | null {
  let top: MainTrace | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a instanceof Tracer) {
      checkLive(a);
      if (!top || a.trace.main.level > top.level) top = a.trace.main;
    } else if (a.isDisposed) throw disposedError(a, `${op} (argument ${i})`);
  }
  return top;
}

function raise(trace: Trace, x: NdArray): Tracer {
  if (x instanceof Tracer && x.trace.main === trace.main) return x;
  if (x instanceof Tracer && x.trace.main.level > trace.main.level) throw new Error('internal: tracer from a higher level');
  return trace.lift(x);
}

/** Evaluates a primitive on concrete tensors; installed by eval.ts. */
let evalPrimitive: (prim: Prim, args: tf.Tensor[], params: Params) => tf.Tensor = () => {
  throw new Error('internal: no evaluator installed');
};
export function installEvaluator(f: typeof evalPrimitive): void {
  evalPrimitive = f;
}
let evalHigherOrder: (prim: HigherOrderPrim, args: tf.Tensor[], params: Params) => tf.Tensor[] = () => {
  throw new Error('internal: no evaluator installed');
};
export function installHigherOrderEvaluator(f: typeof evalHigherOrder): void {
  evalHigherOrder = f;
}

/**
 * The interpreter a collective must reach whatever its arguments are (the one that binds
 * its axis name); installed by axes.ts. Null for every other primitive.
 */
let axisMain: (prim: Prim | HigherOrderPrim, params: Params) => MainTrace | null = () => null;
export function installAxisResolver(f: typeof axisMain): void {
  axisMain = f;
}

/**
 * The interpreter that applies prim: the highest among its arguments', or the one binding
 * its axis if higher (a collective, or a jit call whose body holds one); null: evaluate.
 */
function interpreterFor(prim: Prim | HigherOrderPrim, args: readonly NdArray[], params: Params): MainTrace | null {
  const fromArgs = topMain(args, prim);
  const named = axisMain(prim, params);
  return notBelowBody(named && (!fromArgs || named.level > fromArgs.level) ? named : fromArgs, prim);
}

/**
 * The control-flow body being staged (a cond branch or a loop body), if any (the innermost). An
 * operation on an enclosing transformation's values is staged into it, as JAX's omnistaging
 * does: in a branch only the branch taken computes it and its derivative (otherwise it would
 * run outside the cond on every path: both branches' work, and a NaN derivative from the branch
 * not taken), and in a loop body it runs once per iteration, as in JAX's jaxpr (the values are
 * the same as computing it once before the loop). Effects (debug callbacks) are staged whatever
 * their arguments; other operations on concrete arrays alone still run at once.
 */
let bodyMain: MainTrace | null = null;

/** Runs fn with `main` (a body's staging) as the interpreter that the operations above reach. */
export function stagingBody<R>(main: MainTrace, fn: () => R): R {
  const saved = bodyMain;
  bodyMain = main;
  try {
    return fn();
  } finally {
    bodyMain = saved;
  }
}

function notBelowBody(m: MainTrace | null, prim: Prim | HigherOrderPrim | 'customVjp'): MainTrace | null {
  if (!bodyMain || (m && m.level >= bodyMain.level)) return m;
  return m || EFFECTFUL.has(prim) ? bodyMain : m;
}

/** Applies a primitive through the interpreter stack. */
export function bind(prim: Prim, args: readonly NdArray[], params: Params = {}): NdArray {
  const top = interpreterFor(prim, args, params);
  if (!top) return evalPrimitive(prim, args as tf.Tensor[], params);
  const trace = top.current;
  return trace.processPrimitive(
    prim,
    args.map((a) => raise(trace, a)),
    params,
  );
}

/** Applies a user `customVjp` function through the interpreter stack. */
export function bindCustomVjp(call: CustomVjpCall, args: readonly NdArray[]): NdArray[] {
  const top = notBelowBody(topMain(args, 'customVjp'), 'customVjp');
  if (!top) return call.fun(...args);
  const trace = top.current;
  return trace.processCustomVjp(
    call,
    args.map((a) => raise(trace, a)),
  );
}

/** Applies a higher-order primitive (control flow, remat, jit's call) through the interpreter stack. */
export function bindHigherOrder(prim: HigherOrderPrim, args: readonly NdArray[], params: Params): NdArray[] {
  const top = interpreterFor(prim, args, params);
  if (!top) return evalHigherOrder(prim, args as tf.Tensor[], params);
  const trace = top.current;
  const tracers = args.map((a) => raise(trace, a));
  return prim === 'custom_vjp_call' ? trace.processCustomVjpCall(tracers, params) : trace.processHigherOrder(prim, tracers, params);
}
