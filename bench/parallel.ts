/**
 * `npx tsx bench/parallel.ts`: using both cores of the machine, on `wasm`, interleaved:
 *
 *  1. the SwAV ConvNet step (convnet_small, projector 128-512-128, 300 prototypes,
 *     batch 256, two 28x28 views, SGD);
 *  2. the MLP step (784-1024-1024-10, batch 512, SGD);
 *  3. `--only resnet18` or `--only vit` (not run by default: 4-8 s a step): the ResNet-18
 *     (low-resolution stem) or ViT-tiny (patch 4) SwAV step of bench/sections/encoders.ts
 *     (batch 64, two 32x32x3 views, projector embedding-2048-128, K = 3000, SGD), with the
 *     2-worker dataParallel contenders only (unsynchronised and `sync`);
 *
 * each as
 *  - `1 process`: `jit` of the whole step in this process (one wasm thread): the baseline;
 *  - `dataParallel, 2 workers`: lib/parallel's replicas in worker_threads, half the batch
 *    each, gradients averaged through a SharedArrayBuffer all-reduce (batch sharding and
 *    transfer included in the time);
 *  - `dataParallel, 1 worker`: the same machinery on one replica (its overhead alone);
 *  - the SwAV steps (ConvNet and encoders), `dataParallel, 2 workers, sync`: synchronised
 *    (`sync: true`, what `tfjax train --workers 2` runs): SyncBN and the distributed
 *    Sinkhorn, the one-process step's maths; and each half alone (`SyncBN only`: Sinkhorn per shard; `distributed
 *    Sinkhorn only`: BatchNorm per shard; ConvNet only), for what each costs over the
 *    unsynchronised step;
 *  - `wasm threads = 2`: the baseline's step in a child process whose wasm backend runs
 *    XNNPACK with 2 threads (`enableWasmThreads(2)`), our own kernels on the calling thread;
 *  - `wasm threads = 2, our kernels on 2 threads`: the same with
 *    `enableWasmThreads(2, { kernelThreads: 2 })` (our convolution kernels split between the
 *    calling thread and a worker on the shared heap), so that the ratio of these two is
 *    what our kernels gain from the second thread;
 *  - `wasm threads = 1, our kernels on 2 threads`: `enableWasmThreads(1, { kernelThreads: 2 })`,
 *    the threaded build with XNNPACK's pool on the calling thread only (no pool thread to wake
 *    for tfjs's small kernels or to compete with ours);
 *  - the SwAV steps, when a Python with torch is found: the same step in PyTorch
 *    (bench/pytorch/steps.py, plain SGD) with 1 and with 2 threads, so that our two-core
 *    step is compared with PyTorch on one core and on two in the same command.
 *
 * The machine is shared, and Linux's autogroup scheduling gives each session an equal
 * share of the CPUs: while another session is busy, a second thread of ours gains
 * nothing. So each step is classed by the CPU time other processes used meanwhile (from
 * /proc/stat, minus our own), and medians are taken over "quiet" steps only (others under
 * 10% of one core); rounds go on until every contender has --reps quiet steps or
 * --max-minutes have passed (then all steps count, and the table says so).
 *
 * Flags: --reps N (default 5), --max-minutes M per workload (default 20), --only swav|mlp|resnet18|vit,
 * --quick (1 step, small shapes: a smoke run), --no-threads (skip the wasm-threads child),
 * --no-torch (skip PyTorch), --no-relaxed-simd (our kernels without fused multiply-adds; see
 * lib/backend/wasm-relaxed.ts).
 *
 * This file is also the replica module of its own dataParallel runs (default export) and,
 * with --child, the wasm-threads child process.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit } from '../lib/core/index.js';
import * as optim from '../lib/optim/index.js';
import { type DataParallel, type DataParallelProgram, type StepTimings, dataParallel, defineReplica, enableWasmThreads, lossProgram, methodProgram, swavProgram } from '../lib/parallel/index.js';
import { ready } from '../lib/backend/node.js';
import * as random from '../lib/random/index.js';
import { swavMethod } from '../lib/ssl/methods/swav.js';
import * as swav from '../lib/ssl/swav/index.js';
import { ourSwav } from './context.js';
import { flagValue, relaxedSimdSetting } from './harness.js';
import { type MlpParams, mlpInit, mlpLoss, mlpTrainStep } from './mlp.js';
import { TorchPeer } from './peers/pytorch.js';
import { type EncoderBench, RESNET, VIT, encoderStepFlops, encoderSwavConfig } from './sections/encoders.js';

type Workload = 'swav' | 'mlp' | EncoderWorkload;
type EncoderWorkload = 'resnet18' | 'vit';
const ENCODERS: Record<EncoderWorkload, EncoderBench> = { resnet18: RESNET, vit: VIT };
const isEncoder = (w: Workload): w is EncoderWorkload => w in ENCODERS;
interface Shapes {
  readonly swavBatch: number;
  readonly size: number;
  readonly mlp: readonly [number, number, number, number];
  /** The encoders' SwAV steps: batch and prototypes (views 32x32x3, projector embedding-2048-128). */
  readonly encoder: { readonly batch: number; readonly prototypes: number };
}
const FULL: Shapes = { swavBatch: 256, size: 28, mlp: [512, 784, 1024, 10], encoder: { batch: 64, prototypes: 3000 } };
const QUICK: Shapes = { swavBatch: 16, size: 28, mlp: [32, 784, 64, 10], encoder: { batch: 2, prototypes: 30 } };

/** An encoder's SwAV step as bench/sections/encoders.ts runs it (plain SGD, as PyTorch's). */
const encoderStep = (w: EncoderWorkload, s: Shapes) => ourSwav(w, { batch: s.encoder.batch, views: [32, 32], channels: 3, config: encoderSwavConfig(ENCODERS[w], s.encoder.prototypes) });


// ---------------------------------------------------------------- the two workloads

const swavConfig = () => swav.swavConfig({ encoder: 'convnet_small', projector: { hiddenDim: 512, outDim: 128 }, numPrototypes: 300 });
const swavOptimizer = () => optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-6 });

const batchLoss = (p: MlpParams, b: { x: NdArray; y: NdArray }) => mlpLoss(p, b.x, b.y);
const mlpOptimizer = () => optim.sgd({ learningRate: 0.01 });

function batchFor(w: Workload, s: Shapes): Record<string, tf.Tensor> {
  if (w === 'swav') {
    return { view1: tf.randomUniform([s.swavBatch, s.size, s.size, 1], 0, 1, 'float32', 1), view2: tf.randomUniform([s.swavBatch, s.size, s.size, 1], 0, 1, 'float32', 2) };
  }
  if (isEncoder(w)) {
    return { view1: tf.randomUniform([s.encoder.batch, 32, 32, 3], 0, 1, 'float32', 100), view2: tf.randomUniform([s.encoder.batch, 32, 32, 3], 0, 1, 'float32', 101) };
  }
  const [b, d, , k] = s.mlp;
  return { x: tf.randomUniform([b, d], 0, 1, 'float32', 4), y: tf.randomUniform([b], 0, k, 'int32', 5) };
}

/** The single-process step (jit of the whole step), as users run it. */
function singleProcessStep(w: Workload, s: Shapes): () => void {
  if (isEncoder(w)) {
    const r = encoderStep(w, s);
    return () => r.step();
  }
  const batch = batchFor(w, s);
  if (w === 'swav') {
    const config = swavConfig();
    const opt = swavOptimizer();
    let { params, state } = swav.init(random.key(0), config);
    let optState = opt.init(params);
    const step = jit(swav.trainStep(config, opt));
    return () => {
      const out = step(params, state, optState, batch as unknown as swav.SwavInput);
      (out.metrics.loss as tf.Tensor).dataSync();
      tf.dispose([params, state, optState, out.metrics] as unknown as tf.Tensor[]);
      ({ params, modelState: state, optState } = out);
    };
  }
  const [, d, h, k] = s.mlp;
  return mlpTrainStep([d, h, k], batch as { x: NdArray; y: NdArray });
}

// ---------------------------------------------------------------- replica module (workers)

/** What a SwAV replica synchronises over the workers: both SyncBN and the distributed Sinkhorn, or one of them. */
type SyncParts = 'all' | 'batchNorm' | 'sinkhorn';

export interface BenchReplicaArg {
  readonly workload: Workload;
  readonly shapes: Shapes;
  /** SwAV synchronised over the workers (absent: not at all). */
  readonly sync?: SyncParts;
}

const REPLICAS = 'replicas';

/** The SwAV program with `sync`'s parts synchronised; one part alone through the method's `assign` hook. */
function swavReplica(sync: SyncParts | undefined): DataParallelProgram {
  if (sync === undefined || sync === 'all') return swavProgram({ config: swavConfig(), optimizer: swavOptimizer(), seed: 0, sync: sync === 'all' });
  const c = swavConfig();
  const codes = (axisName?: string) => (scores: NdArray) => swav.sinkhorn(scores, { epsilon: c.epsilon, iterations: c.sinkhornIterations, axisName });
  if (sync === 'batchNorm') return methodProgram(swavMethod(c, { assign: codes() }), swavOptimizer(), { axisName: REPLICAS });
  // The axis is bound for the Sinkhorn, but not given to the BatchNorm layers.
  const m = swavMethod(c, { assign: codes(REPLICAS) });
  return methodProgram({ ...m, loss: (p, s, b, ctx) => m.loss(p, s, b, { ...ctx, axisName: undefined }) }, swavOptimizer(), { axisName: REPLICAS });
}

export default defineReplica((arg: BenchReplicaArg): DataParallelProgram => {
  if (arg.workload === 'swav') return swavReplica(arg.sync);
  if (isEncoder(arg.workload)) {
    const config = swav.swavConfig(encoderSwavConfig(ENCODERS[arg.workload], arg.shapes.encoder.prototypes));
    return swavProgram({ config, optimizer: optim.sgd({ learningRate: 0.1 }), seed: 0, sync: arg.sync === 'all' });
  }
  const [, d, h, k] = arg.shapes.mlp;
  return lossProgram({ init: () => mlpInit(d, h, k), loss: batchLoss, optimizer: mlpOptimizer() });
});

// ---------------------------------------------------------------- the wasm-threads child

/** With --child W T K: runs the single-process step of W with T wasm threads and our kernels on K threads, one step per stdin line. */
async function child(w: Workload, threads: number, kernelThreads: number, s: Shapes): Promise<void> {
  const info = await enableWasmThreads(threads, { kernelThreads });
  const step = singleProcessStep(w, s);
  process.stdout.write(`@@ready ${JSON.stringify(info)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'step') break;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    step();
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    process.stdout.write(`@@step ${JSON.stringify({ wallMs, cpuMs: (c.user + c.system) / 1000 })}\n`);
  }
}

/** Starts the child and returns a contender whose step is one step in the child. */
async function threadsContender(w: Workload, threads: number, kernelThreads: number, quick: boolean): Promise<{ contender: Contender; proc: ChildProcess; threads: number }> {
  const proc = spawn(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--child', w, String(threads), String(kernelThreads), ...(quick ? ['--quick'] : []), ...(process.argv.includes('--no-relaxed-simd') ? ['--no-relaxed-simd'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  const next = async (tag: string) => {
    for (;;) {
      const r = await lines.next();
      if (r.done) throw new Error(`bench/parallel: the wasm-threads child ended before '${tag}'`);
      if (r.value.startsWith(`@@${tag} `)) return JSON.parse(r.value.slice(tag.length + 3));
    }
  };
  const ready = (await next('ready')) as { threads: number; kernelThreads: number };
  if (ready.kernelThreads !== kernelThreads) throw new Error(`bench/parallel: asked for our kernels on ${kernelThreads} threads, the child runs them on ${ready.kernelThreads}`);
  return {
    proc,
    threads: ready.threads,
    contender: {
      name: `wasm threads = ${ready.threads}${kernelThreads > 1 ? `, our kernels on ${kernelThreads} threads` : ''} (child process)`,
      step: async (): Promise<Measured> => {
        proc.stdin!.write('step\n');
        return (await next('step')) as Measured;
      },
    },
  };
}

// ---------------------------------------------------------------- measuring on a shared machine

/** One timed step: wall and own CPU milliseconds (this process and the child). */
interface Measured {
  readonly wallMs: number;
  readonly cpuMs?: number;
}

interface Contender {
  readonly name: string;
  /** One step; returns its own timing when it ran elsewhere (the child process). */
  readonly step: () => Promise<void | Measured> | void | Measured;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** CPU milliseconds that other processes used during the step (all cores). */
  readonly foreignMs: number;
}

const CLOCK_MS = 10; // /proc/stat counts USER_HZ = 100 ticks per second

/** Busy CPU milliseconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) * CLOCK_MS;
}

async function sample(c: Contender): Promise<Sample> {
  const b0 = machineBusyMs();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const m = await c.step();
  const wall = performance.now() - t0;
  const cu = process.cpuUsage(c0);
  const own = (cu.user + cu.system) / 1000 + (m && m.cpuMs !== undefined ? m.cpuMs : 0);
  const busy = machineBusyMs() - b0;
  return { wallMs: m ? m.wallMs : wall, cpuMs: own, foreignMs: Math.max(0, busy - own) };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Interleaved rounds (A, B, C, D, A, ...) after one warm-up step each. A step counts as
 * "quiet" when other processes used under `quietShare` of one core meanwhile (this
 * machine is shared, and the kernel's autogroup scheduling gives each session an equal
 * share, so a second thread only helps when the machine is otherwise idle). Runs until
 * every contender has `reps` quiet steps, or `maxMs` has passed.
 */
async function compareQuiet(contenders: readonly Contender[], reps: number, maxMs: number, quietShare = 0.1): Promise<Sample[][]> {
  for (const c of contenders) await c.step();
  const all = contenders.map(() => [] as Sample[]);
  const quiet = (x: Sample) => x.foreignMs <= quietShare * x.wallMs + 2 * CLOCK_MS;
  const t0 = performance.now();
  for (;;) {
    for (let i = 0; i < contenders.length; i++) all[i].push(await sample(contenders[i]));
    const enough = all.every((xs) => xs.filter(quiet).length >= reps);
    if (enough || performance.now() - t0 > maxMs) break;
  }
  return all.map((xs) => {
    const q = xs.filter(quiet);
    return q.length ? q : xs;
  }).map((xs, i) => Object.assign(xs, { total: all[i].length, quiet: all[i].filter(quiet).length }));
}

/**
 * How fast each core is right now: a scalar JS loop pinned to each CPU in turn with
 * `taskset` (the 2 vCPUs of a VM need not be equal: a busy neighbour on the host slows
 * one, and an equal split of the batch then waits for the slower core).
 */
function coreSpeeds(): string {
  const loop = '(()=>{const a=new Float64Array(65536).fill(1.0001);let s=0;const t=performance.now();for(let r=0;r<1500;r++)for(let i=0;i<65536;i++)s+=a[i]*a[(i*7)&65535];console.log((performance.now()-t).toFixed(0),s>0)})()';
  const ms: string[] = [];
  for (let c = 0; c < os.cpus().length; c++) {
    const r = spawnSync('taskset', ['-c', String(c), process.execPath, '-e', loop], { encoding: 'utf8' });
    if (r.status !== 0) return 'n/a (no taskset)';
    ms.push(`cpu${c} ${r.stdout.split(' ')[0]} ms`);
  }
  return ms.join(', ');
}

function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, Node ${process.version}, tfjs backend ${tf.getBackend()}`;
}

// ---------------------------------------------------------------- main

/** Per step of a dataParallel contender: its wall time and each worker's phases. */
interface DpRecord {
  readonly wallMs: number;
  readonly timings: readonly StepTimings[];
}

function dpContender(name: string, dp: DataParallel, batch: Record<string, tf.Tensor>, records: DpRecord[]): Contender {
  return {
    name,
    step: async () => {
      const t0 = performance.now();
      const r = await dp.step(batch);
      records.push({ wallMs: performance.now() - t0, timings: r.timings });
    },
  };
}

/** Median over steps of: the slowest worker's gradient phase, all-reduce (waiting included) and update, and the rest (sharding, messages). */
function phases(records: readonly DpRecord[]): string {
  const rs = records.slice(1);
  const m = (f: (r: DpRecord) => number) => median(rs.map(f)).toFixed(1);
  const slowest = (r: DpRecord, f: (t: StepTimings) => number) => Math.max(...r.timings.map(f));
  return `gradient phase ${m((r) => slowest(r, (t) => t.grads))} ms, all-reduce ${m((r) => slowest(r, (t) => t.reduce))} ms (in the collective, waiting included: ${m((r) => slowest(r, (t) => t.collective))}), update ${m((r) => slowest(r, (t) => t.update))} ms, outside the workers' phases (sharding, messages) ${m((r) => r.wallMs - Math.max(...r.timings.map((t) => t.grads + t.reduce + t.update)))} ms`;
}

/** FLOPs of a SwAV ConvNet step (3 x forward: convs, projector, scores). */
function swavFlops(b: number, s: number, k: number): number {
  const out = (n: number, st: number) => Math.floor((n + 2 - 3) / st) + 1;
  const conv = (n: number, cin: number, cout: number, st: number) => 2 * b * out(n, st) ** 2 * 9 * cin * cout;
  const s2 = out(s, 1);
  const s3 = out(s2, 2);
  const perView = conv(s, 1, 32, 1) + conv(s2, 32, 64, 2) + conv(s3, 64, 128, 2) + 2 * b * (128 * 512 + 512 * 128) + 2 * b * 128 * k;
  return 3 * 2 * perView;
}

/** PyTorch's SwAV (ConvNet or ResNet-18) step with `threads` threads in a child process, or null (with why) when there is no torch. */
async function torchContender(w: Workload, s: Shapes, threads: number): Promise<{ contender: Contender; close: () => Promise<void> } | string> {
  const peer = await TorchPeer.start(threads);
  if (typeof peer === 'string') return peer;
  const spec = isEncoder(w) ? { kind: ENCODERS[w].torchKind, batch: s.encoder.batch, views: [32, 32], prototypes: s.encoder.prototypes } : { kind: 'swav' as const, batch: s.swavBatch, views: [s.size, s.size], prototypes: 300 };
  const torch = await peer.setup(spec);
  return { contender: { name: `PyTorch, ${threads} thread${threads > 1 ? 's' : ''} (same step)`, step: torch.step }, close: () => peer.close() };
}

async function runWorkload(w: Workload, s: Shapes, reps: number, maxMs: number, quick: boolean, withThreads: boolean, withTorch: boolean): Promise<string> {
  const single: Contender = { name: '1 process, jit (baseline)', step: singleProcessStep(w, s) };
  const contenders: Contender[] = [single];
  // dataParallel replicas (the 1-worker overhead run: not for the encoders' 4-8 s steps)
  const batch = batchFor(w, s);
  const arg: BenchReplicaArg = { workload: w, shapes: s };
  const module = new URL(import.meta.url);
  const dp2 = await dataParallel({ workers: 2, module, arg });
  const dp1 = isEncoder(w) ? null : await dataParallel({ workers: 1, module, arg });
  const rec2: DpRecord[] = [];
  const rec1: DpRecord[] = [];
  contenders.push(dpContender('dataParallel, 2 workers', dp2, batch, rec2));
  if (dp1) contenders.push(dpContender('dataParallel, 1 worker', dp1, batch, rec1));
  // SwAV synchronised (SyncBN + distributed Sinkhorn): the one-process step's maths on 2 workers; and (ConvNet) each part alone.
  const syncRuns = w === 'swav' ? (['all', 'batchNorm', 'sinkhorn'] as const) : isEncoder(w) ? (['all'] as const) : [];
  const syncNames: Record<SyncParts, string> = { all: 'sync', batchNorm: 'SyncBN only', sinkhorn: 'distributed Sinkhorn only' };
  const synced: { dp: DataParallel; name: string; records: DpRecord[] }[] = [];
  for (const sync of syncRuns) synced.push({ dp: await dataParallel({ workers: 2, module, arg: { ...arg, sync } }), name: `dataParallel, 2 workers, ${syncNames[sync]}`, records: [] });
  for (const s of synced) contenders.push(dpContender(s.name, s.dp, batch, s.records));
  const childProcs: ChildProcess[] = [];
  if (withThreads) {
    // XNNPACK on 2 threads, our kernels on 1 and on 2 (the ratio of these two: what our kernels gain); then XNNPACK on 1, ours on 2.
    for (const [threads, kernelThreads] of [[2, 1], [2, 2], [1, 2]] as const) {
      const t = await threadsContender(w, threads, kernelThreads, quick);
      childProcs.push(t.proc);
      contenders.push(t.contender);
    }
  }
  const torches: { close: () => Promise<void> }[] = [];
  let torchNote = '';
  if (w !== 'mlp' && withTorch) {
    for (const threads of [1, 2]) {
      const t = await torchContender(w, s, threads);
      if (typeof t === 'string') {
        torchNote = `PyTorch not measured: ${t}.`;
        break;
      }
      torches.push(t);
      contenders.push(t.contender);
    }
  }
  const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' / ');
  const coresBefore = coreSpeeds();
  let samples: (Sample[] & { total?: number; quiet?: number })[];
  try {
    samples = await compareQuiet(contenders, reps, maxMs);
  } finally {
    for (const p of childProcs) p.stdin?.end();
    for (const t of torches) await t.close();
    const leaks = [...((await dp2.close()).leakedTensors), ...((await dp1?.close())?.leakedTensors ?? [])];
    for (const s of synced) leaks.push(...(await s.dp.close()).leakedTensors);
    if (leaks.some((n) => n !== 0)) console.warn(`bench/parallel: workers leaked tensors: ${leaks}`);
  }
  tf.dispose(Object.values(batch));
  const flops = w === 'swav' ? swavFlops(s.swavBatch, s.size, 300) : isEncoder(w) ? encoderStepFlops(ENCODERS[w], s.encoder.batch, [32, 32], s.encoder.prototypes) : 3 * 2 * s.mlp[0] * (s.mlp[1] * s.mlp[2] + s.mlp[2] * s.mlp[2] + s.mlp[2] * s.mlp[3]);
  const title = w === 'swav'
    ? `SwAV ConvNet step (convnet_small, batch ${s.swavBatch}, two ${s.size}x${s.size} views, 300 prototypes)`
    : isEncoder(w)
      ? `${ENCODERS[w].label} SwAV step (batch ${s.encoder.batch}, two 32x32x3 views, projector ${ENCODERS[w].embedDim}-2048-128, K = ${s.encoder.prototypes})`
      : `MLP step ${s.mlp[1]}-${s.mlp[2]}-${s.mlp[2]}-${s.mlp[3]}, batch ${s.mlp[0]}`;
  const base = median(samples[0].map((x) => x.wallMs));
  const rows = contenders.map((c, i) => {
    const xs = samples[i];
    const wall = median(xs.map((x) => x.wallMs));
    const cpu = median(xs.map((x) => x.cpuMs));
    return `| ${c.name} | ${wall.toFixed(0)} | ${cpu.toFixed(0)} | ${(flops / (wall * 1e6)).toFixed(2)} | **${(base / wall).toFixed(2)}x** | ${xs.quiet}/${xs.total} |`;
  });
  return [
    `### ${title}`,
    '',
    '| contender | wall ms (median) | CPU ms (median, all threads) | GFLOP/s | speed-up vs 1 process | quiet steps / steps |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Quiet steps (ms): ${contenders.map((c, i) => `${c.name.split(' (')[0]}: ${samples[i].map((x) => x.wallMs.toFixed(0)).join(', ')}`).join('; ')}.`,
    `Where a dataParallel step goes (medians over all steps, quiet or not): 2 workers: ${phases(rec2)}${dp1 ? `; 1 worker: ${phases(rec1)}` : ''}${synced.map((s) => `; ${s.name.replace('dataParallel, ', '')}: ${phases(s.records)}`).join('')}.`,
    ...(torchNote ? [torchNote] : []),
    `Load average (1/5/15 min) before: ${loadBefore}; after: ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}. Per-core speed check (same loop on each CPU, lower is faster) before: ${coresBefore}; after: ${coreSpeeds()}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, dflt: string) => flagValue(args, name, dflt);
  const quick = args.includes('--quick');
  const shapes = quick ? QUICK : FULL;
  const relaxed = relaxedSimdSetting(args);
  const ci = args.indexOf('--child');
  if (ci >= 0) return child(args[ci + 1] as Workload, Number(args[ci + 2]), Number(args[ci + 3]), shapes);
  await ready();
  const reps = Number(flag('reps', quick ? '1' : '5'));
  const maxMs = Number(flag('max-minutes', quick ? '0' : '20')) * 60_000;
  const only = flag('only', '');
  const workloads: Workload[] = only ? [only as Workload] : ['swav', 'mlp'];
  console.log(`## bench/parallel (${machine()}${quick ? ', --quick' : ''}; ${relaxed}; medians of ${reps} quiet steps per contender, interleaved, after 1 warm-up)\n`);
  for (const w of workloads) console.log(await runWorkload(w, shapes, reps, maxMs, quick, !args.includes('--no-threads'), !args.includes('--no-torch')));
}

// Run only as the program (not when a worker imports this file as its replica module).
if (isMainThread && process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) await main();
