/**
 * Helpers shared by the benchmarks: interleaved runs with medians of wall and CPU time,
 * ratios, markdown tables, peak tensor memory, kernel counts, FLOP counts.
 */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { enableRelaxedSimd } from '../lib/backend/node.js';
import { relaxedSimdAvailable } from '../lib/backend/wasm-relaxed.js';

/** A step timed by someone else (a child process): its wall and CPU milliseconds. */
export interface Measured {
  readonly wallMs: number;
  readonly cpuMs?: number;
}

export interface Contender {
  readonly name: string;
  /**
   * One step; must leave no tensors behind (dispose what it returns). If it returns its
   * own timing (a child process's), that is recorded instead of the time around the call.
   */
  readonly step: () => void | Measured | Promise<void | Measured>;
}

export interface Timing {
  readonly name: string;
  /** Median wall-clock milliseconds per step. */
  readonly medianMs: number;
  readonly runs: number[];
  /** This process's (or the child's) CPU time per step: user + system, all its threads. */
  readonly cpuRuns?: number[];
  readonly medianCpuMs?: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs each contender `warmup` times, then `reps` rounds interleaving A, B, ... (so drift hits all alike). */
export async function compare(contenders: readonly Contender[], { warmup = 1, reps = 5 } = {}): Promise<Timing[]> {
  for (const c of contenders) for (let i = 0; i < warmup; i++) await c.step();
  const runs = contenders.map(() => [] as number[]);
  const cpuRuns = contenders.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const m = await contenders[i].step();
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      runs[i].push(m ? m.wallMs : wall);
      cpuRuns[i].push(m ? m.cpuMs ?? NaN : (c.user + c.system) / 1000);
    }
  }
  return contenders.map((c, i) => ({ name: c.name, medianMs: median(runs[i]), runs: runs[i], cpuRuns: cpuRuns[i], medianCpuMs: median(cpuRuns[i]) }));
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} x ${cpu}, Node ${process.version}, tfjs backend ${tf.getBackend()}`;
}

/** A markdown table of timings with each row's ratio to the first (the baseline). */
export function table(title: string, ts: readonly Timing[], flops?: number): string {
  const base = ts[0].medianMs;
  const rows = ts.map((t) => {
    const gf = flops ? ` ${(flops / (t.medianMs * 1e6)).toFixed(2)} |` : '';
    return `| ${t.name} | ${t.medianMs.toFixed(1)} |${gf} ${(base / t.medianMs).toFixed(2)}x |`;
  });
  const head = flops ? '| contender | median ms | GFLOP/s | speed vs first |\n|---|---|---|---|' : '| contender | median ms | speed vs first |\n|---|---|---|';
  return `### ${title}\n\n${head}\n${rows.join('\n')}\n`;
}

// ---------------------------------------------------------------- the machine

/** The 1/5/15-minute load averages: above ~1 on this 2-core machine, other processes share the CPU. */
export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

// ---------------------------------------------------------------- tables

/** Formats a number with a precision that suits its size. */
export function fmt(x: number | undefined, digits = 1): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(Math.min(digits, 1));
  return x.toFixed(Math.max(digits, 2));
}

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}

export interface TimingRowExtra {
  /** FLOPs of one step of this contender (for GFLOP/s); undefined: not counted. */
  readonly flops?: number;
  /** Text for an extra column (e.g. the backend). */
  readonly note?: string;
}

/**
 * Timings as a table: wall and CPU medians, GFLOP/s (from the wall and from the CPU median)
 * when FLOPs are given, and each row's speed relative to row `base` (wall and CPU).
 */
export function timingTable(ts: readonly Timing[], extra: readonly TimingRowExtra[] = [], { base = 0, noteHeader = 'backend' } = {}): string {
  const hasFlops = extra.some((e) => e?.flops);
  const hasNote = extra.some((e) => e?.note);
  const b = ts[base];
  const headers = ['contender', ...(hasNote ? [noteHeader] : []), 'wall ms (median)', 'CPU ms (median)', ...(hasFlops ? ['GFLOP/s (wall / CPU)'] : []), `speed vs ${b.name.split(' (')[0]} (wall / CPU)`];
  const rows = ts.map((t, i) => {
    const e = extra[i] ?? {};
    const gf = e.flops ? `${fmt(e.flops / (t.medianMs * 1e6), 2)} / ${fmt(e.flops / ((t.medianCpuMs ?? NaN) * 1e6), 2)}` : 'n/a';
    const rw = b.medianMs / t.medianMs;
    const rc = (b.medianCpuMs ?? NaN) / (t.medianCpuMs ?? NaN);
    return [t.name, ...(hasNote ? [e.note ?? ''] : []), fmt(t.medianMs), fmt(t.medianCpuMs), ...(hasFlops ? [gf] : []), `${fmt(rw, 2)}x / ${Number.isFinite(rc) ? fmt(rc, 2) + 'x' : 'n/a'}`];
  });
  return markdownTable(headers, rows);
}

// ---------------------------------------------------------------- memory and kernels

/** Bytes of all live tfjs tensors (the engine's own counter). */
const liveBytes = () => (tf.engine() as unknown as { state: { numBytes: number } }).state.numBytes;

let counting = false;
let sampling = false;
let launched = 0;
let peak = 0;
const hooked = new Set<string>();

/**
 * Wraps each kernel of the current backend once: a launch counter and a high-water mark of
 * live tensor bytes sampled after every kernel (tensors are only made by kernels inside a
 * step, so this is the step's peak). Costs one branch per launch when off.
 */
function hookKernels(): void {
  const backend = tf.getBackend();
  if (hooked.has(backend)) return;
  hooked.add(backend);
  for (const k of tf.getKernelsForBackend(backend)) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (!counting && !sampling) return f(args);
        if (counting) launched++;
        const out = f(args);
        if (sampling) peak = Math.max(peak, liveBytes() + outBytes(out, args.inputs));
        return out;
      },
    });
  }
}

/**
 * Bytes of a kernel's new outputs (not yet counted by the engine when the kernel returns);
 * outputs that reuse an input's data (reshapes) add nothing.
 */
function outBytes(out: unknown, inputs: tf.NamedTensorInfoMap): number {
  const reused = new Set(Object.values(inputs).map((t) => t?.dataId));
  const infos = (Array.isArray(out) ? out : [out]) as tf.TensorInfo[];
  return infos.reduce((acc, t) => acc + (t?.shape && !reused.has(t.dataId) ? t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'complex64' ? 8 : 4) : 0), 0);
}

/**
 * Tensor bytes while `run` runs: those held when it starts (parameters, inputs) and the
 * high-water mark of all live tfjs tensors, sampled after every kernel launch (the same
 * quantity as `tf.profile`'s peakBytes, without the profiler's read-back of every output).
 */
export async function peakTensorBytes(run: () => unknown): Promise<{ startBytes: number; peakBytes: number }> {
  hookKernels();
  const startBytes = liveBytes();
  peak = startBytes;
  sampling = true;
  try {
    await run();
  } finally {
    sampling = false;
  }
  return { startBytes, peakBytes: Math.max(peak, liveBytes()) };
}

/** The number of tfjs kernels `run` launches on the current backend. */
export async function countKernels(run: () => unknown): Promise<number> {
  hookKernels();
  launched = 0;
  counting = true;
  try {
    await run();
  } finally {
    counting = false;
  }
  return launched;
}

// ---------------------------------------------------------------- FLOPs

/** Output size of a convolution along one axis. */
export const convOut = (n: number, k: number, stride: number, pad: number) => Math.floor((n + 2 * pad - k) / stride) + 1;

/** Forward FLOPs of a 3x3 convolution layer: 2 * N * Ho * Wo * kh * kw * Cin * Cout. */
export function convFlops(n: number, h: number, w: number, cin: number, cout: number, stride: number, k = 3, pad = 1): number {
  return 2 * n * convOut(h, k, stride, pad) * convOut(w, k, stride, pad) * k * k * cin * cout;
}

/**
 * FLOPs of one SwAV training step with the small ConvNet, counted as 3x the forward
 * (the backward twice the forward): per view of size s, the three convolutions
 * (1-32 s1, 32-64 s2, 64-128 s2), the projector (128-hidden-128) and the scores against K
 * prototypes. Elementwise work, BatchNorm and Sinkhorn are not counted.
 */
/** The shape of a benchmark SwAV step, shared by our runner and the peers' ports of it. */
export interface SwavStepShape {
  readonly batch: number;
  /** View sizes, e.g. [28, 28] (two views) or [28, 28, 14, 14, 14, 14] (multi-crop); the first `globalViews` (default 2) are global. */
  readonly views: readonly number[];
  readonly globalViews?: number;
  /** Default 300. */
  readonly prototypes?: number;
  /** Projector hidden width (default 512). */
  readonly hidden?: number;
  /** Projector output width (default 128). */
  readonly outDim?: number;
}

export function swavStepFlops(batch: number, views: readonly number[], prototypes: number, hidden = 512, outDim = 128): number {
  let fwd = 0;
  for (const s of views) {
    const s2 = convOut(s, 3, 1, 1);
    const s3 = convOut(s2, 3, 2, 1);
    fwd += convFlops(batch, s, s, 1, 32, 1) + convFlops(batch, s2, s2, 32, 64, 2) + convFlops(batch, s3, s3, 64, 128, 2);
    fwd += 2 * batch * (128 * hidden + hidden * outDim) + 2 * batch * outDim * prototypes;
  }
  return 3 * fwd;
}

/** FLOPs of one MLP training step (3x the forward matmuls). */
export function mlpStepFlops(b: number, d: number, h: number, k: number): number {
  return 3 * 2 * b * (d * h + h * h + h * k);
}

/** A `--name value` or `--name=value` command-line flag, or `dflt` when absent. */
export function flagValue(args: readonly string[], name: string, dflt: string): string {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return dflt;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
}

/**
 * Relaxed SIMD for this benchmark process: turned on (lib/backend/node.ts's enableRelaxedSimd:
 * our kernels' multiply-adds fused, as in browsers and Node 22+) unless `--no-relaxed-simd` is
 * among `args`. Returns the line the run's header prints.
 */
export function relaxedSimdSetting(args: readonly string[]): string {
  if (args.includes('--no-relaxed-simd')) return `relaxed SIMD: ${relaxedSimdAvailable() ? 'on in this engine' : 'off'} (--no-relaxed-simd)`;
  return `relaxed SIMD: ${enableRelaxedSimd() ? 'on (fused multiply-adds in our kernels)' : 'not available in this engine'}`;
}
