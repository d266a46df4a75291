/**
 * Section 7: Sinkhorn alone on SwAV's largest shape (4096 x 3000 scores, K = 3000 prototypes,
 * 3 iterations): ours (jitted: at epsilon 0.05 the scaling solver, one exponential pass and
 * matrix-vector sums; at 1e-3 the log domain's fused log-sum-exp kernels), ours forced into the
 * log domain, and PyTorch's exp-domain Sinkhorn (the seed's), interleaved; at epsilon 0.05
 * (SwAV's) and at 1e-3, where exp(scores / epsilon) overflows float32 and the exp domain's codes
 * are NaN while ours stay finite (the fraction of finite codes is printed).
 */
import * as tf from '@tensorflow/tfjs-core';
import { jit, swav } from '../../lib/index.js';
import { logDomainCodes } from '../../lib/ssl/swav/sinkhorn-log-domain.js';
import { identity } from '../../lib/ssl/swav/sinkhorn-problem.js';
import type { BenchContext } from '../context.js';
import { type Contender, compare, fmt, markdownTable, timingTable } from '../harness.js';

/** Cosine scores of random unit vectors, as SwAV's prototype layer makes them. */
function cosineScores(b: number, k: number): tf.Tensor {
  return tf.tidy(() => {
    const z = tf.randomNormal([b, 128], 0, 1, 'float32', 1);
    const w = tf.randomNormal([k, 128], 0, 1, 'float32', 2);
    const unit = (x: tf.Tensor) => tf.div(x, tf.norm(x, 'euclidean', 1, true));
    return tf.matMul(unit(z), unit(w), false, true);
  });
}

export async function sinkhornSection(ctx: BenchContext): Promise<string> {
  const [b, k] = ctx.quick ? [64, 300] : [4096, 3000];
  const reps = ctx.quick ? 1 : Math.max(ctx.reps, 5);
  const out: string[] = [`## 7. Sinkhorn alone: ${b} x ${k} scores, 3 iterations (tfjax jit, tfjs wasm)\n`];
  const scores = cosineScores(b, k);
  const fractions = new Map<string, number>();
  for (const epsilon of [0.05, 1e-3]) {
    ctx.progress(`sinkhorn ${b} x ${k}, epsilon ${epsilon}`);
    const sinkhorn = jit((s: tf.Tensor) => swav.sinkhorn(s, { epsilon, iterations: 3 }));
    const logDomain = jit((s: tf.Tensor) => logDomainCodes({ scores: s, epsilon, keep: null, logB: tf.log(tf.scalar(b)), iterations: 3, sumOver: identity, maxOver: identity }));
    const timed = (name: string, f: (s: tf.Tensor) => unknown): Contender => ({
      name,
      step: () => {
        const q = f(scores) as tf.Tensor;
        const finite = tf.tidy(() => tf.mean(tf.cast(tf.isFinite(q), 'float32')));
        fractions.set(name, finite.dataSync()[0]!);
        tf.dispose([q, finite]);
      },
    });
    const contenders: Contender[] = [timed(`tfjax jit(swav.sinkhorn), epsilon ${epsilon}`, sinkhorn), timed(`tfjax jit, log domain only, epsilon ${epsilon}`, logDomain)];
    const notes = ['tfjs wasm', 'tfjs wasm'];
    let drop: (() => Promise<void>) | null = null;
    if (ctx.torch) {
      const t = await ctx.torch.setup({ kind: 'sinkhorn', batch: b, prototypes: k, epsilon });
      drop = t.drop;
      const name = `PyTorch, the seed's exp-domain sinkhorn, epsilon ${epsilon}`;
      contenders.push({
        name,
        step: async () => {
          const m = await t.step();
          fractions.set(name, m.value);
          return m;
        },
      });
      notes.push('PyTorch CPU, 1 thread');
    }
    const ts = await compare(contenders, { warmup: 1, reps });
    out.push(`**epsilon ${epsilon}** (${reps} interleaved rounds after 1 warm-up, medians):\n`);
    out.push(timingTable(ts, ts.map((t, i) => ({ note: `${notes[i]}; ${fmt((fractions.get(t.name) ?? NaN) * 100, 1)}% finite` })), { noteHeader: 'backend; finite codes' }));
    sinkhorn.clearCache();
    logDomain.clearCache();
    await drop?.();
  }
  if (!ctx.torch) out.push(`PyTorch not measured here (${ctx.torchNote}).\n`);
  scores.dispose();
  out.push(markdownTable(['what is in ours', 'where'], [
    ['epsilon 0.05: one exponential pass, then per-prototype sums (fused) and per-sample ones (matrix-vector products)', 'the scaling solver, lib/ssl/swav/sinkhorn-scaling.ts'],
    ['epsilon 0.001 (and the log-domain contender): per-prototype and per-sample log-sum-exp: max shift, exp and compensated sum fused, one kernel each', 'reduce_logsumexp, lib/backend/wasm-logsumexp.ts'],
    ['the subtractions of the normalisers and the final exp: one generated SIMD loop each', 'jit elementwise fusion, lib/backend/wasm-elementwise.ts'],
    ['exp and log: range reduction and polynomial on 4 lanes, within 2 ulp', 'lib/backend/wasm-math.ts'],
  ]));
  return out.join('\n');
}
