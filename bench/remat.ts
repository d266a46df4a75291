/**
 * `npx tsx bench/remat.ts [--backend cpu|wasm] [--blocks N] [--width D]`: peak tensor memory
 * (not time) of the gradient of a deep residual tanh network, plain and with each block
 * wrapped in `remat`, eager and jitted. remat keeps only each block's input for the backward
 * pass and recomputes the block's intermediates there, so its peak should be lower.
 */
import { grad, jit, np, remat, scope, setBackend } from '../lib/index.js';
import type { NdArray } from '../lib/index.js';
import { flagValue, markdownTable, peakTensorBytes } from './harness.js';

const args = process.argv.slice(2);
const backend = flagValue(args, 'backend', 'cpu') as 'cpu' | 'wasm';
const blocks = Number(flagValue(args, 'blocks', '16'));
const width = Number(flagValue(args, 'width', '256'));
await setBackend(backend);

/** Five elementwise intermediates of the input's size per block, all needed by the plain backward pass. */
const block = (h: NdArray, w: NdArray) => np.add(h, np.mul(np.tanh(np.mul(np.sin(np.mul(h, w)), w)), 0.5));
const blockRemat = remat(block);
const lossOf = (b: typeof block) => (ws: NdArray[], x: NdArray) => np.sum(ws.reduce((h, w) => b(h, w), x));

const ws = Array.from({ length: blocks }, (_, i) => np.mul(np.ones([width, width]), 0.01 * (i + 1)));
const x = np.ones([width, width]);
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

const rows: string[][] = [];
for (const [name, f] of [
  ['plain', grad(lossOf(block))],
  ['remat per block', grad(lossOf(blockRemat))],
  ['jit, plain', jit(grad(lossOf(block)))],
  ['jit, remat per block', jit(grad(lossOf(blockRemat)))],
] as const) {
  scope(() => {
    f(ws, x); // trace (jit) and warm up outside the measurement
  });
  const p = await peakTensorBytes(() => scope(() => void f(ws, x)));
  rows.push([name, mb(p.startBytes), mb(p.peakBytes), mb(p.peakBytes - p.startBytes)]);
}
console.log(`gradient of ${blocks} residual blocks on [${width},${width}] (${backend}): tensor MiB`);
console.log(markdownTable(['grad of', 'start', 'peak', 'peak - start'], rows));
