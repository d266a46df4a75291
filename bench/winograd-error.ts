/**
 * `npx tsx bench/winograd-error.ts`: the float32 error of our 3x3 "same" convolution kernels
 * on tfjs wasm against a float64 direct sum, at ResNet-18's 3x3 layers (random inputs and
 * filters in [-1, 1], small batches so the float64 sum stays fast): the direct kernel
 * (lib/backend/wasm-conv.ts), Winograd F(2x2, 3x3) and F(4x4, 3x3) (lib/backend/wasm-winograd.ts).
 * Prints, per kernel, "max over outputs of |error| / Σ|w x|" and "RMS error / RMS of the
 * outputs": the tests bound every element, this says what the errors typically are.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/index.js';
import { winogradConvWasm } from '../lib/backend/wasm-winograd.js';
import { convPassesWasm } from '../lib/backend/wasm-conv.js';
import { padWasm } from '../lib/backend/wasm-pad.js';
await setBackend('wasm');
let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 * 2 - 1; };
console.log('| layer | direct | F(2x2) | F(4x4) |\n|---|---|---|---|');
for (const [n, s, c] of [[4, 32, 64], [4, 16, 128], [4, 8, 256], [8, 4, 512]]) {
  const xd = new Float32Array(n * s * s * c).map(rnd);
  const wd = new Float32Array(9 * c * c).map(rnd);
  const o = c;
  const ref = new Float64Array(n * s * s * o);
  const mag = new Float64Array(n * s * s * o);
  for (let b = 0; b < n; b++) for (let r = 0; r < s; r++) for (let q = 0; q < s; q++) {
    const acc = new Float64Array(o); const am = new Float64Array(o);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const xr = r + i - 1, xc = q + j - 1;
      if (xr < 0 || xr >= s || xc < 0 || xc >= s) continue;
      for (let ic = 0; ic < c; ic++) {
        const xv = xd[((b * s + xr) * s + xc) * c + ic];
        const wo = ((i * 3 + j) * c + ic) * o;
        for (let oc = 0; oc < o; oc++) { acc[oc] += xv * wd[wo + oc]; am[oc] += Math.abs(xv * wd[wo + oc]); }
      }
    }
    ref.set(acc, ((b * s + r) * s + q) * o); mag.set(am, ((b * s + r) * s + q) * o);
  }
  const x = tf.tensor4d(xd, [n, s, s, c]); const w = tf.tensor4d(wd, [3, 3, c, o]);
  const pass = { kh: 3, kw: 3, filterOffset: 0, inRow0: 0, inCol0: 0, outRow0: 0, outCol0: 0, rows: s, cols: s };
  const outs: Record<string, Float32Array> = {
    direct: convPassesWasm(padWasm(x, { rows: [1, 1], cols: [1, 1] }), w, { outShape: [n, s, s, o], strides: [1, 1], outStrides: [1, 1], gaps: false, passes: [pass] }).dataSync() as Float32Array,
    'F(2x2)': winogradConvWasm(x, w, { padding: [[1, 1], [1, 1]], tile: 2 }).dataSync() as Float32Array,
    'F(4x4)': winogradConvWasm(x, w, { padding: [[1, 1], [1, 1]], tile: 4 }).dataSync() as Float32Array,
  };
  const row = Object.values(outs).map((y) => {
    let maxRel = 0, sumSq = 0, refSq = 0;
    for (let i = 0; i < y.length; i++) { const e = Math.abs(y[i] - ref[i]); maxRel = Math.max(maxRel, e / mag[i]); sumSq += e * e; refSq += ref[i] * ref[i]; }
    return `${maxRel.toExponential(2)} / ${Math.sqrt(sumSq / refSq).toExponential(2)}`;
  });
  console.log(`| ${c}->${c}, [${n},${s},${s},${c}] | ${row.join(' | ')} |`);
}
