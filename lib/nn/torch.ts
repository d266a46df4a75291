/** Layout conversions between our parameter layouts and PyTorch's. */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/index.js';
import { type Layer, type TorchDict, TorchReader, type Variables } from './layer.js';

const concrete = (x: NdArray, what: string): tf.Tensor => {
  if (!(x instanceof tf.Tensor)) throw new Error(`${what}: expected concrete arrays (call it outside jit/grad/vmap)`);
  return x;
};

/** Linear: ours [in, out] <-> PyTorch weight [out, in]. */
export const linearToTorch = (w: NdArray) => tf.transpose(concrete(w, 'toTorch'), [1, 0]);
export const linearFromTorch = (w: tf.Tensor) => tf.transpose(w, [1, 0]);

/** Conv2d: ours HWIO [kh, kw, in/groups, out] <-> PyTorch OIHW [out, in/groups, kh, kw]. */
export const convToTorch = (w: NdArray) => tf.transpose(concrete(w, 'toTorch'), [3, 2, 0, 1]);
export const convFromTorch = (w: tf.Tensor) => tf.transpose(w, [2, 3, 1, 0]);

/** A copy the caller owns (shares data with the original in tfjs). */
export const copy = (x: NdArray) => tf.clone(concrete(x, 'toTorch'));

/** Each layer kind's weight as PyTorch lays it out: PyTorch's axis j is our axis perm[j]. */
const TORCH_WEIGHT_LAYOUTS: Readonly<Record<string, readonly number[]>> = {
  linear: [1, 0],
  conv2d: [3, 2, 0, 1],
  conv1d: [2, 1, 0],
  convTranspose2d: [2, 3, 0, 1],
  convTranspose1d: [1, 2, 0],
  embedding: [0, 1],
  prelu: [0],
};

/**
 * The permutation taking a layer's weight `w` (our layout) to PyTorch's (`tf.transpose(w, perm)`):
 * `layout` when given, else the layer kind's; an unknown kind is an error naming it.
 */
export function torchWeightLayout(kind: string, w: NdArray | undefined, layout: readonly number[] | undefined, what: string): readonly number[] {
  if (!w) throw new Error(`${what}: layer kind '${kind}' has no weight parameter 'w'`);
  const rank = w.shape.length;
  const perm = layout ?? TORCH_WEIGHT_LAYOUTS[kind];
  if (!perm) throw new Error(`${what}: no PyTorch weight layout known for layer kind '${kind}'; give { layout } (PyTorch's axis j is our axis layout[j])`);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((a, i) => a !== i)) throw new Error(`${what}: layout ${JSON.stringify(perm)} is not a permutation of the weight's ${rank} axes`);
  return perm;
}

/** The inverse permutation: `tf.transpose(torchW, inversePerm(perm))` is our layout again. */
export const inversePerm = (perm: readonly number[]) => perm.map((_, i) => perm.indexOf(i));

/**
 * A layer's variables written with its weight under another PyTorch name (`weight_v`, `weight_orig`):
 * the layer's own toTorch with `w` replaced, its `weight` entry renamed.
 */
export function weightToTorchAs<P>(layer: Layer<P>, v: Variables<P>, prefix: string, out: TorchDict, name: string): void {
  const tmp: TorchDict = {};
  layer.toTorch(v, prefix, tmp);
  for (const [k, t] of Object.entries(tmp)) out[k === `${prefix}weight` ? `${prefix}${name}` : k] = t;
}

/** A layer's variables read with its weight from another PyTorch name: the layer's fromTorch (and shape checks) on `weight` = that entry. */
export function weightFromTorchAs<P, S>(layer: Layer<P, S>, r: TorchReader, prefix: string, name: string): Variables<P, S> {
  const weight = r.get(`${prefix}${name}`);
  const sub = new TorchReader({ ...r.dict, [`${prefix}weight`]: weight });
  const v = layer.fromTorch(sub, prefix);
  for (const n of sub.used) if (n !== `${prefix}weight`) r.used.add(n);
  return v;
}
