/**
 * Running the `tfjax` CLI as a child process in tests (not a test file itself): the
 * command, its output and exit, and reading what a run left in its directory.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { readSafetensorsFile } from '../../lib/io/safetensors-file.js';
import { main } from '../../lib/train/cli.js';
import { MULTI_CROP_METHODS, ONE_VIEW_METHODS, type MethodName, type TrainConfig, VIT_METHODS, loadConfig } from '../../lib/train/config.js';
import { testBackendName } from '../helpers/backend.js';

const ROOT = process.cwd();
export const backend = testBackendName();

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `tfjax <args>` (`extra`: e.g. another uid, env); `done` resolves when it has exited. */
export function start(args: string[], extra: Pick<SpawnOptions, 'uid' | 'gid' | 'env'> = {}): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'tfjax.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env }, ...extra });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}
export const cli = (args: string[]) => start(args).done;

/** A tiny ViT for 28 px images (7 px patches) and one view: what MAE needs on top of the tiny preset. */
export const TINY_MAE_FLAGS = [
  '--model.encoder', 'vit_tiny_patch16_224', '--model.encoder-options', '{"imgSize":28,"patchSize":7,"embedDim":8,"depth":1,"numHeads":2}',
  '--augment.nmb-crops', '[1]', '--augment.size-crops', '[28]', '--augment.min-scale', '[0.3]', '--augment.max-scale', '[1]',
];
/**
 * The tiny preset's flags for a method: multi-crop methods keep its crops (28 and 14 px), two-view
 * methods get two 28 px views, one-view methods one; the ViT methods (`VIT_METHODS`) the tiny ViT.
 */
export function tinyMethodFlags(method: MethodName): string[] {
  const vit = VIT_METHODS.includes(method) ? TINY_MAE_FLAGS.slice(0, 4) : [];
  if (MULTI_CROP_METHODS.includes(method)) return vit;
  const views = ONE_VIEW_METHODS.includes(method) ? '[1]' : '[2]';
  return [...vit, '--augment.nmb-crops', views, '--augment.size-crops', '[28]', '--augment.min-scale', '[0.3]', '--augment.max-scale', '[1]'];
}
/** `train --preset tiny --method <method>` in `dir` (its tiny flags, a small final evaluation), plus extra flags. */
export const tinyMethodArgs = (method: MethodName, dir: string, ...extra: string[]) => [
  'train', '--preset', 'tiny', '--method', method, ...tinyMethodFlags(method), '--backend', backend, '--out-dir', dir,
  '--eval.before', 'false', '--eval.ks', '[5]', '--eval.train-subset', '20', '--eval.test-subset', '10', ...extra,
];

/** Flags `['--a', '1', '--b', '2']` as `resolveConfig`'s pairs `[['--a', '1'], ['--b', '2']]`. */
export const flagPairs = (flags: readonly string[]) => flags.flatMap((f, i) => (f.startsWith('--') ? [[f, flags[i + 1]!] as const] : []));

/** `main(argv)` (the `tfjax` entry) in this process, its stdout and stderr captured. */
export async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const writes = { out: process.stdout.write, err: process.stderr.write };
  let [stdout, stderr] = ['', ''];
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    process.stdout.write = writes.out;
    process.stderr.write = writes.err;
  }
}

/**
 * `method` trained 2 steps on the tiny preset (plus `extra` flags) through `main` in `dir`: finite
 * losses and its own `metricNames` at both steps, one checkpoint (step 2), and `export --torch` with
 * each of `seedKeys` (the seed's state-dict names) at its shape. Returns the step records.
 */
export async function assertTwoStepsAndExport(
  method: MethodName,
  dir: string,
  metricNames: readonly string[],
  seedKeys: Readonly<Record<string, number[]>>,
  extra: readonly string[] = [],
): Promise<Rec[]> {
  const r = await runMain(tinyMethodArgs(method, dir, '--steps', '2', '--optimizer.warmup-steps', '1', ...extra));
  assert.is(r.code, 0, r.stderr);
  const steps = metrics(dir).filter((x) => x.type === 'step');
  assert.equal(steps.map((x) => x.step), [1, 2]);
  for (const s of steps) {
    assert.ok(Number.isFinite(s.loss), `${method} step ${s.step}: loss ${s.loss}`);
    for (const k of metricNames) assert.ok(Number.isFinite(s[k]), `${method} step ${s.step}: ${k} ${String(s[k])}`);
  }
  assert.equal(ckpts(dir), ['ckpt-2.safetensors']);
  const out = join(dir, 'export.safetensors');
  const e = await runMain(['export', '--torch', dir, out]);
  assert.is(e.code, 0, e.stderr);
  assert.match(e.stdout, `of ${method} (step 2) in stable-pretraining's state-dict layout to ${out}`);
  const { tensors, metadata } = await readSafetensorsFile(out);
  assert.is(metadata['method'], method);
  for (const [k, shape] of Object.entries(seedKeys)) assert.equal(tensors[k]?.shape, shape, `${method}: ${k} in ${Object.keys(tensors).join(', ')}`);
  return steps;
}

/** `train` of `method` on the tiny preset with `extra` flags in `dir` exits 2 with `line` as its first line on stderr. */
export async function assertConfigErrorLine(method: MethodName, dir: string, extra: readonly string[], line: string): Promise<void> {
  const r = await runMain(tinyMethodArgs(method, dir, ...extra));
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr.split('\n')[0], line);
}

/** A ViT method on the tiny preset's ConvNet (its tiny flags without the ViT) exits 2 saying it needs a ViT and how to give it one. */
export async function assertNeedsViT(method: MethodName, dir: string): Promise<void> {
  const noVit = tinyMethodFlags(method).slice(TINY_MAE_FLAGS.slice(0, 4).length);
  const r = await runMain(['train', '--preset', 'tiny', '--method', method, ...noVit, '--out-dir', dir]);
  assert.is(r.code, 2, r.stderr);
  assert.match(
    r.stderr.split('\n')[0]!,
    new RegExp(`^config: at \\.model\\.encoder expected a ViT for ${method} \\(vit_tiny_patch16_224, vit_small_patch16_224\\), got "convnet_small"; use --preset fashion-mnist-${method}, or e\\.g\\. `),
  );
}

/** `fashion-mnist-<method>` resolves: that method, its run directory, a ViT iff `vit`, `views` as `augment.nmbCrops`. Returns the configuration. */
export function assertMethodPreset(method: MethodName, views: readonly number[], vit: boolean): TrainConfig {
  const c = loadConfig({ preset: `fashion-mnist-${method}` });
  assert.is(c.method, method);
  assert.is(c.outDir, `runs/fashion-mnist-${method}`);
  assert.is(c.model.encoder.startsWith('vit'), vit, `${method}: ${c.model.encoder}`);
  assert.equal(c.augment.nmbCrops, views, `${method}: ${JSON.stringify(c.augment.nmbCrops)}`);
  return c;
}

/** `train --preset tiny` in `dir` on the test backend, plus extra flags. */
export const tiny = (dir: string, ...extra: string[]) => cli(['train', '--preset', 'tiny', '--backend', backend, '--out-dir', dir, ...extra]);

export interface Rec {
  type: string;
  step: number;
  loss?: number | null;
  [k: string]: unknown;
}
export const metrics = (dir: string): Rec[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);
export const losses = (dir: string) => metrics(dir).filter((r) => r.type === 'step').map((r) => [r.step, r.loss]);
/** The checkpoint files of a run (not the temporary files of a save in progress). */
export const ckpts = (dir: string) => (existsSync(join(dir, 'checkpoints')) ? readdirSync(join(dir, 'checkpoints')).filter((n) => /^ckpt-\d+\.safetensors$/.test(n)).sort() : []);
export const ok = (r: Result, what: string) => assert.is(r.code, 0, `${what} exited with ${r.code}\n${r.stderr}`);

/** Hash and mtime of every file under `dir`. */
export function snapshotFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p] = `${createHash('sha256').update(readFileSync(p)).digest('hex')} ${statSync(p).mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** The tensors of a checkpoint under `.params` and `.modelState` and `.optState`, as bytes. */
export async function stateBytes(path: string): Promise<Map<string, string>> {
  const { tensors } = await readSafetensorsFile(path);
  const out = new Map<string, string>();
  for (const [name, t] of Object.entries(tensors)) {
    if (!/^\.(params|modelState|optState)/.test(name)) continue;
    out.set(name, Buffer.from(new Float32Array(Array.from(t.data as ArrayLike<number>)).buffer).toString('base64'));
  }
  return out;
}
/** The same tensors, bit for bit. */
export function assertSameState(a: Map<string, string>, b: Map<string, string>) {
  assert.equal([...a.keys()].sort(), [...b.keys()].sort());
  for (const [k, v] of a) assert.ok(b.get(k) === v, `tensor ${k} differs`);
}

/** The checkpoint's `.params` and `.modelState` tensors as numbers. */
async function modelValues(path: string): Promise<Map<string, number[]>> {
  const { tensors } = await readSafetensorsFile(path);
  return new Map(Object.entries(tensors).filter(([name]) => /^\.(params|modelState)/.test(name)).map(([name, t]) => [name, Array.from(t.data as ArrayLike<number>)]));
}

/**
 * The parameters and model state (BatchNorm running statistics, ...) of two checkpoints agree
 * within `rel` of each tensor's largest entry.
 */
export async function assertCloseModels(path: string, reference: string, rel: number) {
  const [a, b] = [await modelValues(path), await modelValues(reference)];
  assert.equal([...a.keys()].sort(), [...b.keys()].sort());
  for (const [k, want] of b) {
    const got = a.get(k)!;
    const scale = Math.max(...want.map(Math.abs), 1e-30);
    const err = Math.max(...want.map((v, i) => Math.abs(got[i] - v)));
    assert.ok(err <= rel * scale, `tensor ${k}: max error ${err} over ${rel} x its scale ${scale}`);
  }
}
