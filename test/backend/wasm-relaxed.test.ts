/**
 * Relaxed SIMD in our wasm kernels (lib/backend/wasm-relaxed.ts, lib/backend/node.ts): forcing
 * fused multiply-adds where the engine has none is a one-line error; enableRelaxedSimd turns
 * them on in a Node 20 process; then fused and plain kernels are cached apart, and both
 * products are within the float32 bound k u sum |a b| of float64 (fused ones differ from the
 * plain ones where the CPU has FMA).
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { enableRelaxedSimd, relaxedSimdAvailable } from '../../lib/backend/node.js';
import { batchMatMulWasm, packPanelsWasm } from '../../lib/backend/wasm-batch-matmul.js';
import { forceRelaxedMultiplyAdd } from '../../lib/backend/wasm-relaxed.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`relaxed SIMD in our kernels [${backend}]`);
const U = 2 ** -24;
/** Whether this CPU has FMA (Linux x64: /proc/cpuinfo's flags), so that relaxed_madd is fused. */
const cpuHasFma = (() => {
  try {
    return /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
})();

if (backend !== 'wasm') console.log(`skip: relaxed SIMD concerns our wasm kernels only (not ${backend})`);
else {
  test('forcing fused multiply-adds without relaxed SIMD is a one-line error; enableRelaxedSimd turns it on', () => {
    if (!relaxedSimdAvailable()) {
      assert.throws(() => forceRelaxedMultiplyAdd(true), (e: Error) => /no relaxed SIMD/.test(e.message) && !e.message.includes('\n'));
    }
    assert.ok(enableRelaxedSimd(), 'enableRelaxedSimd() returned false');
    assert.ok(relaxedSimdAvailable());
    forceRelaxedMultiplyAdd(true);
    forceRelaxedMultiplyAdd(null);
  });

  test('fused and plain products are cached apart, both within k u sum |a b| of float64', async () => {
    const [m, k, n] = [9, 300, 20];
    const a = tf.randomUniform([1, m, k], -1, 1, 'float32', 3);
    const b = tf.randomUniform([1, k, n], -1, 1, 'float32', 4);
    const [av, bv] = [await a.data(), await b.data()];
    const product = (fused: boolean) => {
      forceRelaxedMultiplyAdd(fused);
      try {
        return tf.tidy(() => batchMatMulWasm(a, packPanelsWasm(b, { batch: 1, k, n, transposed: false }), { batch: 1, m, k, n }).dataSync() as Float32Array);
      } finally {
        forceRelaxedMultiplyAdd(null);
      }
    };
    const [fused, plain] = [product(true), product(false)];
    let differ = 0;
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let [s, abs] = [0, 0];
        for (let q = 0; q < k; q++) (s += av[r * k + q]! * bv[q * n + c]!), (abs += Math.abs(av[r * k + q]! * bv[q * n + c]!));
        const i = r * n + c;
        for (const [name, got] of [['fused', fused], ['plain', plain]] as const) assert.ok(Math.abs(got[i]! - s) <= k * U * abs, `${name} [${r}, ${c}]: ${got[i]} vs ${s} (bound ${k * U * abs})`);
        if (fused[i] !== plain[i]) differ++;
      }
    if (cpuHasFma) assert.ok(differ > 0, 'fused and plain products are identical: relaxed_madd was not fused (or the kernels were not cached apart)');
    tf.dispose([a, b]);
  });
}
test.run();
