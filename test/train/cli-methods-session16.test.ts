/**
 * Session 16: the CLI takes DirectCLR, spectral contrastive learning, LeJEPA (multi-crop, a key
 * per step for SIGReg) and MAE (a ViT, one view and its masking noise per step), through
 * `main` (the `tfjax` entry), in this process, on the tiny preset:
 *
 * - each trains 2 steps (finite losses, a checkpoint at step 2), and `--resume` goes on from
 *   step 2 to step 3 without running steps 1-2 again;
 * - LeJEPA and MAE on 2 synchronised data-parallel workers take the step's key (SIGReg's
 *   directions) and MAE's noise through the batch: their first loss is one process's;
 * - a bad option in a method's section (or what the method asks of the run) is a one-line
 *   configuration error naming the path, with exit code 2.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type MethodName, loadConfig } from '../../lib/train/config.js';
import { useTestBackend } from '../helpers/backend.js';
import { TINY_MAE_FLAGS, ckpts, metrics, runMain, tinyMethodArgs } from './cli-run.js';

await useTestBackend();
const root = mkdtempSync(join(tmpdir(), 'tfjax-cli-methods-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);

/** Each method's run on one process (the first test of each), by method. */
const oneProcess = new Map<MethodName, string>();
const stepLosses = (dir: string) => metrics(dir).filter((r) => r.type === 'step').map((r) => [r.step, r.loss] as const);

// ---------------------------------------------------------------------------------------------
const Train = suite('tfjax train --method directclr|spectralCl|lejepa|mae');

for (const method of ['directclr', 'spectralCl', 'lejepa', 'mae'] as const) {
  Train(`${method}: 2 steps with finite losses and a checkpoint; --resume goes on from step 2`, async () => {
    const dir = runDir();
    oneProcess.set(method, dir);
    const first = await runMain(tinyMethodArgs(method, dir, '--steps', '3', '--optimizer.warmup-steps', '1', '--debug.stop-after-step', '2'));
    assert.is(first.code, 0, first.stderr);
    const two = stepLosses(dir);
    assert.equal(two.map(([s]) => s), [1, 2]);
    for (const [s, l] of two) assert.ok(Number.isFinite(l), `${method} step ${s}: loss ${l}`);
    assert.equal(ckpts(dir), ['ckpt-2.safetensors']);

    const resumed = await runMain([...tinyMethodArgs(method, dir, '--steps', '3', '--optimizer.warmup-steps', '1'), '--resume']);
    assert.is(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, `resuming ${dir} from ${join(dir, 'checkpoints', 'ckpt-2.safetensors')} (step 2 of 3)`);
    const starts = metrics(dir).filter((r) => r.type === 'start');
    assert.equal(starts.map((r) => [r.step, r['resumed']]), [[0, false], [2, true]]);
    const all = stepLosses(dir);
    assert.equal(all.map(([s]) => s), [1, 2, 3], 'steps 1 and 2 are not run again');
    assert.equal(all.slice(0, 2), two);
    assert.ok(Number.isFinite(all[2]![1]), `${method} step 3: loss ${all[2]![1]}`);
    assert.equal(ckpts(dir), ['ckpt-2.safetensors', 'ckpt-3.safetensors']);
  });
}

for (const method of ['lejepa', 'mae'] as const) {
  Train(`${method} on 2 synchronised workers: the step's key (and MAE's noise) reach them; the first loss is one process's`, async () => {
    const one = oneProcess.get(method)!;
    const two = runDir();
    const r = await runMain(tinyMethodArgs(method, two, '--steps', '3', '--optimizer.warmup-steps', '1', '--debug.stop-after-step', '1', '--workers', '2'));
    assert.is(r.code, 0, r.stderr);
    const [a, b] = [stepLosses(one)[0]![1]!, stepLosses(two)[0]![1]!];
    assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(a)), `${method}: loss ${b} on 2 workers, ${a} in one process`);
  });
}

// ---------------------------------------------------------------------------------------------
const Errors = suite('tfjax train: bad options of the new methods are one-line errors naming the path');

const cases: [MethodName, string[], string][] = [
  ['directclr', ['--directclr.temperature', '0'], 'config flag --directclr.temperature: at .directclr.temperature expected a finite number > 0, got 0'],
  ['directclr', ['--directclr.dim', '9'], "config: at .directclr.dim expected at most the encoder's width 8 (.model), got 9"],
  ['spectralCl', ['--spectral-cl.mu', '-1'], 'config flag --spectral-cl.mu: at .spectralCl.mu expected a finite number > 0, got -1'],
  ['lejepa', ['--lejepa.n-points', '4'], 'config: at .lejepa.nPoints expected an odd integer >= 3, got 4'],
  ['lejepa', ['--lejepa.num-slice', '8'], 'config flag --lejepa.num-slice: at .lejepa.numSlice unknown key (known: encoder, encoderOptions, embedDim, projectorInput, projector, numSlices, tMax, nPoints, lamb)'],
  ['mae', ['--mae.mask-ratio', '1'], 'config: at .mae.maskRatio expected a number in [0, 1), got 1'],
  ['mae', ['--mae.decoder-num-heads', '3'], 'config: at .mae.decoderEmbedDim expected a multiple of decoderNumHeads 3, got 8'],
  ['mae', ['--augment.size-crops', '[21]'], "config: at .augment.sizeCrops[0] expected the ViT's image size 28 for mae (.model.encoderOptions.imgSize; its decoder's positions are fixed), got 21"],
];
for (const [method, extra, line] of cases) {
  Errors(`${method} ${extra.join(' ')}`, async () => {
    const r = await runMain(tinyMethodArgs(method, runDir(), ...extra));
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stderr.split('\n')[0], line);
  });
}

Errors('mae without a ViT, or with two views, says what it needs', async () => {
  const convnet = await runMain(['train', '--preset', 'tiny', '--method', 'mae', ...TINY_MAE_FLAGS.slice(4), '--out-dir', runDir()]);
  assert.is(convnet.code, 2);
  assert.match(convnet.stderr.split('\n')[0]!, /^config: at \.model\.encoder expected a ViT for mae \(vit_tiny_patch16_224, vit_small_patch16_224\), got "convnet_small"; use --preset fashion-mnist-mae, or e\.g\. /);
  const two = await runMain(['train', '--preset', 'tiny', '--method', 'mae', ...TINY_MAE_FLAGS.slice(0, 4), '--augment.nmb-crops', '[2]', '--augment.size-crops', '[28]', '--augment.min-scale', '[0.3]', '--augment.max-scale', '[1]', '--out-dir', runDir()]);
  assert.is(two.code, 2);
  assert.match(two.stderr.split('\n')[0]!, /^config: at \.augment\.nmbCrops expected \[1\] for mae \(it trains on one view; multi-crop is for swav, dino, lejepa, dinov2, ibot, dinov3 and mimRefiner\), got \[2\]; use --preset fashion-mnist-mae/);
});

Errors('every new method has its fashion-mnist preset, which resolves', () => {
  for (const m of ['directclr', 'spectralCl', 'lejepa', 'mae'] as const) {
    const c = loadConfig({ preset: `fashion-mnist-${m}` });
    assert.is(c.method, m);
    assert.is(c.outDir, `runs/fashion-mnist-${m}`);
  }
});

Errors.after(() => rmSync(root, { recursive: true, force: true }));
Train.run();
Errors.run();
