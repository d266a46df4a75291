/**
 * A run's weights in the seed's stack: `method.toTorch` (stable-pretraining's state-dict
 * names and layouts: `backbone.*`, `projector.*`, `predictor.*`, `prototypes.*`, and
 * `backbone.student.*` / `backbone.teacher.*` for an EMA teacher) written as safetensors,
 * which PyTorch loads with `safetensors.torch.load_file` + `load_state_dict`. The method's
 * `fromTorch` reads such a file back ({@link importTorch}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsFile, writeSafetensorsFile } from '../io/safetensors-file.js';
import type { Method, MethodVariables } from '../ssl/method.js';

/** Writes the method's state dict of `params`/`state` to `path` (atomically); returns the number of tensors. */
export async function exportTorch(method: Method, params: unknown, state: unknown, path: string, metadata: Readonly<Record<string, string>> = {}): Promise<number> {
  const dict = method.toTorch(params, state);
  try {
    const entries = Object.entries(dict).map(([name, t]) => [name, { dtype: t.dtype === 'int32' ? ('int32' as const) : ('float32' as const), shape: t.shape, data: () => t.data() }] as const);
    await writeSafetensorsFile(path, Object.fromEntries(entries), metadata);
    return entries.length;
  } finally {
    tf.dispose(Object.values(dict));
  }
}

/** The method's parameters and state from a state-dict file written by {@link exportTorch} (or by PyTorch). */
export async function importTorch(method: Method, path: string): Promise<MethodVariables<unknown, unknown>> {
  const file = await readSafetensorsFile(path);
  const dict = Object.fromEntries(Object.entries(file.tensors).map(([name, t]) => [name, tf.tensor(t.data as Float32Array | Int32Array, [...t.shape], t.dtype === 'int32' ? 'int32' : 'float32')]));
  try {
    return method.fromTorch(dict);
  } finally {
    tf.dispose(Object.values(dict));
  }
}
