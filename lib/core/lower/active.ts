/** The one place that asks tfjs which backend is active (see lower/index.ts). */
import * as tf from '@tensorflow/tfjs-core';

/** The active tfjs backend's name ('cpu', 'wasm', 'webgpu', ...). */
export const activeBackend = (): string => tf.getBackend();
