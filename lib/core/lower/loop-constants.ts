/**
 * Forms of a loop's constants made once per loop: while a loop primitive runs its iterations
 * (scan, whileLoop), a kernel that prepares an operand before its work (our product packs B in
 * panels) keeps that form of a loop constant until the loop ends instead of making it again at
 * every call (an RNN's weights were packed five times per step of its value and gradient).
 * Arrays are immutable and a constant's data outlives the loop, so its data id names its contents.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { keep } from '@tensorflow/tfjs-core';

type DataId = tf.Tensor['dataId'];

interface Scope {
  readonly ids: ReadonlySet<DataId>;
  /** Per constant's data, the forms made of it, by the kernel's key. */
  readonly made: Map<DataId, Map<string, tf.Tensor>>;
}

const scopes: Scope[] = [];

/**
 * Runs `loop` with `consts` as loop constants: forms of them made through {@link loopConstantForm}
 * while it runs are kept until it returns (or throws), then freed.
 */
export function withLoopConstants<T>(consts: readonly tf.Tensor[], loop: () => T): T {
  const scope: Scope = { ids: new Set(consts.map((c) => c.dataId)), made: new Map() };
  scopes.push(scope);
  try {
    return loop();
  } finally {
    scopes.splice(scopes.lastIndexOf(scope), 1);
    for (const forms of scope.made.values()) for (const t of forms.values()) t.dispose();
  }
}

/**
 * `make()` of x, made once per loop where x is a constant of a running loop (the outermost such
 * loop keeps it, so inner loops share it); else made each call. The caller must not dispose
 * the result: call it inside a `tf.tidy`, which frees the forms of non-constants.
 * `key` names the form, with whatever of x's view it depends on (its shape, say).
 */
export function loopConstantForm(x: tf.Tensor, key: string, make: () => tf.Tensor): tf.Tensor {
  const scope = scopes.find((s) => s.ids.has(x.dataId));
  if (!scope) return make();
  let forms = scope.made.get(x.dataId);
  if (!forms) scope.made.set(x.dataId, (forms = new Map()));
  let form = forms.get(key);
  if (!form) forms.set(key, (form = keep(make())));
  return form;
}
