/** Timing helpers shared by the benchmarks: interleaved runs, medians, ratios. */
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';

export interface Contender {
  readonly name: string;
  /** One step; must leave no tensors behind (dispose what it returns). */
  readonly step: () => void | Promise<void>;
}

export interface Timing {
  readonly name: string;
  readonly medianMs: number;
  readonly runs: number[];
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
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const t0 = performance.now();
      await contenders[i].step();
      runs[i].push(performance.now() - t0);
    }
  }
  return contenders.map((c, i) => ({ name: c.name, medianMs: median(runs[i]), runs: runs[i] }));
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
