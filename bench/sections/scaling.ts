/**
 * Section 4: scaling of our jitted SwAV step (two 28x28 views) with the batch size (64 to
 * 1024, 300 prototypes) and with the number of prototypes (300 to 3000, batch 256).
 * (Sinkhorn alone is section 7, bench/sections/sinkhorn.ts.)
 */
import { type BenchContext, ourSwav } from '../context.js';
import { compare, fmt, markdownTable, swavStepFlops } from '../harness.js';
import { TWO_VIEWS } from './swav.js';

export async function scalingSection(ctx: BenchContext): Promise<string> {
  const reps = ctx.quick ? 1 : Math.min(ctx.reps, 3);
  const out: string[] = ['## 4. Scaling (tfjax jit, tfjs wasm)\n'];

  // Batch sizes.
  const batches = ctx.quick ? [2, 4] : [64, 128, 256, 512, 1024];
  ctx.progress(`scaling: batches ${batches.join(', ')}`);
  const byBatch = batches.map((b) => ourSwav(`batch ${b}`, { batch: b, views: TWO_VIEWS }));
  const tb = await compare(byBatch, { warmup: 1, reps });
  byBatch.forEach((r) => r.dispose());
  out.push(`### Step time against batch size (two 28x28 views, 300 prototypes; ${reps} interleaved rounds)\n`);
  out.push(
    markdownTable(
      ['batch', 'wall ms (median)', 'CPU ms (median)', 'wall ms per image', 'GFLOP/s (wall)'],
      tb.map((t, i) => [String(batches[i]), fmt(t.medianMs), fmt(t.medianCpuMs), fmt(t.medianMs / batches[i], 2), fmt(swavStepFlops(batches[i], TWO_VIEWS, 300) / (t.medianMs * 1e6), 2)]),
    ),
  );

  // Prototypes.
  const protos = ctx.quick ? [30, 60] : [300, 1000, 3000];
  const pb = ctx.quick ? 4 : 256;
  ctx.progress(`scaling: prototypes ${protos.join(', ')}`);
  const byK = protos.map((k) => ourSwav(`${k} prototypes`, { batch: pb, views: TWO_VIEWS, prototypes: k }));
  const tk = await compare(byK, { warmup: 1, reps });
  byK.forEach((r) => r.dispose());
  out.push(`### Step time against the number of prototypes (batch ${pb}, two views; ${reps} interleaved rounds)\n`);
  out.push(
    markdownTable(
      ['prototypes', 'wall ms (median)', 'CPU ms (median)', 'vs the first'],
      tk.map((t, i) => [String(protos[i]), fmt(t.medianMs), fmt(t.medianCpuMs), `${fmt(t.medianMs / tk[0].medianMs, 2)}x`]),
    ),
  );

  return out.join('\n');
}
