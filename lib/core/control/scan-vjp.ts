/**
 * A scan body's VJP split in two, as JAX's partial evaluation of a scan does: a forward body
 * that also gives each step's residuals (the values its backward pass reads: an RNN's tanh
 * output, its carry), stacked by the forward scan, and a backward body that reads them, so the
 * backward scan does not compute the step again (an RNN: two products of seven per step fewer).
 * Work on the loop's constants alone (a weight's transpose) is not stacked: the backward body
 * recomputes it, and loop-invariant code motion runs it once per loop. Residuals that are a
 * step's row of xs are read from xs, not stacked again.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Jaxpr } from '../jit/ir.js';
import { partialEval } from '../jit/partial-eval.js';
import { eliminateDeadCode } from '../jit/rewrite.js';
import { traceClosed } from '../jit/staging.js';
import { vjpFlat } from '../interpreters/vjp.js';
import * as lax from '../lax.js';
import { isFloat } from '../aval.js';
import { type NdArray, isTracer } from '../trace.js';
import { avalsIn, avalsOut, fnOf, indicesWhere } from './jaxpr-fn.js';

export interface ScanVjp {
  /** Constants the staged VJP made (a literal 1 of tanh's derivative): leading consts of both scans. */
  readonly captured: readonly tf.Tensor[];
  /** (captured..., consts..., carry..., x...) -> (carry..., y..., stacked residuals...) */
  readonly forward: Jaxpr;
  /** Per residual of `backward`: the row of xs it is (`x`), or the index of the stacked one. */
  readonly residuals: readonly ({ readonly x: number } | { readonly stacked: number })[];
  /**
   * (captured..., consts..., residuals..., carry cotangents (float carries)..., y cotangents...) ->
   * cotangents of the float carries, then of the float consts, then of the float xs (`floatAt`).
   */
  readonly backward: Jaxpr;
  /** The float carries, consts and xs, by index among each. */
  readonly floatAt: { readonly carry: readonly number[]; readonly consts: readonly number[]; readonly xs: readonly number[] };
}

/**
 * The split VJP of a scan body with `numConsts` consts and `numCarry` carries. Staged by the
 * forward and again by the backward rule (tracing is deterministic: the same residuals), so
 * that the constants it makes belong to the caller's scope, as any intermediate: a cache
 * would keep them past an eager grad.
 */
export function scanVjp(body: Jaxpr, nC: number, nK: number): ScanVjp {
  const ins = avalsIn(body);
  const outs = avalsOut(body);
  const n = ins.length;
  const floatIn = (from: number, count: number) => indicesWhere(count, (i) => isFloat(ins[from + i]!.dtype));
  const floatAt = { carry: floatIn(nC, nK), consts: floatIn(0, nC), xs: floatIn(nC + nK, n - nC - nK) };
  const ctAvals = [...floatAt.carry.map((i) => outs[i]!), ...outs.slice(nK)];
  const f = (...a: NdArray[]): NdArray[] => {
    const [o, pullback] = vjpFlat(fnOf(body), a.slice(0, n));
    const cts = a.slice(n);
    const ctOuts = o.map((out, i) => (i >= nK ? cts[floatAt.carry.length + i - nK]! : floatAt.carry.includes(i) ? cts[floatAt.carry.indexOf(i)]! : lax.zerosLike(out)));
    const cin = pullback(ctOuts);
    return [...o, ...floatAt.carry.map((i) => cin[nC + i]!), ...floatAt.consts.map((i) => cin[i]!), ...floatAt.xs.map((i) => cin[nC + nK + i]!)];
  };
  const { jaxpr, captured } = traceClosed(f, [...ins, ...ctAvals], 'lax.scan (vjp)');
  if (captured.some(isTracer)) throw new Error("internal: a scan body's VJP closed over a tracer");
  const nS = captured.length;
  const { known, unknown } = partialEval(jaxpr, nS + n, outs.length, nS + nC);
  // The known part's residuals: a row of xs is read from xs; the others are stacked.
  const residualVars = known.outvars.slice(outs.length);
  const xVars = known.invars.slice(nS + nC + nK);
  let stacked = 0;
  const residuals = residualVars.map((v) => (xVars.includes(v) ? { x: xVars.indexOf(v) } : { stacked: stacked++ }));
  const forward = eliminateDeadCode({ ...known, outvars: [...known.outvars.slice(0, outs.length), ...residualVars.filter((_, i) => 'stacked' in residuals[i]!)] });
  return { captured: captured as tf.Tensor[], forward, residuals, backward: unknown, floatAt };
}

/** The backward body with only the cotangents asked for (by position among its results). */
export function backwardFor(s: ScanVjp, wanted: readonly number[]): Jaxpr {
  return eliminateDeadCode({ ...s.backward, outvars: wanted.map((i) => s.backward.outvars[i]!) });
}
