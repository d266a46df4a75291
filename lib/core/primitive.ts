/**
 * The closed set of primitives. Each primitive's rules are defined in one place
 * (`prims/*.ts`): its shape/dtype rule, JVP, VJP (written in our own primitives, so
 * derivatives compose) and batching rule side by side. How it runs on each backend is
 * the lowering's business (`lower/`), which the rules never see.
 */
import type { Aval } from './aval.js';
import type { NdArray } from './trace.js';

export const UNARY = ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'tanh', 'logistic', 'relu', 'abs', 'sign', 'sin', 'cos', 'erf', 'atan', 'floor', 'round', 'not', 'is_finite'] as const;
export const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or'] as const;
export const OTHER = [
  'select', 'cast', 'stop_gradient',
  'reduce_sum', 'reduce_max', 'reduce_min', 'reduce_logsumexp', 'argmax',
  'reshape', 'transpose', 'broadcast_in_dim', 'slice', 'pad', 'concatenate', 'gather', 'scatter_add',
  'dot', 'conv', 'conv_bp_input', 'conv_bp_filter',
  'random_bits', 'random_uniform', 'random_normal', 'random_permutation',
] as const;
/** Collectives over a named axis (prims/collectives.ts): they only run where the name is bound. */
export const COLLECTIVE = ['psum', 'pmax', 'pmin', 'all_gather', 'axis_index'] as const;

export type UnaryPrim = (typeof UNARY)[number];
export type BinaryPrim = (typeof BINARY)[number];
export type Prim = UnaryPrim | BinaryPrim | (typeof OTHER)[number] | (typeof COLLECTIVE)[number];

export type Params = Record<string, unknown>;

/** Batch dimension of a value under vmap: an axis, or null when the value is not batched. */
export type BDim = number | null;

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
