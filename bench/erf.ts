/**
 * erf on the wasm backend: our SIMD loop (lib/backend/wasm-math.ts, what np.erf and jit's
 * fused chains run) against tfjs wasm's Erf kernel (the C library's erff per element), on
 * 2^20 float32 values, 41 interleaved rounds, CPU time medians: uniform in [-5, 5), and GELU's
 * arguments x / sqrt(2) for standard normal x (mostly small: the C library's cheapest branch).
 *
 *   npx tsx bench/erf.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { elementwiseWasm } from '../lib/backend/wasm-elementwise.js';
import { compare } from './harness.js';

await setBackend('wasm');
const N = 1 << 20;
const normal = () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
const inputs: [string, () => number][] = [
  ['uniform in [-5, 5)', () => (Math.random() - 0.5) * 10],
  ['GELU arguments, N(0, 1) / sqrt(2)', () => normal() / Math.SQRT2],
];
for (const [what, draw] of inputs) {
  const x = tf.tensor1d(Float32Array.from({ length: N }, draw));
  const contenders: [string, () => tf.Tensor][] = [
    ['ours (SIMD loop)', () => elementwiseWasm([x], { shape: [N], inputs: ['full'], ops: [{ op: 'erf', args: [0] }] })],
    ["tfjs wasm's Erf", () => tf.erf(x)],
  ];
  const [ours, theirs] = (await compare(contenders.map(([name, run]) => ({ name, step: () => void run().dispose() })), { warmup: 0, reps: 41 })).map((t) => t.medianCpuMs!) as [number, number];
  console.log(`erf of ${N} values ${what}, CPU ms (median of 41): ours ${ours.toFixed(2)} (${((ours * 1e6) / N).toFixed(2)} ns/value), tfjs wasm's Erf ${theirs.toFixed(2)} (${((theirs * 1e6) / N).toFixed(2)} ns/value): ${(theirs / ours).toFixed(2)}x`);
  x.dispose();
}
