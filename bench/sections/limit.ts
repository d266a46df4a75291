/**
 * Section 3: the machine's limit. Each backend's plain matmul GFLOP/s (tfjs wasm, with and
 * without transpose flags; tfjs cpu; jax-js wasm; PyTorch), tfjs wasm's convolution at a
 * ConvNet shape and our own wasm kernels for it and its filter gradient, and every step
 * measured by the earlier sections as a fraction of its backend's fastest kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { np, setBackend } from '../../lib/node.js';
import { filterGradWasm } from '../../lib/backend/wasm-filter-grad.js';
import type { BenchContext } from '../context.js';
import { type Contender, compare, convFlops, fmt, markdownTable } from '../harness.js';
import { initJax } from '../peers/jaxjs.js';
import * as jax from '@jax-js/jax';

interface Row {
  readonly what: string;
  readonly backend: string;
  readonly flops: number;
  readonly contender: Contender;
}

/** A tfjs kernel call as a contender (its output read back, then freed). */
function tfOp(f: () => tf.Tensor): Contender['step'] {
  return () => {
    const y = f();
    y.dataSync();
    y.dispose();
  };
}

export async function limitSection(ctx: BenchContext): Promise<string> {
  const n = ctx.quick ? 128 : 1024;
  const m = ctx.quick ? 128 : 512;
  const reps = ctx.quick ? 1 : Math.max(ctx.reps, 5);
  const rows: Row[] = [];
  const mm = (k: number) => 2 * k ** 3;

  // tfjs wasm.
  const a = tf.randomUniform([n, n], 0, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], 0, 1, 'float32', 2);
  const a5 = tf.randomUniform([m, m], 0, 1, 'float32', 3);
  rows.push({ what: `matmul ${m}x${m}`, backend: 'tfjs wasm', flops: mm(m), contender: { name: 'wasm 512', step: tfOp(() => tf.matMul(a5, a5)) } });
  rows.push({ what: `matmul ${n}x${n}`, backend: 'tfjs wasm', flops: mm(n), contender: { name: 'wasm n', step: tfOp(() => tf.matMul(a, b)) } });
  rows.push({ what: `matmul ${n}x${n}, transposeA`, backend: 'tfjs wasm', flops: mm(n), contender: { name: 'wasm tA', step: tfOp(() => tf.matMul(a, b, true, false)) } });
  rows.push({ what: `matmul ${n}x${n}, transposeB`, backend: 'tfjs wasm', flops: mm(n), contender: { name: 'wasm tB', step: tfOp(() => tf.matMul(a, b, false, true)) } });
  rows.push({ what: `transpose, then plain matmul ${n}x${n}`, backend: 'tfjs wasm', flops: mm(n), contender: { name: 'wasm T+mm', step: tfOp(() => tf.tidy(() => tf.matMul(tf.transpose(a), b))) } });
  const cb = ctx.quick ? 8 : 256;
  const cx = tf.randomUniform([cb, 28, 28, 32], 0, 1, 'float32', 4) as tf.Tensor4D;
  const cw = tf.randomUniform([3, 3, 32, 64], -1, 1, 'float32', 5) as tf.Tensor4D;
  rows.push({ what: `conv2d 3x3 32->64 stride 2, [${cb},28,28,32] (the ConvNet's second conv)`, backend: 'tfjs wasm', flops: convFlops(cb, 28, 28, 32, 64, 2), contender: { name: 'wasm conv', step: tfOp(() => tf.conv2d(cx, cw, 2, [[0, 0], [1, 1], [1, 1], [0, 0]])) } });
  // Our own kernels on the same heap (lib/backend/wasm-conv.ts, wasm-filter-grad.ts).
  const dy = tf.randomUniform([cb, 14, 14, 64], -1, 1, 'float32', 6) as tf.Tensor4D;
  rows.push({ what: 'the same convolution, tfjax kernel (np.conv2d: padding, then our SIMD loop)', backend: 'tfjs wasm', flops: convFlops(cb, 28, 28, 32, 64, 2), contender: { name: 'tfjax conv', step: tfOp(() => np.conv2d(cx, cw, { strides: 2, padding: 1 }) as tf.Tensor) } });
  rows.push({ what: "its filter gradient, tfjax kernel (tfjs wasm has none)", backend: 'tfjs wasm', flops: convFlops(cb, 28, 28, 32, 64, 2), contender: { name: 'tfjax dw', step: tfOp(() => filterGradWasm(cx, dy, { filterShape: [3, 3, 32, 64], strides: [2, 2], padTop: 1, padLeft: 1 })) } });
  // jax-js (its convolution at batch 8: at 256 it would take a minute).
  let ja: jax.Array | null = null;
  let jx: jax.Array | null = null;
  let jw: jax.Array | null = null;
  const jb = ctx.quick ? 2 : 8;
  if (ctx.jax) {
    await initJax();
    ja = jax.random.uniform(jax.random.key(7), [n, n]);
    jx = jax.random.uniform(jax.random.key(8), [jb, 32, 28, 28]);
    jw = jax.random.uniform(jax.random.key(9), [64, 32, 3, 3]);
    const jaxMm = async () => void (await jax.numpy.matmul(ja!.ref, ja!.ref).data());
    const jaxConv = async () => void (await jax.lax.conv(jx!.ref, jw!.ref, [2, 2], [[1, 1], [1, 1]]).data());
    rows.push({ what: `matmul ${n}x${n}`, backend: 'jax-js wasm', flops: mm(n), contender: { name: 'jax mm', step: jaxMm } });
    rows.push({ what: `conv 3x3 32->64 stride 2, [${jb},32,28,28] (lax.conv, NCHW)`, backend: 'jax-js wasm', flops: convFlops(jb, 28, 28, 32, 64, 2), contender: { name: 'jax conv', step: jaxConv } });
  }
  // PyTorch.
  const drops: (() => Promise<void>)[] = [];
  if (ctx.torch) {
    const t = await ctx.torch.setup({ kind: 'matmul', batch: n });
    const c = await ctx.torch.setup({ kind: 'conv', batch: cb });
    drops.push(t.drop, c.drop);
    rows.push({ what: `matmul ${n}x${n}`, backend: 'PyTorch CPU, 1 thread', flops: mm(n), contender: { name: 'torch mm', step: t.step } });
    rows.push({ what: `conv2d 3x3 32->64 stride 2, [${cb},32,28,28] (forward)`, backend: 'PyTorch CPU, 1 thread', flops: convFlops(cb, 28, 28, 32, 64, 2), contender: { name: 'torch conv', step: c.step } });
  }
  ctx.progress('limit: matmuls');
  const ts = await compare(
    rows.map((r) => r.contender),
    { warmup: 1, reps },
  );
  [a, b, a5, cx, cw, dy].forEach((t) => t.dispose());
  [ja, jx, jw].forEach((t) => t?.dispose());
  for (const d of drops) await d();

  // tfjs cpu (its own backend; slow, so a smaller product and fewer runs).
  await setBackend('cpu');
  const k = ctx.quick ? 64 : 512;
  const c1 = tf.randomUniform([k, k], 0, 1, 'float32', 6);
  const cpuTs = await compare([{ name: 'cpu', step: tfOp(() => tf.matMul(c1, c1)) }], { warmup: 1, reps: ctx.quick ? 1 : 3 });
  c1.dispose();
  await setBackend('wasm');

  const gf = (flops: number, ms: number | undefined) => flops / ((ms ?? NaN) * 1e6);
  const table = rows.map((r, i) => [r.what, r.backend, fmt(ts[i].medianMs, 2), fmt(ts[i].medianCpuMs, 2), fmt(gf(r.flops, ts[i].medianMs), 2), fmt(gf(r.flops, ts[i].medianCpuMs), 2)]);
  table.push([`matmul ${k}x${k}`, 'tfjs cpu', fmt(cpuTs[0].medianMs, 2), fmt(cpuTs[0].medianCpuMs, 2), fmt(gf(2 * k ** 3, cpuTs[0].medianMs), 2), fmt(gf(2 * k ** 3, cpuTs[0].medianCpuMs), 2)]);

  // Each backend's limit: its fastest kernel without transpose flags (plain matmul or the
  // convolution), by CPU time (wall times here carry other processes' load).
  const peak = new Map<string, number>();
  rows.forEach((r, i) => {
    if (!r.what.includes('transpose')) peak.set(r.backend, Math.max(peak.get(r.backend) ?? 0, gf(r.flops, ts[i].medianCpuMs)));
  });
  peak.set('tfjs cpu', gf(2 * k ** 3, cpuTs[0].medianCpuMs));
  const fractions = ctx.results.map((r) => {
    const achieved = gf(r.flops, r.medianCpuMs);
    const lim = peak.get(r.backend);
    return [r.step, r.contender, r.backend, fmt(r.medianCpuMs), fmt(achieved, 2), lim ? fmt(lim, 2) : 'n/a', lim ? `${fmt((100 * achieved) / lim, 1)}%` : 'n/a'];
  });

  return [
    "## 3. The machine's limit\n",
    `Plain products and the ConvNet's second convolution (forward; on tfjs wasm also by our own kernels, with its filter gradient), ${reps} interleaved rounds after 1 warm-up, medians; each result is read back. GFLOP/s from the wall and from the CPU median (CPU time is what other processes on this shared machine do not inflate).\n`,
    markdownTable(['kernel', 'backend', 'wall ms', 'CPU ms', 'GFLOP/s (wall)', 'GFLOP/s (CPU)'], table),
    "Each step of this run as a fraction of its backend's limit, taken as its fastest kernel above (plain matmul or convolution, ours included on tfjs wasm; no transpose flags), all by CPU time:\n",
    fractions.length ? markdownTable(['step', 'contender', 'backend', 'CPU ms', 'GFLOP/s (CPU)', 'backend limit GFLOP/s (CPU)', 'fraction'], fractions) : '(no steps measured in this run: run the other sections too)\n',
  ].join('\n');
}
