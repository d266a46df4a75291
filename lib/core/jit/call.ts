/**
 * jit as a call primitive (JAX's `pjit`, Autodidax's `xla_call_p`). Inside another
 * transformation, `jit(f)` binds `pjit` with the IR staged once for its signature in the
 * params; the primitive's rules, side by side below like every other primitive's, derive
 * new IRs from it (its JVP, its forward and backward passes, its batched form), each staged
 * once and cached on the IR it came from, so `grad(jit(f))` or `vmap(jit(f))` never trace f
 * again. On tensors the IR runs as a compiled program.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, type DType, avalStr, isFloat } from '../aval.js';
import { avalsIn, avalsOut, axisNamesOf, communicatesOver, dependentOutputs, type Flat, fnOf, indicesWhere, runJaxpr } from '../control/jaxpr-fn.js';
import { defineHigherOrder, type HigherOrderDef } from '../higher-order.js';
import { vmapFlat } from '../interpreters/batching.js';
import { jvpFlat } from '../interpreters/jvp.js';
import { vjpFlat } from '../interpreters/vjp.js';
import * as lax from '../lax.js';
import { constantValue } from '../lower/index.js';
import type { BDim } from '../prim-types.js';
import { batchAt } from '../prims/batching-util.js';
import { type NdArray, activeMains, avalOf, bindHigherOrder, checkLive, isTracer } from '../trace.js';
import type { Jaxpr, Var } from './ir.js';
import { partialEval } from './partial-eval.js';
import { traceClosed } from './staging.js';

export interface PjitParams {
  /** The function's name, then what was derived from it: `jvp(f)`, `vmap(f)`, ... */
  readonly name: string;
  /** The staged IR; its leading inputs are the constants its trace captured. */
  readonly jaxpr: Jaxpr;
}

/**
 * A constant the trace captured: a one-element constant whose value the backend reads
 * synchronously (lower/index.ts constantValue; literals such as the 0 of max(x, 0)) is
 * remade for each call, so that the cache holds no tensor for it, and so is one made from a JS
 * number (lax.scalar's, on any backend); any other tensor (and on webgpu every other constant)
 * is kept until the cache is cleared.
 */
type Captured = { readonly literal: number; readonly dtype: DType; readonly rank: number; readonly fromJs: boolean } | { readonly kept: tf.Tensor };

/** A staged IR applied as `pjit`, with the IRs its rules derived from it (staged once each). */
export class StagedCall {
  private readonly derived = new Map<string, readonly StagedCall[]>();
  constructor(
    readonly name: string,
    /** Closed (no constvars): its leading invars stand for `captured`. */
    readonly jaxpr: Jaxpr,
    private readonly captured: readonly Captured[],
    /** fn applied a customVjp function: the IR holds its primal only, so it must not be differentiated. */
    readonly dropsCustomVjp = false,
  ) {
    calls.set(jaxpr, this);
  }
  get numCaptured(): number {
    return this.captured.length;
  }
  /** The captured constants for one call: literals made anew (the caller's scope frees them), the others as kept. */
  constants(): tf.Tensor[] {
    return this.captured.map((c) => ('kept' in c ? c.kept : lax.scalar(c.literal, c.dtype, c.rank)));
  }
  /** The captured constants as tensors the caller owns (kept: a tidy does not free them). */
  ownConstants(): tf.Tensor[] {
    return this.captured.map((c) => tf.keep('kept' in c ? tf.clone(c.kept) : lax.scalar(c.literal, c.dtype, c.rank)));
  }
  /** The JS-number literals (lax.scalar's) among the captured constants, keyed by `vars` (their variables, in order): printing shows them inline. */
  literalsOf(vars: readonly Var[]): Map<Var, number> {
    return new Map(this.captured.flatMap((c, i) => ('literal' in c && c.fromJs ? [[vars[i]!, c.literal] as const] : [])));
  }
  /** Another IR over the same captured constants (copies of its own). */
  withJaxpr(name: string, jaxpr: Jaxpr): StagedCall {
    return new StagedCall(name, jaxpr, this.captured.map((c) => ('kept' in c ? { kept: tf.keep(tf.clone(c.kept)) } : c)));
  }
  /** The IRs derived under `key`, staged by `make` the first time. */
  derive(key: string, make: () => StagedCall[]): readonly StagedCall[] {
    const k = `${key}|${axisEnvKey()}`;
    let d = this.derived.get(k);
    if (!d) this.derived.set(k, (d = make()));
    return d;
  }
  /** Frees the kept constants, and those of every derived IR. */
  dispose(): void {
    this.captured.forEach((c) => 'kept' in c && c.kept.dispose());
    this.derived.forEach((ds) => ds.forEach((d) => d.dispose()));
    this.derived.clear();
  }
}

const calls = new WeakMap<Jaxpr, StagedCall>();

function callOf(j: Jaxpr): StagedCall {
  const c = calls.get(j);
  if (!c) throw new Error('internal: a pjit equation whose IR was not staged by stageCall');
  return c;
}

/**
 * The axes vmap binds by name while a trace runs, with their sizes: a trace that meets a
 * collective may bake them in (pmean divides by the size), so they are part of every cache key.
 */
export function axisEnvKey(): string {
  return activeMains()
    .filter((m) => m.axisName !== null)
    .map((m) => `${m.axisName}=${String(m.global)}`)
    .join(',');
}

function capture(x: tf.Tensor): Captured {
  // A JS number's constant (lax.scalar's) is known without reading it back (webgpu cannot).
  const fromJs = lax.literalValue(x);
  const literal = x.shape.every((d) => d === 1) ? (fromJs ?? constantValue(x)) : undefined;
  if (literal !== undefined) return { literal, dtype: x.dtype as DType, rank: x.rank, fromJs: fromJs !== undefined };
  return { kept: tf.keep(tf.clone(x)) };
}

/**
 * Stages fn on abstract inputs of `avals` as a call (temporaries of the trace freed); null
 * when fn closes over a tracer of an enclosing transformation, which a cached IR cannot hold.
 */
export function stageCall(name: string, fn: Flat, avals: readonly Aval[]): StagedCall | null {
  let call: StagedCall | null = null;
  tf.tidy(() => {
    const { jaxpr, captured, sawCustomVjp } = traceClosed(fn, avals, 'jit');
    const tracers = captured.filter(isTracer);
    tracers.forEach(checkLive); // a closed-over tracer whose transformation ended is an error, not a reason to inline
    if (tracers.length) return;
    call = new StagedCall(name, jaxpr, (captured as tf.Tensor[]).map(capture), sawCustomVjp);
  });
  return call;
}

function derivedCall(name: string, fn: Flat, avals: readonly Aval[]): StagedCall {
  const c = stageCall(name, fn, avals);
  if (!c) throw new Error(`internal: staging ${name} captured a tracer`);
  return c;
}

/** Applies a staged call to its operands through the interpreter stack. */
export function bindCall(call: StagedCall, operands: readonly NdArray[]): NdArray[] {
  return bindHigherOrder('pjit', [...call.constants(), ...operands], { name: call.name, jaxpr: call.jaxpr } satisfies PjitParams);
}

const pjit: HigherOrderDef<PjitParams> = {
  abstractEval(avals, { name, jaxpr }) {
    const want = avalsIn(jaxpr).map(avalStr).join(' ');
    if (avals.map(avalStr).join(' ') !== want) throw new Error(`internal: pjit ${name} applied to ${avals.map(avalStr).join(' ')}, staged for ${want}`);
    return avalsOut(jaxpr);
  },

  impl: (args, { jaxpr }) => runJaxpr(jaxpr, args),

  // JVP: one call of the staged JVP of the IR, on the primals and the nonzero tangents.
  jvp(primals, tangents, { name, jaxpr }) {
    const n = primals.length;
    const tAt = indicesWhere(n, (i) => tangents[i] !== null);
    const ins = avalsIn(jaxpr);
    const outs = avalsOut(jaxpr);
    const fAt = indicesWhere(outs.length, (i) => isFloat(outs[i]!.dtype));
    const [call] = callOf(jaxpr).derive(`jvp ${tAt}`, () => [
      derivedCall(
        `jvp(${name})`,
        (...a) => {
          const [o, t] = jvpFlat(fnOf(jaxpr), a.slice(0, n), ins.map((_, i) => (tAt.includes(i) ? a[n + tAt.indexOf(i)]! : null)));
          return [...o, ...fAt.map((i) => t[i]!)];
        },
        [...ins, ...tAt.map((i) => ins[i]!)],
      ),
    ]);
    const m = outs.length;
    const ts = tAt.map((i) => tangents[i]!);
    let r: NdArray[];
    if (primals.some(isTracer) || !ts.some(isTracer)) r = bindCall(call!, [...primals, ...ts]);
    else {
      // Concrete primals, traced tangents (linearize): the primal part runs now, once, and only
      // the tangent part, from its residuals, is staged.
      const [known, unknown] = call!.derive('split', () => splitCall(call!, n, m, `${call!.name}_known`, `${call!.name}_unknown`));
      const k = bindCall(known!, primals);
      r = [...k.slice(0, m), ...bindCall(unknown!, [...k.slice(m), ...ts])];
    }
    return [r.slice(0, m), outs.map((_, i) => (fAt.includes(i) ? r[m + fAt.indexOf(i)]! : null))];
  },

  // Reverse mode: the staged VJP split by partial evaluation into a forward call (results and
  // residuals) and a backward call, so the backward pass recomputes nothing.
  vjpForward(primals, params, needed) {
    const [fwd] = vjpCalls(primals, params, needed);
    const r = bindCall(fwd!, primals);
    const m = params.jaxpr.outvars.length;
    return [r.slice(0, m), r.slice(m)];
  },

  vjpBackward(cts, residuals, primals, params, needed) {
    const want = wanted(primals, needed);
    const [, bwd] = vjpCalls(primals, params, needed);
    const cin = bindCall(bwd!, [...residuals, ...cts]);
    return primals.map((_, i) => (want.includes(i) ? cin[want.indexOf(i)]! : null));
  },

  // Batching: one call of the IR vmapped over the batched operands (batch dims moved to 0).
  batch(args, dims, { name, jaxpr }, axisSize, axisName) {
    const inAxes = dims.map((d) => (d === null ? null : 0));
    // A collective over this axis may make results batched whatever the inputs (axisIndex), or not (psum of an
    // unbatched value): which ones the batched trace tells (JAX's vmap of a pjit with collectives); else data dependence.
    const ours = communicatesOver(jaxpr, axisName);
    const known = ours ? null : dependentOutputs(jaxpr, dims.map((d) => d !== null)).map((b): BDim => (b ? 0 : null));
    const moved = args.map((x, i) => (dims[i] === null ? x : batchAt(x, dims[i]!)));
    const [call] = callOf(jaxpr).derive(`vmap ${inAxes} ${known ?? 'traced'} ${axisSize} ${axisName}`, () => {
      let found: BDim[] = [];
      const c = derivedCall(
        `vmap(${name})`,
        (...a) => vmapFlat(fnOf(jaxpr), a, inAxes, known ?? ((batched) => (found = batched.map((b) => (b ? 0 : null)))), axisSize, undefined, axisName),
        moved.map(avalOf),
      );
      if (!known) batchedOutAxes.set(c, found);
      return [c];
    });
    return [bindCall(call!, moved), known ?? batchedOutAxes.get(call!)!];
  },

  axisNames: ({ jaxpr }) => axisNamesOf(jaxpr),
};

/** The output axes of the batched IRs of bodies with collectives over the vmapped axis, found when staging them. */
const batchedOutAxes = new WeakMap<StagedCall, BDim[]>();

/** The float inputs a reverse pass differentiates. */
const wanted = (primals: readonly NdArray[], needed: readonly boolean[]): number[] => indicesWhere(primals.length, (i) => needed[i]! && isFloat(avalOf(primals[i]!).dtype));

/** The forward and backward calls of the IR's VJP with respect to the wanted inputs (staged once). */
function vjpCalls(primals: readonly NdArray[], { name, jaxpr }: PjitParams, needed: readonly boolean[]): readonly StagedCall[] {
  const want = wanted(primals, needed);
  return callOf(jaxpr).derive(`vjp ${want}`, () => {
    const n = primals.length;
    const ins = avalsIn(jaxpr);
    const outs = avalsOut(jaxpr);
    const both = derivedCall(
      `vjp(${name})`,
      (...a) => {
        const ps = a.slice(0, n);
        // Only the wanted inputs are differentiated; the others enter as constants of the pass.
        const [o, pullback] = vjpFlat((...w) => fnOf(jaxpr)(...ps.map((p, i) => (want.includes(i) ? w[want.indexOf(i)]! : p))), want.map((i) => ps[i]!));
        return [...o, ...pullback(a.slice(n))];
      },
      [...ins, ...outs],
    );
    // Known now: the primals; later: the cotangents.
    const parts = splitCall(both, n, outs.length, `vjp_fwd(${name})`, `vjp_bwd(${name})`);
    both.dispose();
    return parts;
  });
}

/**
 * A call split by partial evaluation: its first `numKnown` operands known now, the rest later.
 * The known part gives the first `numKnownOuts` results and the residuals; the unknown part
 * takes the residuals and the later operands and gives the other results.
 */
function splitCall(c: StagedCall, numKnown: number, numKnownOuts: number, knownName: string, unknownName: string): StagedCall[] {
  const { known, unknown } = partialEval(c.jaxpr, c.numCaptured + numKnown, numKnownOuts);
  return [c.withJaxpr(knownName, known), new StagedCall(unknownName, unknown, [])];
}

defineHigherOrder('pjit', pjit);
