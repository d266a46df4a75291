/** `np`: the numpy-like functions user code is written against; every one goes through `bind`. */
export * from './creation.js';
export * from './math.js';
export * from './shape.js';
export * from './nn.js';
export { stopGradient } from '../core/lax.js';
export type { NdArray } from '../core/trace.js';
export * from './manipulation.js';
export * from './linalg.js';
export * from './construct.js';
export * from './signal.js';
export * from './statistics.js';
export * from './polynomial.js';
export * from './elementwise-math.js';
export * from './reductions.js';
export * from './sorting.js';
export * from './bitwise.js';
export * from './norm.js';
export * as linalg from './linalg-namespace.js';
