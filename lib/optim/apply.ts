/** Applying updates to parameters. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';

/**
 * `params + updates`, leaf by leaf (the updates already carry the sign: optimisers
 * return `-lr * direction`). The trees must have the same structure.
 * @example params = applyUpdates(params, updates);
 */
export function applyUpdates<P>(params: P, updates: P): P {
  return tree.map<P>((p: NdArray, u: NdArray) => np.add(p, u), params, updates);
}
