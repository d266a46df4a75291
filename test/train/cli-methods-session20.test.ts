/**
 * Session 20: the CLI takes the seed's last five methods, BEiT, CrossMAE, NEPA and SALT (a ViT on
 * one view as `{ images }`) and MIM-Refiner (iBOT's multi-crop views), and MAE's block and
 * multi-block maskings, through `main` (the `tfjax` entry), in this process, on the tiny preset:
 *
 * - each trains 2 steps (finite losses, its own metrics), and `tfjax export --torch` writes the
 *   run's weights in stable-pretraining's state-dict layout;
 * - MAE's `blockSize` and `masking: 'multiBlock'` reach the run (its masks drawn from the step's key,
 *   not the 'patch' noise of the batch);
 * - `tfjax train --method mae`, then `--method salt` / `--method mimRefiner` with `.pretrained`
 *   naming that run (or its export): SALT's frozen teacher and MIM-Refiner's student and teacher
 *   start as the MAE's encoder, bit for bit;
 * - a missing, unreadable or mismatched `pretrained` file, MIM-Refiner without one, a bad MAE
 *   masking, NEPA's sizes in its section, and what the methods ask of the run (a ViT, one view,
 *   no registers but for MIM-Refiner, which test/train/cli-methods-session19 checks against the
 *   library, a mask ratio that masks a patch) are one-line configuration errors naming the path, with exit 2;
 * - each has its `fashion-mnist-<method>` preset, which resolves (MIM-Refiner's and SALT's start
 *   from the MAE preset's run).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as checkpoint from '../../lib/checkpoint/index.js';
import { type MethodName, PRETRAINED_METHODS, loadConfig } from '../../lib/train/config.js';
import { maskPatchesOf, methodOf, runKeys } from '../../lib/train/recipe.js';
import * as tree from '../../lib/tree/index.js';
import { tensorsIn } from '../../lib/util/tensors.js';
import { useTestBackend } from '../helpers/backend.js';
import { assertConfigErrorLine, assertMethodPreset, assertNeedsViT, assertTwoStepsAndExport, flagPairs, losses, runMain, tinyMethodArgs, tinyMethodFlags } from './cli-run.js';

await useTestBackend();
const root = mkdtempSync(join(tmpdir(), 'tfjax-cli-methods20-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);
/** The session's methods, all on a ViT (listed here, not read from `ssl.methods.names()`). */
const NEW_METHODS = ['beit', 'mimRefiner', 'crossMae', 'nepa', 'salt'] as const;
type NewMethod = (typeof NEW_METHODS)[number];
const TWO_STEPS = ['--steps', '2', '--optimizer.warmup-steps', '1'];

/** A tiny MAE run of 2 steps (the ViT 8 wide, 1 block, 7 px patches) and its export: what MIM-Refiner and SALT start from. */
const mae = join(root, 'mae');
const maeExport = join(root, 'mae.safetensors');
let maePrepared: Promise<void> | null = null;
const prepareMae = () =>
  (maePrepared ??= (async () => {
    const r = await runMain(tinyMethodArgs('mae', mae, ...TWO_STEPS));
    assert.is(r.code, 0, r.stderr);
    const e = await runMain(['export', '--torch', mae, maeExport]);
    assert.is(e.code, 0, e.stderr);
  })());
const pretrainedFlags = (method: MethodName, path = mae) => (PRETRAINED_METHODS.includes(method) ? [`--${method}.pretrained`, path] : []);

/** Each method's own metrics (besides the loss). */
const METRICS: Record<NewMethod, string[]> = { beit: [], mimRefiner: ['clsLoss', 'patchLoss'], crossMae: [], nepa: [], salt: ['numContext', 'numTargets'] };

/** Tensors of the seed's state dict for the tiny runs (16 patches of 7 px and the class token, 8 wide), with their shapes. */
const SEED_KEYS: Record<NewMethod, Record<string, number[]>> = {
  beit: { 'encoder.pos_embed': [1, 17, 8], mask_token: [1, 1, 8], 'head.weight': [16, 8], 'head.bias': [16] },
  mimRefiner: { 'backbone.student.pos_embed': [1, 17, 8], 'backbone.teacher.blocks.0.attn.qkv.weight': [24, 8], 'cls_head.student.4.weight': [16, 8], 'patch_head.teacher.4.weight': [16, 8], mask_token: [1, 1, 8] },
  crossMae: { 'encoder.pos_embed': [1, 17, 8], 'decoder.pos_embed': [1, 16, 8], 'decoder.blocks.0.cross_attn.kv.weight': [16, 8], 'decoder.pred.weight': [49, 8], 'decoder.feature_mixer.linear.weight': [1, 2] },
  // RoPE (the seed's default): no pos_embed; SwiGLU of int(2/3 x 4 x 8) = 21.
  nepa: { 'patch_embed.proj.weight': [8, 1, 7, 7], 'blocks.0.attn.qkv.weight': [24, 8], 'blocks.0.mlp.w1.weight': [21, 8], 'blocks.0.ls1': [8], 'norm.weight': [8] },
  salt: { 'student.vit.pos_embed': [1, 17, 8], 'student.patch_embed.proj.weight': [8, 1, 7, 7], 'teacher.backbone.vit.blocks.0.attn.qkv.weight': [24, 8], 'predictor.pos_embed': [1, 16, 8], 'predictor.mask_token': [1, 1, 8] },
};

/** The leaves of a tree as arrays of numbers. */
const values = (x: unknown) => tree.leaves(x).map((t) => Array.from((t as tf.Tensor).dataSync()));

/** The newest checkpoint of a run directory, loaded. */
async function snapshotOf(dir: string): Promise<{ params: Record<string, unknown>; modelState: Record<string, unknown> }> {
  const last = await checkpoint.latestCheckpoint(join(dir, 'checkpoints'));
  return checkpoint.load(last!);
}

// ---------------------------------------------------------------------------------------------
const Train = suite(`tfjax train --method ${NEW_METHODS.join('|')}, and MAE's maskings`);
Train.before(prepareMae);

for (const method of NEW_METHODS) {
  Train(`${method}: 2 steps with finite losses and its metrics; export --torch in the seed's layout`, async () => {
    const steps = await assertTwoStepsAndExport(method, runDir(), METRICS[method], SEED_KEYS[method], pretrainedFlags(method));
    for (const s of steps) {
      const at = `${method} step ${s.step}: ${JSON.stringify(s)}`;
      // NEPA's loss is a negative cosine; the others' are positive (cross-entropies, squared and absolute errors).
      if (method === 'nepa') assert.ok(s.loss! >= -1 && s.loss! <= 1, at);
      else assert.ok(s.loss! > 0, at);
      if (method === 'mimRefiner') assert.ok(Math.abs(s.loss! - (s['clsLoss'] as number) - (s['patchLoss'] as number)) <= 1e-5 * s.loss!, at);
    }
  });
}

Train("mae: blockSize and masking 'multiBlock' reach the run (their masks from the step's key, not the batch's 'patch' noise)", async () => {
  const base = loadConfig({ preset: 'tiny', flags: flagPairs(['--method', 'mae', ...tinyMethodFlags('mae')]) });
  assert.is(maskPatchesOf(base), 16, "'patch' masking: the batch's noise");
  const runs: Record<string, unknown[]> = {};
  for (const [name, flags] of [['patch', []], ['blocks', ['--mae.block-size', '2']], ['multiBlock', ['--mae.masking', 'multiBlock']]] as const) {
    assert.is(maskPatchesOf(loadConfig({ preset: 'tiny', flags: flagPairs(['--method', 'mae', ...tinyMethodFlags('mae'), ...flags]) })), name === 'patch' ? 16 : null, name);
    const dir = runDir();
    const r = await runMain(tinyMethodArgs('mae', dir, ...TWO_STEPS, ...flags));
    assert.is(r.code, 0, r.stderr);
    runs[name] = losses(dir);
    assert.ok(runs[name]!.flat().every(Number.isFinite), `${name}: ${runs[name]}`);
  }
  // The same images, weights and key: another masking, another loss.
  assert.not.equal(runs['blocks'], runs['patch']);
  assert.not.equal(runs['multiBlock'], runs['patch']);
  assert.not.equal(runs['multiBlock'], runs['blocks']);
});

Train('mae, then salt from its run directory: the frozen teacher is the MAE encoder at the end of the run, bit for bit, and stays so', async () => {
  const dir = runDir();
  const r = await runMain(tinyMethodArgs('salt', dir, ...TWO_STEPS, '--salt.pretrained', mae));
  assert.is(r.code, 0, r.stderr);
  const [m, s] = [await snapshotOf(mae), await snapshotOf(dir)];
  const teacher = s.modelState['teacher'] as { params: { encoder: unknown }; state: { encoder: unknown } };
  assert.equal(values(teacher.params.encoder), values(m.params['encoder']));
  assert.equal(values(teacher.state.encoder), values(m.modelState['encoder']));
  // The student is SALT's own (fresh from the key), not the MAE's.
  assert.not.equal(values(s.params['encoder']), values(m.params['encoder']));
  tf.dispose([...tensorsIn(m), ...tensorsIn(s)]);
});

Train("salt and mimRefiner from the MAE's export (the seed's layout): their encoders start as the MAE's", async () => {
  const m = await snapshotOf(mae);
  for (const method of PRETRAINED_METHODS) {
    const c = loadConfig({ preset: 'tiny', flags: flagPairs(['--method', method, ...tinyMethodFlags(method), ...pretrainedFlags(method, maeExport)]) });
    const v = methodOf(c, 1).init(runKeys(c.seed).init);
    if (method === 'salt') {
      const t = v.state.teacher as { params: { encoder: unknown } };
      assert.equal(values(t.params.encoder), values(m.params['encoder']), 'salt: teacher');
    } else {
      // The student and the EMA teacher both start from it (the seed's iBOT(encoder_name=pretrained_encoder)).
      const t = v.state.teacher as { params: { encoder: unknown } };
      assert.equal(values(v.params.encoder), values(m.params['encoder']), 'mimRefiner: student');
      assert.equal(values(t.params.encoder), values(m.params['encoder']), 'mimRefiner: teacher');
    }
    tf.dispose(tensorsIn(v));
  }
  tf.dispose(tensorsIn(m));
});

// ---------------------------------------------------------------------------------------------
const Errors = suite('tfjax train: bad options of the session-20 methods are one-line errors naming the path');
Errors.before(prepareMae);

const tinyVit = (options: Record<string, unknown>) => ['--model.encoder-options', JSON.stringify({ imgSize: 28, patchSize: 7, embedDim: 8, depth: 1, numHeads: 2, ...options })];
const oneView = (method: MethodName) =>
  `config: at .augment.nmbCrops expected [1] for ${method} (it trains on one view; multi-crop is for swav, dino, lejepa, dinov2, ibot, dinov3 and mimRefiner), got [2]; use --preset fashion-mnist-${method}, or --augment.nmb-crops [1] --augment.size-crops [28] --augment.min-scale [0.2] --augment.max-scale [1]`;
const refused = (method: MethodName) =>
  `config: at .model.encoderOptions.numRegisters expected 0 for ${method} (it reads the patch tokens right after the class token; registers are for dinov2, ibot, msn, dinov3 and mimRefiner), got 2`;

Errors('MAE: a bad blockSize or masking', async () => {
  const cases: [string[], string][] = [
    [['--mae.block-size', '0'], 'config flag --mae.block-size: at .mae.blockSize expected a positive integer, got 0'],
    [['--mae.masking', 'blocks'], "config flag --mae.masking: at .mae.masking expected 'patch' or 'multiBlock', got \"blocks\""],
    [['--mae.masking', 'multiBlock', '--mae.block-size', '2'], "config: at .mae.blockSize expected 1 with masking 'multiBlock' (its blocks are its own), got 2"],
    [['--mae.masking', 'multiBlock', '--mae.target-scale', '[0.5, 0.2]'], 'config: at .mae.targetScale expected [min, max] with 0 < min <= max <= 1, got [0.5, 0.2]'],
  ];
  for (const [flags, line] of cases) await assertConfigErrorLine('mae', runDir(), flags, line);
});

Errors('the session-20 methods: views, ViT, registers, mask ratios, NEPA sizes', async () => {
  const cases: [MethodName, string[], string][] = [
    ['beit', ['--beit.vocab-size', '0'], 'config flag --beit.vocab-size: at .beit.vocabSize expected a positive integer, got 0'],
    ['beit', ['--beit.mask-ratio', '0.03'], 'config: at .beit.maskRatio expected a ratio that masks at least one of the 16 patches of a view (round(16 x maskRatio) >= 1), got 0.03'],
    ['beit', ['--augment.nmb-crops', '[2]'], oneView('beit')],
    ['beit', tinyVit({ numRegisters: 2 }), refused('beit')],
    ['crossMae', ['--augment.size-crops', '[21]'], "config: at .augment.sizeCrops[0] expected the ViT's image size 28 for crossMae (.model.encoderOptions.imgSize; its decoder's positions are fixed), got 21"],
    ['crossMae', tinyVit({ numRegisters: 2 }), refused('crossMae')],
    ['nepa', ['--nepa.embed-dim', '16'], "config: at .nepa.embedDim expected nothing (NEPA's transformer has the ViT's sizes: .model.encoderOptions), got 16"],
    ['nepa', ['--nepa.use-rope', '1'], 'config flag --nepa.use-rope: at .nepa.useRope expected true or false, got 1'],
    ['nepa', tinyVit({ dropPathRate: 0.1 }), 'config: at .model.encoderOptions.dropPathRate expected nothing for nepa (its dropouts are .nepa.dropRate, .nepa.attnDropRate and .nepa.dropPathRate), got 0.1'],
    ['nepa', ['--augment.size-crops', '[21]'], "config: at .augment.sizeCrops[0] expected the ViT's image size 28 for nepa (.model.encoderOptions.imgSize; its patch embedding takes that size only), got 21"],
    ['nepa', tinyVit({ numRegisters: 2 }), refused('nepa')],
    ['salt', ['--salt.num-targets', '0'], 'config flag --salt.num-targets: at .salt.numTargets expected a positive integer, got 0'],
    ['salt', ['--salt.pretrained', '""'], 'config flag --salt.pretrained: at .salt.pretrained expected a non-empty string, got ""'],
    ['salt', ['--salt.pretrain', 'runs/mae'], 'config flag --salt.pretrain: at .salt.pretrain unknown key (known: encoder, encoderOptions, embedDim, predictorEmbedDim, predictorDepth, predictorNumHeads, numTargets, contextScale, targetScale, contextAspectRatio, targetAspectRatio, pretrained)'],
    ['salt', ['--augment.nmb-crops', '[2]'], oneView('salt')],
    ['salt', tinyVit({ numRegisters: 2 }), refused('salt')],
    ['mimRefiner', [...pretrainedFlags('mimRefiner'), '--mim-refiner.freeze-lower-blocks', '-1'], 'config flag --mim-refiner.freeze-lower-blocks: at .mimRefiner.freezeLowerBlocks expected an integer >= 0, got -1'],
    ['mimRefiner', [...pretrainedFlags('mimRefiner'), '--mim-refiner.mask-ratio', '0.03'], 'config: at .mimRefiner.maskRatio expected a ratio that masks at least one of the 16 patches of a global view (round(16 x maskRatio) >= 1), got 0.03'],
  ];
  for (const [method, flags, line] of cases) await assertConfigErrorLine(method, runDir(), flags, line);
  for (const method of NEW_METHODS) await assertNeedsViT(method, runDir());
});

Errors('pretrained: MIM-Refiner needs one; a missing, foreign or mismatched file is one line naming the path and the file', async () => {
  await assertConfigErrorLine(
    'mimRefiner',
    runDir(),
    [],
    "config: at .mimRefiner.pretrained expected the path of a pretrained encoder (a run directory, a checkpoint or an exported state dict, e.g. of --method mae), got nothing; the seed's MIMRefiner requires one (--mim-refiner.pretrained runs/fashion-mnist-mae)",
  );
  await assertConfigErrorLine('mimRefiner', runDir(), ['--mim-refiner.pretrained-encoder', '{}'], "config flag --mim-refiner.pretrained-encoder: at .mimRefiner.pretrainedEncoder expected an encoder's variables { params, state } or its state dict (names -> tensors), got {}");
  const missing = join(root, 'nothing-here');
  await assertConfigErrorLine('salt', runDir(), ['--salt.pretrained', missing], `config: at .salt.pretrained ${missing}: no such file or directory`);
  const empty = runDir();
  mkdirSync(empty);
  await assertConfigErrorLine('salt', runDir(), ['--salt.pretrained', empty], `config: at .salt.pretrained ${empty}: no checkpoint (ckpt-<step>.safetensors) in ${empty}`);
  const notJson = join(root, 'text.safetensors');
  writeFileSync(notJson, 'not a safetensors file');
  await assertConfigErrorLine('mimRefiner', runDir(), ['--mim-refiner.pretrained', notJson], `config: at .mimRefiner.pretrained ${notJson}: safetensors corrupt: header length field says 7021991845529153390 bytes, more than the 100000000 allowed (is this a safetensors file?)`);
  // An MAE 16 wide for a ViT 8 wide: the first tensor that does not fit, and the checkpoint the directory gave.
  const wide = runDir();
  const w = await runMain(tinyMethodArgs('mae', wide, ...TWO_STEPS, ...tinyVit({ embedDim: 16 })));
  assert.is(w.code, 0, w.stderr);
  const ckpt = join(wide, 'checkpoints', 'ckpt-2.safetensors');
  await assertConfigErrorLine('salt', runDir(), ['--salt.pretrained', wide], `config: at .salt.pretrained ${wide} (${ckpt}): the stage-1 variables do not fit SALT's encoder: 'vit.patch_embed.proj.weight' has shape [16,1,7,7], expected [8,1,7,7]`);
  await assertConfigErrorLine('mimRefiner', runDir(), ['--mim-refiner.pretrained', ckpt], `config: at .mimRefiner.pretrained ${ckpt}: 'patch_embed.proj.weight' has shape [16,1,7,7], expected [8,1,7,7]`);
  // A run whose encoder is not a ViT (SimCLR's ConvNet).
  const simclr = runDir();
  const sr = await runMain(tinyMethodArgs('simclr', simclr, ...TWO_STEPS));
  assert.is(sr.code, 0, sr.stderr);
  await assertConfigErrorLine('salt', runDir(), ['--salt.pretrained', simclr], `config: at .salt.pretrained ${simclr} (${join(simclr, 'checkpoints', 'ckpt-2.safetensors')}): its run trained simclr on convnet_small, not a ViT`);
});

Errors('every new method has its fashion-mnist preset, which resolves (a ViT; their views; MIM-Refiner and SALT from the MAE preset\'s run)', () => {
  for (const m of NEW_METHODS) {
    const c = assertMethodPreset(m, m === 'mimRefiner' ? [2, 4] : [1], true);
    if (m === 'mimRefiner') assert.equal(c.augment.sizeCrops, [28, 16]);
    else assert.is(c.augment.jitterP, 0, m);
    if (PRETRAINED_METHODS.includes(m)) assert.is(c[m]['pretrained'], loadConfig({ preset: 'fashion-mnist-mae' }).outDir, m);
  }
});

Errors.after(() => rmSync(root, { recursive: true, force: true }));
Train.run();
Errors.run();
