/**
 * What a run prints while it trains: a progress bar on a terminal (one line per logged step
 * otherwise) with the loss, the method's metrics, the learning rate, steps/s and the ETA;
 * and the summary at the end.
 */
import { pixelComparison } from './report/verdict.js';

/** `m:ss`, or `XhYYm` from an hour on; '?' when unknown. */
export const fmtTime = (s: number) => {
  if (!Number.isFinite(s)) return '?';
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
};

/** An accuracy as a percentage, '-' when missing. */
export const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);

/** Steps per second over the recent steps (re-estimated every 2 s or 20 steps). */
export class StepRate {
  private t = performance.now();
  private s: number;
  value = NaN;
  constructor(step: number) {
    this.s = step;
  }
  update(step: number): number {
    const now = performance.now();
    if (now - this.t > 2000 || step - this.s >= 20 || Number.isNaN(this.value)) {
      if (step > this.s) this.value = ((step - this.s) * 1000) / (now - this.t);
      this.t = now;
      this.s = step;
    }
    return this.value;
  }
}

export type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** The progress display on `err`: a bar redrawn in place on a terminal, else lines. */
export class Progress {
  readonly tty: boolean;
  constructor(
    private readonly err: Stream,
    private readonly steps: number,
  ) {
    this.tty = !!err.isTTY;
  }
  /** A message on its own line (ending the bar's line first). */
  say(s: string): void {
    if (this.tty) this.err.write('\n');
    this.err.write(`${s}\n`);
  }
  /** The line of a step: redrawn on a terminal; printed when `print` otherwise. */
  step(step: number, fields: { loss: number; metrics: Readonly<Record<string, number>>; lr: number; stepsPerSec: number }, print: boolean): void {
    const own = Object.entries(fields.metrics).map(([k, v]) => `  ${k} ${v.toFixed(3)}`).join('');
    const sps = fields.stepsPerSec;
    const line = `step ${step}/${this.steps}  loss ${fields.loss.toFixed(4)}${own}  lr ${fields.lr.toPrecision(3)}  ${Number.isFinite(sps) ? sps.toFixed(2) : '?'} steps/s  ETA ${fmtTime((this.steps - step) / sps)}`;
    if (this.tty) {
      const width = Math.max(10, (this.err.columns ?? 100) - 34 - line.length);
      const done = Math.round((width * step) / this.steps);
      this.err.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${line}\x1b[K`);
    } else if (print) this.err.write(`${line}\n`);
  }
  /** Ends the bar's line. */
  end(): void {
    if (this.tty) this.err.write('\n');
  }
}

export interface SummaryInput {
  readonly outDir: string;
  readonly method: string;
  readonly step: number;
  readonly totalSteps: number;
  readonly finalLoss: number;
  readonly before?: { readonly knn: Record<number, number> };
  readonly after?: { readonly knn: Record<number, number>; readonly linearProbe?: number; readonly rankMe?: number; readonly trainImages: number; readonly testImages: number };
  readonly baselines?: { readonly rawPixels: Record<number, number>; readonly randomEncoder?: Record<number, number> };
  readonly seconds: { readonly train: number; readonly eval: number };
}

/** The end-of-run summary (stdout). */
export function summaryText(r: SummaryInput, ks: readonly number[]): string {
  const lines = [`run ${r.outDir} (${r.method}): ${r.step}/${r.totalSteps} steps, final loss ${r.finalLoss.toFixed(4)}, training ${fmtTime(r.seconds.train)}, evaluation ${fmtTime(r.seconds.eval)}`];
  const row = (name: string, knn?: Record<number, number>, extra = '') => knn && lines.push(`  ${name.padEnd(26)} ${ks.map((k) => `kNN k=${k} ${pct(knn[k]).padStart(7)}`).join('  ')}${extra}`);
  row('raw pixels (baseline)', r.baselines?.rawPixels);
  row('before training (random)', r.before?.knn ?? r.baselines?.randomEncoder);
  const probe = r.after?.linearProbe !== undefined ? `  linear probe ${pct(r.after.linearProbe)}` : '';
  const rank = r.after?.rankMe !== undefined ? `  RankMe ${r.after.rankMe.toFixed(1)}` : '';
  row('after training', r.after?.knn, probe + rank);
  // All rows are measured on the same evaluation sets: say plainly whether training beat raw pixels.
  if (r.after && r.baselines) lines.push(pixelComparison(r.after.knn, r.baselines.rawPixels, ks, `${r.after.trainImages.toLocaleString('en-US')} train / ${r.after.testImages.toLocaleString('en-US')} test images`).sentence);
  return `${lines.join('\n')}\n`;
}
