/**
 * Section 1: the MLP training step 784-1024-1024-10, batch 512, softmax cross-entropy, SGD
 * (lr 0.01): ours (`jit` of `valueAndGrad` + `optim.sgd`, tfjs wasm) vs tfjs's own tape
 * (`tf.variableGrads` + manual SGD, tfjs wasm) vs jax-js (`jit(valueAndGrad + update)`,
 * its wasm) vs PyTorch (CPU, one thread, child process). Time, GFLOP/s, peak tensor bytes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { jit, optim, tree, valueAndGrad } from '../../lib/index.js';
import type { NdArray } from '../../lib/index.js';
import type { BenchContext } from '../context.js';
import { type Contender, compare, fmt, markdownTable, mlpStepFlops, peakTensorBytes, timingTable } from '../harness.js';
import { type MlpParams as Params, mlpInit, mlpLoss } from '../mlp.js';
import { tfjsTapeMlpStep } from '../peers/tfjs.js';
import { jaxMlp } from '../peers/jaxjs.js';

export async function mlpSection(ctx: BenchContext): Promise<string> {
  const [B, D, H, K] = ctx.quick ? [32, 784, 64, 10] : [512, 784, 1024, 10];
  const lr = 0.01;
  const init = () => mlpInit(D, H, K);
  const x = tf.randomUniform([B, D], 0, 1, 'float32', 4);
  const labels = tf.tensor1d(Int32Array.from({ length: B }, (_, i) => (i * 7) % K), 'int32');

  // Ours: jit(valueAndGrad + optim.sgd).
  const opt = optim.sgd({ learningRate: lr });
  const ourStep = jit((p: Params, s: unknown, xb: NdArray, yb: NdArray) => {
    const [l, g] = valueAndGrad(mlpLoss)(p, xb, yb);
    const [u, s2] = opt.update(g as Params, s, p);
    return { loss: l, params: optim.applyUpdates(p, u), opt: s2 };
  });
  let params: Params = init();
  let optState = opt.init(params);
  const ours: Contender = {
    name: 'tfjax jit(valueAndGrad) + optim.sgd',
    step: () => {
      const out = ourStep(params, optState, x, labels);
      (out.loss as tf.Tensor).dataSync();
      tree.leaves<tf.Tensor>([params, optState, out.loss]).forEach((t) => t.dispose());
      params = out.params;
      optState = out.opt;
    },
  };

  // tfjs's own training path: variables, tape gradients, manual SGD.
  const tfjsTape = tfjsTapeMlpStep(init(), x, labels, K, lr, 'bench_mlp');
  const tape: Contender = { name: 'tfjs tape (tf.variableGrads)', step: tfjsTape.step };

  const contenders: Contender[] = [tape, ours];
  const notes = ['tfjs wasm', 'tfjs wasm'];
  let jax: Awaited<ReturnType<typeof jaxMlp>> | null = null;
  if (ctx.jax) {
    jax = await jaxMlp(B, D, H, K, lr);
    contenders.push({ name: 'jax-js jit(valueAndGrad + update)', step: async () => void (await jax!.step()) });
    notes.push('jax-js wasm');
  }
  let torchStep: Awaited<ReturnType<NonNullable<BenchContext['torch']>['setup']>> | null = null;
  if (ctx.torch) {
    torchStep = await ctx.torch.setup({ kind: 'mlp', batch: B });
    contenders.push({ name: 'PyTorch (loss.backward + optim.SGD)', step: torchStep.step });
    notes.push('PyTorch CPU, 1 thread');
  }
  ctx.progress(`mlp: ${contenders.length} contenders x ${ctx.reps} rounds`);
  const flops = mlpStepFlops(B, D, H, K);
  const ts = await compare(contenders, { warmup: 1, reps: ctx.reps });
  ts.forEach((t, i) => ctx.results.push({ step: 'MLP step', contender: t.name, backend: notes[i], medianMs: t.medianMs, medianCpuMs: t.medianCpuMs ?? NaN, flops }));

  // Peak tensor bytes during one step (tfjs contenders: the profiler's high-water mark).
  const peakOurs = await peakTensorBytes(() => ours.step());
  const peakTape = await peakTensorBytes(() => tape.step());
  const mb = (b: number) => fmt(b / 2 ** 20);
  const memory = markdownTable(
    ['contender', 'tensor MB at start (params, inputs)', 'peak tensor MB during the step', 'peak above start'],
    [
      [tape.name, mb(peakTape.startBytes), mb(peakTape.peakBytes), mb(peakTape.peakBytes - peakTape.startBytes)],
      [ours.name, mb(peakOurs.startBytes), mb(peakOurs.peakBytes), mb(peakOurs.peakBytes - peakOurs.startBytes)],
    ],
  );

  jax?.dispose();
  await torchStep?.drop();
  tree.leaves<tf.Tensor>([params, optState, x, labels]).forEach((t) => t.dispose());
  tfjsTape.dispose();
  ourStep.clearCache();

  const fl = `${fmt(flops / 1e9, 2)} GFLOP per step (forward matmuls x 3)`;
  return [
    `## 1. MLP step ${D}-${H}-${H}-${K}, batch ${B}, SGD\n`,
    `${fl}; ${ctx.reps} interleaved rounds after 1 warm-up, medians. tfjs contenders on one process's tfjs \`wasm\` backend (one thread), jax-js on its own \`wasm\` device (one thread in Node), PyTorch in a child process.\n`,
    timingTable(ts, notes.map((note) => ({ flops, note }))),
    'Peak tensor memory in one step (high-water mark of live tfjs tensor bytes, sampled after every kernel launch; both hold the same parameters and inputs; jax-js and PyTorch expose no comparable counter):\n',
    memory,
  ].join('\n');
}
