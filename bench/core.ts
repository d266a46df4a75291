/**
 * `npm run bench:core`: on one backend, in one process, interleaved:
 *  1. an MLP training step (784-1024-1024-10, batch 512, SGD): eager vs jit of our
 *     valueAndGrad, and tfjs's own tape (tf.variableGrads + manual SGD) on the same maths;
 *  2. a small ConvNet step (3 convs + ReLU, global pool, linear; batch 64): eager vs jit
 *     (tfjs's tape cannot run it on wasm, which lacks Conv2DBackpropFilter);
 *  3. kernels launched per jitted step with and without jit's rewrites.
 * Flags: --backend wasm|cpu (default wasm), --reps N, --quick (one rep, small shapes: CI smoke).
 */
import * as tf from '@tensorflow/tfjs-core';
import { jit, np, setBackend, valueAndGrad } from '../lib/node.js';
import type { NdArray } from '../lib/node.js';
import { type Timing, compare, flagValue, machine, table } from './harness.js';
import '@tensorflow/tfjs'; // registers tfjs's own gradients (bench-only dependency)
import { mlpInit as initMlp, mlpLoss } from './mlp.js';
import { tfjsTapeMlpStep } from './peers/tfjs.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => flagValue(args, name, dflt);
const quick = args.includes('--quick');
const backend = flag('backend', 'wasm') as 'wasm' | 'cpu';
const reps = Number(flag('reps', quick ? '1' : '5'));
await setBackend(backend);

type Params = Record<string, NdArray>;
const rand = (shape: number[], scale: number) => tf.mul(tf.randomUniform(shape, -1, 1, 'float32', 1), scale);

// ---------- MLP ----------
const [B, D, H, K] = quick ? [32, 784, 64, 10] : [512, 784, 1024, 10];
const mlpInit = () => initMlp(D, H, K);
const x = tf.randomUniform([B, D], 0, 1, 'float32', 2);
const labels = tf.randomUniform([B], 0, K, 'int32', 3);
const lr = 0.01;
const sgd = (p: Params, g: Params): Params => Object.fromEntries(Object.keys(p).map((k) => [k, np.sub(p[k], np.mul(g[k], lr))]));
const ourStep = (p: Params, xb: NdArray, yb: NdArray) => {
  const [loss, g] = valueAndGrad(mlpLoss)(p, xb, yb);
  return { loss, params: sgd(p, g as Params) };
};
const jitStep = jit(ourStep);

function runner(name: string, step: (p: Params) => { loss: NdArray; params: Params }, init: () => Params) {
  let p = init();
  return {
    name,
    step: () => {
      const out = step(p);
      (out.loss as tf.Tensor).dataSync();
      Object.values(p).forEach((t) => (t as tf.Tensor).dispose());
      (out.loss as tf.Tensor).dispose();
      p = out.params;
    },
  };
}

// tfjs's own training path: variables, tape gradients, manual SGD.
const tapeStep = { name: 'tfjs tape (tf.variableGrads)', step: tfjsTapeMlpStep(mlpInit(), x, labels, K, lr, 'mlp').step };

const mlpFlops = 3 * 2 * B * (D * H + H * H + H * K); // forward + 2x for the backward
const mlp = await compare(
  [tapeStep, runner('tfjax eager valueAndGrad', (p) => ourStep(p, x, labels), mlpInit), runner('tfjax jit(valueAndGrad)', (p) => jitStep(p, x, labels) as any, mlpInit)],
  { warmup: 1, reps },
);

// ---------- ConvNet ----------
const CB = quick ? 8 : 64;
const convInit = (): Params => ({
  c1: rand([3, 3, 1, 32], 1 / 3), c2: rand([3, 3, 32, 64], 1 / Math.sqrt(9 * 32)), c3: rand([3, 3, 64, 128], 1 / Math.sqrt(9 * 64)),
  w: rand([128, 10], 1 / Math.sqrt(128)), b: tf.zeros([10]),
});
const imgs = tf.randomUniform([CB, 28, 28, 1], 0, 1, 'float32', 4);
const clabels = tf.randomUniform([CB], 0, 10, 'int32', 5);
const convLoss = (p: Params, xb: NdArray, yb: NdArray) => {
  let h = np.relu(np.conv2d(xb, p.c1, { padding: 1 }));
  h = np.relu(np.conv2d(h, p.c2, { strides: 2, padding: 1 }));
  h = np.relu(np.conv2d(h, p.c3, { strides: 2, padding: 1 }));
  return np.crossEntropy(np.add(np.matmul(np.globalAvgPool(h), p.w), p.b), yb);
};
const convStep = (p: Params, xb: NdArray, yb: NdArray) => {
  const [loss, g] = valueAndGrad(convLoss)(p, xb, yb);
  return { loss, params: sgd(p, g as Params) };
};
const convJit = jit(convStep);
const conv = await compare(
  [runner('tfjax eager valueAndGrad', (p) => convStep(p, imgs, clabels), convInit), runner('tfjax jit(valueAndGrad)', (p) => convJit(p, imgs, clabels) as any, convInit)],
  { warmup: 1, reps },
);

// ---------- kernels per step ----------
const p0 = mlpInit();
const unfused = jit(ourStep, { fuse: false });
const kernels = `| step | kernels with rewrites | without fusion |\n|---|---|---|\n| MLP | ${jitStep.lower(p0, x, labels).numKernels} | ${unfused.lower(p0, x, labels).numKernels} |\n`;

const show = (title: string, ts: Timing[], flops?: number) => console.log(table(title, ts, flops));
console.log(`## bench:core (${machine()}${quick ? ', --quick' : ''})\n`);
show(`MLP step ${D}-${H}-${H}-${K}, batch ${B}`, mlp, mlpFlops);
show(`ConvNet step, batch ${CB}`, conv);
console.log(kernels);
