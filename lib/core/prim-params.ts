/**
 * Each primitive's parameters, keyed by its name: what its rules (prims/*.ts), its kernels
 * (lower/*.ts) and jit's rewrites read from an equation. Primitives not listed take none.
 */
import type { DType } from './aval.js';
import type { Prim } from './prim-types.js';

export type Padding2D = readonly [readonly [number, number], readonly [number, number]];
export interface ConvParams {
  readonly strides: readonly [number, number];
  readonly padding: Padding2D;
  readonly dilation: readonly [number, number];
  readonly groups: number;
}
export type DotParams = { transposeA: boolean; transposeB: boolean };
export type AxesParams = { axes: number[] };
export type RandomParams = { shape: number[]; salt: number };

interface SpecificParams {
  cast: { dtype: DType };
  reduce_sum: AxesParams;
  reduce_max: AxesParams;
  reduce_logsumexp: AxesParams;
  reduce_min: AxesParams;
  argmax: { axis: number };
  /** Along the last axis; stable; NaN last (descending: first). */
  argsort: { descending: boolean };
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  broadcast_in_dim: { shape: number[]; dims: number[] };
  slice: { start: number[]; limit: number[]; strides: number[] };
  pad: { low: number[]; high: number[]; interior: number[]; value: number };
  concatenate: { axis: number };
  gather: { axis: number };
  scatter_add: { axis: number; size: number };
  dot: DotParams;
  conv: ConvParams;
  conv_bp_input: ConvParams & { inputShape: number[] };
  conv_bp_filter: ConvParams & { filterShape: number[] };
  random_bits: RandomParams;
  random_uniform: RandomParams;
  /** `lower`/`upper`: truncation bounds in standard deviations. */
  random_normal: RandomParams & { lower?: number; upper?: number };
  random_permutation: { n: number; salt: number };
  /** jax.random.randint's int32 draw in [minval, maxval): integer bounds (maxval may be 2^31, JAX's out-of-range maxval), absent where they are operands. */
  random_randint: RandomParams & { minval?: number; maxval?: number };
  psum: { axisName: string[] };
  pmax: { axisName: string[] };
  pmin: { axisName: string[] };
  all_gather: { axisName: string; axisSize: number; axis: number; tiled: boolean };
  axis_index: { axisName: string };
  /** `perm`: [source, destination] pairs, each source and each destination at most once. */
  ppermute: { axisName: string; perm: [number, number][] };
  psum_scatter: { axisName: string; axisSize: number; scatterDimension: number; tiled: boolean };
}

/** The parameters of primitive `K`, e.g. `PrimParams['dot']` is `{ transposeA, transposeB }`. */
export type PrimParams = { [K in Prim]: K extends keyof SpecificParams ? SpecificParams[K] : Record<string, never> };
