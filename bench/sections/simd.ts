/**
 * Section 9 (issue 19): WebAssembly's per-core limit on this machine, measured by a pure
 * multiply-add loop, and our hot convolution kernels at ResNet-18's layer shapes (two
 * views of batch 64) as fractions of it.
 *
 * The limit: a generated loop of f32x4.mul + f32x4.add on A independent accumulators
 * (acc = acc * m + c; 8 FLOPs per accumulator and iteration), nothing loaded or stored
 * inside the loop. With too few accumulators the loop waits on the mul -> add latency;
 * the best A is the limit.
 *
 * The kernels: our direct convolution (lib/backend/wasm-conv.ts), Winograd F(2x2, 3x3) and
 * F(4x4, 3x3) (lib/backend/wasm-winograd.ts), the input gradient as prims/conv.ts routes it
 * (Winograd or the stride-phase passes) and the filter gradient, direct
 * (lib/backend/wasm-filter-grad.ts) and by Winograd with each tile (wasm-winograd-filter-grad.ts).
 * GFLOP/s count the direct convolution's 2*N*Ho*Wo*9*Cin*Cout FLOPs for every kernel
 * ("effective"); Winograd's own arithmetic is 16/36 (F(2x2)) or 36/144 (F(4x4)) of that in
 * its products (plus the transforms).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as lax from '../../lib/core/lax.js';
import { convPassesWasm } from '../../lib/backend/wasm-conv.js';
import { FunctionBuilder } from '../../lib/backend/wasm-emit.js';
import { moduleBytes } from '../../lib/backend/wasm-module.js';
import { filterGradWasm } from '../../lib/backend/wasm-filter-grad.js';
import { padWasm } from '../../lib/backend/wasm-pad.js';
import { relaxedMultiplyAdd, relaxedSimdAvailable } from '../../lib/backend/wasm-relaxed.js';
import { winogradConvWasm } from '../../lib/backend/wasm-winograd.js';
import { winogradFilterGradWasm } from '../../lib/backend/wasm-winograd-filter-grad.js';
import type { BenchContext } from '../context.js';
import { type Contender, compare, convFlops, convOut, fmt, markdownTable } from '../harness.js';

/**
 * A module running `iterations` rounds of acc_i = acc_i * m + c on `accumulators` f32x4 values
 * (results stored at 0, so the loop is live): a multiply and an add, or with `fused` one
 * relaxed SIMD f32x4.relaxed_madd.
 */
export function multiplyAddLoop(accumulators: number, fused = false): (iterations: number) => void {
  const f = new FunctionBuilder(['i32'], []);
  const accs = Array.from({ length: accumulators }, () => f.local('v128'));
  const [m, c] = [f.local('v128'), f.local('v128')];
  f.f32x4Const(0.999).localSet(m).f32x4Const(0.001).localSet(c);
  accs.forEach((a, i) => f.f32x4Const(i).localSet(a));
  f.loop();
  for (const a of accs) {
    if (fused) f.localGet(a).localGet(m).localGet(c).f32x4RelaxedMadd().localSet(a);
    else f.localGet(a).localGet(m).f32x4Mul().localGet(c).f32x4Add().localSet(a);
  }
  f.countDown(0, 0);
  f.end();
  accs.forEach((a, i) => f.i32Const(0).localGet(a).v128Store(16 * i));
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([{ name: 'run', fn: f }])), { env: { memory } });
  return instance.exports.run as (iterations: number) => void;
}

interface KernelRow {
  readonly layer: string;
  readonly kernel: string;
  readonly flops: number;
  readonly contender: Contender;
}

/**
 * A tensor-producing call as a contender, output freed unread: the wasm backend runs each
 * kernel when called, and reading a [128,32,32,64] result back into JavaScript costs
 * ~90 ms here, more than some of the kernels (a jitted step reads none of them back).
 */
const tfStep = (f: () => tf.Tensor) => () => {
  tf.tidy(f).dispose();
};

export async function simdSection(ctx: BenchContext): Promise<string> {
  const reps = ctx.quick ? 1 : Math.max(3, ctx.reps);
  // 1. The limit.
  const iterations = ctx.quick ? 1e5 : 2e7;
  const kinds = relaxedSimdAvailable() ? [false, true] : [false];
  const loops = kinds.flatMap((fused) => [4, 8, 12, 16].map((a) => ({ a, run: multiplyAddLoop(a, fused), name: `${a} accumulators${fused ? ', relaxed_madd' : ''}` })));
  const loopTs = await compare(loops.map(({ name, run }) => ({ name, step: () => run(iterations) })), { warmup: 1, reps });
  const loopGf = loops.map(({ a }, i) => (iterations * a * 8) / ((loopTs[i]!.medianCpuMs ?? NaN) * 1e6));
  const limit = Math.max(...loopGf.filter(Number.isFinite));

  // 2. The convolution kernels at ResNet-18's shapes (low-resolution stem, 32x32 views).
  const n = ctx.quick ? 2 : 128;
  const rows: KernelRow[] = [];
  const tensors: tf.Tensor[] = [];
  const rand = (shape: number[]) => {
    const t = tf.randomUniform(shape, -1, 1);
    tensors.push(t);
    return t as tf.Tensor4D;
  };
  for (const [s, cin, cout, stride] of [[32, 64, 64, 1], [16, 128, 128, 1], [8, 256, 256, 1], [4, 512, 512, 1], [32, 64, 128, 2], [16, 128, 256, 2], [8, 256, 512, 2]] as const) {
    const so = convOut(s, 3, stride, 1);
    const x = rand([n, s, s, cin]);
    const w = rand([3, 3, cin, cout]);
    const dy = rand([n, so, so, cout]);
    const layer = `${cin}->${cout}${stride > 1 ? ' stride 2' : ''}, [${n},${s},${s},${cin}]`;
    const flops = convFlops(n, s, s, cin, cout, stride);
    const p = { strides: [stride, stride] as [number, number], padding: [[1, 1], [1, 1]] as const, dilation: [1, 1] as [number, number], groups: 1 };
    const pass = { kh: 3, kw: 3, filterOffset: 0, inRow0: 0, inCol0: 0, outRow0: 0, outCol0: 0, rows: so, cols: so };
    const direct = () => convPassesWasm(padWasm(x, { rows: [1, stride === 1 ? 1 : 0], cols: [1, stride === 1 ? 1 : 0] }), w, { outShape: [n, so, so, cout], strides: [stride, stride], outStrides: [1, 1], gaps: false, passes: [pass] });
    rows.push({ layer, kernel: 'forward, direct (wasm-conv.ts, padding included)', flops, contender: { name: `${layer} direct`, step: tfStep(direct) } });
    for (const tile of stride === 1 ? ([2, 4] as const) : []) {
      rows.push({ layer, kernel: `forward, Winograd F(${tile}x${tile},3x3) (padding, filter transform included)`, flops, contender: { name: `${layer} winograd ${tile}`, step: tfStep(() => winogradConvWasm(x, w, { padding: [[1, 1], [1, 1]], tile })) } });
    }
    rows.push({ layer, kernel: `input gradient as routed (${stride === 1 ? 'Winograd' : 'stride-phase passes'})`, flops, contender: { name: `${layer} dx`, step: tfStep(() => lax.convBpInput(dy, w, [n, s, s, cin], p) as tf.Tensor) } });
    rows.push({ layer, kernel: 'filter gradient, direct (wasm-filter-grad.ts)', flops, contender: { name: `${layer} dw`, step: tfStep(() => filterGradWasm(x, dy, { filterShape: [3, 3, cin, cout], strides: [stride, stride], padTop: 1, padLeft: 1 })) } });
    for (const tile of stride === 1 ? ([2, 4] as const) : []) {
      rows.push({ layer, kernel: `filter gradient, Winograd F(${tile}x${tile},3x3) (wasm-winograd-filter-grad.ts, padding included)`, flops, contender: { name: `${layer} dw winograd ${tile}`, step: tfStep(() => winogradFilterGradWasm(x, dy, [[1, 1], [1, 1]], tile)) } });
    }
  }
  ctx.progress(`simd: ${rows.length} kernels at batch ${n}`);
  const ts = await compare(rows.map((r) => r.contender), { warmup: 1, reps });
  tf.dispose(tensors);

  const gf = (flops: number, ms: number | undefined) => flops / ((ms ?? NaN) * 1e6);
  return [
    "## 10. WebAssembly's per-core limit and the convolution kernels\n",
    `A generated loop of f32x4.mul + f32x4.add (acc = acc * m + c) on A independent accumulators${kinds.length > 1 ? ', and the same as one relaxed SIMD f32x4.relaxed_madd (fused where the CPU has FMA)' : ' (relaxed SIMD is off here: no relaxed_madd rows)'}, ${fmt(iterations / 1e6, 2)}M iterations, ${reps} interleaved rounds after 1 warm-up, medians of CPU time (one thread):\n`,
    markdownTable(['accumulators', 'wall ms', 'CPU ms', 'GFLOP/s (CPU)'], loops.map(({ name }, i) => [name.replace(' accumulators', ''), fmt(loopTs[i]!.medianMs, 2), fmt(loopTs[i]!.medianCpuMs, 2), fmt(loopGf[i], 2)])),
    `The limit: **${fmt(limit, 2)} GFLOP/s per core** (the best row).\n`,
    `Our convolution kernels (${relaxedMultiplyAdd() ? 'with relaxed_madd' : 'multiply and add'}) at ResNet-18's layer shapes (batch ${n}: two views of ${n / 2}), ${reps} interleaved rounds after 1 warm-up, medians; GFLOP/s from the direct convolution's FLOPs for every kernel (Winograd's own products are 16/36 of them for F(2x2), 36/144 for F(4x4)), as a fraction of the limit:\n`,
    markdownTable(
      ['layer', 'kernel', 'wall ms', 'CPU ms', 'GFLOP/s (CPU)', 'fraction of the limit'],
      rows.map((r, i) => [r.layer, r.kernel, fmt(ts[i]!.medianMs), fmt(ts[i]!.medianCpuMs), fmt(gf(r.flops, ts[i]!.medianCpuMs), 2), `${fmt((100 * gf(r.flops, ts[i]!.medianCpuMs)) / limit, 1)}%`]),
    ),
  ].join('\n');
}
