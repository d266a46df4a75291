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
import { MULTI_CROP_METHODS, ONE_VIEW_METHODS, type MethodName, VIT_METHODS } from '../../lib/train/config.js';
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
 * methods get two 28 px views, one-view methods one; the ViT methods (MAE, DINOv2, I-JEPA, iBOT,
 * MSN, SimMIM, data2vec) the tiny ViT.
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
