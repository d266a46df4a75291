/**
 * The data side of a run: `dataset.split`, `dataset.limitPerClass` and `dataset.imageSize`
 * on image folders, and `eval.ks` checked against the loaded data before any step.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pngjs from 'pngjs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type ConfigInput, ConfigError, loadConfig } from '../../lib/train/config.js';
import { loadRunData } from '../../lib/train/data.js';
import { train } from '../../lib/train/loop.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();

const root = mkdtempSync(join(tmpdir(), 'tfjax-run-data-'));
/** A grey PNG of one value (4x4 unless given), so that every image is recognisable by its first byte. */
function writeGrey(file: string, value: number, [height, width] = [4, 4]): void {
  const png = new pngjs.PNG({ width, height });
  png.data.fill(value);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  writeFileSync(file, pngjs.PNG.sync.write(png, { colorType: 0 }));
}
/** Two classes of 5 images: class a has values 10..14, class b 20..24. */
const labelled = join(root, 'labelled');
for (const [c, base] of [['a', 10], ['b', 20]] as const) {
  mkdirSync(join(labelled, c), { recursive: true });
  for (let i = 0; i < 5; i++) writeGrey(join(labelled, c, `${i}.png`), base + i);
}
const flat = join(root, 'flat');
mkdirSync(flat);
for (let i = 0; i < 3; i++) writeGrey(join(flat, `${i}.png`), i);

const config = (...layers: ConfigInput[]) => loadConfig({ layers: [{ backend, eval: { ks: [1] } }, ...layers] });
/** The value of each image (its first byte), in dataset order. */
const values = (ds: { images: Uint8Array; n: number } | null): number[] =>
  ds === null ? [] : Array.from({ length: ds.n }, (_, i) => ds.images[(i * ds.images.length) / ds.n]!);

async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return (e as Error).message;
  }
  throw new assert.Assertion({ message: 'expected a ConfigError', operator: 'rejects', generated: false, actual: undefined, expects: undefined });
}

const Folder = suite(`run data: image folders [${backend}]`);
Folder.after(() => rmSync(root, { recursive: true, force: true }));

Folder('issue 11 item 15: dataset.split and dataset.limitPerClass apply to image folders', async () => {
  const all = await loadRunData(config({ dataset: { name: labelled, split: 'all' } }));
  assert.equal(values(all.train), [10, 11, 12, 13, 14, 20, 21, 22, 23, 24]);
  const queries = values(all.evalTest);
  assert.is(queries.length, 2); // every fifth image of a fixed permutation
  const memory = values(all.evalTrain);
  assert.equal([...memory, ...queries].sort(), values(all.train));
  // split 'train' (the default) leaves the kNN queries out of training.
  const trainSplit = await loadRunData(config({ dataset: { name: labelled } }));
  assert.equal(values(trainSplit.train), memory);
  assert.equal(values(trainSplit.evalTest), queries);
  // limitPerClass keeps the first images of each class, of the split trained on and of the memory bank.
  const limited = await loadRunData(config({ dataset: { name: labelled, limitPerClass: 2 } }));
  const firstTwo = (vs: number[]) => [...vs.filter((v) => v < 20).slice(0, 2), ...vs.filter((v) => v >= 20).slice(0, 2)];
  assert.equal(values(limited.train), firstTwo(memory));
  assert.equal(Array.from(limited.train.labels), [0, 0, 1, 1]);
  assert.equal(values(limited.evalTrain), firstTwo(memory));
  assert.equal(values(limited.evalTest), queries);
  const limitedAll = await loadRunData(config({ dataset: { name: labelled, split: 'all', limitPerClass: 2 } }));
  assert.equal(values(limitedAll.train), [10, 11, 20, 21]);
  // An unlabelled folder trains on all its images; it has no classes to limit.
  assert.equal(values((await loadRunData(config({ dataset: { name: flat } }))).train), [0, 1, 2]);
  assert.is(
    await rejection(loadRunData(config({ dataset: { name: flat, limitPerClass: 2 } }))),
    `config: at .dataset.limitPerClass expected null for ${flat}, which has no classes (it needs two or more class subfolders), got 2`,
  );
});

Folder('issue 11 item 15: eval.ks larger than the training images fails right after loading, before any step', async () => {
  const c = config({ dataset: { name: labelled }, eval: { ks: [2, 9], before: true } });
  const message = 'config: at .eval.ks expected values at most 8 (the training images of ' + labelled + ' that kNN can use), got [2,9]';
  assert.is(await rejection(loadRunData(c)), message);
  const limited = config({ dataset: { name: labelled, limitPerClass: 3 }, eval: { ks: [7] } });
  assert.is(await rejection(loadRunData(limited)), `config: at .eval.ks expected values at most 6 (the training images of ${labelled} that kNN can use), got [7]`);
  const during = config({ dataset: { name: labelled }, eval: { ks: [4], every: 1, duringTrainSubset: 3 } });
  assert.is(await rejection(loadRunData(during)), 'config: at .eval.ks expected values at most 3 (the .eval.duringTrainSubset images of the kNN during training), got [4]');
  assert.is((await loadRunData(config({ dataset: { name: labelled }, eval: { ks: [8] } }))).evalTrain?.n, 8);
  // train() stops there: nothing is written to the run directory.
  const outDir = join(root, 'run');
  const quiet = { write: () => true } as unknown as NodeJS.WritableStream;
  assert.is(await rejection(train({ ...c, outDir }, { stderr: quiet, stdout: quiet })), message);
  assert.not.ok(existsSync(join(outDir, 'metrics.jsonl')));
});

Folder('dataset.imageSize resizes a folder of images of mixed sizes (without it the error names the setting); null for the known datasets', async () => {
  const mixed = join(root, 'mixed');
  for (const [c, size] of [['a', [4, 4]], ['b', [6, 5]]] as const) {
    mkdirSync(join(mixed, c), { recursive: true });
    for (let i = 0; i < 3; i++) writeGrey(join(mixed, c, `${i}.png`), 30 + i, [...size]);
  }
  const unresized = await loadRunData(config({ dataset: { name: mixed } })).then(() => 'loaded', (e: Error) => e.message);
  assert.match(unresized, /is 6x5 \(height x width\) but the first image, .* is 4x4; pass options.size \(in a training config, dataset.imageSize\)/);
  const resized = await loadRunData(config({ dataset: { name: mixed, split: 'all', imageSize: [8, 6] } }));
  assert.equal([resized.train.height, resized.train.width, resized.train.n], [8, 6, 6]);
  // A grey image stays that grey at any size.
  assert.equal(values(resized.train), [30, 31, 32, 30, 31, 32]);
  const flag = loadConfig({ layers: [{ backend }], flags: [['--dataset.image-size', '[8,6]']] });
  assert.equal(flag.dataset.imageSize, [8, 6]);
  for (const bad of ['[8]', '[0,6]', '[8,6.5]', '"8x6"'])
    assert.throws(() => loadConfig({ flags: [['--dataset.image-size', bad]] }), /at \.dataset\.imageSize expected \[height, width\] with positive integers/);
  assert.is(
    await rejection(loadRunData(config({ dataset: { name: 'mnist', imageSize: [8, 8] } }))),
    'config: at .dataset.imageSize expected null for mnist (its images have one size; imageSize resizes the images of a folder), got [8,8]',
  );
});

Folder.run();
