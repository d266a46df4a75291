/** Alternatives to Sinkhorn for computing codes from scores. */
import { type NdArray, shapeStr, stopGradient } from '../../core/index.js';
import * as np from '../../ops/index.js';

/**
 * Hard assignments: each sample's code is the one-hot of its best prototype (no
 * equipartition, so prone to collapse; a baseline). No gradient.
 * @example swav.trainStep(config, opt, { assign: hardAssignments })
 */
export function hardAssignments(scores: NdArray): NdArray {
  const s = scores.shape;
  if (s.length === 0 || s[s.length - 1] === 0) throw new Error(`hardAssignments: scores must be [..., K] with K >= 1 prototypes (e.g. [B, K]), got ${shapeStr(s)}`);
  return np.oneHot(np.argmax(stopGradient(scores), -1), s[s.length - 1]);
}
