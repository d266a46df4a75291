/**
 * The SIMD tanh of generated loops (lib/backend/wasm-math.ts, Cephes' tanhf scheme): within
 * 2 ulp of float64 over every float32 exponent (both signs), dense sweeps across its two
 * branches' boundary (|x| = 0.625), near 0 and where it rounds to ±1; the special values
 * exactly; and on wasm, np.tanh and a jitted tanh run our loop instead of tfjs's Tanh (the C
 * library's tanhf per element), with its gradient.
 *
 * Regression (session 19): tfjs wasm's Tanh took 15% of an RNN's jit(valueAndGrad) step.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { elementwiseWasm } from '../../lib/backend/wasm-elementwise.js';
import { relaxedSimdAvailable } from '../../lib/backend/wasm-relaxed.js';
import { grad, jit, np } from '../../lib/node.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { denseRange, exponentSweep, worstUlps } from '../helpers/float32-ulps.js';

const backend = await useTestBackend();
const wasm = backend === 'wasm';
if (!wasm) console.log(`skip: the SIMD tanh runs in generated WebAssembly loops on the wasm backend only (not ${backend}); np.tanh's values are still checked`);
const test = suite(`wasm SIMD tanh [${backend}${wasm ? `, relaxed SIMD ${relaxedSimdAvailable() ? 'on' : 'off'}` : ''}]`);

/** tanh by the fused loop on float32 values (padded to a multiple of 4 lanes). */
function run(values: Float32Array): Float32Array {
  const n = Math.ceil(values.length / 4) * 4;
  const padded = new Float32Array(n);
  padded.set(values);
  return tf.tidy(() => (elementwiseWasm([tf.tensor1d(padded)], { shape: [n], inputs: ['full'], ops: [{ op: 'tanh', args: [0] }] }).dataSync() as Float32Array).slice(0, values.length));
}

const MAX_ULP = 2;
const ranges: [string, Float32Array][] = [
  ['every exponent, 512 mantissas each', exponentSweep(512)],
  ['denormals and near 0', denseRange(2 ** -149, 2 ** -20, 40_009)],
  ['the polynomial 0..0.625', denseRange(1e-6, 0.625, 997)],
  ['the boundary 0.6..0.65 (every float32)', denseRange(0.6, 0.65, 1)],
  ['the boundary, negative', denseRange(-0.6, -0.65, 7)],
  ['the exp branch 0.625..10', denseRange(0.625, 10, 97)],
  ['where tanh rounds to 1: 8.5..9.5 (every float32)', denseRange(8.5, 9.5, 1)],
];
for (const [name, xs] of wasm ? ranges : []) {
  test(`within ${MAX_ULP} ulp of float64 over ${name} (${xs.length} values)`, () => {
    const w = worstUlps(xs, run(xs), Math.tanh);
    assert.ok(w.ulps <= MAX_ULP, `tanh(${w.x}) = ${w.got}, float64 ${w.want}: ${w.ulps.toFixed(2)} ulp`);
  });
}

if (wasm) test('special values exactly, and the sign of zero', () => {
  const y = run(new Float32Array([0, -0, Infinity, -Infinity, NaN, 100, -100, 2 ** -149, -(2 ** -149), 3.4028234663852886e38]));
  assert.equal([...y].map((v) => (Number.isNaN(v) ? 'NaN' : v)), [0, -0, 1, -1, 'NaN', 1, -1, 2 ** -149, -(2 ** -149), 1]);
  assert.ok(Object.is(y[0], 0) && Object.is(y[1], -0), 'tanh keeps the sign of zero');
});

test('np.tanh, jit(tanh) and its gradient: the float64 values, by our loop on wasm', async () => {
  const xs = Array.from({ length: 64 }, (_, i) => (i - 32) * 0.173);
  const x = np.reshape(np.array(xs), [8, 8]);
  const ran: string[] = [];
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: Record<string, tf.Tensor>, attrs: object) => (ran.push(name), runKernel(name, inputs, attrs as never))) as typeof engine.runKernel;
  try {
    const [y, yj, g] = [np.tanh(x), jit(np.tanh)(x), grad((v: np.NdArray) => np.sum(np.tanh(v)))(x)] as tf.Tensor[];
    allClose(Array.from(await y!.data()), xs.map(Math.tanh), { rtol: 1e-6, atol: 1e-7 });
    allClose(Array.from(await yj!.data()), xs.map(Math.tanh), { rtol: 1e-6, atol: 1e-7 });
    allClose(Array.from(await g!.data()), xs.map((v) => 1 - Math.tanh(v) ** 2), { rtol: 1e-5, atol: 1e-6 });
    if (wasm) assert.not.ok(ran.includes('Tanh'), `kernels: ${ran.join(', ')}`);
    tf.dispose([x, y!, yj!, g!] as tf.Tensor[]);
  } finally {
    engine.runKernel = runKernel;
  }
});

test.run();
