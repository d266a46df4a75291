/** Whether an array's values can be read on the host now, for ops whose result shape they decide. */
import { canReadBack } from '../core/index.js';
import { type NdArray, isTracer } from '../core/trace.js';

/**
 * Why x's values cannot be read on the host now, as a phrase ("are traced ..."), or null when
 * they can: traced under a transformation, or on a backend without synchronous read-back.
 */
export function unreadable(x: NdArray): string | null {
  if (isTracer(x)) return 'are traced (jit, vmap or grad)';
  if (!canReadBack()) return 'cannot be read back synchronously on this backend (webgpu)';
  return null;
}
