/**
 * np.sort against the tfjs kernel underneath it: the argsort primitive orders each row with
 * tf.topk (two stable passes for float32: values, then NaN last) and np.sort gathers the
 * values; eagerly and under jit, on rows of 1e3 to 1e5 float32 values; interleaved, medians of
 * --reps calls, wall milliseconds and the ratio to tf.topk (before the primitive, np.sort
 * compared every pair: 18 s for 4000 values on cpu, and out of memory past ~2e4).
 *
 *   npx tsx bench/sort.ts [--backend wasm|cpu] [--reps 21]
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { jit } from '../lib/core/index.js';
import * as np from '../lib/ops/index.js';
import { compare, flagValue, markdownTable } from './harness.js';

const args = process.argv.slice(2);
const backend = flagValue(args, 'backend', 'wasm') as 'wasm' | 'cpu';
const reps = Number(flagValue(args, 'reps', '21'));
await setBackend(backend);
console.log(`np.sort on tfjs ${backend}; load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const sortJit = jit((x: tf.Tensor) => np.sort(x));
const rows: string[][] = [];
for (const n of [1000, 10000, 100000]) {
  const x = tf.randomUniform([n]);
  const read = async (t: unknown) => {
    await (t as tf.Tensor).data();
    (t as tf.Tensor).dispose();
  };
  const [topk, eager, jitted] = await compare(
    [
      { name: 'tf.topk(x, n)', step: () => read(tf.topk(x, n).values) },
      { name: 'np.sort(x)', step: () => read(np.sort(x)) },
      { name: 'jit(np.sort)(x)', step: () => read(sortJit(x)) },
    ],
    { warmup: 2, reps },
  );
  const ms = (v: number) => v.toFixed(2);
  rows.push([String(n), ms(topk!.medianMs), ms(eager!.medianMs), ms(jitted!.medianMs), (eager!.medianMs / topk!.medianMs).toFixed(2), (jitted!.medianMs / topk!.medianMs).toFixed(2)]);
  x.dispose();
}
console.log(markdownTable(['values', 'tf.topk, ms', 'np.sort, ms', 'jit(np.sort), ms', 'np.sort / topk', 'jit / topk'], rows));
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
