/**
 * Child process of test/parallel/parallel.test.ts: starts what lib/parallel starts and
 * then simply ends its script, without closing anything. The parent checks that the
 * process exits by itself (code 0) and reads the lines it prints.
 *
 * argv: <backend> <threads: 0 = no enableWasmThreads> [kernel threads, default: threads]
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend, type BackendName } from '../../lib/backend/node.js';
import { np } from '../../lib/node.js';
import { dataParallel, enableWasmThreads } from '../../lib/parallel/index.js';

const backend = process.argv[2] as BackendName;
const threads = Number(process.argv[3]);
const kernelThreads = Number(process.argv[4] ?? threads);
if (threads > 0) {
  const info = await enableWasmThreads(threads, { kernelThreads });
  // A matmul big enough for XNNPACK to split, against a float64 reference in JS.
  const n = 96;
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 7);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 8);
  const got = tf.matMul(a, b).dataSync();
  const av = a.dataSync();
  const bv = b.dataSync();
  let maxErr = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += av[i * n + k] * bv[k * n + j];
      maxErr = Math.max(maxErr, Math.abs(s - got[i * n + j]));
    }
  }
  // Our own wasm kernels on the threaded build's shared heap: a strided convolution and
  // its filter gradient, against tfjs's XNNPACK convolution and the transposed formulation.
  const x = tf.randomUniform([2, 9, 9, 8], -1, 1, 'float32', 9) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, 8, 12], -1, 1, 'float32', 10) as tf.Tensor4D;
  const ours = np.conv2d(x, w, { strides: 2, padding: 1 }) as tf.Tensor;
  const xnn = tf.conv2d(x, w, 2, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const convErr = tf.max(tf.abs(tf.sub(ours, xnn))).dataSync()[0];
  const usedOurs = tf.getKernel('TfjaxConvPasses', 'wasm') !== undefined;
  // One big enough to be split between our kernel threads (so that their workers have run a job).
  np.conv2d(tf.ones([4, 16, 16, 16]), tf.ones([3, 3, 16, 16]), { padding: 1 }).dataSync();
  console.log(`@@threads ${JSON.stringify({ threads: info.threads, kernelThreads: info.kernelThreads, maxErr, convErr, usedOurs })}`);
} else {
  await setBackend(backend);
}

const dp = await dataParallel({ workers: 2, module: new URL('./replicas.ts', import.meta.url), arg: { kind: 'mlp', lr: 0.1, sizes: [4, 3] }, backend });
const { metrics } = await dp.step({ x: tf.ones([4, 4]), y: tf.tensor1d([0, 1, 2, 0], 'int32') });
console.log(`@@step ${JSON.stringify(metrics)}`);
// No dp.close(): idle workers must not keep the process alive.
