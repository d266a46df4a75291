/**
 * The training configuration: exact error texts (wrong type, unknown key, bad flag, bad
 * file), merge order (defaults < preset < file < flags), presets, cross-field checks, and
 * the command-line parser.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, DEFAULTS, METHOD_NAMES, PRESETS, parseFlagValue, resolveConfig } from '../../lib/train/config.js';
import { parseArgs } from '../../lib/train/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tfjax-config-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const errorOf = (r: E.Either<string, unknown>): string => {
  if (E.isRight(r)) throw new assert.Assertion({ message: 'expected a configuration error', actual: 'valid', expects: 'error', operator: 'error' });
  return r.left;
};

const Errors = suite('train config: error messages');

Errors('a wrong value in a file names the file, the path and what was expected', () => {
  const p = file('x.json', { optimizer: { lr: 'fast' } });
  assert.is(errorOf(resolveConfig({ file: p })), `config ${p}: at .optimizer.lr expected a positive number, got "fast"`);
});

Errors('an unknown key is rejected, naming it and the known keys', () => {
  const p = file('unknown.json', { optimizer: { lrr: 0.3 } });
  assert.is(
    errorOf(resolveConfig({ file: p })),
    `config ${p}: at .optimizer.lrr unknown key (known: name, lr, warmupStartLr, finalLr, warmupSteps, momentum, weightDecay, trustCoefficient)`,
  );
  const top = file('top.json', { stepz: 3 });
  assert.match(errorOf(resolveConfig({ file: top })), `config ${top}: at .stepz unknown key (known: dataset, method, model, simclr, mocoV2, mocoV3, byol, simsiam, vicreg, barlowTwins, tico, wmse, directclr, spectralCl, dino, nnclr, swav, lejepa, mae, pirl, dinov2, vicregl, ijepa, ibot, msn, simmim, data2vec, dinov3, igpt, maskfeat, cmae, beit, mimRefiner, crossMae, nepa, salt, augment, optimizer, batchSize, steps,`);
});

Errors('wrong types and ranges', () => {
  const cases: [unknown, string][] = [
    [{ batchSize: 0 }, 'at .batchSize expected a positive integer, got 0'],
    [{ batchSize: 12.5 }, 'at .batchSize expected a positive integer, got 12.5'],
    [{ steps: '100' }, 'at .steps expected a positive integer, got "100"'],
    [{ optimizer: { name: 'rmsprop' } }, "at .optimizer.name expected 'sgd', 'lars', 'adam', or 'adamw', got \"rmsprop\""],
    [{ optimizer: { momentum: 1 } }, 'at .optimizer.momentum expected a number in [0, 1), got 1'],
    [{ augment: { flip: 2 } }, 'at .augment.flip expected a probability in [0, 1], got 2'],
    [{ augment: { nmbCrops: [] } }, 'at .augment.nmbCrops expected a non-empty list of positive integers, got []'],
    [{ eval: { linearProbe: 'yes' } }, 'at .eval.linearProbe expected true or false, got "yes"'],
    [{ backend: 'gpu' }, "at .backend expected 'wasm', 'cpu', or 'webgpu', got \"gpu\""],
    [{ dataset: { split: 'test' } }, "at .dataset.split expected 'train' or 'all', got \"test\""],
    [{ model: { encoder: 'resnet9' } }, 'at .model.encoder expected one of the nn encoders (resnet18, resnet34, resnet50, vit_tiny_patch16_224, vit_small_patch16_224, convnet_small), got "resnet9"'],
    [{ optimizer: 3 }, 'at .optimizer expected an object with optimizer settings, got 3'],
    [[1, 2], 'at (the root) expected a configuration object, got [1,2]'],
  ];
  for (const [content, message] of cases) {
    const p = file('case.json', content);
    assert.is(errorOf(resolveConfig({ file: p })), `config ${p}: ${message}`);
  }
});

Errors('several errors in one layer are joined on one line', () => {
  const p = file('two.json', { batchSize: -1, seed: 'x' });
  assert.is(errorOf(resolveConfig({ file: p })), `config ${p}: at .batchSize expected a positive integer, got -1; at .seed expected an integer, got "x"`);
});

Errors('flags: wrong value, unknown key, not a path', () => {
  assert.is(errorOf(resolveConfig({ flags: [['--optimizer.lr', 'fast']] })), 'config flag --optimizer.lr: at .optimizer.lr expected a positive number, got "fast"');
  assert.is(errorOf(resolveConfig({ flags: [['--batch-size', '0']] })), 'config flag --batch-size: at .batchSize expected a positive integer, got 0');
  assert.is(
    errorOf(resolveConfig({ flags: [['--optimizer.lrr', '3']] })),
    'config flag --optimizer.lrr: at .optimizer.lrr unknown key (known: name, lr, warmupStartLr, finalLr, warmupSteps, momentum, weightDecay, trustCoefficient)',
  );
  assert.is(errorOf(resolveConfig({ flags: [['--steps.x', '3']] })), 'config flag --steps.x: at .steps expected a positive integer, got {"x":3}');
  assert.is(errorOf(resolveConfig({ flags: [['--optimizer..lr', '3']] })), 'config flag --optimizer..lr: not a configuration path (use e.g. --optimizer.lr 0.3)');
  assert.is(errorOf(resolveConfig({ flags: [['--sync', 'yes']] })), 'config flag --sync: at .sync expected true or false, got "yes"');
});

Errors('sync: synchronised workers by default, --sync false for per-worker statistics', () => {
  const on = resolveConfig({ flags: [['--workers', '2']] });
  assert.ok(E.isRight(on) && on.right.sync === true);
  const off = resolveConfig({ flags: [['--workers', '2'], ['--sync', 'false']] });
  assert.ok(E.isRight(off) && off.right.sync === false);
});

Errors('files that cannot be read or parsed, and unknown presets', () => {
  const missing = join(dir, 'nope.json');
  assert.is(errorOf(resolveConfig({ file: missing })), `config ${missing}: cannot read the file (ENOENT)`);
  const bad = file('bad.json', '{"steps": 3,');
  assert.match(errorOf(resolveConfig({ file: bad })), `config ${bad}: not valid JSON (`);
  assert.is(errorOf(resolveConfig({ preset: 'huge' })), `config: unknown preset "huge" (known: ${Object.keys(PRESETS).join(', ')})`);
});

Errors('cross-field checks', () => {
  assert.is(
    errorOf(resolveConfig({ flags: [['--augment.nmb-crops', '[2,2,2]']] })),
    'config: at .augment.sizeCrops expected 3 entries (one per group of .augment.nmbCrops), got [28,14]',
  );
  assert.is(errorOf(resolveConfig({ flags: [['--steps', '10'], ['--optimizer.warmup-steps', '10']] })), 'config: at .optimizer.warmupSteps expected fewer than the 10 steps, got 10');
  assert.is(errorOf(resolveConfig({ flags: [['--augment.nmb-crops', '[1,4]']] })), 'config: at .augment.nmbCrops[0] expected at least 2 global views, got 1');
  assert.is(
    errorOf(resolveConfig({ flags: [['--swav.queue-length', '1000']] })),
    'config: at .swav.queueLength expected a multiple of .batchSize (256), got 1000',
  );
});
Errors('issue 14: --method picks a method whose own codec decodes its section; errors name the path', () => {
  const two: [string, string][] = [['--augment.nmb-crops', '[2]'], ['--augment.size-crops', '[28]'], ['--augment.min-scale', '[0.3]'], ['--augment.max-scale', '[1]']];
  const ok = resolveConfig({ flags: [['--method', 'byol'], ...two, ['--byol.ema-start', '0.996'], ['--byol.predictor.dims', '[64,128]']] });
  assert.ok(E.isRight(ok), E.isLeft(ok) ? ok.left : '');
  assert.equal(E.isRight(ok) && [ok.right.method, ok.right.byol], ['byol', { projector: { dims: [512, 128] }, predictor: { dims: [64, 128] }, emaStart: 0.996 }]);
  const cases: [[string, string][], string][] = [
    [[['--method', 'simclrr']], "config flag --method: at .method expected 'simclr', 'mocoV2', 'mocoV3', 'byol', 'simsiam', 'vicreg', 'barlowTwins', 'tico', 'wmse', 'directclr', 'spectralCl', 'dino', 'nnclr', 'swav', 'lejepa', 'mae', 'pirl', 'dinov2', 'vicregl', 'ijepa', 'ibot', 'msn', 'simmim', 'data2vec', 'dinov3', 'igpt', 'maskfeat', 'cmae', 'beit', 'mimRefiner', 'crossMae', 'nepa', or 'salt', got \"simclrr\""],
    [[['--byol.ema-start', '2']], 'config flag --byol.ema-start: at .byol.emaStart expected a number in [0, 1], got 2'],
    [[['--simclr.temprature', '0.2']], 'config flag --simclr.temprature: at .simclr.temprature unknown key (known: encoder, encoderOptions, embedDim, projector, temperature)'],
    [[['--dino.projector.dims', '[0]']], 'config flag --dino.projector.dims: at .dino.projector.dims expected a non-empty list of positive integers, got [0]'],
    [[['--method', 'byol'], ...two, ['--byol.predictor.dims', '[64,32]']], 'config: at .byol.predictor.dims expected the output width 128 of the projector, got 32'],
    [[['--vicreg.encoder', '"resnet18"']], 'config: at .vicreg.encoder expected nothing (every method trains .model.encoder), got "resnet18"'],
  ];
  for (const [flags, expected] of cases) assert.is(errorOf(resolveConfig({ flags })), expected);
  assert.match(errorOf(resolveConfig({ flags: [['--method', 'simclr']] })), /^config: at \.augment\.nmbCrops expected \[2\] for simclr \(it trains on two views; multi-crop is for swav, dino, lejepa, dinov2, ibot, dinov3 and mimRefiner\), got \[2,4\]; use --preset fashion-mnist-simclr/);
  assert.ok(E.isRight(resolveConfig({ flags: [['--method', 'dino']] })), 'dino takes multi-crop batches');
});

Errors('issue 11 item 15: model.encoderOptions is checked against the encoder, one line naming the path', () => {
  const cases: [unknown, string][] = [
    [{ model: { encoderOptions: { widthz: [8] } } }, 'at .model.encoderOptions.widthz unknown key (known: inChannels, widths)'],
    [{ model: { encoderOptions: { widths: 'abc' } } }, 'at .model.encoderOptions.widths expected a non-empty list of positive integers, got "abc"'],
    [{ model: { encoderOptions: { widths: [0] } } }, 'at .model.encoderOptions.widths expected a non-empty list of positive integers, got [0]'],
    [{ model: { encoderOptions: { inChannels: 3 } } }, 'at .model.encoderOptions.inChannels expected nothing (the channels come from the data), got 3'],
    [{ model: { encoder: 'resnet18', encoderOptions: { lowResolution: 'yes' } } }, 'at .model.encoderOptions.lowResolution expected true or false, got "yes"'],
    [{ model: { encoder: 'vit_tiny_patch16_224', encoderOptions: { patchSize: 4, depth: 0 } } }, 'at .model.encoderOptions.depth expected a positive integer, got 0'],
    [{ model: { encoder: 'vit_tiny_patch16_224', encoderOptions: { mlpRatio: -1, heads: 2 } } }, 'at .model.encoderOptions.mlpRatio expected a positive number, got -1; at .model.encoderOptions.heads unknown key (known: imgSize, patchSize, inChannels, embedDim, depth, numHeads, mlpRatio, dynamicImgSize, numRegisters, posDropRate, projDropRate, attnDropRate, dropPathRate)'],
  ];
  for (const [content, message] of cases) assert.is(errorOf(resolveConfig({ file: file('enc.json', content) })), `config: ${message}`);
  assert.is(
    errorOf(resolveConfig({ preset: 'quick', flags: [['--model.encoder-options', '{"widths": "abc"}']] })),
    'config: at .model.encoderOptions.widths expected a non-empty list of positive integers, got "abc"',
  );
  // Naming another encoder drops the options of the one before (the preset's widths would not fit resnet18).
  const r = resolveConfig({ preset: 'quick', flags: [['--model.encoder', 'resnet18'], ['--model.encoder-options.low-resolution', 'true']] });
  assert.equal(E.isRight(r) && r.right.model.encoderOptions, { lowResolution: true });
});

Errors.run();

// ---------------------------------------------------------------------------------------------
const Merge = suite('train config: merging');

Merge('defaults < preset < file < flags', () => {
  const p = file('m.json', { steps: 50, optimizer: { lr: 0.5, name: 'lars' } });
  const r = resolveConfig({ preset: 'quick', file: p, flags: [['--optimizer.lr', '0.25'], ['--eval.ks', '[5,10]']] });
  assert.ok(E.isRight(r));
  const c = (r as E.Right<typeof DEFAULTS>).right;
  assert.is(c.steps, 50); // file over preset
  assert.is(c.optimizer.lr, 0.25); // flag over file
  assert.is(c.optimizer.name, 'lars'); // file
  assert.is(c.optimizer.momentum, DEFAULTS.optimizer.momentum); // default
  assert.is(c.batchSize, 128); // preset (the default is 256)
  assert.is(c.method, 'simclr'); // preset
  assert.equal(c.eval.ks, [5, 10]);
  assert.equal(c.model.encoderOptions, { widths: [16, 32, 64, 128] }); // preset
  assert.is(c.workers, 2); // preset
});

Merge('every preset is valid; each method has its 29-minute fashion-mnist preset', () => {
  for (const name of Object.keys(PRESETS)) assert.ok(E.isRight(resolveConfig({ preset: name })), name);
  for (const method of METHOD_NAMES) {
    const r = resolveConfig({ preset: `fashion-mnist-${method}` });
    assert.ok(E.isRight(r) && r.right.method === method && r.right.timeLimitMinutes === 29 && r.right.workers === 2, method);
  }
});

Merge('the example files in configs/ are valid', () => {
  for (const name of readdirSync('configs').filter((n) => n.endsWith('.json'))) {
    const r = resolveConfig({ file: join('configs', name) });
    assert.ok(E.isRight(r), E.isLeft(r) ? r.left : name);
  }
});

Merge('flag values: JSON when they parse, text otherwise', () => {
  assert.is(parseFlagValue('0.3'), 0.3);
  assert.is(parseFlagValue('true'), true);
  assert.equal(parseFlagValue('[2,4]'), [2, 4]);
  assert.is(parseFlagValue('null'), null);
  assert.is(parseFlagValue('runs/x'), 'runs/x');
  assert.is(parseFlagValue('fast'), 'fast');
  assert.is(parseFlagValue('2d'), '2d');
});
Merge.run();

// ---------------------------------------------------------------------------------------------
const Args = suite('train cli: arguments');

Args('commands, options, switches and config flags', () => {
  assert.equal(parseArgs([]), { command: 'train', options: {}, flags: [], positionals: [] });
  assert.equal(parseArgs(['train', '--preset', 'tiny', '--resume', '--steps', '20', '--optimizer.lr=0.1', '--eval.linear-probe']), {
    command: 'train',
    options: { preset: 'tiny', resume: 'true' },
    flags: [
      ['--steps', '20'],
      ['--optimizer.lr', '0.1'],
      ['--eval.linear-probe', 'true'],
    ],
    positionals: [],
  });
  assert.equal(parseArgs(['export', '--torch', 'runs/x', 'out/w.safetensors']), { command: 'export', options: { torch: 'runs/x' }, flags: [], positionals: ['out/w.safetensors'] });
  assert.equal(parseArgs(['eval', '--run', 'runs/x', '--eval.ks', '[20]']).options, { run: 'runs/x' });
  assert.is(parseArgs(['--help']).command, 'help');
  assert.is(parseArgs(['embed', '-h']).command, 'help');
});

Args('usage errors are ConfigErrors with one clear line', () => {
  const msg = (argv: string[]) => {
    try {
      parseArgs(argv);
    } catch (e) {
      assert.instance(e, ConfigError);
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.is(msg(['trian']), "unknown command 'trian' (expected train, eval, embed, export, help)");
  assert.is(msg(['train', 'extra']), "unexpected argument 'extra' (options are --name value)");
  assert.is(msg(['train', '--preset']), '--preset needs a value');
  assert.is(msg(['train', '--resume=yes']), '--resume takes no value');
});
Args.after(() => rmSync(dir, { recursive: true, force: true }));
Args.run();
