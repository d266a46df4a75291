/**
 * Loop-invariant code motion for the loop primitives' bodies (XLA's
 * WhileLoopInvariantCodeMotion, which JAX leaves to XLA): the equations of a body that read
 * only its constants (what it closes over) are split into a jaxpr run once before the loop,
 * whose results the remaining body takes as further constants. A body that transposes a
 * weight it closes over, say an RNN's `h @ W.T` inside `lax.scan`, then transposes it once.
 *
 * Staging keeps such work inside the body (JAX's semantics: a `lax.cond` branch not taken
 * computes nothing); hoisting happens only when a loop runs, and leaves out what must not run
 * once for all iterations or more often than written: effects (debug callbacks), collectives,
 * nested control flow, and results larger than their operands (a broadcast costs less to
 * redo than to keep across the loop).
 */
import type { Aval } from '../aval.js';
import { isHigherOrder } from '../higher-order.js';
import { type Eqn, type Jaxpr, type Var, isEffectful, outsOf } from '../jit/ir.js';
import { COLLECTIVE } from '../prim-types.js';

/** A loop body split around its invariant work. */
export interface HoistedBody {
  /** (consts...) -> (hoisted...): run once before the loop; null when nothing is hoisted. */
  readonly pre: Jaxpr | null;
  /** (consts..., hoisted..., rest...) -> the body's outputs. */
  readonly body: Jaxpr;
}

const cache = new WeakMap<Jaxpr, Map<number, HoistedBody>>();
const collectives: ReadonlySet<string> = new Set(COLLECTIVE);
const sizeOf = (a: Aval): number => a.shape.reduce((n, d) => n * d, 1);

function hoistable(e: Eqn, invariant: ReadonlySet<Var>, outvars: ReadonlySet<Var>): boolean {
  if (isHigherOrder(e.prim) || collectives.has(e.prim) || isEffectful(e)) return false;
  if (!e.inputs.every((v) => invariant.has(v))) return false;
  const outs = outsOf(e);
  // What the body returns stays in it: a loop's outputs are fresh arrays it owns.
  if (outs.some((v) => outvars.has(v))) return false;
  const read = e.inputs.reduce((n, v) => n + sizeOf(v.aval), 0);
  return outs.reduce((n, v) => n + sizeOf(v.aval), 0) <= read;
}

/**
 * `body`'s work on its first `numConsts` inputs (and its own constants) moved into `pre`.
 * Cached per body, so each part is compiled once (`runJaxpr` caches by jaxpr).
 */
export function hoistInvariant(body: Jaxpr, numConsts: number): HoistedBody {
  let byCount = cache.get(body);
  if (!byCount) cache.set(body, (byCount = new Map()));
  let split = byCount.get(numConsts);
  if (!split) byCount.set(numConsts, (split = splitBody(body, numConsts)));
  return split;
}

function splitBody(body: Jaxpr, numConsts: number): HoistedBody {
  // Traced bodies take what they close over as inputs and own no constants; one that did would
  // share them between the parts, whose rewrites may free a constant they no longer read.
  if (body.constvars.length > 0) return { pre: null, body };
  const consts = body.invars.slice(0, numConsts);
  const invariant = new Set<Var>(consts);
  const outvars = new Set(body.outvars);
  const moved: Eqn[] = [];
  const kept: Eqn[] = [];
  for (const e of body.eqns) {
    if (hoistable(e, invariant, outvars)) {
      moved.push(e);
      outsOf(e).forEach((v) => invariant.add(v));
    } else kept.push(e);
  }
  const read = new Set(kept.flatMap((e) => e.inputs));
  const hoisted = moved.flatMap(outsOf).filter((v) => read.has(v));
  if (hoisted.length === 0) return { pre: null, body };
  return {
    pre: { invars: consts, constvars: [], consts: [], eqns: moved, outvars: hoisted },
    body: { invars: [...consts, ...hoisted, ...body.invars.slice(numConsts)], constvars: [], consts: [], eqns: kept, outvars: body.outvars },
  };
}
