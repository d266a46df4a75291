/** What a backend's lowering is: for each primitive (and fused primitive), the kernel that runs it. */
import type * as tf from '@tensorflow/tfjs-core';
import type { FusedParams, FusedPrim } from '../jit/ir.js';
import type { PrimParams } from '../prim-params.js';
import type { Prim } from '../prim-types.js';

/** Runs a primitive on tensors (inside a tidy scope): its result. */
export type PrimKernel<P> = (args: tf.Tensor[], params: P) => tf.Tensor;
/** Runs a fused primitive: one tensor per result (`out`, then `extraOuts`). */
export type FusedKernel<P> = (args: tf.Tensor[], params: P) => tf.Tensor | tf.Tensor[];

/** Kernels for every primitive: what runs where a backend names none of its own. */
export type DefaultLowering = { readonly [K in Prim]: PrimKernel<PrimParams[K]> } & { readonly [K in FusedPrim]?: FusedKernel<FusedParams[K]> };

/** A backend's own kernels: those that differ from the default lowering, and its fused primitives. */
export type Lowering = { readonly [K in Prim]?: PrimKernel<PrimParams[K]> } & { readonly [K in FusedPrim]?: FusedKernel<FusedParams[K]> };
