/**
 * The SIMD exp, log and erf of generated loops (lib/backend/wasm-math.ts), through the fused
 * elementwise kernel: within 2 ulp of float64 over every float32 exponent (both signs, 512
 * mantissas each, first and last ones included), dense sweeps at the overflow, underflow and
 * denormal boundaries (erf: its two branches' boundary and where it rounds to 1), and the
 * special values exactly. erf's float64 reference is checked against Python's in test/ops/erf.test.ts.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { elementwiseWasm } from '../../lib/backend/wasm-elementwise.js';
import { relaxedSimdAvailable } from '../../lib/backend/wasm-relaxed.js';
import { erfHost } from '../../lib/core/lower/host-random.js';
import { useTestBackend } from '../helpers/backend.js';
import { denseRange, exponentSweep, worstUlps } from '../helpers/float32-ulps.js';

const backend = await useTestBackend();
if (backend !== 'wasm') console.log(`skip: the SIMD exp, log and erf run in generated WebAssembly loops on the wasm backend only (not ${backend})`);
const test = suite(`wasm SIMD exp, log and erf [${backend}${backend === 'wasm' ? `, relaxed SIMD ${relaxedSimdAvailable() ? 'on' : 'off'}` : ''}]`);

type Op = 'exp' | 'log' | 'erf';

/** Runs one op of the fused loop on float32 values (padded to a multiple of 4 lanes). */
function run(op: Op, values: Float32Array): Float32Array {
  const n = Math.ceil(values.length / 4) * 4;
  const padded = new Float32Array(n);
  padded.set(values);
  return tf.tidy(() => {
    const y = elementwiseWasm([tf.tensor1d(padded)], { shape: [n], inputs: ['full'], ops: [{ op, args: [0] }] });
    return (y.dataSync() as Float32Array).slice(0, values.length);
  });
}

const MAX_ULP = 2;
const REF = { exp: Math.exp, log: Math.log, erf: erfHost };
const worst = (op: Op, xs: Float32Array) => worstUlps(xs, run(op, xs), REF[op]);

const wasm = backend === 'wasm';
const sweeps: [string, Float32Array][] = [
  ['every exponent, 512 mantissas each', exponentSweep(512)],
];
for (const op of ['exp', 'log', 'erf'] as const) {
  const ranges: [string, Float32Array][] =
    op === 'exp'
      ? [
          ['the overflow boundary 88.5..89', denseRange(88.5, 89, 1)],
          ['the denormal range and underflow -110..-87', denseRange(-87, -110, 37)],
          ['near 0 (|x| < 2^-20)', denseRange(2 ** -40, 2 ** -20, 4099)],
          ['the reduction range -1..1', denseRange(1e-6, 1, 1999)],
          ['the reduction range -1..1 (negative)', denseRange(-1e-6, -1, 1999)],
        ]
      : op === 'erf'
      ? [
          ['denormals and near 0', denseRange(2 ** -149, 2 ** -20, 40_009)],
          ['the polynomial 0..0.875', denseRange(1e-6, 0.875, 997)],
          ['the boundary 0.86..0.89 (every float32)', denseRange(0.86, 0.89, 1)],
          ['the tail 0.875..4.5', denseRange(0.875, 4.5, 97)],
          ['the tail, negative', denseRange(-0.875, -4.5, 389)],
          ['where erf rounds to 1: 3.9..4.1 (every float32)', denseRange(3.9, 4.1, 1)],
        ]
      : [
          ['denormals', denseRange(2 ** -149, 2 ** -126, 997)],
          ['around 1 (0.5..2)', denseRange(0.5, 2, 97)],
          ['around sqrt(1/2) and sqrt(2)', denseRange(0.70, 0.72, 1).slice(0, 200_000)],
        ];
  for (const [name, xs] of wasm ? [...sweeps, ...ranges] : []) {
    test(`${op}: within ${MAX_ULP} ulp of float64 over ${name} (${xs.length} values)`, () => {
      const w = worst(op, xs);
      assert.ok(w.ulps <= MAX_ULP, `${op}(${w.x}) = ${w.got}, float64 ${w.want}: ${w.ulps.toFixed(2)} ulp`);
    });
  }
}

if (wasm) test('special values exactly', () => {
  const xs = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1, -1, 2 ** -149, -(2 ** -149), 3.4028234663852886e38]);
  const e = run('exp', xs);
  const l = run('log', xs);
  const r = run('erf', xs);
  const same = (a: Float32Array, b: number[]) => assert.equal([...a].map((v) => (Number.isNaN(v) ? 'NaN' : v)), b.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
  same(e, [1, 1, Infinity, 0, NaN, Math.fround(Math.E), Math.fround(1 / Math.E), 1, 1, Infinity]);
  same(r, [0, -0, 1, -1, NaN, Math.fround(0.8427007929497149), Math.fround(-0.8427007929497149), 2 ** -149, -(2 ** -149), 1]);
  assert.ok(Object.is(r[0], 0) && Object.is(r[1], -0), 'erf keeps the sign of zero');
  same(l, [-Infinity, -Infinity, Infinity, NaN, NaN, 0, NaN, Math.fround(Math.log(2 ** -149)), NaN, Math.fround(Math.log(3.4028234663852886e38))]);
  // exp overflows exactly past ln(FLT_MAX) and underflows to 0 below ln(2^-150).
  const edge = run('exp', new Float32Array([88.72283, 88.72284, -103.972, -103.973]));
  assert.ok(Number.isFinite(edge[0]!) && edge[1] === Infinity && edge[2]! > 0 && edge[3] === 0, `exp at the edges: ${[...edge]}`);
});

// The fused multiply-add variant: the runner's `wasm+relaxed` run of this file (test/run.mjs).
test.run();
