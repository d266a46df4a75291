/**
 * Checkpoints: a pytree of tfjs tensors and plain values, saved as one safetensors file.
 *
 * Tensor leaves become safetensors entries named by their tree path (`.params.conv1.w`,
 * `.optState[0].mu.w`, as `tree.paths` writes them); the tree's structure and its other leaves
 * (numbers, strings, booleans, `null`) go into the file's `__metadata__` under `tfjax.structure`,
 * next to `tfjax.format_version` and any string metadata of the caller. The file is readable by
 * any safetensors reader (e.g. Python's `safetensors.safe_open`).
 *
 * Writes are atomic (temporary file, fsync, rename): a crash mid-save leaves the previous file.
 * Loads validate everything (file layout, structure, and optionally the shapes and dtypes of an
 * expected tree) before creating any tensor, so they never return a half-loaded tree.
 *
 * ```ts
 * await save('runs/x/ckpt.safetensors', {params, optState, step: 100, config});
 * const state = await load('runs/x/ckpt.safetensors', {like: {params, optState, step: 0, config}});
 * ```
 */
export { CheckpointError, FORMAT_VERSION, FORMAT_VERSION_KEY, STRUCTURE_KEY } from './format.js';
export { type SaveOptions, save } from './save.js';
export { type LoadOptions, load, loadBytes, readCheckpointMeta } from './load.js';
export { type SaveRotatingOptions, latestCheckpoint, listCheckpoints, listCheckpointsSync, saveRotating } from './rotate.js';
export { describeDecodeError, MAX_TREE_DEPTH, type StructNode } from './structure.js';
