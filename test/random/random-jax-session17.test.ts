/**
 * jax.random semantics audited in session 17:
 * - gumbel's `mode` ('low' default, 'high', 'highest': JAX's constructions, checked against a
 *   host transcription of jax/_src/random.py's `_gumbel` and `_safe_int_to_float` on the same bits),
 *   and the same `mode` through categorical and choice (JAX's testCategorical / testChoice modes);
 * - distribution checks within 5 standard errors, with fixed keys (deterministic).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/core/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { safeIntToFloat } from '../../lib/random/fixed-point.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { checkFrequency, checkMoments } from './moments.js';

await useTestBackend();

const R = suite('random: jax.random semantics (session 17)');
const k = (i: number) => random.key(1700 + i);
const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());
const EULER = 0.5772156649015329;

/** The float32 with bit pattern w. */
function f32(w: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, w >>> 0);
  return view.getFloat32(0);
}

/** JAX's _safe_int_to_float on uint32 words, transcribed with JS's 32-bit operators (XLA's shifts by >= 32 give 0). */
function refSafeIntToFloat(hi: number, lo: number): number {
  const [hc, lc] = [Math.clz32(hi), Math.clz32(lo)];
  const shl = (x: number, s: number) => (s >= 32 ? 0 : (x << s) >>> 0);
  const shr = (x: number, s: number) => (s >= 32 ? 0 : x >>> s);
  const mantissa = (((shl(hi, hc) | (hc === 32 ? shl(lo, lc) : shr(lo, 32 - hc))) >>> 0) >>> 8) & ((1 << 23) - 1);
  const exponent = ((126 - (hc === 32 ? 32 + lc : hc)) << 23) & 0x3fc00000;
  return f32((exponent | mantissa) >>> 0);
}

/** JAX's gumbel for `mode` 'high' / 'highest' from the words w0 = bits(key, [2, n])[0], w1 = [1] (uint32), in double precision. */
function refGumbel(mode: 'high' | 'highest', w0: number, w1: number): number {
  const ofComplement = (x: number) => -Math.log(-Math.log1p(-x));
  if (mode === 'high') {
    const unit = (w: number) => f32(((w >>> 9) | 0x3f800000) >>> 0) - 1;
    const [hi, lo] = [unit(w0), unit(w1)];
    return ofComplement(hi >= 0.5 ? hi : Math.fround(Math.fround(hi + lo * 2 ** -23) + 2 ** -47));
  }
  if (w0 < 2 ** 31) return ofComplement(refSafeIntToFloat(w0, w1));
  // 2^64 - w in two words: ~w + 1 with the carry.
  const nl = ((~w1 >>> 0) + 1) >>> 0;
  const nh = ((~w0 >>> 0) + (nl === 0 ? 1 : 0)) >>> 0;
  return -Math.log(-Math.log(refSafeIntToFloat(nh, nl)));
}

R("safeIntToFloat: JAX's testSafeIntToFloat (24 set bits at every shift are exact) and its truncation", async () => {
  const his: number[] = [];
  const los: number[] = [];
  const expected: number[] = [];
  for (let shift = 0; shift < 40; shift++) {
    const i = BigInt(2 ** 24 - 1) << BigInt(shift);
    his.push(Number(i >> 32n) | 0);
    los.push(Number(i & 0xffffffffn) | 0);
    expected.push(Number(i) * 2 ** -64); // exact: 24 significant bits
  }
  // Words with more than 24 significant bits are truncated (not rounded), zero gives 2^-65, as JAX.
  const words: [number, number][] = [[0, 0], [0, 1], [0, 0xffffffff], [1, 0xffffffff], [0x00ffffff, 0xffffffff], [0x7fffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x80000000, 1], [0, 0x01ffffff]];
  for (const [hi, lo] of words) {
    his.push(hi | 0);
    los.push(lo | 0);
    expected.push(refSafeIntToFloat(hi, lo));
  }
  const got = await read(safeIntToFloat(np.array(his, 'int32'), np.array(los, 'int32')));
  assert.equal(got, expected);
  assert.equal(got.slice(40, 43), [2 ** -65, 2 ** -64, (2 ** 24 - 1) * 2 ** -56], 'zero, one, 32 bits truncated to 24');
  assert.equal(got[46], Math.fround(1 - 2 ** -24), 'truncated below 1');
});

R("gumbel: mode 'high' and 'highest' are JAX's constructions on the same bits", async () => {
  const n = 2000;
  const words = (await read(random.bits(k(0), [2, n]))).map((w) => w >>> 0);
  for (const mode of ['high', 'highest'] as const) {
    const g = random.gumbel(k(0), [n], mode);
    assert.equal([g.shape, g.dtype], [[n], 'float32'], `${mode}: shape and dtype`);
    const expected = Array.from({ length: n }, (_, i) => refGumbel(mode, words[i]!, words[n + i]!));
    // float32 log / log1p against double: a few ulp.
    allClose(await read(g), expected, { rtol: 2e-6, atol: 2e-6 }, `gumbel ${mode}`);
  }
  // The default is 'low' (JAX's default config).
  assert.equal(await read(random.gumbel(k(1), [5])), await read(random.gumbel(k(1), [5], 'low')));
});

R('gumbel modes: mean Euler gamma, variance pi^2/6; jit and vmap give the same samples', async () => {
  for (const mode of ['low', 'high', 'highest'] as const) {
    checkMoments(`gumbel ${mode}`, await read(random.gumbel(k(2), [20_000], mode)), EULER, Math.PI ** 2 / 6);
    const f = (kk: NdArray) => random.gumbel(kk, [3], mode);
    assert.equal(await read(jit(f)(k(3))), await read(f(k(3))), `${mode}: jit`);
    const keys = random.splitKeys(k(4), 2);
    const looped = (await Promise.all(random.split(k(4), 2).map((kk) => read(f(kk))))).flat();
    assert.equal(await read(vmap(f)(keys)), looped, `${mode}: vmap over keys`);
  }
});

R("categorical: mode is the Gumbel noise's (JAX's testCategorical modes)", async () => {
  const p = [0.1, 0.2, 0.3, 0.4];
  const logits = np.sub(np.log(np.array(p)), 42);
  for (const mode of ['high', 'highest'] as const) {
    const draws = random.categorical(k(5), logits, -1, [10_000], true, mode);
    assert.equal([draws.shape, draws.dtype], [[10_000], 'int32']);
    const expected = np.argmax(np.add(random.gumbel(k(5), [10_000, 4], mode), logits), -1);
    assert.equal(await read(draws), await read(expected), `${mode}: argmax of gumbel(key, [...shape, K], mode) + logits`);
    const values = await read(draws);
    p.forEach((pi, c) => checkFrequency(`categorical ${mode} class ${c}`, values.filter((v) => v === c).length, values.length, pi));
    // Along axis 0, batch dims, and without replacement.
    const l2 = np.log(np.array([[0.5, 0.1], [0.5, 0.9]]));
    assert.equal(random.categorical(k(6), l2, 0, [7, 2], true, mode).shape, [7, 2]);
    const distinct = await read(random.categorical(k(7), np.zeros([3, 6]), -1, [6, 3], false, mode));
    for (let r = 0; r < 3; r++) assert.equal(new Set([0, 1, 2, 3, 4, 5].map((i) => distinct[i * 3 + r])).size, 6, `${mode}: without replacement, distinct`);
  }
  assert.match(errorOf(() => random.categorical(k(0), logits, -1, undefined, true, 'higher' as 'high')), /^random\.categorical: mode must be 'low', 'high' or 'highest', got 'higher'$/);
});

R("choice: mode reaches the Gumbel top-k (p, no replacement), as JAX's", async () => {
  const p = np.array([0.1, 0.2, 0.3, 0.4]);
  const a = np.array([10, 20, 30, 40], 'int32');
  const picked = random.choice(k(8), a, [3], { replace: false, p, mode: 'high' });
  assert.equal([picked.shape, picked.dtype], [[3], 'int32']);
  const scores = await read(np.add(random.gumbel(k(8), [4], 'high'), np.log(p)));
  const top = [0, 1, 2, 3].sort((i, j) => scores[j]! - scores[i]!).slice(0, 3).map((i) => (i + 1) * 10);
  assert.equal(await read(picked), top);
  // Modes that draw no Gumbel noise leave the samples as they are.
  assert.equal(await read(random.choice(k(9), 10, [4], { mode: 'highest' })), await read(random.choice(k(9), 10, [4])));
  assert.match(errorOf(() => random.gumbel(k(0), [-1], 'high')), /^random\.gumbel: shape must be a list of non-negative integers, got \[-1\]$/);
  // Each sampler names itself in a shape error (exponential, laplace and cauchy named random.uniform).
  for (const [name, f] of [['exponential', random.exponential], ['laplace', random.laplace], ['cauchy', random.cauchy]] as const)
    assert.match(errorOf(() => f(k(0), [2, -1])), new RegExp(`^random\\.${name}: shape must be a list of non-negative integers, got \\[2,-1\\]$`));
  assert.match(errorOf(() => random.gumbel(k(0), [2], 'medium' as 'low')), /^random\.gumbel: mode must be 'low', 'high' or 'highest', got 'medium'$/);
  assert.match(errorOf(() => random.choice(k(0), 4, [2], { mode: 'x' as 'low' })), /^random\.choice: mode must be 'low', 'high' or 'highest', got 'x'$/);
});

R.run();
