/**
 * Runs a rewritten jaxpr on tfjs kernels: each variable lives in a slot, and every
 * intermediate is disposed right after its last use.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ElementwiseProgram, elementwiseWasmOutputs } from '../../backend/wasm-elementwise.js';
import { higherOrder, isHigherOrder } from '../higher-order.js';
import type { HigherOrderPrim, Params, Prim } from '../prim-types.js';
import { primitive } from '../primitive.js';
import type * as lax from '../lax.js';
import { convByWasmPasses, usesWasmConv } from '../prims/conv.js';
import { matmulKernel, swapLast } from '../prims/dot.js';
import { type FusedPrim, type Jaxpr, type Var, outsOf } from './ir.js';

/** One tensor per result of the equation (`out`, then its `extraOuts`). */
type Kernel = (args: tf.Tensor[], params: Params) => tf.Tensor | tf.Tensor[];

/**
 * The bias as a vector. tfjs's wasm fused kernels take the bias's rank from its backing
 * buffer, which a reshape leaves as it was (a [1, n] array viewed as [n] is refused as
 * "rank 2"), so on wasm it is copied into a buffer of its own (n elements).
 */
function biasVector(bias: tf.Tensor | undefined): tf.Tensor | undefined {
  if (!bias) return undefined;
  const v = tf.reshape(bias, [bias.shape[bias.rank - 1]!]);
  return tf.getBackend() === 'wasm' ? tf.add(v, tf.scalar(0, v.dtype)) : v;
}

const fusedKernels: Record<FusedPrim, Kernel> = {
  fused_matmul([a, b, bias], p) {
    const act = p.activation as 'linear' | 'relu';
    const biasVec = biasVector(bias);
    if (tf.getBackend() === 'wasm' && (p.transposeA || p.transposeB)) {
      // Same lowering as the dot primitive (see prims/dot.ts).
      return tf.fused.matMul({ a: p.transposeA ? swapLast(a) : a, b: p.transposeB ? swapLast(b) : b, bias: biasVec, activation: act });
    }
    return tf.fused.matMul({ a, b, transposeA: p.transposeA as boolean, transposeB: p.transposeB as boolean, bias: biasVec, activation: act });
  },
  fused_elementwise(args, p) {
    const [out, ...sums] = elementwiseWasmOutputs(args, p.program as unknown as ElementwiseProgram);
    return [tf.reshape(out!, p.outShape as number[]), ...sums];
  },
  fused_conv([x, w, bias], p) {
    const conv = p as unknown as lax.ConvParams;
    if (usesWasmConv(conv, w.shape[3]!)) return convByWasmPasses(x as tf.Tensor4D, w as tf.Tensor4D, conv, { bias, relu: p.activation === 'relu' });
    const padding = p.padding as [[number, number], [number, number]];
    return tf.fused.conv2d({
      x: x as tf.Tensor4D,
      filter: w as tf.Tensor4D,
      strides: p.strides as [number, number],
      pad: [[0, 0], padding[0], padding[1], [0, 0]] as tf.backend_util.ExplicitPadding,
      dilations: p.dilation as [number, number],
      bias: biasVector(bias),
      activation: p.activation as 'linear' | 'relu',
    });
  },
};

function kernelOf(prim: Prim | FusedPrim | HigherOrderPrim): Kernel {
  if (isHigherOrder(prim)) return higherOrder(prim).impl;
  if (prim === 'fused_matmul' || prim === 'fused_conv' || prim === 'fused_elementwise') return fusedKernels[prim];
  if (prim === 'dot') return ([a, b], p) => matmulKernel(a, b, p.transposeA as boolean, p.transposeB as boolean);
  return primitive(prim).impl;
}

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
