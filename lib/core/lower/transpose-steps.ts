/**
 * A transpose of many axes as a few transposes of at most four: tfjs's wasm Transpose has
 * kernels for rank 2 to 4 and an element-by-element loop above (a ViT's qkv permutation
 * [N, T, 3, H, hd] -> [3, N, H, T, hd] took 410 ms against 3 ms for each of the two
 * rank-4 moves below, which give the same result).
 */
import { mergeTransposeAxes } from './tfjs-kernels.js';

/** One move: reshape to `shape`, transpose by `perm` ([A, B, X, C] -> [A, X, B, C] without its size-1 blocks). */
export interface TransposeStep {
  readonly shape: readonly number[];
  readonly perm: readonly number[];
}

const sizeOf = (shape: readonly number[], axes: readonly number[]) => axes.reduce((n, a) => n * shape[a]!, 1);

/**
 * The permutation `perm` of an array of `shape` as moves of one (merged) axis each, in
 * order: step k brings the axis that belongs at position k there, past the block of axes
 * between (so at most rank - 1 moves, each a transpose [A, B, X, C] -> [A, X, B, C] of rank
 * 2 to 4: blocks of size 1 are left out). Axes that stay next to each other and size-1 axes
 * are merged first; an identity gives no steps.
 *
 * ```ts
 * transposeSteps([64, 65, 3, 3, 64], [2, 0, 3, 1, 4]);
 * // [{ shape: [4160, 3, 192], perm: [1, 0, 2] }, { shape: [192, 65, 3, 64], perm: [0, 2, 1, 3] }]
 * ```
 */
export function transposeSteps(shape: readonly number[], perm: readonly number[]): TransposeStep[] {
  const merged = mergeTransposeAxes(shape, perm);
  const current = merged.shape.map((_, i) => i); // the merged axes in their present order
  const steps: TransposeStep[] = [];
  merged.perm.forEach((axis, k) => {
    const j = current.indexOf(axis);
    if (j === k) return;
    const at = (from: number, to: number) => sizeOf(merged.shape, current.slice(from, to));
    steps.push(mergeTransposeAxes([at(0, k), at(k, j), merged.shape[axis]!, at(j + 1, current.length)], [0, 2, 1, 3]));
    current.splice(j, 1);
    current.splice(k, 0, axis);
  });
  return steps;
}
