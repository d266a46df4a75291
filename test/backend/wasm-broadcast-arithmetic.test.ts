/**
 * Broadcasting float32 arithmetic (add, sub, mul, div), maximum/minimum, comparisons and
 * broadcastTo, eagerly and under jit, against an element-by-element reference: exact (an
 * IEEE float32 operation is the double result rounded once: Math.fround), with NaN,
 * infinities, signed zeros, subnormals and overflow; int32 and bool broadcasts word for word.
 * On wasm, arithmetic with a short channel vector and the broadcasts before comparisons run in
 * our loop (lib/core/lower/wasm-kernels.ts's arithmeticWasm and broadcastWasm); other
 * broadcasts and other backends run tfjs's kernels.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`broadcasting float32 arithmetic [${backend}]`);
// WGSL promises neither IEEE NaN and infinities nor exact division (2.5 ulp): on webgpu the
// property runs on finite values, with division within 3 ulp.
const gpu = backend === 'webgpu';
if (gpu) console.log('skip: special values, and exact division, on webgpu (WGSL promises neither)');

const sizeOf = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);

type Op = 'add' | 'subtract' | 'multiply' | 'divide' | 'maximum' | 'minimum' | 'less' | 'equal';
const OPS: readonly Op[] = ['add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum', 'less', 'equal'];
const extremum = (pick: (a: number, b: number) => number) => (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : pick(a, b));
const REF: Record<Op, (a: number, b: number) => number> = {
  add: (a, b) => Math.fround(a + b),
  subtract: (a, b) => Math.fround(a - b),
  multiply: (a, b) => Math.fround(a * b),
  divide: (a, b) => Math.fround(a / b),
  // -0 and +0 compare equal: either is NumPy's answer, so the reference takes the one f32x4.max/min and XNNPACK give.
  maximum: extremum((a, b) => (a === b ? (Object.is(a, -0) ? b : a) : Math.max(a, b))),
  minimum: extremum((a, b) => (a === b ? (Object.is(a, -0) ? a : b) : Math.min(a, b))),
  less: (a, b) => Number(a < b),
  equal: (a, b) => Number(a === b),
};

/** Index of the broadcast operand of shape `s` (right-aligned to `out`) for output element `flat`. */
function operandIndex(flat: number, out: readonly number[], s: readonly number[]): number {
  let index = 0;
  let stride = 1;
  let rest = flat;
  for (let i = out.length - 1; i >= 0; i--) {
    const coord = rest % out[i]!;
    rest = Math.floor(rest / out[i]!);
    const j = i - (out.length - s.length);
    if (j < 0) continue;
    if (s[j] !== 1) index += coord * stride;
    stride *= s[j]!;
  }
  return index;
}

/** The spacing of float32 values at |v|. */
const ulp = (v: number) => 2 ** (Math.max(Math.floor(Math.log2(Math.abs(v) || 2 ** -126)), -126) - 23);

const SPECIAL = [NaN, Infinity, -Infinity, -0, 0, 1e-40, -3e38, 3e38, 1, -1];
/** Distinct values, with the special ones scattered in where asked. */
function values(n: number, seed: number, special: boolean): Float32Array {
  const v = Float32Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13) % 23) * 0.37 - 4.1);
  if (special) for (let i = seed % 3; i < n; i += 3) v[i] = SPECIAL[(i + seed) % SPECIAL.length]!;
  return v;
}

/** Operand shape pairs: rows ([..., 1]), channels ([C], [1, ..., C]), scalars, both at once, and broadcasts our loop does not read. */
const shapePair = fc
  .tuple(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 6 }), fc.boolean())
  .map(([out, kind, swap]) => {
    const row = [...out.slice(0, -1), 1];
    const channel = out.slice(-1);
    const other: number[][] = [out, row, channel, [], [1, ...channel], out.map((d, i) => (i % 2 === 0 ? 1 : d)), out.map(() => 1)];
    const pair = kind === 0 ? [row, [...out.slice(0, -1).map(() => 1), out[out.length - 1]!]] : [out, other[kind]!];
    return (swap ? [pair[1], pair[0]] : pair) as [number[], number[]];
  });

test('broadcasting operations of float32 operands, eagerly and under jit: exact, special values included', async () => {
  const fns = Object.fromEntries(OPS.map((op) => [op, jit((x: tf.Tensor, y: tf.Tensor) => np[op](x, y))]));
  await fc.assert(
    fc.asyncProperty(shapePair, fc.constantFrom(...OPS), fc.boolean(), async ([sa, sb], op, special) => {
      const before = tf.memory().numTensors;
      const out = tf.backend_util.assertAndGetBroadcastShape(sa, sb);
      const [a, b] = [values(sizeOf(sa), 1, special && !gpu), values(sizeOf(sb), 2, special && !gpu)];
      const want = Array.from({ length: sizeOf(out) }, (_, i) => REF[op](a[operandIndex(i, out, sa)]!, b[operandIndex(i, out, sb)]!));
      const [x, y] = [tf.tensor(a, sa), tf.tensor(b, sb)];
      // Eager np frees its intermediates (rank alignment) in a scope, as README.md says.
      for (const [how, r] of [['eager', tf.tidy(() => np[op](x, y) as tf.Tensor)], ['jit', fns[op]!(x, y)]] as const) {
        const t = r as tf.Tensor;
        assert.equal(t.shape, out, `${how} ${op} [${sa}] [${sb}]: shape`);
        const got = await t.data();
        for (let i = 0; i < want.length; i++) {
          const ulps = gpu && op === 'divide' ? 3 * ulp(want[i]!) : 0;
          if (!Object.is(Number(got[i]), want[i]) && !(Math.abs(Number(got[i]) - want[i]!) <= ulps) && !(op.startsWith('m') && Object.is(Math.abs(Number(got[i])), 0) && want[i] === 0)) {
            assert.unreachable(`${how} ${op} [${sa}] [${sb}]: element ${i} is ${got[i]}, expected ${want[i]} (of ${a[operandIndex(i, out, sa)]} and ${b[operandIndex(i, out, sb)]})`);
          }
        }
        t.dispose();
      }
      tf.dispose([x, y]);
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    }),
    { numRuns: 150 },
  );
  Object.values(fns).forEach((f) => f.clearCache());
});

test('large arrays with a short channel vector (our loop on wasm): exact for every operation, either operand order, special values included', async () => {
  for (const [sa, sb] of [[[70, 33, 31], [31]], [[3], [2, 128, 256, 3]], [[1, 1, 64], [16, 65, 64]]] as const) {
    const out = tf.backend_util.assertAndGetBroadcastShape([...sa], [...sb]);
    const [a, b] = [values(sizeOf(sa), 4, !gpu), values(sizeOf(sb), 5, !gpu)];
    const [x, y] = [tf.tensor(a, [...sa]), tf.tensor(b, [...sb])];
    for (const op of ['add', 'subtract', 'multiply', 'divide'] as const) {
      const r = tf.tidy(() => np[op](x, y) as tf.Tensor);
      const got = await r.data();
      for (let i = 0; i < got.length; i++) {
        const want = REF[op](a[operandIndex(i, out, sa)]!, b[operandIndex(i, out, sb)]!);
        const ulps = gpu && op === 'divide' ? 3 * ulp(want) : 0;
        if (!Object.is(got[i], want) && !(Math.abs(got[i]! - want) <= ulps))
          assert.unreachable(`${op} [${sa}] [${sb}]: element ${i} is ${got[i]}, expected ${want}`);
      }
      r.dispose();
    }
    tf.dispose([x, y]);
  }
});

test('broadcastTo of float32 rows, channels and scalars: the values, -0 and NaN kept', async () => {
  for (const [from, to] of [[[5, 1], [5, 7]], [[7], [3, 4, 7]], [[], [2, 9]], [[1, 1, 3], [2, 2, 3]], [[2, 1, 3], [2, 4, 3]]] as const) {
    const v = values(sizeOf(from), 3, true);
    const y = tf.tidy(() => np.broadcastTo(tf.tensor(v, [...from]), [...to]) as tf.Tensor);
    const got = await y.data();
    for (let i = 0; i < sizeOf(to); i++) assert.ok(Object.is(got[i], v[operandIndex(i, to, from)]), `[${from}] -> [${to}] element ${i}`);
    y.dispose();
  }
});

test('int32 and bool broadcasts and comparisons: every word kept (int32 values whose bits are float NaNs included)', async () => {
  // 0x7f800001 and 0xffc00001 read as float32 are signalling and quiet NaNs: a copy through float registers must keep them.
  const words = [0, -1, 2147483647, -2147483648, 0x7f800001, 0x7fc00000, -4194303, 16777217, 7, -7];
  for (const [from, to] of [[[5, 1], [5, 7]], [[10], [3, 10]], [[], [2, 9]], [[1, 3], [6, 3]], [[2, 1, 3], [2, 4, 3]]] as const) {
    const v = Int32Array.from({ length: sizeOf(from) }, (_, i) => words[i % words.length]!);
    const x = tf.tensor(v, [...from], 'int32');
    const y = tf.tidy(() => np.broadcastTo(x, [...to]) as tf.Tensor);
    assert.is(y.dtype, 'int32');
    const got = await y.data();
    for (let i = 0; i < sizeOf(to); i++) assert.is(got[i], v[operandIndex(i, to, from)], `int32 [${from}] -> [${to}] element ${i}`);
    const mask = tf.tidy(() => np.broadcastTo(np.less(x, 8), [...to]) as tf.Tensor);
    assert.is(mask.dtype, 'bool');
    const m = await mask.data();
    for (let i = 0; i < sizeOf(to); i++) assert.is(m[i], Number(v[operandIndex(i, to, from)]! < 8), `bool [${from}] -> [${to}] element ${i}`);
    tf.dispose([x, y, mask]);
  }
  // jax.nn.one_hot's comparison: labels [n, 1] against classes [1, k], beyond float32's exact integers.
  const labels = tf.tensor([16777217, 3, -1, 9], [4, 1], 'int32');
  const classes = tf.tensor([16777216, 16777217, 3, 9, -1], [1, 5], 'int32');
  const eq = jit((a: tf.Tensor, b: tf.Tensor) => np.equal(a, b))(labels, classes) as tf.Tensor;
  assert.equal(Array.from(await eq.data()), [0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0]);
  tf.dispose([labels, classes, eq]);
});

test("on wasm a short channel vector's arithmetic, and row broadcasts of comparisons, run our loop, not tfjs's Add or Tile", () => {
  if (backend !== 'wasm') return;
  const ran: string[] = [];
  const engine = tf.engine();
  const runKernel = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: Record<string, tf.Tensor>, attrs: object) => (ran.push(name), runKernel(name, inputs, attrs as never))) as typeof engine.runKernel;
  try {
    const [x, row, ch] = [tf.ones([128, 28, 32]), tf.ones([128, 28, 1]), tf.ones([32])];
    for (const op of ['add', 'subtract', 'multiply', 'divide'] as const) {
      ran.length = 0;
      tf.dispose([np[op](ch, x) as tf.Tensor, np[op](x, ch) as tf.Tensor]);
      assert.ok(ran.includes('TfjaxElementwise'), `${op}: ${ran.join(', ')}`);
      assert.not.ok(ran.some((k) => ['Add', 'Sub', 'Multiply', 'RealDiv', 'Tile'].includes(k)), `${op}: ${ran.join(', ')}`);
    }
    ran.length = 0;
    (np.less(row, x) as tf.Tensor).dispose();
    assert.not.ok(ran.some((k) => ['Add', 'Tile'].includes(k)), `less: ${ran.join(', ')}`);
    const [labels, classes] = [tf.zeros([512, 1], 'int32'), tf.zeros([1, 10], 'int32')];
    ran.length = 0;
    (np.equal(labels, classes) as tf.Tensor).dispose();
    assert.not.ok(ran.some((k) => ['Add', 'Tile'].includes(k)), `int32 equal: ${ran.join(', ')}`);
    tf.dispose([x, row, ch, labels, classes]);
  } finally {
    engine.runKernel = runKernel;
  }
});

test.run();
