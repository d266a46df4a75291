import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DATASET_NAMES,
  DataError,
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  loadDataset,
  loadFashionMnist,
  loadMnist,
  type EmbeddedDataset,
} from '../../lib/data/index.js';
import { parseDataArrays } from '../../lib/data/json-data.js';
import { rejects } from './rejects.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const classCounts = (ds: EmbeddedDataset): number[] => {
  const counts = new Array<number>(ds.classNames.length).fill(0);
  for (const l of ds.labels) counts[l]!++;
  return counts;
};
const image = (ds: EmbeddedDataset, i: number): Uint8Array => ds.images.subarray(i * 784, (i + 1) * 784);


// ---------------------------------------------------------------------------------------
const fashion = suite('fashion-mnist (full load, default cache)');

fashion('all: 70,000 28x28x1 byte images, 7,000 per class, labels 0..9, two empty entries skipped', async () => {
  const all = await loadFashionMnist({ split: 'all' });
  assert.is(all.name, 'fashion-mnist');
  assert.is(all.n, 70000);
  assert.equal([all.height, all.width, all.channels], [28, 28, 1]);
  assert.instance(all.images, Uint8Array);
  assert.instance(all.labels, Int32Array);
  assert.is(all.images.length, 70000 * 784);
  assert.equal(classCounts(all), new Array(10).fill(7000));
  assert.equal(all.classNames, FASHION_MNIST_CLASSES);
  assert.equal(
    all.skipped.map((s) => s.file),
    ['fashion-mnist/src/clothes/0.json#1000', 'fashion-mnist/src/clothes/0.json#7001'],
  );
  // Known images: their checksums pin the parse (and the class-major, file order).
  assert.is(sha256(image(all, 0)), '7e362c86089d6734513b671d472ec5c604d4579e8771f20b0ed2304d497377b7');
  assert.is(sha256(all.images), 'eea797ef3182def0070158226aa25332059793974d8ae3716ec4fe3cc9e8a677');
  assert.ok(all.images.some((v) => v === 255) && all.images.some((v) => v === 0));
});

fashion('test is the first 1,000 of each class in file order, train the other 6,000', async () => {
  const all = await loadFashionMnist({ split: 'all' });
  const test = await loadFashionMnist({ split: 'test' });
  const train = await loadFashionMnist({ split: 'train' });
  assert.is(test.n, 10000);
  assert.is(train.n, 60000);
  assert.equal(classCounts(test), new Array(10).fill(1000));
  assert.equal(classCounts(train), new Array(10).fill(6000));
  for (let c = 0; c < 10; c++) {
    const a = all.images.subarray(c * 7000 * 784, (c + 1) * 7000 * 784);
    assert.ok(Buffer.from(test.images.subarray(c * 1000 * 784, (c + 1) * 1000 * 784)).equals(a.subarray(0, 1000 * 784)), `test class ${c}`);
    assert.ok(Buffer.from(train.images.subarray(c * 6000 * 784, (c + 1) * 6000 * 784)).equals(a.subarray(1000 * 784)), `train class ${c}`);
  }
  assert.is(sha256(image(train, 0)), '346a1b011c45ada362ef5ce0b2c0a3f6a5b19b15860841c89194a34a3bf3e5e7');
});

fashion('limitPerClass keeps the first images of each class within the split', async () => {
  const test = await loadFashionMnist({ split: 'test', limitPerClass: 5 });
  const train = await loadFashionMnist({ split: 'train', limitPerClass: 3 });
  const all = await loadFashionMnist({ split: 'all', limitPerClass: 1001 });
  assert.is(test.n, 50);
  assert.equal(Array.from(test.labels.subarray(0, 6)), [0, 0, 0, 0, 0, 1]);
  assert.is(sha256(image(test, 0)), '7e362c86089d6734513b671d472ec5c604d4579e8771f20b0ed2304d497377b7');
  assert.is(train.n, 30);
  assert.is(sha256(image(train, 0)), '346a1b011c45ada362ef5ce0b2c0a3f6a5b19b15860841c89194a34a3bf3e5e7');
  assert.ok(Buffer.from(image(all, 1000)).equals(image(train, 0)));
  assert.is((await loadFashionMnist({ split: 'test', limitPerClass: 0 })).n, 0);
});

fashion.run();

// ---------------------------------------------------------------------------------------
const mnist = suite('mnist');

mnist('all: 10,000 images with the package per-digit counts; test 100 per digit, train the rest', async () => {
  const all = await loadMnist({ split: 'all' });
  assert.is(all.n, 10000);
  assert.equal(classCounts(all), [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  assert.equal(all.classNames, MNIST_CLASSES);
  assert.equal(all.skipped, []);
  assert.is(sha256(image(all, 0)), '2d1c3087ac5f2bed7c4d54a1b33bf75d09f479ee63c0df2e0a4378f6e7e9ae66');
  assert.is(sha256(all.images), '0768d16c5adea568dee18fa5e4e1acb117e9ec2c5d6b1dffe5fc29c1e61c1eca');
  const test = await loadMnist({ split: 'test' });
  const train = await loadMnist({ split: 'train' });
  assert.equal(classCounts(test), new Array(10).fill(100));
  assert.is(train.n, 9000);
  assert.equal(classCounts(train), [901, 1027, 891, 932, 880, 763, 914, 970, 844, 878]);
  assert.ok(Buffer.from(image(test, 0)).equals(image(all, 0)));
  assert.ok(Buffer.from(image(train, 0)).equals(image(all, 100)));
  assert.ok(train.labels.every((l) => l >= 0 && l <= 9));
});

mnist.run();

// ---------------------------------------------------------------------------------------
const cache = suite('binary cache');
let cacheDir = '';
cache.before(() => {
  cacheDir = mkdtempSync(path.join(os.tmpdir(), 'tfjax-data-test-'));
});
cache.after(() => rmSync(cacheDir, { recursive: true, force: true }));

cache('first load parses the package, second reads the cache (fast, same bytes)', async () => {
  const first = await loadMnist({ split: 'all', cacheDir });
  assert.is(first.loadedFrom, 'package');
  assert.equal(readdirSync(cacheDir), ['mnist.bin']); // no temporary files left behind
  const t0 = performance.now();
  const second = await loadMnist({ split: 'all', cacheDir });
  const ms = performance.now() - t0;
  assert.is(second.loadedFrom, 'cache');
  assert.ok(ms < 1000, `cached load took ${ms.toFixed(0)} ms`);
  assert.ok(Buffer.from(second.images).equals(first.images));
  assert.equal(Array.from(second.labels), Array.from(first.labels));
  const test = await loadMnist({ split: 'test', limitPerClass: 2, cacheDir });
  assert.is(test.loadedFrom, 'cache');
  assert.equal(Array.from(test.labels), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
  assert.ok(Buffer.from(image(test, 2)).equals(image(first, 1001)));
});

cache('a truncated cache file is rebuilt; cacheDir null never touches the disk', async () => {
  const file = path.join(cacheDir, 'mnist.bin');
  truncateSync(file, 1000);
  const again = await loadMnist({ split: 'test', cacheDir });
  assert.is(again.loadedFrom, 'package');
  assert.is(again.n, 1000);
  assert.is((await loadMnist({ split: 'test', cacheDir })).loadedFrom, 'cache');
  const noCache = await loadMnist({ split: 'test', limitPerClass: 1, cacheDir: null });
  assert.is(noCache.loadedFrom, 'package');
  assert.not.ok(existsSync(path.join(cacheDir, 'null')));
});

cache.run();

// ---------------------------------------------------------------------------------------
const registry = suite('loadDataset registry and option errors');

registry('loads by name; unknown names and bad options are errors naming the dataset', async () => {
  assert.equal(DATASET_NAMES, ['fashion-mnist', 'mnist']);
  const ds = await loadDataset('mnist', { split: 'test', limitPerClass: 1 });
  assert.is(ds.name, 'mnist');
  assert.is(ds.n, 10);
  const fm = await loadDataset('fashion-mnist', { split: 'test', limitPerClass: 1 });
  assert.equal(Array.from(fm.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await rejects(loadDataset('cifar10'), /unknown dataset "cifar10"; known datasets: fashion-mnist, mnist/);
  await rejects(loadMnist({ split: 'val' as never }), /^mnist: split must be 'train', 'test' or 'all', got "val"/);
  await rejects(loadFashionMnist({ limitPerClass: -1 }), /^fashion-mnist: limitPerClass must be a non-negative integer, got -1/);
});

registry.run();

// ---------------------------------------------------------------------------------------
const json = suite('json-data parser');
const identity = (v: number): number => v;
const parse = (s: string, toByte = identity) => parseDataArrays(Buffer.from(s, 'latin1'), 'f.json', toByte, 'a byte');

json('parses flat and nested arrays, any JSON whitespace, empty rows', () => {
  const flat = parse('{"data":[1,2,255]}');
  assert.equal(Array.from(flat.bytes), [1, 2, 255]);
  assert.is(flat.rowLengths, undefined);
  const nested = parse(' {\n "data" : [ [0, 7] ,[],\t[9]\r\n] } \n');
  assert.equal(Array.from(nested.bytes), [0, 7, 9]);
  assert.equal(nested.rowLengths, [2, 0, 1]);
  assert.equal(parse('{"data":[]}').rowLengths, undefined);
  const floats = parse('{"data":[0.2,0.992,1,0,1e0,2.5E-1]}', (v) => Math.round(v * 255));
  assert.equal(Array.from(floats.bytes), [51, 253, 255, 0, 255, 64]);
});

json('rejects malformed text and out-of-range values with the byte offset', () => {
  const bad: Array<[string, RegExp]> = [
    ['{"data":[1,2,]}', /f\.json: expected a number at byte 13/],
    ['{"data":[1 2]}', /expected "," or "\]" in an array of numbers at byte 11/],
    ['{"data":[01]}', /expected "," or "\]" in an array of numbers at byte 10/],
    ['{"data":[256]}', /value 256 \(number 0 in the file\) is not a byte at byte 9/],
    ['{"data":[-1]}', /value -1 .* is not a byte/],
    ['{"data":[1.]}', /expected a digit after "\."/],
    ['{"data":[[1],2]}', /expected "\[" \(data is an array of arrays\)/],
    ['{"other":[1]}', /expected the key "data"/],
    ['{"data":[1],"x":2}', /expected "}"/],
    ['{"data":[1]} x', /unexpected text after the JSON object at byte 13/],
    ['{"data":[1', /expected "," or "\]" in an array of numbers at byte 10/],
    ['', /expected "{" at byte 0/],
  ];
  for (const [text, pattern] of bad) assert.throws(() => parse(text), (e: Error) => e instanceof DataError && pattern.test(e.message), text);
});

json('agrees with JSON.parse on random byte arrays (property)', () => {
  const ws = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');
  fc.assert(
    fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 }), { maxLength: 8 }), ws, (rows, w) => {
      const text = JSON.stringify({ data: rows }, null, w.length > 0 ? w : undefined);
      const r = parse(text);
      assert.equal(Array.from(r.bytes), rows.flat());
      // An empty outer array has no rows to tell nested from flat.
      if (rows.length > 0) assert.equal(r.rowLengths, rows.map((x) => x.length));
    }),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }), (bytes) => {
      const values = bytes.map((b) => Math.round((b / 255) * 1000) / 1000);
      const r = parse(JSON.stringify({ data: values }), (v) => Math.round(v * 255));
      assert.equal(Array.from(r.bytes), bytes);
    }),
    { numRuns: 300 },
  );
});

json.run();
