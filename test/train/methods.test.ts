/**
 * `tfjax train --method NAME` for every method, on the tiny preset (tiny encoder and heads,
 * a few steps), in this process where a process adds nothing (faster) and as a child
 * process where it is the point (kill -9, the export command):
 *
 * - every method: two steps run and log the loss, the method's metrics and the collapse
 *   signals (RankMe, embedding std); the run's weights go to the seed's state-dict layout
 *   and back unchanged, with the seed's key names; `--resume` after an interruption ends
 *   bit for bit where the uninterrupted run ends;
 * - BYOL (teacher state) and MoCo v2 (queue state): kill -9, then `--resume`: bit for bit;
 * - BYOL with 2 workers: the teacher moves on every replica alike; resume is exact;
 * - a foreign checkpoint (another method's) and a NaN are clear errors that overwrite nothing;
 * - README's `npm run train` command and method list agree with the code.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as checkpoint from '../../lib/checkpoint/index.js';
import { readSafetensorsFile } from '../../lib/io/safetensors-file.js';
import * as tree from '../../lib/tree/index.js';
import { METHOD_NAMES, type MethodName, PRETRAINED_METHODS, loadConfig, totalSteps } from '../../lib/train/config.js';
import { loadRunData } from '../../lib/train/data.js';
import { exportTorch, importTorch } from '../../lib/train/export.js';
import { type TrainResult, train } from '../../lib/train/loop.js';
import { methodOf, optimizerOf, runKeys, scheduleOf } from '../../lib/train/recipe.js';
import { tensorsIn } from '../../lib/util/tensors.js';
import { useTestBackend } from '../helpers/backend.js';
import { assertSameState, backend, ckpts, cli, flagPairs, losses, metrics, ok, snapshotFiles, start, stateBytes, tinyMethodFlags } from './cli-run.js';

await useTestBackend();
const root = mkdtempSync(join(tmpdir(), 'tfjax-methods-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);

/** The tiny preset's flags for a method: two-view methods get two 28x28 views instead of multi-crop, one-view methods one, the ViT methods (`VIT_METHODS`) a ViT. */
function flagsOf(method: MethodName, ...extra: string[]): string[] {
  return ['--method', method, ...tinyMethodFlags(method), ...pretrainedFlags(method), '--backend', backend, '--eval.before', 'false', ...extra];
}
/** A tiny MAE run (2 steps), which MIM-Refiner and SALT start from (`.<method>.pretrained`). */
const maeRun = join(root, 'mae-pretrained');
const pretrainedFlags = (method: MethodName) => (PRETRAINED_METHODS.includes(method) ? [`--${method}.pretrained`, maeRun] : []);
const quiet = { write: () => true } as unknown as NodeJS.WritableStream;

/** `tfjax train --preset tiny` in this process. */
async function trainHere(dir: string, method: MethodName, extra: string[] = [], resume = false): Promise<TrainResult> {
  const c = loadConfig({ preset: 'tiny', flags: flagPairs(flagsOf(method, '--out-dir', dir, ...extra)) });
  return train(c, { resume, stderr: quiet, stdout: quiet });
}

/** The checkpoint's variables, loaded like the method's own. */
async function loadVariables(dir: string, method: MethodName, step: number) {
  const c = loadConfig({ preset: 'tiny', flags: flagPairs(flagsOf(method)) });
  const data = await loadRunData(c);
  const m = methodOf(c, data.train.channels);
  const keys = runKeys(c.seed);
  const init = m.init(keys.init);
  const like = { params: init.params, modelState: init.state, optState: optimizerOf(c, scheduleOf(c, totalSteps(c, data.train.n))).init(init.params), step: 0, key: keys.base, elapsed: 0, config: '' };
  const snap = await checkpoint.load(join(dir, 'checkpoints', `ckpt-${step}.safetensors`), { like });
  tf.dispose([...tensorsIn(like), keys.init]);
  return { method: m, snap };
}

/** The seed's module prefixes of each method's state dict (stable-pretraining's names). */
const TORCH_MODULES: Record<MethodName, string[]> = {
  simclr: ['backbone', 'projector'],
  mocoV2: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'projector.student', 'projector.teacher', 'projector.*_coefficient', 'queue'],
  mocoV3: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'predictor', 'projector.student', 'projector.teacher', 'projector.*_coefficient'],
  byol: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'predictor', 'projector.student', 'projector.teacher', 'projector.*_coefficient'],
  simsiam: ['backbone', 'predictor', 'projector'],
  vicreg: ['backbone', 'projector'],
  barlowTwins: ['backbone', 'projector'],
  tico: ['backbone', 'projector', 'C'],
  wmse: ['backbone', 'projector'],
  dino: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'projector.student', 'projector.teacher', 'projector.*_coefficient', 'prototypes.student', 'prototypes.teacher', 'prototypes.*_coefficient'],
  nnclr: ['backbone', 'predictor', 'projector', 'queue'],
  swav: ['backbone', 'projector', 'prototypes'],
  directclr: ['backbone'],
  spectralCl: ['backbone', 'projector'],
  lejepa: ['backbone', 'projector'],
  mae: ['encoder', 'decoder'],
  pirl: ['backbone', 'proj_image', 'proj_jigsaw', 'queue'],
  dinov2: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'cls_head.student', 'cls_head.teacher', 'cls_head.*_coefficient', 'patch_head.student', 'patch_head.teacher', 'patch_head.*_coefficient', 'mask_token'],
  vicregl: ['encoder', 'projector_global', 'projector_local'],
  ijepa: ['encoder.student', 'encoder.teacher', 'encoder.*_coefficient', 'predictor'],
  ibot: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'cls_head.student', 'cls_head.teacher', 'cls_head.*_coefficient', 'patch_head.student', 'patch_head.teacher', 'patch_head.*_coefficient', 'mask_token'],
  msn: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'projector.student', 'projector.teacher', 'projector.*_coefficient', 'mask_token'],
  simmim: ['encoder', 'mask_token', 'decoder'],
  data2vec: ['encoder.student', 'encoder.teacher', 'encoder.*_coefficient', 'mask_token', 'regressor'],
  dinov3: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'cls_head.student', 'cls_head.teacher', 'cls_head.*_coefficient', 'patch_head.student', 'patch_head.teacher', 'patch_head.*_coefficient', 'mask_token'],
  igpt: ['encoder', 'head'],
  maskfeat: ['encoder', 'mask_token', 'head'],
  cmae: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'projector.student', 'projector.teacher', 'projector.*_coefficient', 'predictor', 'mask_token', 'recon_head'],
  beit: ['encoder', 'mask_token', 'head'],
  mimRefiner: ['backbone.student', 'backbone.teacher', 'backbone.*_coefficient', 'cls_head.student', 'cls_head.teacher', 'cls_head.*_coefficient', 'patch_head.student', 'patch_head.teacher', 'patch_head.*_coefficient', 'mask_token'],
  crossMae: ['encoder', 'decoder'],
  nepa: ['patch_embed', 'blocks', 'norm'],
  // `student.vit.*`, `teacher.backbone.*` (the seed's MaskedEncoder and EvalOnly wrappers).
  salt: ['student', 'teacher', 'predictor'],
};
const moduleOf = (key: string) => {
  const [a, b] = key.split('.');
  if (b === 'student' || b === 'teacher') return `${a}.${b}`;
  return /_coefficient$/.test(key) && key.split('.').length === 2 ? `${a}.*_coefficient` : a!;
};

const Every = suite('tfjax train --method: every method');
Every.before(async () => {
  await trainHere(maeRun, 'mae', ['--steps', '2', '--optimizer.warmup-steps', '1']);
});

for (const name of METHOD_NAMES) {
  Every(`${name}: two steps, its metrics and RankMe logged; weights to the seed's layout and back; --resume is exact`, async () => {
    const whole = runDir();
    const r = await trainHere(whole, name, ['--steps', '2', '--optimizer.warmup-steps', '1']);
    assert.is(r.step, 2);
    assert.is(r.method, name);
    const steps = metrics(whole).filter((x) => x.type === 'step');
    assert.equal(steps.map((x) => x.step), [1, 2]);
    for (const s of steps) {
      assert.ok(Number.isFinite(s.loss), `${name} step ${s.step}: loss ${s.loss}`);
      assert.ok(typeof s['rankMe'] === 'number' && s['rankMe'] >= 1, `${name}: RankMe ${s['rankMe']}`);
      assert.ok(typeof s['embeddingStd'] === 'number' && s['embeddingStd'] > 0, `${name}: embedding std ${s['embeddingStd']}`);
      // The monitor sample is labelled (Fashion-MNIST's test images): LiDAR with its classes, in [1, min(D, classes - 1)].
      assert.ok(typeof s['lidar'] === 'number' && s['lidar'] >= 1 && s['lidar'] <= 9, `${name}: LiDAR ${s['lidar']}`);
    }
    if (name === 'swav') assert.ok(typeof steps[0]!['codeEntropy'] === 'number', 'SwAV logs its code entropy');
    assert.ok(r.after && r.after.knn[5]! >= 0 && r.after.rankMe! >= 1, JSON.stringify(r.after));

    // Export (the CLI's exportTorch) and the method's fromTorch: the same variables.
    const { method, snap } = await loadVariables(whole, name, 2);
    const dict = method.toTorch(snap.params, snap.modelState);
    assert.equal([...new Set(Object.keys(dict).map(moduleOf))].sort(), [...TORCH_MODULES[name]].sort(), `${name}: modules ${Object.keys(dict).join(', ')}`);
    tf.dispose(Object.values(dict));
    const file = join(whole, 'export.safetensors');
    await exportTorch(method, snap.params, snap.modelState, file);
    const back = await importTorch(method, file);
    const leaves = (x: unknown) => tree.leaves(x).map((t) => Array.from((t as tf.Tensor).dataSync()));
    assert.equal(leaves(back.params), leaves(snap.params), `${name}: parameters after the round trip`);
    // The seed's module state: everything but the step counter and queues/centres, which fromTorch starts afresh.
    const moduleState = (s: unknown) => Object.fromEntries(Object.entries(s as Record<string, unknown>).filter(([k]) => !['step', 'queue', 'center'].includes(k)));
    assert.equal(leaves(moduleState(back.state)), leaves(moduleState(snap.modelState)), `${name}: BatchNorm statistics (and teacher) after the round trip`);
    tf.dispose([...tensorsIn(back), ...tensorsIn(snap)]);

    // Interrupted after step 1, then resumed: bit for bit the uninterrupted run.
    const dir = runDir();
    const first = await trainHere(dir, name, ['--steps', '2', '--optimizer.warmup-steps', '1', '--debug.stop-after-step', '1']);
    assert.is(first.stopped, 'debug');
    await trainHere(dir, name, ['--steps', '2', '--optimizer.warmup-steps', '1'], true);
    assert.equal(losses(dir), losses(whole));
    assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-2.safetensors')), await stateBytes(join(whole, 'checkpoints', 'ckpt-2.safetensors')));
  });
}

Every('a checkpoint of another method is a clear error and nothing is overwritten; so is a NaN', async () => {
  const dir = runDir();
  await trainHere(dir, 'simclr', ['--steps', '2', '--optimizer.warmup-steps', '1', '--debug.stop-after-step', '1']);
  const before = snapshotFiles(dir);
  const err = await trainHere(dir, 'byol', ['--steps', '2', '--optimizer.warmup-steps', '1'], true).then(
    () => null,
    (e: Error) => e.message,
  );
  assert.match(String(err), `checkpoint ${join(dir, 'checkpoints', 'ckpt-1.safetensors')}: it was written by a run with a different configuration (at .method: "simclr" vs "byol", checkpoint vs now)`);
  assert.match(String(err), 'Nothing was written or overwritten.');
  assert.equal(snapshotFiles(dir), before);

  const nan = runDir();
  const r = await trainHere(nan, 'vicreg', ['--steps', '3', '--optimizer.warmup-steps', '1', '--checkpoint.every', '1', '--debug.nan-at-step', '2']);
  assert.is(r.stopped, 'nan');
  assert.is(r.step, 1, 'the last good checkpoint');
  assert.equal(ckpts(nan), ['ckpt-1.safetensors']);
  assert.not.ok(existsSync(join(nan, 'eval.json')), 'no evaluation of a broken model');
});

Every('BYOL on 2 workers: the teacher state goes through the update; --resume with 2 workers is exact', async () => {
  const flags = ['--workers', '2', '--steps', '3', '--optimizer.warmup-steps', '1'];
  const whole = runDir();
  await trainHere(whole, 'byol', flags);
  const dir = runDir();
  await trainHere(dir, 'byol', [...flags, '--debug.stop-after-step', '2']);
  await trainHere(dir, 'byol', flags, true);
  assert.equal(losses(dir), losses(whole));
  assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-3.safetensors')), await stateBytes(join(whole, 'checkpoints', 'ckpt-3.safetensors')));
  // The teacher moved (EMA towards the averaged student), and is the same as a one-process reading of it says.
  const { snap } = await loadVariables(whole, 'byol', 3);
  const { snap: init } = await loadVariables(dir, 'byol', 2);
  const t3 = tree.leaves((snap.modelState as { teacher: { params: unknown } }).teacher.params) as tf.Tensor[];
  const t2 = tree.leaves((init.modelState as { teacher: { params: unknown } }).teacher.params) as tf.Tensor[];
  assert.ok(t3.some((t, i) => tf.tidy(() => tf.any(tf.notEqual(t, t2[i]!)).dataSync()[0] === 1)), 'the teacher changed between steps 2 and 3');
  tf.dispose([...tensorsIn(snap), ...tensorsIn(init)]);
});
Every.run();

// ---------------------------------------------------------------------------------------------
const Kill = suite('tfjax train --method: kill -9, then --resume');

for (const name of ['byol', 'mocoV2'] as const) {
  Kill(`${name}: kill -9 after the first checkpoint, then --resume: the uninterrupted run's end, bit for bit`, async () => {
    const flags = ['train', '--preset', 'tiny', ...flagsOf(name, '--steps', '8', '--checkpoint.every', '2')];
    const whole = runDir();
    ok(await cli([...flags, '--out-dir', whole]), 'uninterrupted');
    const dir = runDir();
    const { child, done } = start([...flags, '--out-dir', dir]);
    const t0 = Date.now();
    while (!ckpts(dir).length && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    const killed = await done;
    assert.is(killed.signal, 'SIGKILL', `the child ended by itself (code ${killed.code}) before it could be killed`);
    assert.ok(!ckpts(dir).includes('ckpt-8.safetensors'), `checkpoints after the kill: ${ckpts(dir)}`);
    ok(await cli([...flags, '--out-dir', dir, '--resume']), 'resumed');
    assert.equal(losses(dir), losses(whole));
    assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-8.safetensors')), await stateBytes(join(whole, 'checkpoints', 'ckpt-8.safetensors')));
    if (name === 'byol') {
      // The export command on the finished run: the seed's layout.
      const out = join(root, 'byol.safetensors');
      const r = await cli(['export', '--torch', dir, out]);
      ok(r, 'export');
      assert.match(r.stdout, `in stable-pretraining's state-dict layout to ${out}`);
      const { tensors, metadata } = await readSafetensorsFile(out);
      assert.is(metadata['method'], 'byol');
      assert.ok(tensors['backbone.teacher.conv1.weight'] && tensors['predictor.0.weight'] && tensors['backbone.ema_coefficient'], Object.keys(tensors).join(', '));
    }
  });
}
Kill.after(() => rmSync(root, { recursive: true, force: true }));
Kill.run();

// ---------------------------------------------------------------------------------------------
const Docs = suite('README and --help agree with the code');

Docs("README's train command and --method list are the code's", async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
  assert.is(pkg.scripts['train'], 'tsx lib/train/cli.ts train');
  assert.match(readme, 'npm install && npm run train');
  const listed = /--method ((?:[A-Za-z0-9]+\|)+[A-Za-z0-9]+)/.exec(readme);
  assert.ok(listed, 'README lists the methods as --method a|b|...');
  assert.equal(listed![1]!.split('|'), [...METHOD_NAMES]);
  const help = await cli(['--help']);
  assert.match(help.stdout, `--method NAME        ${METHOD_NAMES.join(', ')}`);
});
Docs.run();
