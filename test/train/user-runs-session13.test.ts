/**
 * Session 13, users of `tfjax train` and of the checkpoint API: flag values that read as JSON
 * where text is expected, seeds the data order cannot take (refused as configuration errors,
 * exit 2, before anything is written), sparse arrays in checkpoints, and `--help` naming the
 * `embed --split` values it accepts.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { load, save } from '../../lib/checkpoint/index.js';
import { epochPermutation } from '../../lib/data/index.js';
import { USAGE } from '../../lib/train/cli.js';
import { resolveConfig } from '../../lib/train/config.js';
import { stepIndices } from '../../lib/train/data.js';
import { useTestBackend } from '../helpers/backend.js';
import { tiny } from './cli-run.js';

await useTestBackend();
const dir = mkdtempSync(join(tmpdir(), 'tfjax-session13-'));

const errorOf = (r: E.Either<string, unknown>): string => {
  if (E.isRight(r)) throw new assert.Assertion({ message: 'expected a configuration error', actual: 'valid', expects: 'error', operator: 'error' });
  return r.left;
};
const valueOf = <A>(r: E.Either<string, A>): A => {
  if (E.isLeft(r)) throw new assert.Assertion({ message: r.left, actual: 'error', expects: 'valid', operator: 'valid' });
  return r.right;
};

const Flags = suite('user runs: flag values');

Flags('a text setting given a value that reads as JSON keeps its text (--out-dir 2024)', () => {
  // A flag's value is JSON when it parses; where the path takes text, the text is what was meant.
  const c = valueOf(resolveConfig({ preset: 'tiny', flags: [['--out-dir', '2024'], ['--dataset.name', '1e3'], ['--steps', '30']] }));
  assert.is(c.outDir, '2024');
  assert.is(c.dataset.name, '1e3');
  assert.is(c.steps, 30); // numbers stay numbers where numbers are expected
  // Where the text is refused too, the error is about the JSON value.
  assert.is(errorOf(resolveConfig({ flags: [['--eval.ks', '5']] })), 'config flag --eval.ks: at .eval.ks expected a non-empty list of positive integers, got 5');
  assert.is(errorOf(resolveConfig({ flags: [['--method', '3']] })).startsWith('config flag --method: at .method expected '), true);
});

Flags('flags override a base layer (tfjax eval: the checkpoint\'s stored configuration, then --eval.linear-probe true)', () => {
  const stored = { eval: { linearProbe: false, ks: [5, 20] }, backend: 'cpu' as const, steps: 70 };
  const c = valueOf(resolveConfig({ base: [stored], flags: [['--eval.linear-probe', 'true'], ['--eval.ks', '[3]']] }));
  assert.equal([c.eval.linearProbe, c.eval.ks, c.steps], [true, [3], 70]);
});

const Seeds = suite('user runs: seeds');

Seeds('a seed the data order cannot take is a configuration error naming the path and the source', () => {
  const big = errorOf(resolveConfig({ preset: 'tiny', flags: [['--seed', '5000000000']] }));
  assert.is(big, 'config flag --seed: at .seed expected an integer in [-2147483648, 4294967295] (the data order\'s seed has 32 bits), got 5000000000');
  const p = join(dir, 'seed.json');
  writeFileSync(p, JSON.stringify({ seed: -2147483649 }));
  assert.match(errorOf(resolveConfig({ file: p })), `config ${p}: at .seed expected an integer in [-2147483648, 4294967295]`);
  assert.is(errorOf(resolveConfig({ flags: [['--seed', '1.5']] })), 'config flag --seed: at .seed expected an integer, got 1.5');
  // Every accepted seed orders the data.
  for (const seed of [-(2 ** 31), -1, 0, 2 ** 32 - 1]) {
    assert.is(valueOf(resolveConfig({ preset: 'tiny', flags: [['--seed', String(seed)]] })).seed, seed);
    assert.is(stepIndices(10, 4, seed, 3).length, 4);
    assert.is(epochPermutation(5, seed, 0).length, 5);
  }
});

Seeds('tfjax train --seed 5000000000 exits 2 before the run directory is made', async () => {
  const out = join(dir, 'seed-run');
  const r = await tiny(out, '--seed', '5000000000');
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /^config flag --seed: at \.seed expected an integer in \[-2147483648, 4294967295\]/);
  assert.is(existsSync(out), false);
});

const Ckpt = suite('user runs: checkpoints of sparse arrays');

Ckpt('a hole in an array is stored as undefined: the file saved loads back', async () => {
  const p = join(dir, 'sparse.safetensors');
  // eslint-disable-next-line no-sparse-arrays
  const tree = { a: [tf.tensor([1, 2]), , tf.scalar(3, 'int32')], b: [1, , 'x'] };
  await save(p, tree);
  const back = (await load(p)) as { a: (tf.Tensor | undefined)[]; b: unknown[] };
  assert.is(back.a.length, 3);
  assert.is(back.a[1], undefined);
  assert.equal(Array.from(await back.a[0]!.data()), [1, 2]);
  assert.equal([back.a[2]!.dtype, Array.from(await back.a[2]!.data())], ['int32', [3]]);
  assert.equal(back.b, [1, undefined, 'x']);
  tf.dispose([tree.a[0]!, tree.a[2]!, back.a[0]!, back.a[2]!]);
});

const Help = suite('user runs: --help');

Help('the usage names every --split that embed accepts', () => {
  assert.match(USAGE, 'embed (--run DIR | --checkpoint FILE) --out FILE(.safetensors|.npy) [--split test|train|all]');
  assert.match(USAGE, '(--split test, train or all; default');
});

Flags.run();
Seeds.run();
Ckpt.run();
Help.run();
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
