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
import { lax as coreLax } from './core/index.js';
import { dynamicIndexInDim, dynamicSlice, dynamicSliceInDim, dynamicUpdateSlice, dynamicUpdateSliceInDim } from './ops/dynamic-slice.js';

export * from './core/index.js';
export { nn, np, optim, random, ssl, swav, tree };

/**
 * jax.lax's names: the core's control flow and random bits, and the dynamic slices, which
 * are compositions of np's indexing (lib/ops/dynamic-slice.ts). This export takes the
 * place of the core's `lax` in the star export above.
 */
export const lax = { ...coreLax, dynamicSlice, dynamicUpdateSlice, dynamicSliceInDim, dynamicUpdateSliceInDim, dynamicIndexInDim } as const;
export { getBackend, ready, setBackend, setWasmPaths, type BackendName, type WasmPaths } from './backend/index.js';
export { tf };
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
