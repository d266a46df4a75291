/**
 * Partial evaluation of a jaxpr (JAX's `partial_eval_jaxpr_nounits`): with its leading inputs
 * known now and the others later, split it into the equations that can run now and those
 * that must wait. jit's call primitive stages a function's forward and backward pass as one
 * jaxpr and splits it here into a forward call (results and residuals) and a backward call
 * (residuals and cotangents in, input cotangents out): reverse mode without recomputing; a
 * scan splits its body's VJP the same way (control/scan-vjp.ts).
 */
import { type Eqn, type Jaxpr, type Var, isEffectful, outsOf } from './ir.js';
import { eliminateDeadCode } from './rewrite.js';

export interface KnownUnknown {
  /** The known inputs -> the first `numKnownOuts` results, then the residuals. */
  readonly known: Jaxpr;
  /** The residuals, then the unknown inputs -> the remaining results. */
  readonly unknown: Jaxpr;
}

/**
 * Splits a closed jaxpr (no constvars) whose first `numKnownIns` inputs are known and whose
 * first `numKnownOuts` results depend on those alone. The first `numShared` of the known inputs
 * are also given to the unknown part (a loop's constants, there at every step): what it needs of
 * the work on them alone it recomputes (hoisted out of its loop) instead of reading a residual,
 * and its inputs are then the shared ones, the residuals and the unknown ones.
 */
export function partialEval(j: Jaxpr, numKnownIns: number, numKnownOuts: number, numShared = 0): KnownUnknown {
  if (j.constvars.length) throw new Error('internal: partialEval expects a closed jaxpr');
  const later = new Set<Var>(j.invars.slice(numKnownIns));
  const sharedIns = j.invars.slice(0, numShared);
  const shared = new Set<Var>(sharedIns);
  const knownEqns: Eqn[] = [];
  const unknownEqns: Eqn[] = [];
  for (const e of j.eqns) {
    if (!e.inputs.some((v) => later.has(v))) {
      knownEqns.push(e);
      // Work on the shared inputs alone is repeated in the unknown part (effects are not).
      if (numShared > 0 && !isEffectful(e) && e.inputs.every((v) => shared.has(v))) {
        unknownEqns.push(e);
        outsOf(e).forEach((v) => shared.add(v));
      }
    } else {
      unknownEqns.push(e);
      outsOf(e).forEach((v) => later.add(v));
    }
  }
  const knownOuts = j.outvars.slice(0, numKnownOuts);
  if (knownOuts.some((v) => later.has(v))) throw new Error('internal: partialEval: a result meant to be known depends on an unknown input');
  const unknownIns = j.invars.slice(numKnownIns);
  // Dead code first, so that only what the live unknown equations read becomes a residual.
  const unknownBody = eliminateDeadCode({ invars: unknownIns, constvars: [], consts: [], eqns: unknownEqns, outvars: j.outvars.slice(numKnownOuts) });
  const made = new Set(unknownBody.eqns.flatMap(outsOf));
  const residuals = [...new Set([...unknownBody.eqns.flatMap((e) => e.inputs), ...unknownBody.outvars].filter((v) => !later.has(v) && !made.has(v) && !sharedIns.includes(v)))];
  return {
    known: eliminateDeadCode({ invars: j.invars.slice(0, numKnownIns), constvars: [], consts: [], eqns: knownEqns, outvars: [...knownOuts, ...residuals] }),
    unknown: { ...unknownBody, invars: [...sharedIns, ...residuals, ...unknownIns] },
  };
}
