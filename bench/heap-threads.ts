/**
 * `npx tsx bench/heap-threads.ts`: where splitting one of our heap kernels between 2 threads
 * starts to pay (lib/backend/wasm-heap.ts's SPLIT_MIN_WORK). On tfjs's threaded build with
 * our kernels on 2 threads, direct 3x3 "same" convolutions (lib/backend/wasm-conv.ts) of
 * growing size, each timed as 1 part and as 2 parts (calling thread + a worker),
 * interleaved, medians of --reps N (default 15) calls of each (20 N for the smallest); prints the multiply-adds,
 * both times and their ratio, with the load average (the machine is shared: figures taken
 * under load are marked so by it). Then the split's fixed cost (2 parts minus 1 part of a
 * convolution of 144 multiply-adds: waking the worker and waiting for it), one thread's
 * rate on the largest convolution, and the work above which 2 parts save more than that
 * cost: 2 x cost x rate (half the work then runs on the worker).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { forceHeapSplit } from '../lib/backend/wasm-heap.js';
import { convWasm } from '../lib/core/lower/wasm-conv.js';
import { enableWasmThreads } from '../lib/parallel/index.js';
import { flagValue, markdownTable, median } from './harness.js';

const reps = Number(flagValue(process.argv.slice(2), 'reps', '15'));
const info = await enableWasmThreads(2, { kernelThreads: 2 });
if (info.kernelThreads !== 2) throw new Error(`bench/heap-threads: our kernels run on ${info.kernelThreads} thread(s) here (no shared heap?)`);
const p = { strides: [1, 1] as [number, number], padding: [[1, 1], [1, 1]] as [[number, number], [number, number]], dilation: [1, 1] as [number, number], groups: 1 };
const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const rows: string[][] = [];
const medians: [number, number, number][] = []; // [multiply-adds, 1 part ms, 2 parts ms]
// n x s x s x c -> c channels: 9 c^2 s^2 n multiply-adds
for (const [n, s, c] of [[1, 1, 4], [1, 4, 8], [1, 8, 8], [2, 8, 8], [2, 8, 16], [4, 8, 16], [4, 16, 16], [8, 16, 16], [8, 16, 32], [16, 16, 32], [16, 32, 32]] as const) {
  const x = tf.randomUniform([n, s, s, c]) as tf.Tensor4D;
  const w = tf.randomUniform([3, 3, c, c]) as tf.Tensor4D;
  const time = (parts: number) => {
    forceHeapSplit({ parts });
    const t0 = performance.now();
    tf.tidy(() => convWasm(x, w, p)).dispose();
    const ms = performance.now() - t0;
    forceHeapSplit(null);
    return ms;
  };
  time(1);
  time(2);
  const [one, two]: number[][] = [[], []];
  // the smallest (the fixed cost) 20 times as often: its difference is a few us
  for (let r = 0; r < (s === 1 ? 20 * reps : reps); r++) {
    one.push(time(1));
    two.push(time(2));
  }
  const [m1, m2] = [median(one), median(two)];
  const macs = (s === 1 ? c * c : 9 * c * c * s * s) * n; // a 1x1 image sees the 3x3 filter's centre only
  medians.push([macs, m1, m2]);
  rows.push([`[${n}, ${s}, ${s}, ${c}] -> ${c}`, macs.toExponential(1), (m1 * 1000).toFixed(0), (m2 * 1000).toFixed(0), `${(m1 / m2).toFixed(2)}x`]);
  tf.dispose([x, w]);
}
console.log(`## bench/heap-threads (${os.cpus().length} x ${os.cpus()[0]?.model}, Node ${process.version}; medians of ${reps} interleaved calls)\n`);
console.log(markdownTable(['conv 3x3 (x -> channels)', 'multiply-adds', '1 part, us', '2 parts (2 threads), us', '1 / 2 parts'], rows));
const costMs = medians[0]![2] - medians[0]![1];
const [macs, oneMs] = medians[medians.length - 1]!;
const rate = macs / oneMs; // multiply-adds per ms on one thread
console.log(`Split's fixed cost: ${(costMs * 1000).toFixed(0)} us; one thread: ${(rate / 1e6).toFixed(1)} G multiply-adds/s; 2 parts pay above about ${(2 * Math.max(costMs, 0) * rate).toExponential(1)} multiply-adds.`);
console.log(`\nLoad average (1/5/15 min) before: ${loadBefore}; after: ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}.`);
