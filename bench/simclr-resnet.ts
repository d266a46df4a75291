/**
 * `npx tsx bench/simclr-resnet.ts [--reps 5]`: issue 19's "SimCLR step on the same encoder":
 * SimCLR with stable-pretraining's defaults (`ssl.methods.simclr`: projector 2048-2048-256,
 * NT-Xent at temperature 0.5) on ResNet-18 with the low-resolution stem, batch 64, two random
 * 32x32x3 views, plain SGD (lr 0.1), interleaved after 1 warm-up each (bench/harness.ts),
 * medians of wall and CPU time:
 *  - tfjax's `jit(ssl.trainStep)` in this process (one wasm thread);
 *  - lib/parallel's `methodProgram` on 2 data-parallel workers (half the batch each):
 *    unsynchronised (each worker's NT-Xent sees its shard's negatives) and `sync` (the axis
 *    bound: negatives gathered from both workers and BatchNorm synchronised, the one-process
 *    step's maths);
 *  - the same step in PyTorch (bench/pytorch/steps.py, `simclr_resnet18`) on 1 and 2 threads.
 * The load average is printed before and after (the machine's speed swings: read the ratios).
 *
 * This file is also the replica module of its own workers (default export).
 */
import { realpathSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { jit } from '../lib/core/index.js';
import * as optim from '../lib/optim/index.js';
import { type DataParallelProgram, dataParallel, defineReplica, methodProgram } from '../lib/parallel/index.js';
import * as random from '../lib/random/index.js';
import { simclr } from '../lib/ssl/methods/simclr.js';
import { trainStep } from '../lib/ssl/train-step.js';
import { tensorsIn } from '../lib/util/tensors.js';
import { type Contender, compare, flagValue, fmt, machine, markdownTable, relaxedSimdSetting } from './harness.js';
import { TorchPeer } from './peers/pytorch.js';
import { resnet18LowResFlops } from './sections/encoders.js';

const B = 64;
const method = () => simclr({ encoder: 'resnet18', encoderOptions: { lowResolution: true, inChannels: 3 } });
const optimizer = () => optim.sgd({ learningRate: 0.1 });
const REPLICAS = 'replicas';

export default defineReplica((arg: { sync: boolean }): DataParallelProgram => methodProgram(method(), optimizer(), arg.sync ? { axisName: REPLICAS } : {}));

async function main(): Promise<void> {
  const reps = Number(flagValue(process.argv.slice(2), 'reps', '5'));
  const relaxed = relaxedSimdSetting(process.argv.slice(2));
  await setBackend('wasm');
  const m = method();
  const opt = optimizer();
  const init = m.init(random.key(0));
  let vars = { params: init.params, state: init.state, optState: opt.init(init.params) };
  const step = jit(trainStep(m, opt));
  const batch = { globalViews: [tf.randomUniform([B, 32, 32, 3], 0, 1, 'float32', 1), tf.randomUniform([B, 32, 32, 3], 0, 1, 'float32', 2)], localViews: [] };
  const key = random.key(1);
  const contenders: Contender[] = [{
    name: 'tfjax jit(ssl.trainStep), 1 process',
    step: () => {
      const r = step(vars.params, vars.state, vars.optState, batch, key);
      (r.metrics.loss as tf.Tensor).dataSync();
      tf.dispose([...tensorsIn(vars), ...tensorsIn(r.metrics)]);
      vars = { params: r.params, state: r.state, optState: r.optState };
    },
  }];
  const module = new URL(import.meta.url);
  const workers = [await dataParallel({ workers: 2, module, arg: { sync: false } }), await dataParallel({ workers: 2, module, arg: { sync: true } })];
  workers.forEach((dp, i) => contenders.push({ name: `tfjax dataParallel, 2 workers${i ? ', sync' : ''}`, step: async () => void (await dp.step(batch)) }));
  const peers: TorchPeer[] = [];
  for (const threads of [1, 2]) {
    const peer = await TorchPeer.start(threads);
    if (typeof peer === 'string') {
      console.log(`PyTorch not measured: ${peer}.`);
      break;
    }
    peers.push(peer);
    const torch = await peer.setup({ kind: 'simclr_resnet18', batch: B, views: [32, 32] });
    contenders.push({ name: `PyTorch, ${threads} thread${threads > 1 ? 's' : ''} (same step)`, step: torch.step });
  }

  const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  const loadBefore = load();
  const ts = await compare(contenders, { warmup: 1, reps });
  for (const p of peers) await p.close();
  for (const dp of workers) await dp.close();
  // 3 x forward: the encoder on both views, the projector's three products, the 2B x 2B similarities
  const flops = 3 * 2 * (resnet18LowResFlops(B, 32) + 2 * B * (512 * 2048 + 2048 * 2048 + 2048 * 256)) + 3 * 2 * (2 * B) ** 2 * 256;
  const base = ts[0]!.medianMs;
  console.log(`## SimCLR ResNet-18 step (${machine()}; ${relaxed}; batch ${B}, two 32x32x3 views, projector 512-2048-2048-256, ${reps} interleaved rounds after 1 warm-up)\n`);
  console.log(markdownTable(
    ['contender', 'wall ms (median)', 'CPU ms (median, all threads)', 'GFLOP/s (wall)', 'time vs 1 process'],
    ts.map((t) => [t.name, fmt(t.medianMs, 0), fmt(t.medianCpuMs, 0), fmt(flops / (t.medianMs * 1e6), 1), `${fmt(t.medianMs / base, 2)}x`]),
  ));
  console.log(`\nSteps (ms): ${ts.map((t) => `${t.name.split(' (')[0]}: ${t.runs.map((x) => x.toFixed(0)).join(', ')}`).join('; ')}.`);
  console.log(`Load average (1/5/15 min) before: ${loadBefore}; after: ${load()}.`);
  tf.dispose([...tensorsIn(vars), ...batch.globalViews, key]);
}

// Run only as the program (not when a worker imports this file as its replica module).
if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) await main();
