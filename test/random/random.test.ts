import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/core/index.js';
import { threefry2x32 } from '../../lib/core/prims/random.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose } from '../helpers/assert.js';

const backend = await useTestBackend();
const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

const read = (x: unknown) => Array.from((x as tf.Tensor).dataSync());
const moments = (xs: number[]) => {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const c = (k: number) => xs.reduce((a, b) => a + (b - mean) ** k, 0) / n;
  const v = c(2);
  return { mean, variance: v, skew: c(3) / v ** 1.5, kurtosis: c(4) / v ** 2 };
};

/**
 * Golden numbers, computed once; the suite runs on cpu and on wasm, so matching them on
 * both shows the backends agree bit for bit (and so does every process).
 */
const GOLDEN = {
  // bits, split, fold, uniform, normal (to float32 rounding of its float64 value), perm and bern
  // are JAX 0.5+'s values (test/random/jax-bitwise-session13.test.ts; uint32 words read as int32),
  // and so is randint (JAX's int32 randint; test/random/jax-randint-session13.test.ts).
  bits: [-224768089, -91998574, 1427181096, 2012915765],
  split: [
    [1797259609, -1715843330],
    [928981903, -841280227],
  ],
  fold: [-1578141107, 292468403],
  uniform: [0.4386324882507324, 0.5337529182434082, 0.44591832160949707, 0.4383963346481323],
  normal: [0.3605741262435913, 1.2849894762039185, -0.7387344241142273, 1.1830744743347168],
  // JAX's truncated_normal formula (tools/jax_threefry_reference.py truncated_normal32 gives these float32s)
  tn: [0.34348994493484497, 1.1869405508041382, -0.6988668441772461, 1.099600076675415],
  perm: [0, 5, 6, 7, 4, 2, 1, 3, 9, 8],
  randint: [4, 6, 7, 0, 0, 9],
  bern: [1, 0, 0, 1, 0, 0],
};

function draws() {
  const k = random.key(0);
  return {
    bits: read(random.bits(k, [4])),
    split: random.split(k).map(read),
    fold: read(random.foldIn(k, 7)),
    uniform: read(random.uniform(random.key(1), [4])),
    normal: read(random.normal(random.key(2), [4])),
    tn: read(random.truncatedNormal(random.key(2), [4])),
    perm: read(random.permutation(random.key(3), 10)),
    randint: read(random.randint(random.key(4), [6], 0, 10)),
    bern: read(random.bernoulli(random.key(5), 0.5, [6])),
  };
}

const R = suite(`random [${backend}]`);

R('threefry2x32 matches the Random123 known-answer vectors (20 rounds)', () => {
  const out = new Uint32Array(2);
  const kat: [number[], number[], number[]][] = [
    [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
    [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    [[0x13198a2e, 0x03707344], [0x243f6a88, 0x85a308d3], [0xc4923a9c, 0x483df7a0]],
  ];
  for (const [k, c, want] of kat) {
    threefry2x32(k[0], k[1], c[0], c[1], out, 0);
    assert.equal([...out], want);
  }
  // and the primitive: key (0, 0), counter (0, 0) is split's first key, and its two words xored
  // are the first word of bits (JAX 0.5+, threefry partitionable)
  assert.equal(read(random.splitKeys(random.key(0), 1)).map((w) => w >>> 0), [0x6b200159, 0x99ba4efe]);
  assert.equal(read(random.bits(random.key(0), [1])).map((w) => w >>> 0), [(0x6b200159 ^ 0x99ba4efe) >>> 0]);
});

R('key(seed) is [high word, low word] of the 64-bit seed', () => {
  assert.equal(read(random.key(0)), [0, 0]);
  assert.equal(read(random.key(42)), [0, 42]);
  assert.equal(read(random.key(2 ** 32 + 5)), [1, 5]);
  assert.equal(read(random.key(-1)), [-1, -1]);
  assert.throws(() => random.key(0.5), /safe integer/);
});

R('golden numbers: identical on this backend, in this process', () => {
  const d = draws();
  for (const [name, want] of Object.entries(GOLDEN)) assert.equal((d as any)[name], want, name);
});

R('same key, same numbers; another key, other numbers; no hidden state', () => {
  const k = random.key(7);
  assert.equal(read(random.normal(k, [16])), read(random.normal(k, [16])));
  assert.equal(read(random.uniform(k, [16])), read(random.uniform(k, [16])));
  assert.not.equal(read(random.normal(k, [16])), read(random.normal(random.key(8), [16])));
});

R('cpu and wasm give the same numbers (child process on the other backend)', () => {
  const other = backend === 'cpu' ? 'wasm' : 'cpu';
  const code = `
    import { setBackend } from './lib/backend/node.ts';
    import * as random from './lib/random/index.ts';
    await setBackend('${other}');
    const r = (x) => Array.from(x.dataSync());
    const k = random.key(123);
    const [a, b] = random.split(k);
    console.log('@@' + JSON.stringify({ n: r(random.normal(a, [64])), u: r(random.uniform(b, [64])), t: r(random.truncatedNormal(k, [64], -1, 3)), p: r(random.permutation(random.foldIn(k, 3), 50)) }));`;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  const m = /@@(.*)/.exec(res.stdout);
  assert.ok(m, `child failed: ${res.stderr.split('\n').slice(-12).join('\n').slice(-2000)}`);
  const theirs = JSON.parse(m![1]);
  const k = random.key(123);
  const [a, b] = random.split(k);
  assert.equal(read(random.normal(a, [64])), theirs.n);
  assert.equal(read(random.uniform(b, [64])), theirs.u);
  assert.equal(read(random.truncatedNormal(k, [64], -1, 3)), theirs.t);
  assert.equal(read(random.permutation(random.foldIn(k, 3), 50)), theirs.p);
});

R('split gives distinct keys, splitKeys stacks the same keys', () => {
  const k = random.key(0);
  const keys = random.split(k, 200).map(read);
  const seen = new Set(keys.map((x) => x.join(',')));
  assert.is(seen.size, 200);
  assert.not.ok(seen.has(read(k).join(',')));
  const stacked = random.splitKeys(k, 200) as tf.Tensor;
  assert.equal(stacked.shape, [200, 2]);
  assert.equal(read(stacked), keys.flat());
  // children differ from the parent's own samples; as in JAX 0.5+, foldIn(k, i) is split's key i
  assert.not.equal(read(random.bits(k, [2])), keys[0]);
  assert.equal(read(random.foldIn(k, 0)), keys[0]);
  assert.equal(read(random.foldIn(k, 199)), keys[199]);
  const folds = new Set([0, 1, 2, 3, 1000].map((d) => read(random.foldIn(k, d)).join(',')));
  assert.is(folds.size, 5);
  assert.throws(() => random.foldIn(k, -1), /data must be an integer/);
  // n = 0 gives no keys, as jax.random.split(key, 0) gives a [0, 2] array
  assert.equal((random.splitKeys(k, 0) as tf.Tensor).shape, [0, 2]);
  assert.equal(random.split(k, 0), []);
  assert.throws(() => random.split(np.array([1, 2])), /int32 array of shape \[2\]/);
});

R('uniform: [0, 1) with mean 1/2 and variance 1/12; minval/maxval', () => {
  const u = read(random.uniform(random.key(1), [100_000]));
  assert.ok(u.every((x) => x >= 0 && x < 1));
  const m = moments(u);
  allClose(m.mean, 0.5, { atol: 0.005 });
  allClose(m.variance, 1 / 12, { atol: 0.002 });
  const v = read(random.uniform(random.key(2), [10_000], { minval: -3, maxval: 5 }));
  assert.ok(v.every((x) => x >= -3 && x < 5));
  allClose(moments(v).mean, 1, { atol: 0.1 });
  // minval = 0.7 rounds down in float32 (to 0.69999999); the samples must not go below it
  const narrow = read(random.uniform(random.key(2), [1000], { minval: 0.7, maxval: 0.7000001 }));
  assert.ok(narrow.every((x) => x >= 0.7 && x < 0.7000001), `[0.7, 0.7000001): got ${Math.min(...narrow)} .. ${Math.max(...narrow)}`);
});

R('normal: moments of N(0, 1)', () => {
  const z = read(random.normal(random.key(3), [100_000]));
  const m = moments(z);
  allClose(m.mean, 0, { atol: 0.01 });
  allClose(m.variance, 1, { atol: 0.02 });
  allClose(m.skew, 0, { atol: 0.03 });
  allClose(m.kurtosis, 3, { atol: 0.08 });
  assert.ok(z.every(Number.isFinite));
});

R('truncatedNormal: inside the bounds, with the truncated moments', () => {
  const z = read(random.truncatedNormal(random.key(4), [100_000]));
  assert.ok(z.every((x) => x >= -2 && x <= 2));
  const m = moments(z);
  allClose(m.mean, 0, { atol: 0.01 });
  allClose(m.variance, 0.773741, { atol: 0.01 }); // Var of N(0,1) truncated to [-2, 2]
  // [0, 1]: mean (phi(0) - phi(1)) / (Phi(1) - Phi(0)) = 0.459862
  const h = read(random.truncatedNormal(random.key(5), [50_000], 0, 1));
  assert.ok(h.every((x) => x >= 0 && x <= 1));
  allClose(moments(h).mean, 0.459862, { atol: 0.005 });
  // very wide bounds (timm's trunc_normal_(std=.02) is [-100, 100] sigmas): finite, ~N(0, 1)
  const w = read(random.truncatedNormal(random.key(6), [50_000], -100, 100));
  assert.ok(w.every(Number.isFinite));
  allClose(moments(w).variance, 1, { atol: 0.03 });
  // Bounds that float32 cannot hold: the samples still lie inside them (not rounded past them).
  for (const [lo, hi] of [[0.5, 0.500001], [-0.700001, -0.7], [0.1, 0.3]]) {
    const b = read(random.truncatedNormal(random.key(7), [20_000], lo, hi));
    const outside = b.filter((x) => !(x >= lo && x <= hi));
    assert.is(outside.length, 0, `[${lo}, ${hi}]: ${outside.length} samples outside, e.g. ${outside[0]}`);
  }
});

R('erfinv inverts erf', () => {
  const xs = [-0.999, -0.9, -0.5, 0, 0.1, 0.5, 0.9, 0.99, 0.9999];
  const y = read(random.erfinv(np.erf(np.array(xs.map((x) => Math.atanh(x) / 2)))));
  allClose(y, xs.map((x) => Math.atanh(x) / 2), { rtol: 2e-4, atol: 1e-5 });
});

R('bernoulli, randint, categorical frequencies', () => {
  const b = read(random.bernoulli(random.key(7), 0.3, [20_000]));
  allClose(b.reduce((a, c) => a + c, 0) / b.length, 0.3, { atol: 0.015 });
  const pb = read(random.bernoulli(random.key(7), np.array([0, 1, 0.5]), [1000, 3]));
  assert.ok(pb.every((x, i) => (i % 3 === 0 ? x === 0 : i % 3 === 1 ? x === 1 : true)));
  const r = read(random.randint(random.key(8), [30_000], -2, 5));
  assert.ok(r.every((x) => Number.isInteger(x) && x >= -2 && x < 5));
  for (let v = -2; v < 5; v++) allClose(r.filter((x) => x === v).length / r.length, 1 / 7, { atol: 0.01 });
  const c = read(random.categorical(random.key(9), np.log(np.array([[0.2, 0.5, 0.3]])), -1));
  assert.is(c.length, 1);
  const cs = read(random.categorical(random.key(9), np.broadcastTo(np.log(np.array([0.2, 0.5, 0.3])), [20_000, 3])));
  allClose(cs.filter((x) => x === 1).length / cs.length, 0.5, { atol: 0.015 });
});

R('permutation: a permutation of 0..n-1; shuffles an array', () => {
  const p = read(random.permutation(random.key(10), 1000));
  assert.equal([...p].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  assert.not.equal(p, Array.from({ length: 1000 }, (_, i) => i));
  assert.not.equal(read(random.permutation(random.key(11), 1000)), p);
  const x = np.array([[0, 0], [1, 10], [2, 20], [3, 30]]);
  const s = (random.permutation(random.key(12), x) as tf.Tensor).arraySync() as number[][];
  assert.equal(s.map((r) => r[0]).sort(), [0, 1, 2, 3]);
  assert.ok(s.every((r) => r[1] === r[0] * 10));
  // a 0-d integer array is a count, as in jax.random.permutation
  assert.equal([...read(random.permutation(random.key(12), np.array(6, 'int32')))].sort(), [0, 1, 2, 3, 4, 5]);
  assert.equal(read(random.permutation(random.key(12), np.array(6, 'int32'))), read(random.permutation(random.key(12), 6)));
  assert.throws(() => random.permutation(random.key(12), np.array(2.5)), /a 0-d array must hold a non-negative integer/);
  // uniform over 3! orderings
  const counts = new Map<string, number>();
  const keys = random.splitKeys(random.key(13), 6000);
  const perms = (random.permutation(keys, 3) as tf.Tensor).arraySync() as number[][];
  for (const q of perms) counts.set(q.join(''), (counts.get(q.join('')) ?? 0) + 1);
  assert.is(counts.size, 6);
  for (const n of counts.values()) allClose(n / 6000, 1 / 6, { atol: 0.025 });
});

R('jit: same numbers as eager, one trace for many keys', () => {
  const f = jit((k: tf.Tensor) => ({ n: random.normal(k, [5]), u: random.uniform(random.split(k)[1], [3]), p: random.permutation(random.foldIn(k, 2), 6) }));
  for (const seed of [0, 1, 2]) {
    const k = random.key(seed);
    const got = f(k) as any;
    assert.equal(read(got.n), read(random.normal(k, [5])));
    assert.equal(read(got.u), read(random.uniform(random.split(k)[1], [3])));
    assert.equal(read(got.p), read(random.permutation(random.foldIn(k, 2), 6)));
  }
  assert.is(f.cacheSize(), 1);
});

R('vmap over keys equals the per-key draws (and leading key dims)', () => {
  const keys = random.splitKeys(random.key(3), 4);
  const g = (k: tf.Tensor) => np.add(random.normal(k, [3]), random.uniform(random.split(k)[0], [3]));
  const batched = vmap(g)(keys) as tf.Tensor;
  assert.equal(batched.shape, [4, 3]);
  const per = random.split(random.key(3), 4).map((k) => read(g(k as tf.Tensor)));
  assert.equal(read(batched), per.flat());
  const perms = vmap((k: tf.Tensor) => random.permutation(k, 5))(keys) as tf.Tensor;
  assert.equal(perms.shape, [4, 5]);
  assert.equal(read(perms), random.split(random.key(3), 4).flatMap((k) => read(random.permutation(k, 5))));
  // jit of vmap
  const jv = jit(vmap((k: tf.Tensor) => random.truncatedNormal(k, [2])));
  assert.equal(read(jv(keys)), random.split(random.key(3), 4).flatMap((k) => read(random.truncatedNormal(k, [2]))));
  // leading key dims without vmap
  assert.equal((random.normal(keys, [3]) as tf.Tensor).shape, [4, 3]);
});

R('issue 11 item 13: eager calls leave exactly their results (split, samplers with several ops)', () => {
  const key = random.key(0);
  const keys = random.splitKeys(key, 3) as tf.Tensor;
  const x = np.ones([4, 2]) as tf.Tensor;
  const p = np.array([0.1, -0.5], 'float32') as tf.Tensor;
  const calls: [string, () => tf.Tensor | tf.Tensor[]][] = [
    ['split', () => random.split(key) as tf.Tensor[]],
    ['split(key, 5)', () => random.split(key, 5) as tf.Tensor[]],
    ['split of a stack of keys', () => random.split(keys) as tf.Tensor[]],
    ['uniform with bounds', () => random.uniform(key, [3], { minval: -1, maxval: 2 }) as tf.Tensor],
    ['bernoulli', () => random.bernoulli(key, 0.3, [3]) as tf.Tensor],
    ['randint', () => random.randint(key, [3], 2, 9) as tf.Tensor],
    ['permutation of an array', () => random.permutation(key, x) as tf.Tensor],
    ['categorical', () => random.categorical(key, x) as tf.Tensor],
    ['erfinv', () => random.erfinv(p) as tf.Tensor],
  ];
  for (const [name, fn] of calls) {
    const before = tf.memory().numTensors;
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    assert.is(tf.memory().numTensors - before, outs.length, `${name}: tensors left besides its ${outs.length} result(s)`);
    tf.dispose(outs);
  }
  tf.dispose([key, keys, x, p]);
});

R.run();
