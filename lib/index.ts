/**
 * tfjax: JAX's way of working over TensorFlow.js kernels. Models are pure functions of
 * parameter trees; grad, vmap and jit are composable transformations.
 *
 * This entry runs anywhere (browser page, Worker, Node) and imports nothing from Node;
 * `import 'tfjax'` in Node resolves to ./node.ts, which adds file I/O (safetensors files,
 * checkpoints) and Dawn for WebGPU. Nothing starts at import: `await ready()` (wasm) or
 * `await setBackend('cpu' | 'wasm' | 'webgpu')` before computing.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from './tree/index.js';
import * as np from './ops/index.js';
import * as optim from './optim/index.js';
import * as ssl from './ssl/index.js';
import * as swav from './ssl/swav/index.js';
import * as random from './random/index.js';
import * as nn from './nn/index.js';
import { allGather, allToAll, axisIndex, axisSize, lax as coreLax, pmax, pmean, pmin, ppermute, psum, psumScatter, stopGradient } from './core/index.js';
import { dynamicIndexInDim, dynamicSlice, dynamicSliceInDim, dynamicUpdateSlice, dynamicUpdateSliceInDim } from './ops/dynamic-slice.js';
import * as laxElementwise from './ops/lax-elementwise.js';
import * as laxStructural from './ops/lax-structural.js';
import * as laxReductions from './ops/lax-reductions.js';
import * as laxDotConv from './ops/lax-dot-conv.js';
import * as laxMore from './ops/lax-more.js';
import * as laxSpecial from './scipy/lax-special.js';
import * as laxBits from './ops/lax-bits.js';
import * as laxConvExtra from './ops/lax-conv-extra.js';
import * as laxGatherScatter from './ops/lax-gather-scatter.js';
import { customLinearSolve, customRoot } from './ops/lax-implicit.js';
import { broadcastToRank, empty, reduce, reduceXor } from './ops/lax-reduce.js';
import { sort, sortKeyVal, topK } from './ops/lax-sort.js';
import { associativeScan, map } from './ops/lax-scan.js';

export * from './core/index.js';
export { nn, np, optim, random, ssl, swav, tree };

/**
 * jax.lax's names: the core's control flow and random bits, the dynamic slices (compositions
 * of np's indexing, lib/ops/dynamic-slice.ts), jax.lax's array API with its strict dtype and
 * shape rules (lib/ops/lax-*.ts: elementwise, structural, reductions, dot/conv, sort, map and
 * associativeScan; docs/core.md) and the collectives. This export takes the place of the
 * core's `lax` in the star export above.
 */
export const lax = {
  ...coreLax,
  dynamicSlice, dynamicUpdateSlice, dynamicSliceInDim, dynamicUpdateSliceInDim, dynamicIndexInDim,
  ...laxElementwise, ...laxStructural, ...laxReductions, ...laxDotConv, ...laxMore, ...laxSpecial,
  ...laxBits, ...laxConvExtra, ...laxGatherScatter, customRoot, customLinearSolve, reduce, reduceXor, empty, broadcastToRank,
  sort, sortKeyVal, topK, map, associativeScan, stopGradient,
  psum, pmean, pmax, pmin, allGather, allToAll, ppermute, psumScatter, axisIndex, axisSize,
} as const;
export { getBackend, ready, relaxedSimdAvailable, setBackend, setWasmPaths, type BackendName, type WasmPaths } from './backend/index.js';
export { tf };
export * as scipy from './scipy/index.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
