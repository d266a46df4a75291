/**
 * Does relaxed SIMD's fused multiply-add (f32x4.relaxed_madd, lib/backend/wasm-relaxed.ts)
 * speed up our kernels on this CPU? One command, each pair interleaved, medians of CPU time
 * (one thread):
 *
 * 1. the multiply-add loop of the per-core limit (bench/sections/simd.ts), mul + add against
 *    relaxed_madd, 4 to 16 accumulators;
 * 2. our SIMD exp and log (lib/backend/wasm-math.ts) over 2^20 values;
 * 3. our product kernel on the MLP's and the ViT's shapes;
 * 4. jitted SwAV steps: the small ConvNet (batch 256), with --encoders also ResNet-18 and
 *    ViT-tiny (batch 64, K = 3000), every kernel plain in one step and fused in the next.
 *
 *   npx tsx bench/relaxed-simd.ts [--reps N] [--encoders]
 *
 * It turns relaxed SIMD on itself (enableRelaxedSimd: Node 20 has it behind a flag).
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { PANEL, batchMatMulWasm, paddedColumns } from '../lib/backend/wasm-batch-matmul.js';
import { FunctionBuilder } from '../lib/backend/wasm-emit.js';
import { moduleBytes } from '../lib/backend/wasm-module.js';
import { SimdMath } from '../lib/backend/wasm-math.js';
import { forceRelaxedMultiplyAdd } from '../lib/backend/wasm-relaxed.js';
import { ourSwav } from './context.js';
import { flagValue, machine, markdownTable, median, relaxedSimdSetting } from './harness.js';
import { RESNET, VIT, encoderSwavConfig } from './sections/encoders.js';
import { multiplyAddLoop } from './sections/simd.js';

const args = process.argv.slice(2);
const relaxed = relaxedSimdSetting(args);
if (!relaxed.startsWith('relaxed SIMD: on')) {
  console.error(`bench/relaxed-simd: ${relaxed}`);
  process.exit(2);
}
const reps = Number(flagValue(args, 'reps', '15'));
const cpuMs = (run: () => void) => {
  const c0 = process.cpuUsage();
  run();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
/** Medians of CPU ms of `plain` and `fused`, interleaved, after one warm-up call of each. */
function pair(plain: () => void, fused: () => void, rounds = reps): [number, number] {
  const t: number[][] = [[], []];
  for (let r = 0; r <= rounds; r++) {
    const [p, f] = [cpuMs(plain), cpuMs(fused)];
    if (r > 0) t[0]!.push(p), t[1]!.push(f);
  }
  return [median(t[0]!), median(t[1]!)];
}
const ratio = ([p, f]: [number, number]) => `${(p / f).toFixed(2)}x`;
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 0);
const loadStart = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
const out: string[] = [];

// 1. The multiply-add loop.
const iterations = 2e7;
out.push(`### The per-core limit's loop (acc = acc * m + c, ${iterations / 1e6}M iterations)\n`);
out.push(
  markdownTable(
    ['accumulators', 'mul + add GFLOP/s', 'relaxed_madd GFLOP/s', 'fused / plain'],
    [4, 8, 12, 16].map((a) => {
      const [plain, fused] = [multiplyAddLoop(a, false), multiplyAddLoop(a, true)];
      const t = pair(() => plain(iterations), () => fused(iterations));
      const gf = (x: number) => ((iterations * a * 8) / (x * 1e6)).toFixed(1);
      return [String(a), gf(t[0]), gf(t[1]), ratio(t)];
    }),
  ),
);

// 2. exp and log.
const N = 1 << 20;
const memory = new WebAssembly.Memory({ initial: 256 });
const input = new Float32Array(memory.buffer, 0, N);
/** One pass of exp or log over N floats at 0, written after them. */
function mathPass(op: 'exp' | 'log', fused: boolean): () => void {
  const f = new FunctionBuilder([], []);
  const [off, x] = [f.local('i32'), f.local('v128')];
  const m = new SimdMath(f, fused);
  f.loop();
  f.localGet(off).i32Const(N * 4).i32Add();
  f.localGet(off).v128Load(0).localSet(x);
  m[op](x);
  f.v128Store(0);
  f.localGet(off).i32Const(16).i32Add().localTee(off).i32Const(N * 4).i32Ne().brIf(0);
  f.end();
  const run = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([{ name: 'run', fn: f }])), { env: { memory } }).exports.run as () => void;
  return () => {
    for (let j = 0; j < 5; j++) run();
  };
}
const mathRows = (['exp', 'log'] as const).map((op) => {
  for (let i = 0; i < N; i++) input[i] = op === 'exp' ? (Math.random() - 0.5) * 40 : Math.random() * 100;
  const t = pair(mathPass(op, false), mathPass(op, true));
  const ns = (x: number) => ((x * 1e6) / (5 * N)).toFixed(2);
  return [op, ns(t[0]), ns(t[1]), ratio(t)];
});
out.push(`### exp and log (${N} values)\n`, markdownTable(['function', 'plain ns/value', 'relaxed_madd ns/value', 'fused / plain'], mathRows));

// 3 and 4 run on the wasm backend: every kernel generated twice (kernels are cached per setting).
await setBackend('wasm');
/** `run` with our kernels plain, then fused. */
const plainOrFused = (run: () => void): [() => void, () => void] => [
  () => (forceRelaxedMultiplyAdd(false), run(), forceRelaxedMultiplyAdd(null)),
  () => (forceRelaxedMultiplyAdd(true), run(), forceRelaxedMultiplyAdd(null)),
];
const productRows = ([[192, 65, 64, 65], [1, 512, 784, 1024], [1, 512, 1024, 1024]] as const).map(([batch, m, k, n]) => {
  const a = tf.randomUniform([batch, m, k]);
  const b = tf.randomUniform([batch, paddedColumns(n) / PANEL, k, PANEL]);
  const t = pair(...plainOrFused(() => tf.tidy(() => batchMatMulWasm(a, b, { batch, m, k, n })).dispose()));
  tf.dispose([a, b]);
  const gf = (x: number) => ((2 * batch * m * k * n) / (x * 1e6)).toFixed(1);
  return [`[${batch}, ${m}, ${k}] x [${k}, ${n}]`, `${ms(t[0])} (${gf(t[0])} GFLOP/s)`, `${ms(t[1])} (${gf(t[1])} GFLOP/s)`, ratio(t)];
});
out.push('### Our product kernel (lib/backend/wasm-batch-matmul.ts)\n', markdownTable(['product', 'plain CPU ms', 'relaxed_madd CPU ms', 'fused / plain'], productRows));

const steps = [{ name: 'SwAV ConvNet, batch 256, two 28x28 views', runner: () => ourSwav('convnet', { batch: 256, views: [28, 28] }), rounds: reps }];
if (args.includes('--encoders'))
  steps.push(
    { name: 'SwAV ResNet-18, batch 64, two 32x32x3 views, K = 3000', runner: () => ourSwav('resnet18', { batch: 64, views: [32, 32], channels: 3, config: encoderSwavConfig(RESNET, 3000) }), rounds: Math.max(3, Math.round(reps / 4)) },
    { name: 'SwAV ViT-tiny, batch 64, two 32x32x3 views, K = 3000', runner: () => ourSwav('vit', { batch: 64, views: [32, 32], channels: 3, config: encoderSwavConfig(VIT, 3000) }), rounds: Math.max(3, Math.round(reps / 4)) },
  );
const stepRows = steps.map(({ name, runner, rounds }) => {
  const r = runner();
  const t = pair(...plainOrFused(() => r.step()), rounds);
  return [`${name} (${rounds} rounds)`, ms(t[0]), ms(t[1]), ratio(t)];
});
out.push('### Jitted training steps, one process\n', markdownTable(['step', 'plain CPU ms', 'relaxed_madd CPU ms', 'fused / plain'], stepRows));
const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
console.log([`## bench/relaxed-simd (${machine()}; ${relaxed}; medians of ${reps} interleaved rounds, CPU time; load average ${loadStart} at start, ${loadEnd} at end)\n`, ...out].join('\n'));
