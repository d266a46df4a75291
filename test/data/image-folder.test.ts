import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DataError, decodeImage, loadImageFolder, resizeBilinear } from '../../lib/data/index.js';
import { rejects } from './rejects.js';

const H = 4;
const W = 6;
/** The RGB test pattern of `1.png`: r = 40x, g = 50y, b = 7. */
const pattern = (x: number, y: number): [number, number, number] => [40 * x, 50 * y, 7];

function rgba(h: number, w: number, f: (x: number, y: number) => [number, number, number, number?]): Buffer {
  const data = Buffer.alloc(h * w * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b, a = 255] = f(x, y);
      data.set([r, g, b, a], (y * w + x) * 4);
    }
  }
  return data;
}

function writePng(file: string, h: number, w: number, f: (x: number, y: number) => [number, number, number, number?], colorType: 0 | 2 | 6 = 2): void {
  const png = new pngjs.PNG({ width: w, height: h });
  rgba(h, w, f).copy(png.data);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, pngjs.PNG.sync.write(png, { colorType }));
}

function writeJpeg(file: string, h: number, w: number, f: (x: number, y: number) => [number, number, number]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, jpeg.encode({ width: w, height: h, data: rgba(h, w, f) }, 95).data);
}


const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let root = '';
/** `root/labelled`: cat/{1.png, 2.png (grey), 3.jpg}, dog/a.png (RGBA), plus files to ignore. */
function buildLabelled(dir: string): void {
  writePng(path.join(dir, 'cat', '1.png'), H, W, pattern);
  writePng(path.join(dir, 'cat', '2.png'), H, W, (x) => [30 * x, 30 * x, 30 * x], 0);
  writeJpeg(path.join(dir, 'cat', '3.jpg'), H, W, () => [200, 100, 50]);
  writePng(path.join(dir, 'dog', 'a.png'), H, W, (x, y) => [10, 20, 30, (x + y) % 2 === 0 ? 0 : 255], 6);
  writeFileSync(path.join(dir, 'dog', 'notes.txt'), 'not an image');
  writeFileSync(path.join(dir, '.DS_Store'), 'junk');
  mkdirSync(path.join(dir, 'dog', 'nested'));
  writePng(path.join(dir, 'dog', 'nested', 'ignored.png'), H, W, pattern);
}

// ---------------------------------------------------------------------------------------
const folder = suite('loadImageFolder');
folder.before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tfjax-image-folder-'));
  buildLabelled(path.join(root, 'labelled'));
  writePng(path.join(root, 'flat', 'x.png'), H, W, pattern);
  writeJpeg(path.join(root, 'flat', 'y.jpeg'), H, W, () => [0, 0, 255]);
  writePng(path.join(root, 'flat', 'Z.PNG'), H, W, () => [1, 2, 3]);
});
folder.after(() => rmSync(root, { recursive: true, force: true }));

folder('labelled: classes are sorted subfolders, files sorted, RGB HWC bytes', async () => {
  const dir = path.join(root, 'labelled');
  const ds = await loadImageFolder(dir);
  assert.is(ds.name, dir);
  assert.equal(ds.classNames, ['cat', 'dog']);
  assert.equal(Array.from(ds.labels), [0, 0, 0, 1]);
  assert.equal(ds.files, ['cat/1.png', 'cat/2.png', 'cat/3.jpg', 'dog/a.png'].map((f) => path.join(dir, f)));
  assert.equal([ds.n, ds.height, ds.width, ds.channels], [4, H, W, 3]);
  assert.instance(ds.images, Uint8Array);
  assert.is(ds.images.length, 4 * H * W * 3);
  assert.equal(ds.skipped, []);
  const px = (i: number, y: number, x: number): number[] => Array.from(ds.images.subarray(((i * H + y) * W + x) * 3, ((i * H + y) * W + x) * 3 + 3));
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) assert.equal(px(0, y, x), pattern(x, y));
  assert.equal(px(1, 2, 3), [90, 90, 90]); // greyscale PNG -> equal channels
  const jpg = px(2, 1, 1);
  [200, 100, 50].forEach((v, c) => assert.ok(Math.abs(jpg[c]! - v) <= 4, `jpeg pixel ${jpg} vs 200,100,50`));
  assert.equal(px(3, 0, 0), [10, 20, 30]); // alpha dropped, colour kept
});

folder('channels 1 is PIL luma; unlabelled flat folder has labels -1 and no classes', async () => {
  const grey = await loadImageFolder(path.join(root, 'labelled'), { channels: 1 });
  assert.is(grey.channels, 1);
  assert.is(grey.images.length, 4 * H * W);
  const [r, g, b] = pattern(5, 3);
  assert.is(grey.images[3 * W + 5], Math.round((r * 299 + g * 587 + b * 114) / 1000));
  const flat = await loadImageFolder(path.join(root, 'flat'));
  assert.equal(flat.classNames, []);
  assert.equal(Array.from(flat.labels), [-1, -1, -1]);
  assert.equal(flat.files.map((f) => path.basename(f)), ['Z.PNG', 'x.png', 'y.jpeg']); // code-unit order
  assert.equal(Array.from(flat.images.subarray(0, 3)), [1, 2, 3]);
});

folder('size resizes every image (bilinear); without it a differing size names both files', async () => {
  const dir = path.join(root, 'sizes');
  writePng(path.join(dir, 'a.png'), H, W, pattern);
  writePng(path.join(dir, 'b.png'), 5, 3, () => [100, 100, 100]);
  await rejects(
    loadImageFolder(dir),
    new RegExp(`${esc(path.join(dir, 'b.png'))} is 5x3 \\(height x width\\) but the first image, ${esc(path.join(dir, 'a.png'))}, is 4x6; pass options.size`),
  );
  const ds = await loadImageFolder(dir, { size: [2, 3] });
  assert.equal([ds.n, ds.height, ds.width], [2, 2, 3]);
  assert.ok(ds.images.subarray(18).every((v) => v === 100)); // a constant image stays constant
  // Image a: red = 40x resampled at x = 0.5, 2.5, 4.5 -> 20, 100, 180.
  assert.equal([ds.images[0], ds.images[3], ds.images[6]], [20, 100, 180]);
  await rejects(loadImageFolder(dir, { size: [0, 3] }), /size must be \[height, width\] with positive integers/);
});

folder('an unreadable file is an error naming it, or skipped and listed with skipUnreadable', async () => {
  const dir = path.join(root, 'broken');
  buildLabelled(dir);
  writeFileSync(path.join(dir, 'cat', '0.png'), 'this is not a png');
  const good = readFileSync(path.join(dir, 'dog', 'a.png'));
  writeFileSync(path.join(dir, 'dog', 'b.png'), good.subarray(0, good.length - 20)); // truncated
  writeFileSync(path.join(dir, 'dog', 'c.jpg'), Buffer.alloc(0));
  await rejects(
    loadImageFolder(dir),
    new RegExp(`^cannot decode ${esc(path.join(dir, 'cat', '0.png'))}: not a PNG or JPEG file \\(starts with bytes 74 68 69 73\\)$`),
  );
  const ds = await loadImageFolder(dir, { skipUnreadable: true });
  assert.is(ds.n, 4);
  assert.equal(Array.from(ds.labels), [0, 0, 0, 1]);
  assert.equal(ds.skipped.map((s) => path.relative(dir, s.file)), [path.join('cat', '0.png'), path.join('dog', 'b.png'), path.join('dog', 'c.jpg')]);
  assert.is(ds.skipped[2]!.reason, 'file is empty');
  assert.match(ds.skipped[1]!.reason, /^PNG file is truncated/);
  // The decoder's own reason comes through for a truncated PNG.
  const trunc = path.join(root, 'truncated');
  mkdirSync(trunc);
  writeFileSync(path.join(trunc, 'b.png'), good.subarray(0, good.length - 20));
  await rejects(loadImageFolder(trunc), new RegExp(`^cannot decode ${esc(path.join(trunc, 'b.png'))}: ${esc(ds.skipped[1]!.reason)}$`));
});

folder('folder-level errors name the folder', async () => {
  const missing = path.join(root, 'nope');
  await rejects(loadImageFolder(missing), new RegExp(`^image folder ${esc(missing)} cannot be read`));
  const empty = path.join(root, 'empty');
  mkdirSync(empty);
  await rejects(loadImageFolder(empty), new RegExp(`^image folder ${esc(empty)} holds no .png, .jpg or .jpeg files`));
  const mixed = path.join(root, 'mixed');
  writePng(path.join(mixed, 'sub', 'a.png'), H, W, pattern);
  copyFileSync(path.join(mixed, 'sub', 'a.png'), path.join(mixed, 'loose.png'));
  await rejects(loadImageFolder(mixed), /mixes class subfolders \(sub\) with loose images \(loose\.png\)/);
  const allBad = path.join(root, 'all-bad');
  mkdirSync(allBad);
  writeFileSync(path.join(allBad, 'a.jpg'), 'nope');
  await rejects(loadImageFolder(allBad, { skipUnreadable: true }), /none of its 1 images could be decoded \(first: cannot decode .*a\.jpg: not a PNG or JPEG file/);
  await rejects(loadImageFolder(root, { channels: 2 as never }), /channels must be 1 or 3, got 2/);
});

folder.run();

// ---------------------------------------------------------------------------------------
const resize = suite('resizeBilinear');

resize('same size is an exact copy; half-pixel-centre upsampling and downsampling', () => {
  const src = Uint8Array.from([0, 100, 200, 50, 7, 9]);
  assert.equal(Array.from(resizeBilinear(src, [2, 3], 1, [2, 3])), Array.from(src));
  // Width 2 -> 4: source x = -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  assert.equal(Array.from(resizeBilinear(Uint8Array.from([0, 100]), [1, 2], 1, [1, 4])), [0, 25, 75, 100]);
  // Width 4 -> 2: source x = 0.5, 2.5, i.e. averages of neighbours.
  assert.equal(Array.from(resizeBilinear(Uint8Array.from([0, 10, 100, 200]), [1, 4], 1, [1, 2])), [5, 150]);
  // Channels are interpolated independently; 2x2 -> 1x1 averages all four pixels.
  const rgb = Uint8Array.from([0, 0, 0, 40, 80, 120, 80, 0, 4, 0, 0, 0]);
  assert.equal(Array.from(resizeBilinear(rgb, [2, 2], 3, [1, 1])), [30, 20, 31]);
  assert.throws(() => resizeBilinear(src, [2, 2], 1, [1, 1]), /source has 6 bytes, expected 2x2x1 = 4/);
});

resize.run();

// ---------------------------------------------------------------------------------------
const decode = suite('decodeImage');

decode('recognises formats by content, not extension', () => {
  const png = new pngjs.PNG({ width: 2, height: 1 });
  rgba(1, 2, (x) => [x * 255, 0, 0]).copy(png.data);
  const d = decodeImage(pngjs.PNG.sync.write(png), 3);
  assert.equal([d.height, d.width, d.channels], [1, 2, 3]);
  assert.equal(Array.from(d.data), [0, 0, 0, 255, 0, 0]);
  const j = decodeImage(jpeg.encode({ width: 8, height: 8, data: rgba(8, 8, () => [0, 0, 0]) }, 90).data, 1);
  assert.equal([j.height, j.width, j.channels], [8, 8, 1]);
  assert.ok(j.data.every((v) => v <= 2));
  assert.throws(() => decodeImage(Uint8Array.from([1, 2, 3, 4, 5]), 3), /not a PNG or JPEG file \(starts with bytes 01 02 03 04\)/);
});

decode.run();
