/** The transformation engine: primitives, interpreters, jit. */
import './interpreters/eval.js';
import './prims/index.js';

export { customVjp, grad, hessian, jacfwd, jacrev, jvp, stopGradient, valueAndGrad, vjp, vmap } from './api.js';
export type { GradOptions, VjpOptions, VmapOptions } from './api.js';
export { type Linearized, linearize } from './linearize.js';
export { type ClosedJaxpr, type JitOptions, type Jitted, jit, makeJaxpr } from './jit/jit.js';
export { printJaxpr } from './jit/ir.js';
export { lax, remat, type ScanOptions } from './control/index.js';
export { type AllGatherOptions, type AxisNames, allGather, axisIndex, axisSize, pmax, pmean, pmin, psum } from './collectives.js';
export { type DeviceAxis, withDeviceAxis } from './axes.js';
export { scope } from './scope.js';
export { type NdArray, Tracer, isTracer } from './trace.js';
export type { Aval, DType, Shape } from './aval.js';
