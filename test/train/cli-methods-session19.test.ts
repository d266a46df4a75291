/**
 * Session 19: the CLI takes DINOv3 (DINOv2 on a ViT with register tokens, multi-crop views, KoLeo),
 * iGPT and MaskFeat (a ViT on one view as `{ images }`; MaskFeat's patch masks drawn from the
 * step's key) and CMAE (a ViT on two views: the first masked for the student, the second the EMA
 * teacher's), through `main` (the `tfjax` entry), in this process, on the tiny preset:
 *
 * - each trains 2 steps (finite losses, the method's own metrics logged and adding up to its loss,
 *   a checkpoint at step 2), and `tfjax export --torch` writes the run's weights in
 *   stable-pretraining's state-dict layout (the seed's module names and shapes; DINOv3's 4
 *   registers);
 * - a bad option in a method's section, or what the method asks of the run (a ViT, register tokens
 *   only where the method reads past them, the views' count and sizes, a mask ratio that masks a
 *   patch, two patches for iGPT), is a one-line configuration error naming the path, with exit 2;
 * - the CLI's list of methods that take registers is the library's;
 * - each has its `fashion-mnist-<method>` preset, which resolves.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as ssl from '../../lib/ssl/methods/index.js';
import { type MethodName, REGISTER_METHODS, VIT_METHODS, loadConfig } from '../../lib/train/config.js';
import { methodInput } from '../../lib/train/recipe.js';
import { useTestBackend } from '../helpers/backend.js';
import { assertConfigErrorLine, assertMethodPreset, assertNeedsViT, assertTwoStepsAndExport, flagPairs, tinyMethodFlags } from './cli-run.js';

await useTestBackend();
const root = mkdtempSync(join(tmpdir(), 'tfjax-cli-methods19-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);
/** The session's methods, all on a ViT (listed here, not read from `ssl.methods.names()`, which other methods join). */
const NEW_METHODS = ['dinov3', 'igpt', 'maskfeat', 'cmae'] as const;
type NewMethod = (typeof NEW_METHODS)[number];

/** Each method's own metrics (besides the loss; iGPT and MaskFeat log none). */
const METRICS: Record<NewMethod, string[]> = {
  dinov3: ['clsLoss', 'patchLoss', 'koleo'],
  igpt: [],
  maskfeat: [],
  cmae: ['loss_recon', 'loss_contrast'],
};

/**
 * Tensors of the seed's state dict for the tiny runs (a ViT 8 wide, 1 block, 7 px patches on
 * 28 px grey images: 16 patches and the class token), with their shapes.
 */
const SEED_KEYS: Record<NewMethod, Record<string, number[]>> = {
  dinov3: {
    'backbone.student.pos_embed': [1, 17, 8],
    'backbone.student.register_tokens': [1, 4, 8],
    'backbone.teacher.register_tokens': [1, 4, 8],
    'cls_head.student.4.weight': [16, 8],
    'patch_head.teacher.4.weight': [16, 8],
    mask_token: [1, 1, 8],
    'backbone.ema_coefficient': [],
  },
  igpt: { 'encoder.pos_embed': [1, 17, 8], 'encoder.patch_embed.proj.weight': [8, 1, 7, 7], 'head.weight': [49, 8], 'head.bias': [49] },
  maskfeat: { 'encoder.pos_embed': [1, 17, 8], mask_token: [1, 1, 8], 'head.weight': [9, 8], 'head.bias': [9] },
  cmae: {
    'backbone.student.pos_embed': [1, 17, 8],
    'backbone.teacher.blocks.0.attn.qkv.weight': [24, 8],
    'projector.student.0.weight': [8, 8],
    'projector.teacher.3.weight': [8, 8],
    'predictor.0.weight': [16, 8],
    'predictor.3.weight': [8, 16],
    'recon_head.weight': [49, 8],
    mask_token: [1, 1, 8],
    'projector.ema_coefficient': [],
  },
};

/** `a` and `b` agree to float32 rounding of a sum of a few terms. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

// ---------------------------------------------------------------------------------------------
const Train = suite(`tfjax train --method ${NEW_METHODS.join('|')}`);

for (const method of NEW_METHODS) {
  Train(`${method}: 2 steps with finite losses and its metrics; export --torch in the seed's layout`, async () => {
    const steps = await assertTwoStepsAndExport(method, runDir(), METRICS[method], SEED_KEYS[method]);
    const n = (s: (typeof steps)[number], k: string) => s[k] as number;
    for (const s of steps) {
      const at = `${method} step ${s.step}: ${JSON.stringify(s)}`;
      if (method === 'dinov3') {
        // The seed's KoLeo weight 0.1 reaches the run: the loss is CLS + patch + 0.1 KoLeo, and KoLeo is not the 0 of a method without it.
        assert.ok(n(s, 'koleo') !== 0 && close(s.loss!, n(s, 'clsLoss') + n(s, 'patchLoss') + 0.1 * n(s, 'koleo')), at);
      } else if (method === 'cmae') {
        // recon (squared errors) + contrast (a negative cosine, weight 1).
        assert.ok(n(s, 'loss_recon') > 0 && Math.abs(n(s, 'loss_contrast')) <= 1 && close(s.loss!, n(s, 'loss_recon') + n(s, 'loss_contrast')), at);
      } else assert.ok(s.loss! > 0, at);
    }
  });
}

// ---------------------------------------------------------------------------------------------
const Errors = suite('tfjax train: bad options of the session-19 methods are one-line errors naming the path');

const tinyVit = (options: Record<string, unknown>) => ['--model.encoder-options', JSON.stringify({ imgSize: 28, patchSize: 7, embedDim: 8, depth: 1, numHeads: 2, ...options })];
const refused = (method: MethodName) =>
  `config: at .model.encoderOptions.numRegisters expected 0 for ${method} (it reads the patch tokens right after the class token; registers are for dinov2, ibot, msn, dinov3 and mimRefiner), got 2`;
const oneView = (method: MethodName) =>
  `config: at .augment.nmbCrops expected [1] for ${method} (it trains on one view; multi-crop is for swav, dino, lejepa, dinov2, ibot, dinov3 and mimRefiner), got [2]; use --preset fashion-mnist-${method}, or --augment.nmb-crops [1] --augment.size-crops [28] --augment.min-scale [0.2] --augment.max-scale [1]`;
const cases: [MethodName, string[], string][] = [
  ['dinov3', ['--dinov3.koleo-weight', '-1'], 'config flag --dinov3.koleo-weight: at .dinov3.koleoWeight expected a finite number >= 0, got -1'],
  ['dinov3', tinyVit({ numRegisters: 2 }), "config: at .dinov3.numRegisters expected the encoder's register count 2, got 4"],
  ['dinov3', ['--augment.size-crops', '[28, 12]'], "config: at .augment.sizeCrops[1] expected a multiple of the ViT's patch size 7 for dinov3 (.model.encoderOptions.patchSize), got 12"],
  ['dinov3', tinyVit({ dynamicImgSize: false }), "config: at .augment.sizeCrops[1] expected the ViT's image size 28 for dinov3 (.model.encoderOptions.dynamicImgSize is false), got 14"],
  ['dinov3', ['--dinov3.mask-ratio', '0.03'], 'config: at .dinov3.maskRatio expected a ratio that masks at least one of the 16 patches of a global view (round(16 x maskRatio) >= 1), got 0.03'],
  ['igpt', ['--igpt.mask-ratio', '0.5'], 'config flag --igpt.mask-ratio: at .igpt.maskRatio unknown key (known: encoder, encoderOptions, embedDim)'],
  ['igpt', ['--augment.size-crops', '[7]'], "config: at .augment.sizeCrops[0] expected at least 2 patches of the ViT's 7 px for igpt (it predicts each patch from those before it), got 7"],
  ['igpt', ['--augment.nmb-crops', '[2]'], oneView('igpt')],
  ['igpt', tinyVit({ numRegisters: 2 }), refused('igpt')],
  ['maskfeat', ['--maskfeat.n-hog-bins', '0'], 'config flag --maskfeat.n-hog-bins: at .maskfeat.nHogBins expected a positive integer, got 0'],
  ['maskfeat', ['--maskfeat.mask-ratio', '0.03'], 'config: at .maskfeat.maskRatio expected a ratio that masks at least one of the 16 patches of a view (round(16 x maskRatio) >= 1), got 0.03'],
  ['maskfeat', ['--augment.size-crops', '[24]'], 'config: at .model.encoderOptions.patchSize expected a divisor of the image size 24 for maskfeat, got 7'],
  ['maskfeat', ['--augment.nmb-crops', '[2]'], oneView('maskfeat')],
  ['maskfeat', tinyVit({ numRegisters: 2 }), refused('maskfeat')],
  ['cmae', ['--cmae.projector-dim', '0'], 'config flag --cmae.projector-dim: at .cmae.projectorDim expected a positive integer, got 0'],
  ['cmae', ['--cmae.mask-ratio', '0.03'], 'config: at .cmae.maskRatio expected a ratio that masks at least one of the 16 patches of a view (round(16 x maskRatio) >= 1), got 0.03'],
  ['cmae', ['--augment.nmb-crops', '[1]'], 'config: at .augment.nmbCrops[0] expected at least 2 global views, got 1'],
  ['cmae', ['--augment.nmb-crops', '[2, 2]', '--augment.size-crops', '[28, 14]', '--augment.min-scale', '[0.3, 0.1]', '--augment.max-scale', '[1, 0.3]'], 'config: at .augment.nmbCrops expected [2] for cmae (it trains on two views; multi-crop is for swav, dino, lejepa, dinov2, ibot, dinov3 and mimRefiner), got [2,2]; use --preset fashion-mnist-cmae, or --augment.nmb-crops [2] --augment.size-crops [28] --augment.min-scale [0.2] --augment.max-scale [1]'],
  ['cmae', [...tinyVit({ dynamicImgSize: false }), '--augment.size-crops', '[21]'], "config: at .augment.sizeCrops[0] expected the ViT's image size 28 for cmae (.model.encoderOptions.dynamicImgSize is false), got 21"],
  ['cmae', tinyVit({ numRegisters: 2 }), refused('cmae')],
];
for (const [method, extra, line] of cases) Errors(`${method} ${extra.join(' ')}`, () => assertConfigErrorLine(method, runDir(), extra, line));

Errors('the new methods without a ViT say what they need', async () => {
  for (const method of NEW_METHODS) await assertNeedsViT(method, runDir());
});

Errors("DINOv3 takes a ViT given its registers when the counts agree; the registers' methods are the library's", () => {
  const c = loadConfig({ preset: 'tiny', flags: flagPairs(['--method', 'dinov3', ...tinyMethodFlags('dinov3'), ...tinyVit({ numRegisters: 2 }), '--dinov3.num-registers', '2']) });
  assert.is(c.model.encoderOptions['numRegisters'], 2);
  // Built on a ViT with 2 registers, a ViT method of the CLI's refuses them iff the CLI does (DINOv3 told the count).
  // NEPA builds its own transformer (no nn encoder to give registers): the CLI's check alone refuses them (cli-methods-session20).
  for (const m of VIT_METHODS.filter((x) => x !== 'nepa')) {
    // MIM-Refiner's pretrained file is read when it is initialised, not here.
    const pretrained = m === 'mimRefiner' ? ['--mim-refiner.pretrained', 'unread'] : [];
    const base = loadConfig({ preset: 'tiny', flags: flagPairs(['--method', m, ...tinyMethodFlags(m), ...pretrained]) });
    const input = methodInput({ ...base, [m]: { ...base[m], ...(m === 'dinov3' ? { numRegisters: 2 } : {}) } }, 1);
    const built = (() => {
      try {
        ssl.byName(m)({ ...input, encoderOptions: { ...(input['encoderOptions'] as object), numRegisters: 2 } });
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    })();
    if (REGISTER_METHODS.includes(m)) assert.is(built, null, `${m} takes registers`);
    else assert.match(String(built), `${m}: the ViT has 2 register tokens, which ${m} does not use`);
  }
});

Errors('every new method has its fashion-mnist preset, which resolves (a ViT; their views)', () => {
  const views: Record<NewMethod, number[]> = { dinov3: [2, 4], igpt: [1], maskfeat: [1], cmae: [2] };
  for (const m of NEW_METHODS) {
    const c = assertMethodPreset(m, views[m], true);
    // DINOv3's local crops are 16 px, a multiple of the preset ViT's 4 px patches (DINOv2's); the one-view methods have no colour jitter (MAE's transform).
    if (m === 'dinov3') assert.equal(c.augment.sizeCrops, [28, 16]);
    if (m === 'igpt' || m === 'maskfeat') assert.is(c.augment.jitterP, 0, m);
  }
});

Errors.after(() => rmSync(root, { recursive: true, force: true }));
Train.run();
Errors.run();
