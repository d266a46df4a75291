/**
 * Higher-order primitives: control flow (scan, cond, while) and remat, each carrying
 * traced sub-jaxprs in its params and giving several results. Each declares its shape
 * rule, implementation (running its sub-jaxprs, whose equations the lowering runs), JVP,
 * VJP and batching rule side by side (control/*.ts); the rules build new higher-order
 * applications, so derivatives and batching compose through them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Aval } from './aval.js';
import type { BDim, HigherOrderPrim } from './prim-types.js';
import type { NdArray } from './trace.js';

export interface HigherOrderDef<P = any> {
  /** Shapes and dtypes of the results. */
  abstractEval(avals: readonly Aval[], params: P): Aval[];
  /** Runs on concrete tensors; frees everything it makes except its results. */
  impl(args: tf.Tensor[], params: P): tf.Tensor[];
  /** Primal and tangent results from primals and tangents (null: a symbolic zero; integer inputs always null). */
  jvp(primals: NdArray[], tangents: (NdArray | null)[], params: P): [NdArray[], (NdArray | null)[]];
  /**
   * Reverse mode, forward half: the results and the residuals the backward half needs.
   * `needed[i]` is false where input i does not depend on what is differentiated.
   */
  vjpForward(primals: NdArray[], params: P, needed: readonly boolean[]): [NdArray[], NdArray[]];
  /** Reverse mode, backward half: cotangents of the inputs (null: none) from those of the results. */
  vjpBackward(cts: NdArray[], residuals: NdArray[], primals: NdArray[], params: P, needed: readonly boolean[]): (NdArray | null)[];
  /**
   * Applies the primitive to batched inputs: results and their batch dims. `axisName` names
   * the vmapped axis (null: unnamed), for bodies that hold collectives over it.
   */
  batch(args: NdArray[], dims: BDim[], params: P, axisSize: number, axisName: string | null): [NdArray[], BDim[]];
  /** The axis names collectives in its bodies communicate over (see axes.ts); none when absent. */
  readonly axisNames?: (params: P) => readonly string[];
}

const registry = new Map<HigherOrderPrim, HigherOrderDef>();

export function defineHigherOrder(prim: HigherOrderPrim, def: HigherOrderDef): void {
  registry.set(prim, def);
}

export function higherOrder(prim: HigherOrderPrim): HigherOrderDef {
  const d = registry.get(prim);
  if (!d) throw new Error(`internal: higher-order primitive ${prim} has no definition`);
  return d;
}

const HIGHER_ORDER = new Set<string>(['scan', 'cond', 'while', 'remat', 'pjit', 'custom_vjp_call', 'pure_callback', 'debug_callback'] satisfies HigherOrderPrim[]);

export function isHigherOrder(prim: string): prim is HigherOrderPrim {
  return HIGHER_ORDER.has(prim);
}
