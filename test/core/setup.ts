/**
 * Backend set-up shared by the core suites (not a test file itself).
 *
 * On webgpu, tfjs runs most kernels on the CPU when their inputs are small and still on
 * the host (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD, 1000 elements), so the small arrays of a
 * property test would hardly ever reach a shader. The core suites set the threshold to 0
 * before the webgpu backend loads (it reads the flag once, at import), so every kernel
 * they run is a WebGPU shader.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../../lib/backend/index.js';
import { testBackendName, useTestBackend } from '../helpers/backend.js';

export async function useCoreTestBackend(): Promise<BackendName> {
  if (testBackendName() === 'webgpu') {
    // The flag is registered by the webgpu package when it loads; a value already present in
    // the environment's flag table wins over its default.
    (tf.env() as unknown as { flags: Record<string, unknown> }).flags['WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD'] = 0;
  }
  return useTestBackend();
}
