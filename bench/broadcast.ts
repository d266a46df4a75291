/**
 * Broadcasting float32 arithmetic on the wasm backend: tfjs's Add kernel (XNNPACK) against
 * the kernel the add primitive runs on wasm (lib/core/lower/wasm-kernels.ts's arithmeticWasm:
 * our loop where one operand is a vector of fewer than 256 channels, tfjs's Add otherwise), on
 * the MLP's, the ConvNet's and Sinkhorn's shapes; interleaved, medians of --reps calls
 * (default 201), wall microseconds and their ratio. `--threads 2` starts tfjs's threaded
 * build with our kernels on 2 threads (XNNPACK then hands each call to its pool).
 *
 *   npx tsx bench/broadcast.ts [--threads 1|2] [--reps 201]
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { arithmeticWasm } from '../lib/core/lower/wasm-kernels.js';
import { enableWasmThreads } from '../lib/parallel/index.js';
import { compare, flagValue, markdownTable } from './harness.js';

const args = process.argv.slice(2);
const threads = Number(flagValue(args, 'threads', '1'));
const reps = Number(flagValue(args, 'reps', '201'));
if (threads === 2) await enableWasmThreads(2, { kernelThreads: 2 });
else await setBackend('wasm');

const CASES: [string, number[], number[]][] = [
  ['softmax rows (the MLP loss, stays with tfjs)', [512, 10], [512, 1]],
  ['bias of 10 classes', [512, 10], [10]],
  ['BatchNorm scale, 32 channels', [256, 28, 28, 32], [32]],
  ['BatchNorm scale, 64 channels', [256, 14, 14, 64], [64]],
  ['Sinkhorn rows (stays with tfjs)', [512, 3000], [512, 1]],
  ['bias of 1024 (stays with tfjs)', [512, 1024], [1024]],
  ['a scalar (stays with tfjs)', [512, 3000], []],
];
console.log(`tfjs wasm ${threads === 2 ? 'threaded build, XNNPACK and our kernels on 2 threads' : 'SIMD build, one thread'}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const add = arithmeticWasm('add', tf.add);
const rows: string[][] = [];
for (const [what, sa, sb] of CASES) {
  const [a, b] = [tf.randomUniform(sa), tf.randomUniform(sb)];
  const [tfjs, ours] = await compare(
    [
      { name: "tfjs's Add", step: () => void tf.add(a, b).dispose() },
      { name: 'the add primitive', step: () => void add(a, b).dispose() },
    ],
    { warmup: 5, reps },
  );
  const us = (ms: number) => (ms * 1000).toFixed(0);
  rows.push([what, `[${sa}] + [${sb}]`, us(tfjs!.medianMs), us(ours!.medianMs), (tfjs!.medianMs / ours!.medianMs).toFixed(2)]);
  tf.dispose([a, b]);
}
console.log(markdownTable(["case", 'shapes', "tfjs's Add, us", 'the primitive, us', 'tfjs / primitive'], rows));
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
