/**
 * Runs a rewritten jaxpr on tfjs kernels: each variable lives in a slot, and every
 * intermediate is disposed right after its last use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { higherOrder, isHigherOrder } from '../higher-order.js';
import { eqnKernel } from '../lower/index.js';
import { type FusedPrim, type Jaxpr, type Var, outsOf, printJaxpr } from './ir.js';
import type { HigherOrderPrim, Params, Prim } from '../prim-types.js';

/** One tensor per result of the equation (`out`, then its `extraOuts`). */
type Kernel = (args: tf.Tensor[], params: Params) => tf.Tensor | tf.Tensor[];

/** Higher-order equations run their sub-jaxprs; every other one the active backend's kernel (lower/). */
const kernelOf = (prim: Prim | FusedPrim | HigherOrderPrim): Kernel => (isHigherOrder(prim) ? higherOrder(prim).impl : eqnKernel(prim));

interface Step {
  readonly kernel: Kernel;
  readonly params: Params;
  readonly ins: readonly number[];
  readonly outs: readonly number[];
  /** Slots whose last use is this step, and results nothing reads. */
  readonly free: readonly number[];
}

export interface Program {
  run(args: readonly tf.Tensor[]): tf.Tensor[];
  /** Kernel launches per run (one per remaining equation). */
  readonly numKernels: number;
  readonly jaxpr: Jaxpr;
  /** The program's IR as text (JAX's Lowered.as_text; here the rewritten jaxpr, as printJaxpr shows it). */
  asText(): string;
  /** The same text as `asText`. */
  toString(): string;
  dispose(): void;
}

export function compile(j: Jaxpr): Program {
  const slot = new Map<Var, number>();
  const slotOf = (v: Var) => {
    let s = slot.get(v);
    if (s === undefined) slot.set(v, (s = slot.size));
    return s;
  };
  const inSlots = j.invars.map(slotOf);
  const constSlots = j.constvars.map(slotOf);
  const owned = new Set([...inSlots, ...constSlots]);
  const outSlots = new Set(j.outvars.map(slotOf));
  const lastUse = new Map<number, number>();
  j.eqns.forEach((e, i) => e.inputs.forEach((v) => lastUse.set(slotOf(v), i)));
  const steps: Step[] = j.eqns.map((e, i) => {
    const ins = e.inputs.map(slotOf);
    const outs = outsOf(e).map(slotOf);
    const unread = outs.filter((s) => !lastUse.has(s) && !outSlots.has(s));
    const free = [...new Set(ins)].filter((s) => lastUse.get(s) === i && !owned.has(s) && !outSlots.has(s)).concat(unread);
    return { kernel: kernelOf(e.prim), params: e.params, ins, outs, free };
  });
  const outs = j.outvars.map(slotOf);
  return {
    numKernels: steps.length,
    jaxpr: j,
    asText: () => printJaxpr(j),
    toString: () => printJaxpr(j),
    dispose: () => j.consts.forEach((c) => c.dispose()),
    run(args) {
      const env: (tf.Tensor | undefined)[] = new Array(slot.size);
      inSlots.forEach((s, i) => (env[s] = args[i]));
      constSlots.forEach((s, i) => (env[s] = j.consts[i]));
      try {
        for (const st of steps) {
          const ins = st.ins.map((s) => env[s]!);
          const res = tf.tidy(() => st.kernel(ins, st.params));
          (Array.isArray(res) ? res : [res]).forEach((t, k) => (env[st.outs[k]!] = t));
          for (const s of st.free) {
            env[s]!.dispose();
            env[s] = undefined;
          }
        }
      } catch (err) {
        env.forEach((t, s) => !owned.has(s) && t?.dispose());
        throw err;
      }
      // Inputs and constants returned as outputs are cloned so callers may dispose them freely.
      const given = new Set<number>();
      return outs.map((s) => {
        const t = env[s]!;
        if (owned.has(s) || given.has(s)) return tf.clone(t);
        given.add(s);
        return t;
      });
    },
  };
}
