/** grad, a second derivative, vmap(grad) and jit of f(x) = sum(x·eˣ), as the browser page runs them. */
import { heapKernelsAvailable } from '../../../lib/backend/wasm-heap.js';
import { getBackend, grad, jit, np, tf, vmap } from '../../../lib/index.js';

export interface CalculusResult {
  backend: string;
  df: number[];
  d2f: number[];
  perRow: number[];
  jitted: number[];
  /** tf.memory().numTensors after minus before. */
  leaked: number;
  /** Whether tfjax's own wasm kernels (compiled synchronously) run here. */
  heapKernels: boolean;
}

const f = (x: np.NdArray) => np.sum(np.mul(x, np.exp(x)));

/** Runs on the current backend; every number read with `await data()` (webgpu has no dataSync). */
export async function calculus(): Promise<CalculusResult> {
  const before = tf.memory().numTensors;
  const x = np.array([0.5, 1]);
  const xs = np.array([[0.5, 1], [0, -1]]);
  const step = jit(grad(f));
  const outs = [grad(f)(x), grad((y: np.NdArray) => np.sum(grad(f)(y)))(x), vmap(grad(f))(xs), step(x)];
  const [df, d2f, perRow, jitted] = await Promise.all(outs.map(async (t) => [...(await t.data())]));
  tf.dispose([x, xs, ...outs]);
  step.clearCache();
  return { backend: getBackend(), df: df!, d2f: d2f!, perRow: perRow!, jitted: jitted!, leaked: tf.memory().numTensors - before, heapKernels: heapKernelsAvailable() };
}
