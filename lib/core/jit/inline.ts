/**
 * Inlining of jit's calls (as XLA inlines them when compiling): each `pjit` equation is
 * replaced by its IR's equations, on fresh variables, so that the rewrites and fusions that
 * follow see across call boundaries and a program runs no nested program.
 */
import { type Eqn, type Jaxpr, Var, isJaxpr, outsOf } from './ir.js';

function calleeOf(e: Eqn): Jaxpr {
  const j = e.params.jaxpr;
  if (!isJaxpr(j) || j.constvars.length) throw new Error('internal: a pjit equation without a closed jaxpr');
  return j;
}

/** The jaxpr with every call (nested ones too) replaced by the equations of its IR. */
export function inlineCalls(j: Jaxpr): Jaxpr {
  if (!j.eqns.some((e) => e.prim === 'pjit')) return j;
  let id = Math.max(0, ...[...j.invars, ...j.constvars, ...j.eqns.flatMap(outsOf)].map((v) => v.id)) + 1;
  const eqns: Eqn[] = [];
  // Appends body's equations, reading their inputs through env; a callee's results get fresh variables.
  const splice = (body: readonly Eqn[], env: Map<Var, Var>, fresh: boolean) => {
    const at = (v: Var) => env.get(v) ?? v;
    for (const e of body) {
      const inputs = e.inputs.map(at);
      if (e.prim === 'pjit') {
        const callee = calleeOf(e);
        const inner = new Map(callee.invars.map((v, i) => [v, inputs[i]!]));
        splice(callee.eqns, inner, true);
        outsOf(e).forEach((v, k) => env.set(v, inner.get(callee.outvars[k]!)!));
        continue;
      }
      if (!fresh) {
        eqns.push({ ...e, inputs });
        continue;
      }
      const outs = outsOf(e).map((v) => {
        const n = new Var(id++, v.aval);
        env.set(v, n);
        return n;
      });
      eqns.push({ ...e, inputs, out: outs[0]!, ...(e.extraOuts ? { extraOuts: outs.slice(1) } : {}) });
    }
  };
  const env = new Map<Var, Var>();
  splice(j.eqns, env, false);
  return { ...j, eqns, outvars: j.outvars.map((v) => env.get(v) ?? v) };
}
