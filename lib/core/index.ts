/** The transformation engine: primitives, interpreters, jit. */
import './interpreters/eval.js';
import './prims/index.js';
import { lax as controlFlow } from './control/index.js';
import { randomBits, randomFoldIn, randomNormal, randomPermutation, randomRandint, randomUniform, reduceLogSumExp } from './lax.js';

export { grad, jvp, linearTranspose, stopGradient, valueAndGrad, vjp, vmap } from './api.js';
export { customJvp, customVjp } from './custom-rules.js';
export { type JacobianOptions, type JacrevOptions, hessian, jacfwd, jacobian, jacrev } from './jacobian.js';
export { ShapeDtypeStruct, evalShape, shapeDtypeStruct } from './eval-shape.js';
export { type AxisSpec, type FilterGradOptions, type FilterJitted, type FilterVmapOptions, filterEvalShape, filterGrad, filterJit, filterValueAndGrad, filterVjp, filterVmap, ifArray } from './filtered.js';
export { type FilterBwd, type FilterCustomJvp, type FilterCustomVjp, type FilterFwd, filterCheckpoint, filterCustomJvp, filterCustomVjp, filterHessian, filterJacfwd, filterJacrev, filterJvp } from './filtered-ad.js';
export { type TreeEqualOptions, applyUpdates, treeEqual } from './filtered-tree.js';
export type { GradOptions, VjpOptions, VmapOptions } from './api.js';
export type { CustomJvpFunction, CustomJvpOptions, CustomVjpFunction, CustomVjpRules, JvpRule, PartialJvp } from './custom-rules.js';
export { type Linearized, linearize } from './linearize.js';
/** The random-bit primitive's streams (salts): samples, or the keys of split / foldIn (JAX's partitionable layout). */
export { SAMPLE_STREAM, keyStream } from './prims/random.js';
export { type ClosedJaxpr, type JitOptions, type Jitted, disableJit, jit, makeJaxpr } from './jit/jit.js';
export { type VmapMethod, debug, pureCallback } from './callback.js';
export { type Config, config } from './config.js';
export { type Device, blockUntilReady, closureConvert, customGradient, defaultBackend, deviceCount, deviceGet, devicePut, devices, ensureCompileTimeEval, localDeviceCount, localDevices, namedCall, namedScope, processCount, processIndex, typeOf, typeOf as typeof } from './host.js';
export { printJaxpr } from './jit/ir.js';
export { checkpointName, checkpointPolicies, remat, type RematOptions, type RematPolicy, type ScanOptions } from './control/index.js';
export { type AllGatherOptions, type AllToAllOptions, type AxisNames, type PsumScatterOptions, allGather, allToAll, axisIndex, axisSize, pmax, pmean, pmin, ppermute, psum, psumScatter } from './collectives.js';
export { type DeviceAxis, withDeviceAxis } from './axes.js';
export { scope } from './scope.js';
export { canReadBack } from './lower/index.js';
export { type NdArray, Tracer, isArray, isTracer } from './trace.js';
export { type Aval, type DType, type Shape, shapeStr } from './aval.js';

/**
 * `lax`: jax.lax's control flow (scan, foriLoop, whileLoop, cond, switch; docs/core.md), and the
 * keyed random-bit primitives that `random` builds its distributions on (as jax.lax.rng_bit_generator),
 * and `reduceLogSumExp(x, axes)` (one primitive: one fused kernel on wasm; log-domain Sinkhorn's normalisers).
 */
export const lax = { ...controlFlow, randomBits, randomFoldIn, randomUniform, randomNormal, randomPermutation, randomRandint, reduceLogSumExp } as const;
