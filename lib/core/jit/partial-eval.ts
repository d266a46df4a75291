/**
 * Partial evaluation of a jaxpr (JAX's `partial_eval_jaxpr_nounits`): with its leading inputs
 * known now and the others later, split it into the equations that can run now and those
 * that must wait. jit's call primitive stages a function's forward and backward pass as one
 * jaxpr and splits it here into a forward call (results and residuals) and a backward call
 * (residuals and cotangents in, input cotangents out): reverse mode without recomputing.
 */
import { type Eqn, type Jaxpr, type Var, outsOf } from './ir.js';
import { eliminateDeadCode } from './rewrite.js';

export interface KnownUnknown {
  /** The known inputs -> the first `numKnownOuts` results, then the residuals. */
  readonly known: Jaxpr;
  /** The residuals, then the unknown inputs -> the remaining results. */
  readonly unknown: Jaxpr;
}

/**
 * Splits a closed jaxpr (no constvars) whose first `numKnownIns` inputs are known and whose
 * first `numKnownOuts` results depend on those alone.
 */
export function partialEval(j: Jaxpr, numKnownIns: number, numKnownOuts: number): KnownUnknown {
  if (j.constvars.length) throw new Error('internal: partialEval expects a closed jaxpr');
  const later = new Set<Var>(j.invars.slice(numKnownIns));
  const knownEqns: Eqn[] = [];
  const unknownEqns: Eqn[] = [];
  for (const e of j.eqns) {
    if (!e.inputs.some((v) => later.has(v))) knownEqns.push(e);
    else {
      unknownEqns.push(e);
      outsOf(e).forEach((v) => later.add(v));
    }
  }
  const knownOuts = j.outvars.slice(0, numKnownOuts);
  if (knownOuts.some((v) => later.has(v))) throw new Error('internal: partialEval: a result meant to be known depends on an unknown input');
  const unknownIns = j.invars.slice(numKnownIns);
  // Dead code first, so that only what the live unknown equations read becomes a residual.
  const unknownBody = eliminateDeadCode({ invars: unknownIns, constvars: [], consts: [], eqns: unknownEqns, outvars: j.outvars.slice(numKnownOuts) });
  const residuals = [...new Set([...unknownBody.eqns.flatMap((e) => e.inputs), ...unknownBody.outvars].filter((v) => !later.has(v)))];
  return {
    known: eliminateDeadCode({ invars: j.invars.slice(0, numKnownIns), constvars: [], consts: [], eqns: knownEqns, outvars: [...knownOuts, ...residuals] }),
    unknown: { ...unknownBody, invars: [...residuals, ...unknownIns] },
  };
}
