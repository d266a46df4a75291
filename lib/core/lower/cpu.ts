/** The cpu backend's lowering: where it runs a primitive differently from the default (tfjs.ts). */
import * as tf from '@tensorflow/tfjs-core';
import type { Lowering } from './kernel.js';

export const cpuLowering: Lowering = {
  // tfjs cpu's Log1p is Math.log1p, accurate for tiny x (the default's series is for backends whose Log1p is not).
  log1p: ([x]) => tf.log1p(x),
};
