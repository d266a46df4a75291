/**
 * `npx tsx bench/matmul-threads.ts [--reps N]`: our product kernel (lib/backend/wasm-batch-matmul.ts)
 * on one thread and split over 2 kernel threads (`enableWasmThreads(2, { kernelThreads: 2 })`,
 * claimed parts as in normal use), interleaved calls in one process, medians of --reps N (default
 * 25) calls each, on a ViT attention product and the MLP's first layer; prints the load average.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { PANEL, batchMatMulWasm, paddedColumns } from '../lib/backend/wasm-batch-matmul.js';
import { forceHeapSplit } from '../lib/backend/wasm-heap.js';
import { enableWasmThreads } from '../lib/parallel/index.js';
import { flagValue, markdownTable, median, relaxedSimdSetting } from './harness.js';

const reps = Number(flagValue(process.argv.slice(2), 'reps', '25'));
const relaxed = relaxedSimdSetting(process.argv.slice(2));
const info = await enableWasmThreads(2, { kernelThreads: 2 });
if (info.kernelThreads !== 2) throw new Error(`bench/matmul-threads: our kernels run on ${info.kernelThreads} thread(s) here (no shared heap?)`);
const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const rows: string[][] = [];
for (const [batch, m, k, n] of [[192, 65, 64, 65], [1, 512, 784, 1024]] as const) {
  const a = tf.randomUniform([batch, m, k]);
  const b = tf.randomUniform([batch, paddedColumns(n) / PANEL, k, PANEL]);
  /** One call: on one thread (forced into 1 part) or as in normal use (2 threads claiming parts). */
  const time = (oneThread: boolean) => {
    forceHeapSplit(oneThread ? { parts: 1 } : null);
    const t0 = performance.now();
    tf.tidy(() => batchMatMulWasm(a, b, { batch, m, k, n })).dispose();
    const ms = performance.now() - t0;
    forceHeapSplit(null);
    return ms;
  };
  const [one, two]: number[][] = [[], []];
  for (let r = 0; r <= reps; r++) {
    const [t1, t2] = [time(true), time(false)];
    if (r > 0) one.push(t1), two.push(t2); // the first pair compiles and warms up
  }
  const [m1, m2] = [median(one), median(two)];
  rows.push([`[${batch}, ${m}, ${k}] x [${k}, ${n}]`, m1.toFixed(2), m2.toFixed(2), `${(m1 / m2).toFixed(2)}x`]);
  tf.dispose([a, b]);
}
console.log(`## bench/matmul-threads (${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}; ${relaxed}; medians of ${reps} interleaved calls)\n`);
console.log(markdownTable(['product', '1 thread, ms', '2 kernel threads, ms', '1 / 2 threads'], rows));
console.log(`Load average (1/5/15 min) before: ${loadBefore}; after: ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}.`);
