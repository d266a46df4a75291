/**
 * The primitives' rule registry (their names: prim-types.ts). Each primitive's rules are
 * defined in one place (`prims/*.ts`): its shape/dtype rule, JVP, VJP (written in our own
 * primitives, so derivatives compose) and batching rule side by side. How it runs on each
 * backend is the lowering's business (`lower/`), which the rules never see.
 */
import type { Aval } from './aval.js';
import type { BDim, Prim } from './prim-types.js';
import type { NdArray } from './trace.js';

export interface PrimitiveDef<P = any> {
  /** Shape and dtype of the result; throws naming the op and the offending shapes. */
  abstractEval(avals: readonly Aval[], params: P): Aval;
  /** Tangent of the output from the input tangents (zeros already instantiated). */
  jvp(tangents: NdArray[], primals: NdArray[], out: NdArray, params: P): NdArray;
  /**
   * Cotangents of the inputs (null: none, e.g. integer inputs) from the output's.
   * `needed[i]` is false where input i does not depend on what is differentiated, so
   * a rule may skip that cotangent.
   */
  vjp(ct: NdArray, primals: NdArray[], out: NdArray, params: P, needed: readonly boolean[]): (NdArray | null)[];
  /**
   * Applies the primitive to batched inputs, returning the result and its batch dim.
   * `axisName` is the vmapped axis's name (null when unnamed); collectives over it reduce
   * over the batch dim, and they see unbatched inputs too.
   */
  batch(args: NdArray[], dims: BDim[], params: P, axisSize: number, axisName: string | null): [NdArray, BDim];
  /** Collectives: the axis names the primitive communicates over (see axes.ts). */
  readonly axisNames?: (params: P) => readonly string[];
  /** No derivative at all (integer-valued results, random bits). */
  readonly nonDifferentiable?: boolean;
}

const registry = new Map<Prim, PrimitiveDef>();

export function definePrimitives(defs: { [K in Prim]?: PrimitiveDef }): void {
  for (const [k, v] of Object.entries(defs)) registry.set(k as Prim, v as PrimitiveDef);
}

export function primitive(p: Prim): PrimitiveDef {
  const d = registry.get(p);
  if (!d) throw new Error(`internal: primitive ${p} has no definition`);
  return d;
}

export function allPrimitives(): Prim[] {
  return [...registry.keys()];
}
