/**
 * tfjax: JAX's way of working over TensorFlow.js kernels. Models are pure functions of
 * parameter trees; grad, vmap and jit are composable transformations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ready } from './backend/index.js';
import * as tree from './tree/index.js';
import * as np from './ops/index.js';
import * as optim from './optim/index.js';
import * as checkpoint from './checkpoint/index.js';
import * as ssl from './ssl/index.js';
import * as swav from './ssl/swav/index.js';
import * as random from './random/index.js';
import * as nn from './nn/index.js';

export * from './core/index.js';
export { checkpoint, nn, np, optim, random, ssl, swav, tree };
export { getBackend, ready, setBackend } from './backend/index.js';
export { tf };
export { readSafetensorsFile, writeSafetensorsFile, encodeSafetensors, decodeSafetensors } from './io/safetensors.js';

// Importing tfjax starts the default backend (wasm in Node), so arrays work right away;
// `await setBackend('cpu' | 'webgpu')` switches.
await ready();
