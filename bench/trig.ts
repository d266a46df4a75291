/**
 * sin, cos and tan on the wasm backend: our double-precision SIMD kernel (lib/backend/wasm-trig.ts,
 * what np.sin/cos/tan run) against tfjs wasm's Sin, Cos and Tan (float32, ~2.5e-7 absolute), on
 * 2^20 float32 values uniform in [-10, 10), 41 interleaved rounds, CPU time medians; and the
 * worst error of each in float32 ulps against float64 on the same values.
 *
 *   npx tsx bench/trig.ts
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { type TrigFunction, trigWasm } from '../lib/backend/wasm-trig.js';
import { worstUlps } from '../test/helpers/float32-ulps.js';
import { compare } from './harness.js';

await setBackend('wasm');
const N = 1 << 20;
const ROUNDS = 41;
const xs = Float32Array.from({ length: N }, () => (Math.random() - 0.5) * 20);
const x = tf.tensor1d(xs);
const TFJS: Record<TrigFunction, (x: tf.Tensor) => tf.Tensor> = { sin: tf.sin, cos: tf.cos, tan: tf.tan };
const HOST: Record<TrigFunction, (x: number) => number> = { sin: Math.sin, cos: Math.cos, tan: Math.tan };
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const fn of ['sin', 'cos', 'tan'] as const) {
  const contenders: [string, () => tf.Tensor][] = [
    ['ours (f64x2 kernel)', () => trigWasm(x, fn)],
    [`tfjs wasm's ${fn}`, () => TFJS[fn](x)],
  ];
  const errors = contenders.map(([, run]) => {
    const y = run();
    const w = worstUlps(xs, y.dataSync() as Float32Array, HOST[fn]);
    y.dispose();
    return w.ulps;
  });
  const [ours, theirs] = (await compare(contenders.map(([name, run]) => ({ name, step: () => void run().dispose() })), { warmup: 0, reps: ROUNDS })).map((t) => t.medianCpuMs!) as [number, number];
  const ns = (ms: number) => ((ms * 1e6) / N).toFixed(2);
  console.log(
    `${fn} of ${N} values in [-10, 10), CPU ms (median of ${ROUNDS}): ours ${ours.toFixed(2)} (${ns(ours)} ns/value, worst ${errors[0]!.toFixed(2)} ulp), ` +
      `tfjs wasm's ${theirs.toFixed(2)} (${ns(theirs)} ns/value, worst ${errors[1]!.toExponential(2)} ulp): ours/theirs ${(ours / theirs).toFixed(2)}x`,
  );
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
x.dispose();
