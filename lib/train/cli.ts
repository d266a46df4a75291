/**
 * The `tfjax` command line: `train` (the default), `eval`, `embed`. See `tfjax --help` and
 * docs/training.md. Exit codes: 0 ok, 1 a failed run (corrupt checkpoint, NaN loss...),
 * 2 a configuration or usage error.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import { enableRelaxedSimd, setBackend } from '../backend/node.js';
import * as checkpoint from '../checkpoint/index.js';
import { DataError, loadDataset } from '../data/index.js';
import { SafetensorsError } from '../io/safetensors.js';
import { writeSafetensorsFile } from '../io/safetensors-file.js';
import { type TrainConfig, ConfigError, DEFAULTS, METHOD_NAMES, PRESETS, decodeLayer, loadConfig, readConfigFile, totalSteps } from './config.js';
import { loadRunData, sample } from './data.js';
import { embedDataset } from './eval/index.js';
import { TrainError, systemErrorLine } from './errors.js';
import { embedder, evaluateVariables } from './evaluation.js';
import { exportTorch } from './export.js';
import { train } from './loop.js';
import { methodOf, optimizerOf, runKeys, scheduleOf } from './recipe.js';
import { type Snapshot, checkpointLike, storedWorkers } from './resume.js';
import { writeNpy } from '../io/npy.js';
import { writeReport } from './report/index.js';
import { LOCK_FILE } from './run-dir.js';

export const USAGE = `tfjax: self-supervised pretraining on tfjs kernels (${METHOD_NAMES.join(', ')})

usage:
  tfjax [train] [--preset NAME] [--config FILE.json] [--resume] [--force] [--<config.path> VALUE ...]
  tfjax eval  (--run DIR | --checkpoint FILE) [--eval.linear-probe true] [--<config.path> VALUE ...]
  tfjax embed (--run DIR | --checkpoint FILE) --out FILE(.safetensors|.npy) [--split test|train|all] [--<config.path> VALUE ...]
  tfjax export --torch (RUN_DIR | CHECKPOINT) OUT.safetensors
  tfjax report RUN_DIR     (re)writes RUN_DIR/report.html: the run's evaluation, curves and embeddings, one offline page
  tfjax --help

With no arguments, 'tfjax' trains the 'quick' preset (SimCLR) on Fashion-MNIST (about
3 minutes on two CPU cores) and prints the kNN accuracy before and after training.

train:
  --method NAME        ${METHOD_NAMES.join(', ')} (default: ${DEFAULTS.method});
                       its settings are the section of that name, e.g. --byol.ema-start 0.996
  --preset NAME        ${Object.keys(PRESETS).join(', ')}
                       (default: quick, unless --config is given)
  --config FILE        a JSON file of settings (any subset of the configuration)
  --resume             continue the run in --out-dir from its latest checkpoint (a finished
                       run is left as it is)
  --force              use an --out-dir that is not empty and not a tfjax run directory
                       (tfjax's files in it are replaced, others left alone)
  --<path> VALUE       any configuration value by its dotted path, in camelCase or kebab-case:
                       --steps 200 --batch-size 128 --optimizer.lr 0.3 --swav.num-prototypes 300
                       --augment.nmb-crops [2,4] --eval.linear-probe true --out-dir runs/x
  Order of precedence: defaults < preset < --config file < flags.

eval:    loads a checkpoint (the newest of --run DIR, or --checkpoint FILE) and prints kNN
         accuracy (k from eval.ks) on the run's dataset, and a linear probe if asked.
embed:   writes the backbone embeddings of a split (--split test, train or all; default
         test) of the run's dataset to --out: .safetensors (tensors 'embeddings' [n, D] and
         'labels' [n]) or .npy ([n, D] float32; labels next to it in <name>.labels.npy).
export:  writes the method's weights of a run's newest checkpoint (or of CHECKPOINT) in the
         seed's (stable-pretraining's) PyTorch state-dict layout: backbone.*, projector.*,
         predictor.*, prototypes.*, teacher-student wrappers (backbone.student.*,
         backbone.teacher.*); the method's fromTorch reads such a file back.

configuration (defaults):
${configHelp()}

exit codes: 0 ok, 1 the run failed, 2 a configuration or usage error. Errors are one line;
TFJAX_DEBUG=1 adds their stack traces.
`;

function configHelp(): string {
  const lines: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length && k !== 'encoderOptions') walk(v as Record<string, unknown>, `${prefix}${k}.`);
      else lines.push(`  ${`${prefix}${k}`.padEnd(30)} ${JSON.stringify(v)}`);
    }
  };
  walk(DEFAULTS as unknown as Record<string, unknown>, '');
  return lines.join('\n');
}

/** Arguments of a command: its options (non-config) and config flags. */
export interface ParsedArgs {
  readonly command: 'train' | 'eval' | 'embed' | 'export' | 'help';
  readonly options: Readonly<Record<string, string>>;
  /** Arguments that are not options (export's output file). */
  readonly positionals: readonly string[];
  readonly flags: readonly (readonly [string, string])[];
}

const COMMANDS = ['train', 'eval', 'embed', 'export', 'help'] as const;
/** Options that are not configuration paths, per command ('' = takes no value). */
const OPTIONS: Record<string, Record<string, 'value' | 'switch'>> = {
  train: { preset: 'value', config: 'value', resume: 'switch', force: 'switch' },
  eval: { run: 'value', checkpoint: 'value' },
  embed: { run: 'value', checkpoint: 'value', out: 'value', split: 'value' },
  export: { torch: 'value' },
  help: {},
};

/** Parses `argv` (without node and the script). Usage errors are ConfigErrors. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  let i = 0;
  let command: ParsedArgs['command'] = 'train';
  if (argv[0] !== undefined && !argv[0].startsWith('-')) {
    if (!(COMMANDS as readonly string[]).includes(argv[0])) throw new ConfigError(`unknown command '${argv[0]}' (expected ${COMMANDS.join(', ')})`);
    command = argv[0] as ParsedArgs['command'];
    i = 1;
  }
  const options: Record<string, string> = {};
  const flags: [string, string][] = [];
  const positionals: string[] = [];
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (command === 'export' && !a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    if (a === '--help' || a === '-h') {
      command = 'help';
      continue;
    }
    if (!a.startsWith('--') || a === '--') throw new ConfigError(`unexpected argument '${a}' (options are --name value)`);
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    const kind = OPTIONS[command]![name];
    const next = argv[i + 1];
    const hasNext = next !== undefined && !(next.startsWith('--') && next.length > 2);
    if (kind === 'switch') {
      if (eq >= 0) throw new ConfigError(`--${name} takes no value`);
      options[name] = 'true';
      continue;
    }
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (hasNext) value = argv[++i]!;
    else if (kind === 'value') throw new ConfigError(`--${name} needs a value`);
    else value = 'true'; // a bare config flag: --eval.linear-probe
    if (kind === 'value' && options[name] !== undefined) throw new ConfigError(`--${name} given twice (${options[name]}, then ${value}): give it once`);
    if (kind === 'value') options[name] = value;
    else flags.push([`--${name}`, value]);
  }
  return { command, options, flags, positionals };
}

/**
 * The configuration of a `train` command. When neither the file nor a flag names the output
 * directory and this is not a resume, a fresh one is chosen next to the preset's
 * (`runs/quick`, `runs/quick-2`, ...: the first without checkpoints and not locked by a run
 * in progress), so running the same command twice never collides.
 */
export function trainConfig(args: ParsedArgs): TrainConfig {
  const preset = args.options['preset'] ?? (args.options['config'] ? undefined : 'quick');
  const c = loadConfig({ preset, file: args.options['config'], flags: args.flags });
  const file = args.options['config'];
  const explicit =
    args.flags.some(([f]) => /^--out-?dir$/i.test(f)) || (file !== undefined && E.isRight(readConfigFile(file)) && Object.hasOwn(Object(E.toUnion(readConfigFile(file))), 'outDir'));
  if (explicit || args.options['resume'] === 'true') return c;
  let dir = c.outDir;
  for (let i = 2; existsSync(join(dir, 'checkpoints')) || existsSync(join(dir, LOCK_FILE)); i++) dir = `${c.outDir}-${i}`;
  return { ...c, outDir: dir };
}

const isFile = (path: string) => existsSync(path) && !statSync(path).isDirectory();

/** Refuses an output file whose directory is missing or not a directory (before any work). */
function checkOutDir(what: string, outPath: string): void {
  const dir = dirname(outPath);
  if (!existsSync(dir)) throw new ConfigError(`${what} ${outPath}: the directory ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new ConfigError(`${what} ${outPath}: ${dir} is a file, not a directory`);
}

/** The checkpoint named by --checkpoint (or export's --torch), or the newest of --run DIR (its checkpoints/ folder). */
async function checkpointPath(args: ParsedArgs): Promise<string> {
  const file = args.options['checkpoint'];
  if (file !== undefined && args.options['run'] !== undefined) throw new ConfigError(`${args.command} takes --run DIR or --checkpoint FILE, not both`);
  if (file) return file;
  const torch = args.options['torch'];
  if (torch !== undefined && isFile(torch)) return torch; // export --torch CHECKPOINT
  const run = args.options['run'] ?? torch;
  if (!run) throw new ConfigError(`${args.command} needs --run DIR or --checkpoint FILE`);
  if (isFile(run)) throw new ConfigError(`--run ${run} is a file, not a run directory (--checkpoint ${run} reads one checkpoint file)`);
  const dir = existsSync(join(run, 'checkpoints')) ? join(run, 'checkpoints') : run;
  const all = await checkpoint.listCheckpoints(dir);
  if (!all.length) throw new TrainError(`run ${run}: no checkpoint (ckpt-<step>.safetensors) in ${dir}`);
  return all[all.length - 1]!.path;
}

/** Loads a checkpoint and its configuration (flags override eval/backend settings). */
async function loadForEval(args: ParsedArgs) {
  const path = await checkpointPath(args);
  let stored: unknown;
  let workers: number;
  try {
    const meta = await checkpoint.readCheckpointMeta(path);
    workers = storedWorkers(meta, path);
    stored = JSON.parse(meta['config'] ?? 'null');
  } catch (e) {
    if (e instanceof checkpoint.CheckpointError) throw new TrainError(e.message);
    throw new TrainError(`checkpoint ${path}: its config metadata is not valid JSON`);
  }
  if (stored === null) throw new TrainError(`checkpoint ${path}: it holds no training configuration (was it written by tfjax train?)`);
  const base = decodeLayer(stored, `stored in ${path}`);
  if (E.isLeft(base)) throw new TrainError(base.left);
  const c = loadConfig({ base: [base.right], flags: args.flags });
  await setBackend(c.backend);
  const data = await loadRunData(c);
  const method = methodOf(c, data.train.channels);
  const steps = totalSteps(c, data.train.n);
  const opt = optimizerOf(c, scheduleOf(c, steps));
  const keys = runKeys(c.seed);
  const init = method.init(keys.init);
  const like = { params: init.params, modelState: init.state, optState: opt.init(init.params), step: 0, key: keys.base, elapsed: 0, config: '' };
  let loaded: Snapshot;
  try {
    loaded = await checkpoint.load(path, { like: checkpointLike(like, workers) });
  } catch (e) {
    throw new TrainError((e as Error).message);
  } finally {
    disposeDeep(like);
    keys.init.dispose();
  }
  // Evaluated and exported: worker 0's model state (the other workers' own queues are not the model's).
  const { workerStates, ...snap } = loaded;
  disposeDeep(workerStates);
  return { path, c, data, method, snap };
}

function disposeDeep(x: unknown): void {
  if (x instanceof tf.Tensor) {
    if (!x.isDisposed) x.dispose();
  } else if (Array.isArray(x)) x.forEach(disposeDeep);
  else if (x && typeof x === 'object') Object.values(x).forEach(disposeDeep);
}

async function evalCommand(args: ParsedArgs): Promise<void> {
  const { path, c, data, method, snap } = await loadForEval(args);
  if (!data.evalTrain || !data.evalTest) throw new TrainError(`dataset ${c.dataset.name} has no labels: nothing to evaluate`);
  const sets = { train: sample(data.evalTrain, c.eval.trainSubset, 1), test: sample(data.evalTest, c.eval.testSubset, 2) };
  process.stderr.write(`evaluating ${path} (step ${snap.step}) on ${sets.train.n} train / ${sets.test.n} test images...\n`);
  const r = await evaluateVariables(embedder(method), snap.params, snap.modelState, sets, { ks: c.eval.ks, linearProbe: c.eval.linearProbe });
  const parts = c.eval.ks.map((k) => `kNN k=${k} ${(100 * r.knn[k]!).toFixed(2)}%`);
  if (r.linearProbe !== undefined) parts.push(`linear probe ${(100 * r.linearProbe).toFixed(2)}%`);
  process.stdout.write(`${path} (step ${snap.step}): ${parts.join(', ')}\n`);
  disposeDeep(snap);
}

async function embedCommand(args: ParsedArgs): Promise<void> {
  const outPath = args.options['out'];
  if (!outPath || !/\.(safetensors|npy)$/.test(outPath)) throw new ConfigError('embed needs --out FILE ending in .safetensors or .npy');
  const split = args.options['split'] ?? 'test';
  if (!['test', 'train', 'all'].includes(split)) throw new ConfigError(`--split expected test, train or all, got "${split}"`);
  checkOutDir('embed --out', outPath);
  const { path, c, data, method, snap } = await loadForEval(args);
  const ds =
    data.evalTest && data.evalTrain
      ? split === 'test'
        ? data.evalTest
        : split === 'train'
          ? data.evalTrain
          : await loadDataset(c.dataset.name, { split: 'all' })
      : data.train;
  const emb = await embedDataset(embedder(method)(snap.params, snap.modelState), ds, { batchSize: 500 });
  const values = (await emb.data()) as Float32Array;
  const [n, d] = emb.shape;
  if (outPath.endsWith('.safetensors')) {
    await writeSafetensorsFile(
      outPath,
      { embeddings: { dtype: 'float32', shape: [n, d], data: values }, labels: { dtype: 'int32', shape: [n], data: ds.labels } },
      { checkpoint: path, step: String(snap.step), dataset: c.dataset.name, split },
    );
  } else {
    await writeNpy(outPath, values, [n, d]);
    await writeNpy(outPath.replace(/\.npy$/, '.labels.npy'), ds.labels, [n]);
  }
  emb.dispose();
  disposeDeep(snap);
  process.stdout.write(`wrote ${n} embeddings of width ${d} (${c.dataset.name} ${split}) to ${outPath}\n`);
}

async function exportCommand(args: ParsedArgs): Promise<void> {
  if (args.options['torch'] === undefined) throw new ConfigError('export needs --torch RUN_DIR (or CHECKPOINT): the seed\'s PyTorch layout is the one export format');
  const [outPath, ...extra] = args.positionals;
  if (!outPath || !outPath.endsWith('.safetensors') || extra.length) throw new ConfigError(`export needs one output file ending in .safetensors after --torch RUN_DIR, got ${args.positionals.length ? args.positionals.join(' ') : 'none'}`);
  checkOutDir('export', outPath);
  const { path, c, method, snap } = await loadForEval(args);
  try {
    const n = await exportTorch(method, snap.params, snap.modelState, outPath, { method: c.method, checkpoint: path, step: String(snap.step), config: JSON.stringify(c) });
    process.stdout.write(`wrote ${n} tensors of ${c.method} (step ${snap.step}) in stable-pretraining's state-dict layout to ${outPath}\n`);
  } finally {
    disposeDeep(snap);
  }
}

/** `tfjax report RUN_DIR`: rebuilds the run's report page and prints its path. */
async function reportCommand(rest: readonly string[]): Promise<number> {
  if (rest.length !== 1 || rest[0]!.startsWith('-')) throw new ConfigError(`report expects one argument, the run directory (got ${rest.length ? rest.join(' ') : 'none'})`);
  process.stdout.write(`report: ${await writeReport(rest[0]!)}\n`);
  return 0;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    if (argv[0] === 'report') return await reportCommand(argv.slice(1));
    const args = parseArgs(argv);
    switch (args.command) {
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      case 'train': {
        const c = trainConfig(args);
        const r = await train(c, { resume: args.options['resume'] === 'true', force: args.options['force'] === 'true' });
        // A finished run resumed is left as it is (its report included).
        if (r.stopped !== 'complete')
          await writeReport(r.outDir).then(
            (path) => process.stdout.write(`report: ${path}\n`),
            (e: Error) => process.stderr.write(`warning: could not write the report: ${e.message}\n`),
          );
        return r.stopped === 'nan' ? 1 : 0;
      }
      case 'eval':
        await evalCommand(args);
        return 0;
      case 'embed':
        await embedCommand(args);
        return 0;
      case 'export':
        await exportCommand(args);
        return 0;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n(tfjax --help shows the usage and the configuration)\n`);
      debugTrace(e);
      return 2;
    }
    const expected = e instanceof TrainError || e instanceof checkpoint.CheckpointError || e instanceof DataError || e instanceof SafetensorsError;
    const line = expected ? e.message : systemErrorLine(e);
    if (line !== null) {
      process.stderr.write(`error: ${line}\n`);
      debugTrace(e);
      return 1;
    }
    // Not an expected failure: a bug, reported with its stack.
    process.stderr.write(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

/** With `TFJAX_DEBUG=1`: the stack of an error reported as one line, and of its causes. */
function debugTrace(e: unknown): void {
  if (process.env['TFJAX_DEBUG'] !== '1') return;
  for (let c: unknown = e; c instanceof Error; c = c.cause) process.stderr.write(`${c === e ? '' : 'caused by: '}${c.stack ?? c.message}\n`);
}

/** Whether this module is the program being run (not imported). */
function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  // The program's own process: our wasm kernels' fused multiply-adds (Node 20 has relaxed SIMD behind a flag).
  enableRelaxedSimd();
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
  // tfjs keeps no handles open on cpu/wasm; exit promptly even if something lingers.
  setTimeout(() => process.exit(code), 100).unref();
}

