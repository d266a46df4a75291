/**
 * Where the SwAV step's time goes: a timer around every tfjs kernel the jitted step
 * launches, summed by kernel name and input shapes, after the step's own wall time.
 *
 *   npm run bench:profile -- [--batch 256] [--steps 3] [--top 30] [--encoder vit|resnet18|mlp]
 *                            [--threads T --kernel-threads K]
 *
 * `--encoder vit`: section 9's step instead (ViT-tiny, patch 4 on two 32x32x3 views, projector
 * 192-2048-128, K = 3000; batch 64 unless given) of the small ConvNet's on 28x28 views;
 * `--encoder resnet18`: section 8's (ResNet-18 with the low-resolution stem, projector
 * 512-2048-128, K = 3000, batch 64 unless given); `--encoder mlp`: the MLP step of section 1
 * (784-1024-1024-10, SGD; batch 512 unless given). `--threads T --kernel-threads K`: the
 * step on `enableWasmThreads(T, { kernelThreads: K })` (docs/parallel.md): each kernel's time
 * is then its time on the threads it splits over.
 *
 * The wasm backend runs kernels synchronously, so wall time around `runKernel` is the
 * kernel's time. The timer costs ~1 µs per kernel (about 1-2 ms per step).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/node.js';
import { enableWasmThreads } from '../lib/parallel/index.js';
import { ourSwav } from './context.js';
import { mlpTrainStep } from './mlp.js';
import { median, relaxedSimdSetting } from './harness.js';
import { encoderSwavConfig, RESNET, VIT } from './sections/encoders.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const encoderName = args.includes('--encoder') ? args[args.indexOf('--encoder') + 1] : 'convnet';
const encoder = encoderName === 'vit' ? VIT : encoderName === 'resnet18' ? RESNET : null;
const mlp = encoderName === 'mlp';
if (encoderName !== 'convnet' && encoder === null && !mlp) throw new Error(`--encoder ${encoderName}: expected vit, resnet18 or mlp`);
const batch = flag('batch', mlp ? 512 : encoder ? 64 : 256);
const steps = flag('steps', 3);
const top = flag('top', 30);

const relaxed = relaxedSimdSetting(args);
const [threads, kernelThreads] = [flag('threads', 1), flag('kernel-threads', 1)];
const threading = threads > 1 || kernelThreads > 1 ? `, enableWasmThreads(${threads}, { kernelThreads: ${kernelThreads} }): ${JSON.stringify(await enableWasmThreads(threads, { kernelThreads }))}` : '';
if (!threading) await setBackend('wasm');
const mlpRunner = () => {
  const step = mlpTrainStep([784, 1024, 10], { x: tf.randomUniform([batch, 784], 0, 1, 'float32', 4), y: tf.randomUniform([batch], 0, 10, 'int32', 5) });
  return { step, dispose: () => {} };
};
const runner = mlp
  ? mlpRunner()
  : encoder
    ? ourSwav('tfjax jit', { batch, views: [32, 32], channels: 3, config: encoderSwavConfig(encoder, 3000) })
    : ourSwav('tfjax jit', { batch, views: [28, 28] });
runner.step();

interface Entry { calls: number; ms: number }
const byKernel = new Map<string, Entry>();
const byName = new Map<string, Entry>();
const engine = tf.engine();
const runKernel = engine.runKernel.bind(engine);
let profiling = false;
const add = (map: Map<string, Entry>, key: string, ms: number) => {
  const e = map.get(key) ?? { calls: 0, ms: 0 };
  e.calls++;
  e.ms += ms;
  map.set(key, e);
};
engine.runKernel = ((name: string, inputs: Record<string, tf.Tensor>, attrs: object) => {
  if (!profiling) return runKernel(name, inputs, attrs as never);
  const t0 = performance.now();
  const out = runKernel(name, inputs, attrs as never);
  const ms = performance.now() - t0;
  const shapes = Object.values(inputs).filter((t) => t != null).map((t) => `[${t.shape.join(',')}]`).join(' ');
  add(byKernel, `${name} ${shapes}`, ms);
  add(byName, name, ms);
  return out;
}) as typeof engine.runKernel;

const walls: number[] = [];
profiling = true;
for (let s = 0; s < steps; s++) {
  const t0 = performance.now();
  runner.step();
  walls.push(performance.now() - t0);
}
profiling = false;
runner.dispose();

const total = [...byName.values()].reduce((a, e) => a + e.ms, 0) / steps;
const fmt = (map: Map<string, Entry>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, n)
    .map(([k, e]) => `| ${k} | ${(e.calls / steps).toFixed(0)} | ${(e.ms / steps).toFixed(1)} | ${((100 * e.ms) / steps / total).toFixed(1)}% |`)
    .join('\n');
const what = mlp ? 'MLP step 784-1024-1024-10' : `SwAV step${encoder ? ` (${encoder.label})` : ''}, two ${encoder ? '32x32x3' : '28x28'} views`;
console.log(`${what}, batch ${batch}, jitted, tfjs wasm${threading}, ${relaxed}: median ${median(walls).toFixed(0)} ms per step over ${steps}; kernels ${total.toFixed(0)} ms\n`);
console.log(`| kernel | calls/step | ms/step | share |\n|---|---|---|---|\n${fmt(byName, top)}\n`);
console.log(`| kernel and input shapes | calls/step | ms/step | share |\n|---|---|---|---|\n${fmt(byKernel, top)}`);
