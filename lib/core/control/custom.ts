/**
 * `custom_vjp_call`: a `customVjp` / `customJvp` application staged into a sub-jaxpr (a loop
 * body, a branch, remat), as JAX's `custom_vjp_call` / `custom_jvp_call` equations. The
 * equation runs its traced primal function; an interpreter that later applies the sub-jaxpr
 * (grad or jvp of a scan, vmap of a cond, ...) meets the equation and applies the user's rules
 * (`Trace.processCustomVjpCall`) instead of differentiating the primal.
 */
import { defineHigherOrder, type HigherOrderDef } from '../higher-order.js';
import type { CustomCallParams } from '../jit/staging.js';
import { avalsOut, runJaxpr } from './jaxpr-fn.js';

const unreachable = (): never => {
  throw new Error('internal: custom_vjp_call is transformed by its user rules (Trace.processCustomVjpCall), not by rules of its own');
};

const customCall: HigherOrderDef<CustomCallParams> = {
  abstractEval: (_avals, { body }) => avalsOut(body),
  impl: (args, { body }) => runJaxpr(body, args),
  jvp: unreachable,
  vjpForward: unreachable,
  vjpBackward: unreachable,
  batch: unreachable,
};

defineHigherOrder('custom_vjp_call', customCall);
