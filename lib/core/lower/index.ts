/**
 * The lowering: how each primitive, and each fused primitive jit's rewrites make, runs on
 * the active backend. The rules (prims/*.ts) never see it; the evaluator (eager) and jit's
 * compiled programs ask it for kernels. A backend's own kernels live in its module
 * (cpu.ts, wasm.ts, webgpu.ts), over the default lowering on tfjs kernels (tfjs.ts).
 * This layer is the only code in the core that asks which backend is active (active.ts).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { FusedPrim } from '../jit/ir.js';
import { activeBackend } from './active.js';
import { cpuLowering } from './cpu.js';
import type { FusedKernel, Lowering, PrimKernel } from './kernel.js';
import { defaultLowering } from './tfjs.js';
import { wasmLoopApplies, wasmLowering } from './wasm.js';
import { webgpuLowering } from './webgpu.js';
import type { Params, Prim } from '../prim-types.js';

export { activeBackend } from './active.js';
export { withLoopConstants } from './loop-constants.js';

const backends: Readonly<Record<string, Lowering>> = { cpu: cpuLowering, wasm: wasmLowering, webgpu: webgpuLowering };

// An equation's params are its primitive's (checked by the rules' abstractEval when the
// equation is made); tables are typed per primitive, and looked up by a name known only
// at run time: hence the one widening of the kernel's params type here.
type AnyKernel = FusedKernel<Params>;
const lookup = (prim: Prim | FusedPrim): AnyKernel | undefined =>
  ((backends[activeBackend()] as Record<string, unknown> | undefined)?.[prim] ?? (defaultLowering as Record<string, unknown>)[prim]) as AnyKernel | undefined;

/** The kernel that runs primitive `prim` on the active backend. */
export function primKernel(prim: Prim): PrimKernel<Params> {
  return lookup(prim) as PrimKernel<Params>;
}

/** The kernel that runs an equation of `prim` (a primitive or a fused one) on the active backend. */
export function eqnKernel(prim: Prim | FusedPrim): FusedKernel<Params> {
  const k = lookup(prim);
  if (!k) throw new Error(`internal: jit made a ${prim} equation, which the ${activeBackend()} backend has no kernel for`);
  return k;
}

/** The shapes of the loops each backend's `fused_elementwise` kernel runs. */
const elementwiseLoops: Readonly<Record<string, (shape: readonly number[], options: { reduces?: boolean }) => boolean>> = { wasm: wasmLoopApplies };

/**
 * Whether the active backend runs a `fused_elementwise` equation whose loop has this shape
 * (jit fuses elementwise chains only there); `reduces`: a loop that ends in a sum over rows.
 */
export const fusedElementwiseApplies = (shape: readonly number[], options: { reduces?: boolean } = {}): boolean => elementwiseLoops[activeBackend()]?.(shape, options) ?? false;

/**
 * Whether a kernel may read a value back to decide what runs next (a branch index, a loop
 * predicate): on webgpu `dataSync` is unavailable, so cond selects on the device instead
 * and whileLoop cannot run there.
 */
export const canReadBack = (): boolean => activeBackend() !== 'webgpu';

/**
 * The value of a one-element constant, where the backend can read it synchronously
 * (undefined elsewhere): jit's rewrites read constants such as the 0 of max(x, 0).
 */
export function constantValue(t: tf.Tensor): number | undefined {
  return t.size === 1 && canReadBack() ? t.dataSync()[0] : undefined;
}
