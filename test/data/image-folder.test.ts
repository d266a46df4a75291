import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_IMAGE_PIXELS, decodeImage, loadImageFolder, resizeBilinear } from '../../lib/data/index.js';
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

/** CRC-32 (ISO-HDLC, as PNG chunks use), bit by bit. */
function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * A PNG whose IHDR claims `height x width` with a correct CRC. Its IDAT holds zero rows of
 * `width + 1` bytes (a valid all-black 8-bit greyscale image) up to 4096 bytes, else one byte.
 */
function craftPng(height: number, width: number, { bitDepth = 8, colourType = 0 } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colourType, 0, 0, 0], 8);
  const raw = height * (width + 1) <= 4096 ? Buffer.alloc(height * (width + 1)) : Buffer.alloc(1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array(0))]);
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

folder('size resizes every image (bilinear, antialiased as PIL); without it a differing size names both files', async () => {
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
  // Image a: red = 40x, width 6 -> 3 through PIL's antialiased triangle filter (support 2,
  // centres 1, 3, 5, taps clipped at the edges and renormalised): (0 .75 + 40 .75 + 80 .25) / 1.75
  // = 28.6, 100 (a ramp's interior is kept), (120 .25 + 160 .75 + 200 .75) / 1.75 = 171.4; plain
  // bilinear sampling would give 20, 100, 180.
  assert.equal([ds.images[0], ds.images[3], ds.images[6]], [29, 100, 171]);
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

folder('issue 11 item 10: a PNG claiming too many pixels is an error naming the file, or skipped', async () => {
  const dir = path.join(root, 'too-large');
  writePng(path.join(dir, 'a.png'), H, W, pattern);
  writeFileSync(path.join(dir, 'b.png'), craftPng(2 ** 31 - 1, 2 ** 31 - 1, { colourType: 6 }));
  writeFileSync(path.join(dir, 'c.png'), craftPng(12000, 12000, { colourType: 2 }));
  const reason = (n: number): string => `PNG claims ${n}x${n} (height x width) = ${BigInt(n) ** 2n} pixels, over the limit of 100000000 (100 MP)`;
  await rejects(loadImageFolder(dir), new RegExp(`^cannot decode ${esc(path.join(dir, 'b.png'))}: ${esc(reason(2 ** 31 - 1))}$`));
  const ds = await loadImageFolder(dir, { skipUnreadable: true });
  assert.equal(ds.files, [path.join(dir, 'a.png')]);
  assert.equal(ds.skipped, [
    { file: path.join(dir, 'b.png'), reason: reason(2 ** 31 - 1) },
    { file: path.join(dir, 'c.png'), reason: reason(12000) },
  ]);
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

folder('a class folder without images is an error naming it (torchvision), or with allowEmpty a class without images', async () => {
  const dir = path.join(root, 'with-empty');
  writePng(path.join(dir, 'a', '1.png'), H, W, pattern);
  mkdirSync(path.join(dir, 'b'), { recursive: true });
  writeFileSync(path.join(dir, 'b', 'notes.txt'), 'not an image');
  writePng(path.join(dir, 'c', '1.png'), H, W, pattern);
  await rejects(loadImageFolder(dir), new RegExp(`^image folder ${esc(dir)}: class folder b holds no .png, .jpg or .jpeg files \\(remove it, or pass allowEmpty`));
  const ds = await loadImageFolder(dir, { allowEmpty: true });
  assert.equal(ds.classNames, ['a', 'b', 'c']);
  assert.equal(Array.from(ds.labels), [0, 2]);
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

decode('issue 11 item 10: an image over 100 MP is refused from its header, before decoding', () => {
  const small = decodeImage(craftPng(3, 5), 3); // the crafted header is a valid PNG
  assert.equal([small.height, small.width], [3, 5]);
  assert.ok(small.data.every((v) => v === 0));
  assert.is(MAX_IMAGE_PIXELS, 100_000_000);
  const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
  const thrown = (bytes: Uint8Array): string => {
    try {
      decodeImage(bytes, 3);
    } catch (e) {
      return message(e);
    }
    return 'no error';
  };
  // 66 bytes claiming (2^31-1)^2 pixels: pngjs's synchronous inflate used to abort the process.
  const huge = craftPng(2 ** 31 - 1, 2 ** 31 - 1, { colourType: 6 });
  assert.ok(huge.length < 100);
  assert.is(thrown(huge), 'PNG claims 2147483647x2147483647 (height x width) = 4611686014132420609 pixels, over the limit of 100000000 (100 MP)');
  assert.is(thrown(craftPng(12000, 12000, { colourType: 2 })), 'PNG claims 12000x12000 (height x width) = 144000000 pixels, over the limit of 100000000 (100 MP)');
  assert.is(thrown(craftPng(10001, 10000, { bitDepth: 16, colourType: 6 })), 'PNG claims 10001x10000 (height x width) = 100010000 pixels, over the limit of 100000000 (100 MP)');
  // A JPEG's frame header (after an APP0 segment) is held to the same limit.
  const jpegHeader = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x4e, 0x20, 0x4e, 0x21, 0x03]);
  assert.is(thrown(jpegHeader), 'JPEG claims 20000x20001 (height x width) = 400020000 pixels, over the limit of 100000000 (100 MP)');
  // Invalid or truncated headers are named as such.
  assert.is(thrown(huge.subarray(0, 30)), 'PNG file is truncated: 30 bytes, too short for its IHDR header (33 bytes)');
  const noIhdr = Buffer.from(huge);
  noIhdr.write('IDAT', 12, 'latin1');
  assert.is(thrown(noIhdr), 'PNG header is invalid: the first chunk must be IHDR of 13 bytes, found "IDAT" of 13 bytes');
  assert.is(thrown(craftPng(0, 5)), 'PNG header is invalid: size 0x5 (height x width) is not within 1..2^31-1');
  assert.is(thrown(craftPng(2 ** 31, 1)), 'PNG header is invalid: size 2147483648x1 (height x width) is not within 1..2^31-1');
  assert.is(thrown(craftPng(3, 5, { bitDepth: 16, colourType: 3 })), 'PNG header is invalid: bit depth 16 with colour type 3');
  assert.is(thrown(craftPng(3, 5, { colourType: 5 })), 'PNG header is invalid: bit depth 8 with colour type 5');
});

decode.run();
