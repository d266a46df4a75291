/**
 * Data formats as PyTorch users meet them: PNG decoding against PIL (torchvision's ImageFolder
 * loader), corrupt files, and the batch order across epochs (boundaries, the last partial batch,
 * resuming mid-epoch).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DataError, batches, decodeImage, epochPermutation, loadImageFolder, numBatches } from '../../lib/data/index.js';

interface PilCase {
  readonly mode: string;
  readonly height: number;
  readonly width: number;
  readonly png: string;
  readonly rgb: number[];
  readonly l: number[];
}
const PIL: Record<string, PilCase> = JSON.parse(readFileSync(new URL('../fixtures/pil-png.json', import.meta.url), 'utf8'));

// ---------------------------------------------------------------------------------------
const decode = suite('decodeImage against PIL');

decode('every 8-bit PNG kind decodes as PIL convert("RGB") / convert("L"), exactly', () => {
  assert.equal(Object.keys(PIL).sort(), ['bilevel', 'l', 'la', 'palette', 'palette-trns', 'rgb', 'rgba']);
  for (const [name, c] of Object.entries(PIL)) {
    const bytes = Buffer.from(c.png, 'base64');
    for (const [channels, want] of [[3, c.rgb], [1, c.l]] as const) {
      const d = decodeImage(bytes, channels);
      assert.equal([d.height, d.width, d.channels], [c.height, c.width, channels], name);
      assert.equal(Array.from(d.data), want, `${name} (PIL mode ${c.mode}) as ${channels} channels`);
    }
  }
});

decode.run();

// ---------------------------------------------------------------------------------------
const corrupt = suite('corrupt image files');

corrupt('each is one line naming the file; skipUnreadable lists them all', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'tfjax-formats-'));
  try {
    const good = Buffer.from(PIL.rgb!.png, 'base64');
    const badCrc = Buffer.from(good);
    badCrc[29] ^= 0xff; // the IHDR chunk's CRC
    const files: Record<string, Uint8Array> = {
      'bad-crc.png': badCrc,
      'gif.png': Buffer.from('GIF89a\x01\x00\x01\x00'),
      'half.jpg': Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 16),
      'short.png': good.subarray(0, 40),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const dir = path.join(root, name.replace('.', '-'));
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'a.png'), good);
      writeFileSync(path.join(dir, name), bytes);
      try {
        await loadImageFolder(dir);
        assert.unreachable(`${name}: expected an error`);
      } catch (e) {
        assert.instance(e, DataError);
        const m = (e as Error).message;
        assert.ok(m.startsWith(`cannot decode ${path.join(dir, name)}: `) && !m.includes('\n'), m);
        assert.is((e as DataError).source, path.join(dir, name));
      }
      const ds = await loadImageFolder(dir, { skipUnreadable: true });
      assert.equal([ds.n, ds.skipped.map((s) => path.basename(s.file))], [1, [name]]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

corrupt.run();

// ---------------------------------------------------------------------------------------
const order = suite('batch order across epochs');

const epochBatches = (n: number, epoch: number, dropLast = false) => [...batches(n, { batchSize: 4, seed: 7, epoch, dropLast })].map((b) => Array.from(b));

order('an epoch is one permutation, cut in order; the last partial batch is kept unless dropLast', () => {
  const n = 10;
  for (let epoch = 0; epoch < 3; epoch++) {
    const kept = epochBatches(n, epoch);
    assert.equal(kept.map((b) => b.length), [4, 4, 2]);
    assert.equal(kept.flat(), Array.from(epochPermutation(n, 7, epoch)));
    const dropped = epochBatches(n, epoch, true);
    assert.equal(dropped, kept.slice(0, 2));
    assert.is(numBatches(n, 4, true), 2);
  }
  // Each epoch reshuffles, so with dropLast an index missed in one epoch is seen in others.
  assert.not.equal(epochBatches(n, 0), epochBatches(n, 1));
  const seen = new Set([0, 1, 2, 3, 4, 5].flatMap((e) => epochBatches(n, e, true).flat()));
  assert.is(seen.size, n);
});

order('resuming at (epoch, batch) replays the same batches as an uninterrupted run', () => {
  const n = 10;
  const straight = [0, 1, 2].flatMap((e) => epochBatches(n, e));
  // A run stopped after 4 batches resumes at epoch 1, batch 1: a pure function of (seed, epoch).
  const perEpoch = numBatches(n, 4);
  const [epoch, batch] = [Math.floor(4 / perEpoch), 4 % perEpoch];
  assert.equal([epoch, batch], [1, 1]);
  const resumed = [...epochBatches(n, epoch).slice(batch), ...epochBatches(n, 2)];
  assert.equal(resumed, straight.slice(4));
});

order.run();
