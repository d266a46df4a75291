/**
 * erf on the wasm backend: our SIMD loop (lib/backend/wasm-math.ts, what np.erf and jit's
 * fused chains run) against tfjs wasm's Erf kernel (the C library's erff per element), on
 * the same 2^20 float32 values in [-5, 5), 41 interleaved rounds, CPU time medians.
 *
 *   npx tsx bench/erf.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { elementwiseWasm } from '../lib/backend/wasm-elementwise.js';

await setBackend('wasm');
const N = 1 << 20;
const x = tf.tensor1d(Float32Array.from({ length: N }, () => (Math.random() - 0.5) * 10));
const contenders: [string, () => tf.Tensor][] = [
  ['ours (SIMD loop)', () => elementwiseWasm([x], { shape: [N], inputs: ['full'], ops: [{ op: 'erf', args: [0] }] })],
  ["tfjs wasm's Erf", () => tf.erf(x)],
];
const times = contenders.map(() => [] as number[]);
for (let round = 0; round < 41; round++)
  contenders.forEach(([, run], k) => {
    const c0 = process.cpuUsage();
    run().dispose();
    const c = process.cpuUsage(c0);
    times[k]!.push((c.user + c.system) / 1000);
  });
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const [ours, theirs] = times.map(med) as [number, number];
console.log(`erf over ${N} values, CPU ms (median of 41): ours ${ours.toFixed(2)} (${((ours * 1e6) / N).toFixed(2)} ns/value), tfjs wasm's Erf ${theirs.toFixed(2)} (${((theirs * 1e6) / N).toFixed(2)} ns/value): ${(theirs / ours).toFixed(2)}x`);
