/**
 * `npx tsx bench/augment.ts`: the cost of the Fashion-MNIST multi-crop pipeline
 * (`fashionMnistAugment`: 2 x 28 global + 4 x 14 local views) on one batch of 256 real
 * Fashion-MNIST images, eager vs jit, in one process, interleaved. Prints ms per batch
 * (median and best of the timed runs) for the preset and for the preset plus blur (p = 0.5)
 * and solarisation (p = 0.2), and the share of a training step it would take.
 *
 * Each timed run draws a fresh key (`foldIn(key, step)`, as training does), runs the
 * pipeline, and reads every view back (`dataSync`), so the time includes the kernels.
 * Besides wall time it reports the process's CPU time per batch (`process.cpuUsage`, which
 * also counts V8's background threads, so it runs ~15% above an uncontended wall time),
 * and a 512 x 512 matmul calibration: on a shared 2-core machine other processes inflate
 * wall times; the calibration says whether this run had the CPU to itself.
 * Flags: --backend wasm|cpu (default wasm), --batch N (256), --reps N (15),
 * --synthetic (random images instead of Fashion-MNIST), --step-ms X (the train step time to
 * compare with; default: print the share of a 500 ms and a 1000 ms step).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { jit } from '../lib/core/index.js';
import { fashionMnistAugment, multiCrop, type MultiCropConfig } from '../lib/data/augment/index.js';
import { gatherImages, loadFashionMnist } from '../lib/data/index.js';
import * as random from '../lib/random/index.js';
import { machine, median } from './harness.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return dflt;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
};
const backend = flag('backend', 'wasm') as 'wasm' | 'cpu';
const batch = Number(flag('batch', '256'));
const reps = Number(flag('reps', '15'));
const stepMs = flag('step-ms', '');
await setBackend(backend);

let images: tf.Tensor4D;
let source: string;
if (args.includes('--synthetic')) {
  images = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
  source = 'synthetic uniform images';
} else {
  const t0 = performance.now();
  const ds = await loadFashionMnist({ split: 'train' });
  const idx = Int32Array.from({ length: batch }, (_, i) => (i * 7919) % ds.n);
  images = tf.tensor4d(gatherImages(ds, idx), [batch, 28, 28, 1]);
  source = `Fashion-MNIST train (${ds.n} images, loaded from ${ds.loadedFrom} in ${((performance.now() - t0) / 1000).toFixed(1)} s)`;
}

const pipelines: [string, MultiCropConfig][] = [
  ['fashionMnistAugment (2x28 + 4x14; flip, brightness/contrast p=0.8)', fashionMnistAugment],
  ['  + blur p=0.5 (3x3, sigma 0.1-2) + solarize p=0.2', { ...fashionMnistAugment, blur: { p: 0.5, sigma: [0.1, 2.0] }, solarize: { p: 0.2 } }],
];

console.log(`# Augmentation cost: multi-crop at batch ${batch}\n`);
console.log(`${machine()}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (at start)`);
console.log(`images: ${source}; ${reps} timed runs per contender after 2 warm-ups, interleaved\n`);
const rows: string[] = [];
const root = random.key(0);
let step = 0;
/** One batch: wall and CPU milliseconds. */
const runOnce = (f: (k: tf.Tensor, x: tf.Tensor) => unknown) => (): [number, number] => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const k = random.foldIn(root, step++) as tf.Tensor;
  const views = f(k, images) as tf.Tensor[];
  views.forEach((v) => v.dataSync());
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  views.forEach((v) => v.dispose());
  k.dispose();
  return [wall, (c.user + c.system) / 1000];
};
/** Warm-ups, then `reps` rounds interleaving the contenders. */
function compare(contenders: { name: string; step: () => [number, number] }[], warmup: number) {
  for (const c of contenders) for (let i = 0; i < warmup; i++) c.step();
  const runs = contenders.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let r = 0; r < reps; r++)
    contenders.forEach((c, i) => {
      const [w, cpu] = c.step();
      runs[i].wall.push(w);
      runs[i].cpu.push(cpu);
    });
  return contenders.map((c, i) => ({ name: c.name, ...runs[i] }));
}
for (const [name, cfg] of pipelines) {
  const jitted = jit((k: tf.Tensor, x: tf.Tensor) => multiCrop(k, x, cfg));
  const kernels = jitted.lower(root, images).numKernels;
  const before = tf.memory().numTensors;
  const ts = compare(
    [
      { name: 'eager', step: runOnce((k, x) => multiCrop(k, x, cfg)) },
      { name: 'jit', step: runOnce(jitted) },
    ],
    2,
  );
  const leaked = tf.memory().numTensors - before;
  for (const t of ts) {
    const cpu = median(t.cpu);
    const wall = median(t.wall);
    const pct = (ms: number) => `${((100 * wall) / ms).toFixed(1)}%`;
    const share = stepMs ? `${pct(Number(stepMs))} of a ${stepMs} ms step` : `${pct(500)} / ${pct(1000)} of a 500 / 1000 ms step`;
    rows.push(`| ${name} | ${t.name} | ${wall.toFixed(1)} | ${Math.min(...t.wall).toFixed(1)} | ${cpu.toFixed(1)} | ${share} |`);
  }
  rows.push(`| | (jit program: ${kernels} kernels; tensors left after the runs: ${leaked}) | | | | |`);
  jitted.clearCache();
}
// Calibration: how fast this process multiplies right now (wall time), against the figure
// in docs/benchmarks.md (wasm on the 2-core machine, uncontended: 512x512 at ~23 GFLOP/s).
const calib = (() => {
  const a = tf.randomUniform([512, 512]);
  const b = tf.randomUniform([512, 512]);
  const ms: number[] = [];
  for (let i = 0; i < 12; i++) {
    const t0 = performance.now();
    const o = tf.matMul(a, b);
    o.dataSync();
    ms.push(performance.now() - t0);
    o.dispose();
  }
  a.dispose();
  b.dispose();
  return (2 * 512 ** 3) / (median(ms.slice(2)) * 1e6);
})();
console.log('| pipeline | mode | wall ms / batch (median) | wall ms (best) | CPU ms / batch (median) | share of a train step (wall median) |\n|---|---|---|---|---|---|');
console.log(rows.join('\n'));
console.log(`\ncalibration: a 512x512 matmul ran at ${calib.toFixed(1)} GFLOP/s (wall; about 23 uncontended on the 2-core machine, docs/benchmarks.md); well below that, other processes were slowing this run`);
console.log(`load average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (on 2 cores, a load above ~1 means other processes share the CPU: wall times grow, CPU times much less)`);
