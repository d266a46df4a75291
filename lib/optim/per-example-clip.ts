/**
 * Per-example gradient clipping for differential privacy (optax `transforms/_clipping.py`
 * `per_example_global_norm_clip`, `per_example_layer_norm_clip`): every leaf has a leading batch
 * axis; each example's gradient is scaled down to a norm bound and the clipped gradients are
 * summed over the batch.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';

/** Throws unless every leaf has the same leading (batch) axis, as optax's `_check_arrays_have_batch_dim`. */
function checkBatchDim(leaves: NdArray[], what: string): void {
  const shapes = leaves.map((g) => `[${g.shape.join(', ')}]`).join(', ');
  if (leaves.length === 0) throw new Error(`${what}: grads has no leaves`);
  const b = leaves[0].shape[0];
  if (!leaves.every((g) => g.shape.length >= 1 && g.shape[0] === b))
    throw new Error(`${what}: expects every leaf of grads to have the same batch dimension on axis 0, got shapes ${shapes}`);
}

/** float32 [B]: the squared L2 norm of each example's slice of `g` (all axes but the first). */
function perExampleSquaredNorm(g: NdArray): NdArray {
  const sq = np.square(np.cast(g, 'float32'));
  return g.shape.length === 1 ? sq : np.sum(np.reshape(sq, [g.shape[0], -1]), 1);
}

/** Scales each example by `min(clip / norm, 1)` (1 where that is NaN), sums over the batch; also the number clipped. */
function clipAndSum(leaves: NdArray[], norms: NdArray, clip: number | NdArray): [NdArray[], NdArray] {
  const multipliers = np.nanToNum(np.minimum(np.div(clip, norms), 1), { nan: 1 });
  const numClipped = np.sum(np.cast(np.less(multipliers, 1), 'int32'));
  return [leaves.map((g) => np.tensordot(multipliers, np.cast(g, 'float32'), 1)), numClipped];
}

/**
 * optax's `per_example_global_norm_clip`: each example's gradient (its slice of every leaf) is
 * scaled to global norm at most `l2NormClip`; returns the sum over the batch of the clipped
 * gradients (float32, the leaves without their batch axis) and the number clipped (int32 []).
 * @example perExampleGlobalNormClip([np.array([[0, 0, 0], [0, 3, 4], [4, 0, 3], [3, 4, 0]])], 1.25) // [[1.75, 1.75, 1.75]], 3
 */
export function perExampleGlobalNormClip<T>(grads: T, l2NormClip: number | NdArray): [T, NdArray] {
  const leaves = tree.leaves<NdArray>(grads);
  checkBatchDim(leaves, 'perExampleGlobalNormClip');
  const norms = np.sqrt(leaves.map(perExampleSquaredNorm).reduce((a, b) => np.add(a, b)));
  const [sums, numClipped] = clipAndSum(leaves, norms, l2NormClip);
  return [tree.unflatten(tree.structure(grads), sums) as T, numClipped];
}

/**
 * optax's `per_example_layer_norm_clip`: each leaf ("layer") clipped per example on its own, to
 * `C / sqrt(K)` for K leaves (`uniform`, default) or `C sqrt(D_i / D)` (D_i elements per example in
 * the leaf, D in all); returns the tree of batch sums and the tree of per-leaf clipped counts.
 */
export function perExampleLayerNormClip<T>(grads: T, globalL2NormClip: number, uniform = true): [T, unknown] {
  const leaves = tree.leaves<NdArray>(grads);
  checkBatchDim(leaves, 'perExampleLayerNormClip');
  const perExample = leaves.map((g) => g.shape.slice(1).reduce((a, b) => a * b, 1));
  const total = perExample.reduce((a, b) => a + b, 0);
  const results = leaves.map((g, i) => {
    const clip = uniform ? globalL2NormClip * (1 / leaves.length) ** 0.5 : globalL2NormClip * (perExample[i] / total) ** 0.5;
    const [[sum], count] = clipAndSum([g], np.sqrt(perExampleSquaredNorm(g)), clip);
    return [sum, count] as const;
  });
  const def = tree.structure(grads);
  return [tree.unflatten(def, results.map((r) => r[0])) as T, tree.unflatten(def, results.map((r) => r[1]))];
}
