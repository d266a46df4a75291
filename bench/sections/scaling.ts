/**
 * Section 4: scaling of our jitted SwAV step (two 28x28 views) with the batch size (64 to
 * 1024, 300 prototypes) and with the number of prototypes (300 to 3000, batch 256); and
 * Sinkhorn alone on 4096 x 3000 scores (ours jitted, vs PyTorch's exp-domain Sinkhorn).
 */
import * as tf from '@tensorflow/tfjs-core';
import { jit, swav } from '../../lib/index.js';
import { type BenchContext, ourSwav } from '../context.js';
import { type Contender, compare, fmt, markdownTable, swavStepFlops, timingTable } from '../harness.js';
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

  // Sinkhorn alone.
  const [sb, sk] = ctx.quick ? [64, 300] : [4096, 3000];
  ctx.progress(`scaling: sinkhorn ${sb} x ${sk}`);
  const scores = tf.tidy(() => {
    const z = tf.randomNormal([sb, 128], 0, 1, 'float32', 1);
    const w = tf.randomNormal([sk, 128], 0, 1, 'float32', 2);
    const nz = tf.div(z, tf.norm(z, 'euclidean', 1, true));
    const nw = tf.div(w, tf.norm(w, 'euclidean', 1, true));
    return tf.matMul(nz, nw, false, true);
  });
  const sinkhorn = jit((s: tf.Tensor) => swav.sinkhorn(s, { epsilon: 0.05, iterations: 3 }));
  const contenders: Contender[] = [
    {
      name: 'tfjax jit(swav.sinkhorn), log domain',
      step: () => {
        const q = sinkhorn(scores) as tf.Tensor;
        q.dataSync();
        q.dispose();
      },
    },
  ];
  const notes = ['tfjs wasm'];
  let drop: (() => Promise<void>) | null = null;
  if (ctx.torch) {
    const t = await ctx.torch.setup({ kind: 'sinkhorn', batch: sb, prototypes: sk });
    drop = t.drop;
    contenders.push({ name: "PyTorch, the seed's exp-domain sinkhorn", step: t.step });
    notes.push('PyTorch CPU, 1 thread');
  }
  const ts = await compare(contenders, { warmup: 1, reps: ctx.quick ? 1 : Math.max(ctx.reps, 5) });
  out.push(`### Sinkhorn alone: ${sb} x ${sk} scores, epsilon 0.05, 3 iterations\n`);
  out.push(timingTable(ts, notes.map((note) => ({ note }))));
  sinkhorn.clearCache();
  scores.dispose();
  await drop?.();
  return out.join('\n');
}
