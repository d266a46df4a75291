/**
 * The SIMD exp and log of generated loops (lib/backend/wasm-math.ts), through the fused
 * elementwise kernel: within 2 ulp of float64 over every float32 exponent (both signs, 512
 * mantissas each, first and last ones included), dense sweeps at the overflow, underflow and
 * denormal boundaries, and the special values exactly.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { elementwiseWasm } from '../../lib/backend/wasm-elementwise.js';
import { relaxedSimdAvailable } from '../../lib/backend/wasm-math.js';
import { testBackendName, useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
if (backend !== 'wasm') console.log(`skip: the SIMD exp and log run in generated WebAssembly loops on the wasm backend only (not ${backend})`);
const test = suite(`wasm SIMD exp and log [${backend}${backend === 'wasm' ? `, relaxed SIMD ${relaxedSimdAvailable() ? 'on' : 'off'}` : ''}]`);

/** Runs one op of the fused loop on float32 values (padded to a multiple of 4 lanes). */
function run(op: 'exp' | 'log', values: Float32Array): Float32Array {
  const n = Math.ceil(values.length / 4) * 4;
  const padded = new Float32Array(n);
  padded.set(values);
  return tf.tidy(() => {
    const y = elementwiseWasm([tf.tensor1d(padded)], { shape: [n], inputs: ['full'], ops: [{ op, args: [0] }] });
    return (y.dataSync() as Float32Array).slice(0, values.length);
  });
}

const MAX_ULP = 2;
/** The float32 ulp at the float64 value y: of its binade, denormal spacing below 2^-126, 2^104 at and beyond 2^128. */
function ulp(y: number): number {
  const a = Math.abs(y);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.min(Math.floor(Math.log2(a)), 127) - 23);
}
/** |got - want| in float32 ulps of want (infinities count as ±2^128, so an overflow near the top is judged as a value). */
function ulps(got: number, want: number): number {
  if (Number.isNaN(want)) return Number.isNaN(got) ? 0 : Infinity;
  if (Number.isNaN(got)) return Infinity;
  const big = (v: number) => (v === Infinity ? 2 ** 128 : v === -Infinity ? -(2 ** 128) : v);
  if (!Number.isFinite(want)) return got === want ? 0 : Infinity;
  // Beyond the float32 range (exp above 88.72): inf, or a value within 2 ulp of the top binade.
  if (!Number.isFinite(Math.fround(want))) return got === Math.fround(want) ? 0 : Math.abs(big(got) - want) / 2 ** 104;
  return Math.abs(big(got) - want) / ulp(want);
}

/** Every exponent field (0..255) of both signs with `per` mantissas: the extremes and evenly spread ones. */
function exponentSweep(per: number): Float32Array {
  const bits = new Uint32Array(512 * per);
  let k = 0;
  for (let sign = 0; sign < 2; sign++)
    for (let e = 0; e < 256; e++)
      for (let j = 0; j < per; j++) {
        const mant = j === per - 1 ? 0x7fffff : Math.floor((j * 0x800000) / (per - 1)) + (j % 7); // jitter off the grid
        bits[k++] = (sign << 31) | (e << 23) | Math.min(mant, 0x7fffff);
      }
  return new Float32Array(bits.buffer);
}
/** Every float32 in [lo, hi] stepping by `stride` bit patterns (lo, hi of one sign). */
function denseRange(lo: number, hi: number, stride: number): Float32Array {
  const f = new Float32Array(2);
  const u = new Uint32Array(f.buffer);
  f[0] = lo;
  f[1] = hi;
  const [a, b] = u[0]! <= u[1]! ? [u[0]!, u[1]!] : [u[1]!, u[0]!];
  const out = new Uint32Array(Math.floor((b - a) / stride) + 1);
  for (let i = 0; i < out.length; i++) out[i] = a + i * stride;
  return new Float32Array(out.buffer);
}

function worst(op: 'exp' | 'log', xs: Float32Array): { ulps: number; x: number; got: number; want: number } {
  const ys = run(op, xs);
  const ref = op === 'exp' ? Math.exp : Math.log;
  let w = { ulps: 0, x: NaN, got: NaN, want: NaN };
  for (let i = 0; i < xs.length; i++) {
    const want = ref(xs[i]!);
    const e = ulps(ys[i]!, want);
    if (!(e <= w.ulps)) w = { ulps: e, x: xs[i]!, got: ys[i]!, want };
  }
  return w;
}

const wasm = backend === 'wasm';
const sweeps: [string, Float32Array][] = [
  ['every exponent, 512 mantissas each', exponentSweep(512)],
];
for (const op of ['exp', 'log'] as const) {
  const ranges: [string, Float32Array][] =
    op === 'exp'
      ? [
          ['the overflow boundary 88.5..89', denseRange(88.5, 89, 1)],
          ['the denormal range and underflow -110..-87', denseRange(-87, -110, 37)],
          ['near 0 (|x| < 2^-20)', denseRange(2 ** -40, 2 ** -20, 4099)],
          ['the reduction range -1..1', denseRange(1e-6, 1, 1999)],
          ['the reduction range -1..1 (negative)', denseRange(-1e-6, -1, 1999)],
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
  const same = (a: Float32Array, b: number[]) => assert.equal([...a].map((v) => (Number.isNaN(v) ? 'NaN' : v)), b.map((v) => (Number.isNaN(v) ? 'NaN' : v)));
  same(e, [1, 1, Infinity, 0, NaN, Math.fround(Math.E), Math.fround(1 / Math.E), 1, 1, Infinity]);
  same(l, [-Infinity, -Infinity, Infinity, NaN, NaN, 0, NaN, Math.fround(Math.log(2 ** -149)), NaN, Math.fround(Math.log(3.4028234663852886e38))]);
  // exp overflows exactly past ln(FLT_MAX) and underflows to 0 below ln(2^-150).
  const edge = run('exp', new Float32Array([88.72283, 88.72284, -103.972, -103.973]));
  assert.ok(Number.isFinite(edge[0]!) && edge[1] === Infinity && edge[2]! > 0 && edge[3] === 0, `exp at the edges: ${[...edge]}`);
});

// Where this engine has no relaxed SIMD (Node 20 without the flag), the fused multiply-add
// variant is swept in a child process that has it.
const CHILD = 'TFJAX_WASM_MATH_RELAXED_CHILD';
if (wasm && !relaxedSimdAvailable() && !process.env[CHILD]) {
  test('the same sweeps with relaxed SIMD (fused multiply-adds): a child process with --experimental-wasm-relaxed-simd', () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, [CHILD]: '1' }, encoding: 'utf8', timeout: 120_000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.is(r.status, 0, out.split('\n').slice(-30).join('\n'));
    assert.ok(out.includes('relaxed SIMD on') && /Passed:\s+11\b/.test(out), out.split('\n').slice(-10).join('\n'));
  });
}
test.run();
