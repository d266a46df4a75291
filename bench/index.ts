/**
 * `npm run bench`: tfjax against tfjs's own training path, jax-js and PyTorch on this
 * machine (issue 6), in one process (PyTorch in a child process), printing markdown for
 * docs/benchmarks.md. Every comparison interleaves its contenders over several rounds and
 * reports medians of wall-clock and CPU time.
 *
 * Sections (in this order; `--only` picks some):
 *   mlp      1. MLP step 784-1024-1024-10, batch 512: ours / tfjs tape / jax-js / PyTorch
 *   swav     2. SwAV step (small ConvNet), two views and multi-crop: ours / PyTorch at
 *               batch 256, ours / jax-js at batch 8, the hand-written tfjs step (wasm: fails;
 *               cpu: batch 4), peak tensor memory
 *   scaling  4. step time vs batch size and prototypes
 *   jit      5. eager vs jit, kernels per step with and without jit's rewrites
 *   augment  6. the multi-crop augmentation pipeline against the step (bench/augment.ts)
 *   sinkhorn 7. Sinkhorn alone at 4096 x 3000 (epsilon 0.05 and 1e-3): ours vs PyTorch's exp domain
 *   resnet18 8. SwAV step on ResNet-18 (low-resolution stem), batch 64, K = 3000: ours / PyTorch 1 and 2 threads
 *   vit      9. the same on ViT-tiny (patch 4 on 32x32)
 *   rnn     11. a loop: an RNN over 64 steps with lax.scan, value and gradient: ours (body as written, and
 *               with its invariant work before the loop) / PyTorch's Python loop, 1 thread
 *   simd    10. WebAssembly's per-core limit (a pure multiply-add loop) and our convolution
 *               kernels at ResNet-18's shapes as fractions of it
 *   limit    3. each backend's matmul GFLOP/s and every step above as a fraction of it
 *               (runs last, printed third)
 *
 * Flags:
 *   --quick           one round, tiny shapes (the CI smoke; under a minute)
 *   --only a,b        run only these sections (names above)
 *   --reps N          timed rounds per comparison (default 5; some sections use fewer)
 *   --no-jax          skip jax-js
 *   --no-torch        skip PyTorch (otherwise used when a Python with torch is found:
 *                     $TFJAX_BENCH_PYTHON, /usr/bin/python3, python3)
 *   --out FILE        also write the markdown to FILE
 * Progress goes to stderr, the markdown to stdout.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/node.js';
import type { BenchContext, StepRecord } from './context.js';
import { loadAverage, machine, relaxedSimdSetting } from './harness.js';
import { JAX_VERSION } from './peers/jaxjs.js';
import { TorchPeer } from './peers/pytorch.js';
import { augmentSection } from './sections/augment.js';
import { resnetSection, vitSection } from './sections/encoders.js';
import { jitSection } from './sections/jit.js';
import { limitSection } from './sections/limit.js';
import { mlpSection } from './sections/mlp.js';
import { scalingSection } from './sections/scaling.js';
import { rnnSection } from './sections/rnn.js';
import { sinkhornSection } from './sections/sinkhorn.js';
import { simdSection } from './sections/simd.js';
import { swavSection } from './sections/swav.js';

const SECTIONS: [string, (ctx: BenchContext) => Promise<string>][] = [
  ['mlp', mlpSection],
  ['swav', swavSection],
  ['scaling', scalingSection],
  ['jit', jitSection],
  ['augment', augmentSection],
  ['sinkhorn', sinkhornSection],
  ['rnn', rnnSection],
  ['resnet18', resnetSection],
  ['vit', vitSection],
  ['simd', simdSection],
  ['limit', limitSection],
];
/** Printed order: the limit goes third, as in issue 6. */
const PRINT_ORDER = ['mlp', 'swav', 'limit', 'scaling', 'jit', 'augment', 'sinkhorn', 'resnet18', 'vit', 'simd', 'rnn'];

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].slice(args[i].indexOf('=') + 1) : args[i + 1];
};
const quick = args.includes('--quick');
const only = flag('only')?.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = (only ?? []).filter((n) => !SECTIONS.some(([s]) => s === n));
if (unknown.length) {
  console.error(`bench: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map(([s]) => s).join(', ')}`);
  process.exit(2);
}
const reps = Number(flag('reps') ?? (quick ? 1 : 5));
const out = flag('out');

const relaxed = relaxedSimdSetting(args);
await setBackend('wasm');
const t0 = performance.now();
const progress = (msg: string) => process.stderr.write(`[bench ${((performance.now() - t0) / 1000).toFixed(0)}s] ${msg}\n`);

let torch: TorchPeer | null = null;
let torchNote = 'skipped (--no-torch)';
if (!args.includes('--no-torch')) {
  const started = await TorchPeer.start();
  if (typeof started === 'string') torchNote = started;
  else {
    torch = started;
    const info = await torch.info();
    torchNote = `PyTorch ${info.torch} (${info.python}), ${info.threads} thread, oneDNN ${info.mkldnn ? 'on' : 'off'}, CPU capability ${info.cpu_capability}, BLAS ${info.blas}`;
  }
}
const results: StepRecord[] = [];
const ctx: BenchContext = { quick, reps, torch, torchNote, jax: !args.includes('--no-jax'), results, progress };

const loadStart = loadAverage();
const outputs = new Map<string, string>();
try {
  for (const [name, run] of SECTIONS) {
    if (only && !only.includes(name)) continue;
    progress(`section ${name}`);
    outputs.set(name, await run(ctx));
  }
} finally {
  await torch?.close();
}

const header = [
  `# Benchmark run${quick ? ' (--quick: tiny shapes, one round; not figures to quote)' : ''}\n`,
  `- date: ${new Date().toISOString()}`,
  `- command: \`npx tsx bench/index.ts${args.length ? ' ' + args.join(' ') : ''}\` (${((performance.now() - t0) / 60000).toFixed(1)} min)`,
  `- machine: ${machine()} (${Math.round(os.totalmem() / 2 ** 30)} GiB RAM)`,
  `- load average (1/5/15 min) at start: ${loadStart}; at end: ${loadAverage()} (on ${os.cpus().length} cores: above ~1, other processes share the CPU and wall times grow; CPU times much less)`,
  `- ${relaxed}`,
  `- tfjs ${tf.version_core} (wasm: one thread in Node); jax-js ${JAX_VERSION} (wasm device, one thread in Node: no global Worker); ${torchNote}`,
  '',
].join('\n');
const doc = [header, ...PRINT_ORDER.filter((n) => outputs.has(n)).map((n) => outputs.get(n)!)].join('\n');
console.log(doc);
if (out) writeFileSync(out, doc + '\n');
progress('done');
