import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DataError,
  batches,
  epochPermutation,
  gatherImages,
  gatherLabels,
  numBatches,
  permutation,
  splitmix32,
  type ImageDataset,
} from '../../lib/data/index.js';

const all = (n: Parameters<typeof batches>[0], o: Parameters<typeof batches>[1]): Int32Array[] => [...batches(n, o)];

// ---------------------------------------------------------------------------------------
const prng = suite('prng');

prng('splitmix32 and epoch permutations are pinned (same in every process)', () => {
  const next = splitmix32(0);
  assert.equal([next(), next(), next()], [2462723854, 1020716019, 454327756]);
  assert.equal(Array.from(epochPermutation(10, 42, 0)), [9, 3, 6, 8, 2, 4, 0, 5, 1, 7]);
  assert.equal(Array.from(epochPermutation(10, 42, 1)), [0, 4, 5, 9, 8, 7, 3, 1, 6, 2]);
  assert.equal(Array.from(permutation(0, 1)), []);
  assert.equal(Array.from(permutation(1, 1)), [0]);
});

prng('permutations of 3 are roughly uniform over seeds', () => {
  const counts = new Map<string, number>();
  for (let s = 0; s < 6000; s++) {
    const k = Array.from(permutation(3, s)).join('');
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.is(counts.size, 6);
  for (const [k, c] of counts) assert.ok(c > 850 && c < 1150, `${k}: ${c}`);
});

prng.run();

// ---------------------------------------------------------------------------------------
const batching = suite('batches');

batching('a pure function of (n, batchSize, seed, epoch, dropLast)', () => {
  const o = { batchSize: 16, seed: 7, epoch: 3 };
  assert.equal(all(100, o), all(100, o));
  assert.equal(all(100, o), all({ n: 100 }, o));
  assert.not.equal(all(100, o), all(100, { ...o, epoch: 4 }));
  assert.not.equal(all(100, o), all(100, { ...o, seed: 8 }));
  assert.equal(all(100, { ...o, seed: -1 }), all(100, { ...o, seed: 2 ** 32 - 1 })); // seeds are mod 2^32
});

batching('every index exactly once per epoch; dropLast drops only the short tail', () => {
  for (const n of [0, 1, 15, 16, 17, 100]) {
    const kept = all(n, { batchSize: 16, seed: 1, epoch: 0 });
    assert.is(kept.length, numBatches(n, 16));
    assert.ok(kept.slice(0, -1).every((b) => b.length === 16));
    assert.equal(
      kept.flatMap((b) => Array.from(b)).sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i),
    );
    const dropped = all(n, { batchSize: 16, seed: 1, epoch: 0, dropLast: true });
    assert.is(dropped.length, Math.floor(n / 16));
    assert.ok(dropped.every((b) => b.length === 16));
    assert.equal(dropped, kept.slice(0, dropped.length)); // same order, tail dropped
  }
  assert.equal(all(5, { batchSize: 2, seed: 1, epoch: 0, shuffle: false }).map((b) => Array.from(b)), [[0, 1], [2, 3], [4]]);
});

batching('bad options are errors', () => {
  assert.throws(() => all(10, { batchSize: 0, seed: 1, epoch: 0 }), /batchSize must be an integer in \[1,/);
  assert.throws(() => all(10, { batchSize: 2, seed: 1.5, epoch: 0 }), /seed must be an integer/);
  assert.throws(() => all(10, { batchSize: 2, seed: 1, epoch: -1 }), /epoch must be an integer in \[0,/);
});

batching.run();

// ---------------------------------------------------------------------------------------
const gather = suite('gatherImages / gatherLabels');

/** Three 2x2 greyscale images. */
const ds: ImageDataset = {
  name: 'tiny',
  images: Uint8Array.from([0, 255, 51, 102, 1, 2, 3, 4, 10, 20, 30, 40]),
  labels: Int32Array.from([2, 0, 1]),
  n: 3,
  height: 2,
  width: 2,
  channels: 1,
  classNames: ['a', 'b', 'c'],
  skipped: [],
};

gather('NHWC floats v/255 in index order, optionally into a buffer', () => {
  const x = gatherImages(ds, [2, 0]);
  assert.instance(x, Float32Array);
  assert.equal(Array.from(x), [10, 20, 30, 40, 0, 255, 51, 102].map((v) => Math.fround(v / 255)));
  assert.is(x[5], 1);
  const out = new Float32Array(4);
  assert.is(gatherImages(ds, Int32Array.of(1), out), out);
  assert.equal(Array.from(out), [1, 2, 3, 4].map((v) => Math.fround(v / 255)));
  assert.equal(Array.from(gatherLabels(ds, [2, 0, 0])), [1, 2, 2]);
  assert.is(gatherImages(ds, []).length, 0);
});

gather('out-of-range indices and wrong buffers name the dataset', () => {
  const err = (re: RegExp) => (e: Error) => e instanceof DataError && re.test(e.message);
  assert.throws(() => gatherImages(ds, [3]), err(/gatherImages: index 3 is out of range for dataset tiny \(n=3\)/));
  assert.throws(() => gatherImages(ds, [0.5]), err(/index 0.5 is out of range/));
  assert.throws(() => gatherLabels(ds, [-1]), err(/gatherLabels: index -1 is out of range for dataset tiny/));
  assert.throws(() => gatherImages(ds, [0], new Float32Array(3)), err(/out has length 3, expected 1 x 4 = 4 for dataset tiny/));
});

gather.run();
