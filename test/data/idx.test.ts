/**
 * lib/data/idx.ts: IDX files (MNIST's and Fashion-MNIST's distribution format) written here
 * byte by byte from the format's definition (magic 00 00 <type> <rank>, big-endian uint32
 * sizes, big-endian values), plain and gzip-compressed; every value type read back exactly;
 * MNIST's magic numbers 2051 (images) and 2049 (labels); malformed files as one-line errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DataError, loadIdxDataset, parseIdx } from '../../lib/data/index.js';

const test = suite('IDX files');
const dir = mkdtempSync(path.join(os.tmpdir(), 'tfjax-idx-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const WRITE: Record<number, [number, (v: DataView, at: number, x: number) => void]> = {
  0x08: [1, (v, at, x) => v.setUint8(at, x)],
  0x09: [1, (v, at, x) => v.setInt8(at, x)],
  0x0b: [2, (v, at, x) => v.setInt16(at, x)],
  0x0c: [4, (v, at, x) => v.setInt32(at, x)],
  0x0d: [4, (v, at, x) => v.setFloat32(at, x)],
  0x0e: [8, (v, at, x) => v.setFloat64(at, x)],
};

/** An IDX file's bytes, big-endian throughout (DataView's default). */
function idx(code: number, shape: number[], values: number[]): Uint8Array {
  const [size, write] = WRITE[code]!;
  const out = new Uint8Array(4 + 4 * shape.length + size * values.length);
  const v = new DataView(out.buffer);
  out.set([0, 0, code, shape.length]);
  shape.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  values.forEach((x, i) => write(v, 4 + 4 * shape.length + i * size, x));
  return out;
}

const file = (name: string, bytes: Uint8Array) => {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

test('every value type reads back exactly, in row-major order, big-endian', () => {
  const cases: [number, number[]][] = [
    [0x08, [0, 1, 127, 128, 255, 7]],
    [0x09, [-128, -1, 0, 1, 127, 5]],
    [0x0b, [-32768, -2, 0, 258, 32767, 1]],
    [0x0c, [-2147483648, -65536, 0, 16909060, 2147483647, 3]],
    [0x0d, [Math.fround(-1.5), Math.fround(Math.PI), 0, Math.fround(1e-40), Infinity, Math.fround(2 ** -149)]],
    [0x0e, [-1.5, Math.PI, 0, 1e-300, -Infinity, 2 ** -1074]],
  ];
  for (const [code, values] of cases) {
    const got = parseIdx(idx(code, [2, 3], values), `type ${code}`);
    assert.equal([...got.shape], [2, 3]);
    assert.equal([...got.values], values, `type 0x${code.toString(16)}`);
  }
});

test("MNIST's magic numbers: 2051 = 00 00 08 03 (uint8 images [n, 28, 28]), 2049 = 00 00 08 01 (uint8 labels)", () => {
  const images = idx(0x08, [2, 28, 28], Array.from({ length: 2 * 784 }, (_, i) => i % 256));
  const labels = idx(0x08, [2], [7, 2]);
  assert.is(new DataView(images.buffer).getUint32(0), 2051);
  assert.is(new DataView(labels.buffer).getUint32(0), 2049);
  assert.equal([...parseIdx(images, 'images').shape], [2, 28, 28]);
});

test('loadIdxDataset pairs an image and a label file, plain or gzip-compressed, into an ImageDataset', async () => {
  const pixels = Array.from({ length: 3 * 2 * 2 }, (_, i) => (i * 37) % 256);
  for (const gz of [false, true]) {
    const pack = (b: Uint8Array) => (gz ? new Uint8Array(gzipSync(b)) : b);
    const ds = await loadIdxDataset(file(`img${gz}`, pack(idx(0x08, [3, 2, 2], pixels))), file(`lab${gz}`, pack(idx(0x08, [3], [1, 0, 9]))));
    assert.equal([ds.n, ds.height, ds.width, ds.channels], [3, 2, 2, 1]);
    assert.equal([...ds.images], pixels);
    assert.equal([...ds.labels], [1, 0, 9]);
    assert.equal(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(ds.skipped, []);
  }
  const named = await loadIdxDataset(file('i2', idx(0x08, [1, 1, 1], [3])), file('l2', idx(0x08, [1], [1])), { classNames: ['cat', 'dog'] });
  assert.equal(named.classNames, ['cat', 'dog']);
});

/** The one-line DataError of `f`, naming `source`. */
async function errorOf(f: () => unknown, source: string): Promise<string> {
  try {
    await f();
  } catch (e) {
    assert.instance(e, DataError);
    assert.is((e as DataError).source, source);
    const m = (e as Error).message;
    assert.not.ok(m.includes('\n'), m);
    return m;
  }
  throw new Error('expected a DataError');
}

test('malformed files are one-line errors naming the file and what is wrong', async () => {
  const good = idx(0x08, [2], [1, 2]);
  assert.match(await errorOf(() => parseIdx(new Uint8Array([0, 0]), 'a'), 'a'), /^idx a: 2 bytes, shorter than the 4-byte magic$/);
  assert.match(await errorOf(() => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'b'), 'b'), /^idx b: not an IDX file \(magic 01 02 08 01/);
  assert.match(await errorOf(() => parseIdx(new Uint8Array([0, 0, 7, 1, 0, 0, 0, 0]), 'c'), 'c'), /^idx c: unknown value type 0x7/);
  assert.match(await errorOf(() => parseIdx(good.subarray(0, 6), 'd'), 'd'), /^idx d: 6 bytes, shorter than the header of a rank-1 array \(8\)$/);
  assert.match(await errorOf(() => parseIdx(good.subarray(0, 9), 'e'), 'e'), /^idx e: 9 bytes, but a uint8 array of shape \[2\] takes 10$/);
  assert.match(await errorOf(() => parseIdx(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 'f'), 'f'), /^idx f: cannot decompress the gzip data/);
  const img = file('img', idx(0x08, [2, 1, 1], [0, 1]));
  const missing = path.join(dir, 'missing');
  assert.match(await errorOf(() => loadIdxDataset(missing, img), missing), /^idx .*missing: cannot read the file: ENOENT/);
  const three = file('three', idx(0x08, [3], [0, 1, 2]));
  assert.match(await errorOf(() => loadIdxDataset(img, three), three), /: 3 labels for 2 images in /);
  const wide = file('wide', idx(0x0c, [2], [0, 1]));
  assert.match(await errorOf(() => loadIdxDataset(img, wide), wide), /labels must be a uint8 array of shape \[n\], got Int32Array \[2\]/);
  const labels = file('labels', idx(0x08, [2], [0, 2]));
  assert.match(await errorOf(() => loadIdxDataset(img, labels, { classNames: ['a', 'b'] }), labels), /label 2 at 1 has no class name \(2 given\)/);
});

test.run();
