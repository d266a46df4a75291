/**
 * Section 2: the SwAV training step with the small ConvNet (3x3 convs 1-32 s1, 32-64 s2,
 * 64-128 s2, BatchNorm + ReLU, global average pool), projector 128-512-128, 300 prototypes,
 * SGD; two 28x28 views, and the multi-crop form (2 x 28 + 4 x 14).
 *
 * a. batch 256: ours (`jit(swav.trainStep)`, tfjs wasm) vs PyTorch (CPU, one thread);
 * b. a smaller batch: ours vs the jax-js port of the same step (bench/peers/jaxjs.ts),
 *    which at batch 256 would take minutes per step;
 * c. the hand-written tfjs step (bench/peers/tfjs.ts): on wasm it cannot run (the error is
 *    printed); on tfjs `cpu` at a small batch, against ours on `cpu`;
 * d. peak tensor bytes.
 */
import { setBackend } from '../../lib/node.js';
import { type BenchContext, ourSwav } from '../context.js';
import { type Contender, type Timing, compare, fmt, markdownTable, peakTensorBytes, swavStepFlops, timingTable } from '../harness.js';
import { jaxSwav } from '../peers/jaxjs.js';
import { tfjsSwavStep } from '../peers/tfjs.js';

export const TWO_VIEWS = [28, 28] as const;
export const MULTI_CROP = [28, 28, 14, 14, 14, 14] as const;

const mb = (b: number) => fmt(b / 2 ** 20);

export async function swavSection(ctx: BenchContext): Promise<string> {
  const out: string[] = ['## 2. SwAV step (small ConvNet, projector 128-512-128, 300 prototypes, SGD)\n'];
  const B = ctx.quick ? 4 : 256;
  const forms: [string, readonly number[]][] = [
    ['two 28x28 views', TWO_VIEWS],
    ['multi-crop 2 x 28 + 4 x 14', MULTI_CROP],
  ];

  // a. batch 256: ours vs PyTorch.
  out.push(`### a. Batch ${B}: tfjax vs PyTorch\n`);
  out.push(`Random images; ${ctx.reps} interleaved rounds after 1 warm-up (ours: the trace), medians. FLOPs: convolutions 2*N*Ho*Wo*kh*kw*Cin*Cout, projector and prototype matmuls, all x3 for forward + backward; BatchNorm, Sinkhorn and elementwise work not counted.\n`);
  const peaks: string[][] = [];
  for (const [label, views] of forms) {
    const ours = ourSwav('tfjax jit(swav.trainStep)', { batch: B, views });
    const contenders: Contender[] = [ours];
    const notes = ['tfjs wasm'];
    let torch: Awaited<ReturnType<NonNullable<BenchContext['torch']>['setup']>> | null = null;
    if (ctx.torch) {
      torch = await ctx.torch.setup({ kind: 'swav', batch: B, views, prototypes: 300 });
      contenders.push({ name: 'PyTorch (same step)', step: torch.step });
      notes.push('PyTorch CPU, 1 thread');
    }
    ctx.progress(`swav ${label} batch ${B}`);
    const flops = swavStepFlops(B, views, 300);
    const ts = await compare(contenders, { warmup: 1, reps: ctx.reps });
    ts.forEach((t, i) => ctx.results.push({ step: `SwAV step, ${label}, batch ${B}`, contender: t.name, backend: notes[i], medianMs: t.medianMs, medianCpuMs: t.medianCpuMs ?? NaN, flops }));
    out.push(`**${label}** (${fmt(flops / 1e9, 2)} GFLOP per step):\n`);
    out.push(timingTable(ts, notes.map((note) => ({ flops, note }))));
    if (!ctx.torch) out.push(`PyTorch not measured here (${ctx.torchNote}); the issue cites PyTorch 1.13 (Debian python3-torch, CPU, 1 thread) at about 615 ms for the two-view step at batch 256 (not measured here).\n`);
    const p = await peakTensorBytes(() => ours.step());
    peaks.push([`tfjax jit, ${label}, batch ${B}`, 'tfjs wasm', mb(p.startBytes), mb(p.peakBytes), mb(p.peakBytes - p.startBytes)]);
    ours.dispose();
    await torch?.drop();
  }
  // Eager peak, two views, for comparison with jit's early frees.
  {
    const eager = ourSwav('eager', { batch: B, views: TWO_VIEWS, mode: 'eager' });
    eager.step();
    const p = await peakTensorBytes(() => eager.step());
    peaks.push([`tfjax eager, two views, batch ${B}`, 'tfjs wasm', mb(p.startBytes), mb(p.peakBytes), mb(p.peakBytes - p.startBytes)]);
    eager.dispose();
  }

  // b. jax-js at a small batch.
  const BJ = ctx.quick ? 2 : 8;
  if (ctx.jax) {
    out.push(`### b. Batch ${BJ}: tfjax vs jax-js\n`);
    out.push(
      `jax-js (bench/peers/jaxjs.ts) is a line-by-line port of the same step (NCHW, \`lax.conv\`, hand-written BatchNorm with running statistics, log-domain Sinkhorn, the seed's pairing, prototypes renormalised and written back, SGD), under \`jit(valueAndGrad)\`. Its convolutions are so slow in Node that batch 256 would take minutes per step, so this comparison runs at batch ${BJ}; the batch-256 estimate scales it linearly (convolutions dominate and are linear in the batch).\n`,
    );
    const jaxForms = ctx.quick ? forms.slice(0, 1) : forms;
    for (const [label, views] of jaxForms) {
      const ours = ourSwav('tfjax jit(swav.trainStep)', { batch: BJ, views });
      const jx = await jaxSwav({ batch: BJ, views });
      ctx.progress(`swav ${label} batch ${BJ}: jax-js (slow)`);
      const reps = ctx.quick ? 1 : label.startsWith('two') ? 3 : 2;
      const flops = swavStepFlops(BJ, views, 300);
      const ts = await compare([ours, { name: 'jax-js jit(valueAndGrad) port', step: async () => void (await jx.step()) }], { warmup: 1, reps });
      ts.forEach((t, i) => ctx.results.push({ step: `SwAV step, ${label}, batch ${BJ}`, contender: t.name, backend: i ? 'jax-js wasm' : 'tfjs wasm', medianMs: t.medianMs, medianCpuMs: t.medianCpuMs ?? NaN, flops }));
      out.push(`**${label}**, batch ${BJ} (${reps} rounds):\n`);
      out.push(timingTable(ts, [{ flops, note: 'tfjs wasm' }, { flops, note: 'jax-js wasm' }]));
      out.push(`jax-js at batch 256, scaled linearly: about ${fmt((ts[1].medianMs * (256 / BJ)) / 1000)} s per step.\n`);
      ours.dispose();
      jx.dispose();
    }
    if (ctx.quick) out.push('(multi-crop with jax-js skipped in --quick)\n');
  } else out.push('### b. jax-js: skipped (--no-jax)\n');

  // c. The hand-written tfjs step.
  const BC = ctx.quick ? 2 : 4;
  out.push(`### c. Hand-written tfjs step (tf.variableGrads), batch ${BC}\n`);
  let wasmError = 'ran (unexpected)';
  try {
    const s = tfjsSwavStep({ batch: 2, views: TWO_VIEWS });
    try {
      s.step();
    } finally {
      s.dispose();
    }
  } catch (e) {
    wasmError = `fails: \`${(e as Error).message.split('\n')[0]}\``;
  }
  out.push(`On tfjs \`wasm\` it ${wasmError}. On tfjs \`cpu\` it runs (cpu's convolution backward is a plain JS loop), against ours on the same \`cpu\` backend, two views, 1 warm-up for ours (the trace), ${ctx.quick ? 1 : 2} interleaved round(s):\n`);
  await setBackend('cpu');
  let cpuTs: Timing[];
  {
    const ours = ourSwav('tfjax jit(swav.trainStep)', { batch: BC, views: TWO_VIEWS });
    const tape = tfjsSwavStep({ batch: BC, views: TWO_VIEWS });
    ours.step();
    ctx.progress(`swav tfjs cpu batch ${BC} (slow)`);
    // The tape's step takes seconds here: peak memory is sampled in the timed runs (one
    // property read per kernel launch), for both contenders alike.
    const peak = [{ startBytes: 0, peakBytes: 0 }, { startBytes: 0, peakBytes: 0 }];
    const sampled = (i: number, name: string, f: () => void): Contender => ({
      name,
      step: async () => {
        const p = await peakTensorBytes(f);
        if (p.peakBytes - p.startBytes > peak[i].peakBytes - peak[i].startBytes) peak[i] = p;
      },
    });
    cpuTs = await compare([sampled(0, 'tfjs tape (hand-written step)', tape.step), sampled(1, ours.name, () => ours.step())], { warmup: 0, reps: ctx.quick ? 1 : 2 });
    const flops = swavStepFlops(BC, TWO_VIEWS, 300);
    cpuTs.forEach((t, i) => ctx.results.push({ step: `SwAV step, two views, batch ${BC}`, contender: t.name, backend: 'tfjs cpu', medianMs: t.medianMs, medianCpuMs: t.medianCpuMs ?? NaN, flops }));
    out.push(timingTable(cpuTs, [{ flops, note: 'tfjs cpu' }, { flops, note: 'tfjs cpu' }]));
    peaks.push([`tfjs tape, two views, batch ${BC}`, 'tfjs cpu', mb(peak[0].startBytes), mb(peak[0].peakBytes), mb(peak[0].peakBytes - peak[0].startBytes)]);
    peaks.push([`tfjax jit, two views, batch ${BC}`, 'tfjs cpu', mb(peak[1].startBytes), mb(peak[1].peakBytes), mb(peak[1].peakBytes - peak[1].startBytes)]);
    ours.dispose();
    tape.dispose();
  }
  await setBackend('wasm');

  out.push('### d. Peak tensor memory during one step\n');
  out.push('High-water mark of live tfjs tensor bytes, sampled after every kernel launch (start: parameters, optimiser state, inputs).\n');
  out.push(markdownTable(['step', 'backend', 'MB at start', 'peak MB', 'peak above start'], peaks));
  return out.join('\n');
}
