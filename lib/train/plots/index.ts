/**
 * Plots of a training run from its JSON-lines metrics file: `loss.svg` (loss per step,
 * raw and smoothed, with ln K for reference when the file names K), `lr.svg` (learning
 * rate per step), `knn.svg` (kNN accuracy per evaluation) and `rankme.svg` (RankMe, the
 * embeddings' effective rank, per logged step and evaluation).
 *
 * Records are one JSON object per line; what is read:
 * - `{ type: 'step', step, loss, lr, rankMe?, ... }`;
 * - `{ type: 'eval', step, knn20, knn200, ... }`: every numeric field named `knn<k>` is a
 *   series, and `linearProbe` too when present;
 * - `{ type: 'baseline', name, knn20, ... }` (e.g. `name: 'rawPixels'`): a dashed level in
 *   `knn.svg` for each `knn<k>` that is also evaluated;
 * - any record with a numeric `numPrototypes` (e.g. the run's start record) sets K.
 * Other types, blank lines and lines that do not parse (a line cut short by a kill) are
 * skipped. Files are written atomically (a temporary file, then a rename).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { PALETTE, type Series, linePlotSvg } from './svg.js';

export { type LinePlotOptions, type Series, escapeXml, formatTick, linePlotSvg, niceNumber, niceTicks, PALETTE } from './svg.js';

export interface RunMetrics {
  /** `[step, loss]` of every step record with a loss field (NaN kept: it breaks the line). */
  readonly loss: [number, number][];
  readonly lr: [number, number][];
  /** `[step, RankMe]` of the step and eval records that have one. */
  readonly rankMe: [number, number][];
  /** Per evaluation series name (`knn20`, `knn200`, `linearProbe`): `[step, value]`. */
  readonly eval: Record<string, [number, number][]>;
  /** Reference levels from baseline records: per baseline name, per field (`knn20`, ...), the value. */
  readonly baselines: Record<string, Record<string, number>>;
  readonly numPrototypes?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : v === null ? NaN : undefined);

/** Parses the text of a metrics file (JSON lines) into the series plotted. */
export function parseMetrics(text: string): RunMetrics {
  const loss: [number, number][] = [];
  const lr: [number, number][] = [];
  const rankMe: [number, number][] = [];
  const ev: Record<string, [number, number][]> = {};
  const baselines: Record<string, Record<string, number>> = {};
  let numPrototypes: number | undefined;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    let r: unknown;
    try {
      r = JSON.parse(t);
    } catch {
      continue;
    }
    if (!r || typeof r !== 'object' || Array.isArray(r)) continue;
    const rec = r as Record<string, unknown>;
    if (typeof rec['numPrototypes'] === 'number') numPrototypes = rec['numPrototypes'];
    if (rec['type'] === 'baseline' && typeof rec['name'] === 'string') {
      for (const [k, v] of Object.entries(rec)) if (/^knn\d+$/.test(k) && typeof v === 'number') (baselines[rec['name']] ??= {})[k] = v;
      continue;
    }
    const step = num(rec['step']);
    if (step === undefined || !Number.isFinite(step)) continue;
    const rank = num(rec['rankMe']);
    if (rank !== undefined && (rec['type'] === 'step' || rec['type'] === 'eval')) rankMe.push([step, rank]);
    if (rec['type'] === 'step') {
      const l = num(rec['loss']);
      if (l !== undefined) loss.push([step, l]);
      const a = num(rec['lr']);
      if (a !== undefined) lr.push([step, a]);
    } else if (rec['type'] === 'eval') {
      for (const [k, v] of Object.entries(rec)) {
        if (!/^knn\d+$/.test(k) && k !== 'linearProbe') continue;
        const x = num(v);
        if (x !== undefined) (ev[k] ??= []).push([step, x]);
      }
    }
  }
  const bystep = (a: [number, number][]) => a.sort((p, q) => p[0] - q[0]);
  bystep(loss);
  bystep(lr);
  bystep(rankMe);
  Object.values(ev).forEach(bystep);
  return { loss, lr, rankMe, eval: ev, baselines, numPrototypes };
}

/** Exponential moving average with bias correction (TensorBoard-style smoothing), NaN-tolerant. */
export function smooth(points: readonly [number, number][], weight: number): [number, number][] {
  let m = 0;
  let w = 0;
  return points.map(([x, y]) => {
    if (!Number.isFinite(y)) return [x, NaN];
    m = weight * m + (1 - weight) * y;
    w = weight * w + (1 - weight);
    return [x, m / w];
  });
}

/** The plots of a run as SVG strings. */
export function runPlots(m: RunMetrics): { loss: string; lr: string; knn: string; rankMe: string } {
  const lossSeries: Series[] = [];
  if (m.loss.length > 50) {
    const weight = Math.min(0.98, Math.max(0.6, 1 - 10 / m.loss.length));
    lossSeries.push({ name: 'loss', points: m.loss, color: '#a0cbe8', strokeWidth: 1, markers: false });
    lossSeries.push({ name: 'loss (smoothed)', points: smooth(m.loss, weight), color: '#4e79a7', markers: false });
  } else {
    lossSeries.push({ name: 'loss', points: m.loss });
  }
  if (m.numPrototypes && m.numPrototypes > 1 && m.loss.length) {
    const lnK = Math.log(m.numPrototypes);
    const xs = m.loss.map((p) => p[0]);
    lossSeries.push({ name: `ln K = ${lnK.toFixed(2)} (collapse)`, points: [[Math.min(...xs), lnK], [Math.max(...xs), lnK]], color: '#e15759', dashed: true, markers: false, strokeWidth: 1.25 });
  }
  const loss = linePlotSvg({ title: 'Training loss', xLabel: 'step', yLabel: 'loss', series: lossSeries });
  const lr = linePlotSvg({ title: 'Learning rate', xLabel: 'step', yLabel: 'learning rate', series: [{ name: 'lr', points: m.lr, markers: m.lr.length <= 60 }] });
  const names = Object.keys(m.eval).sort((a, b) => (a === 'linearProbe' ? 1 : b === 'linearProbe' ? -1 : Number(a.slice(3)) - Number(b.slice(3))));
  const color = (i: number) => PALETTE[i % PALETTE.length]!;
  const knnSeries: Series[] = names.map((n, i) => ({ name: n === 'linearProbe' ? 'linear probe' : `kNN k=${n.slice(3)}`, points: m.eval[n]!, markers: true, color: color(i) }));
  // Baselines as dashed levels across the evaluated steps, in the colour of the same k.
  const steps = names.flatMap((n) => m.eval[n]!.map((p) => p[0]));
  if (steps.length) {
    const [x0, x1] = [Math.min(...steps), Math.max(...steps)];
    for (const [bname, fields] of Object.entries(m.baselines)) {
      for (const [field, v] of Object.entries(fields)) {
        const i = names.indexOf(field);
        if (i < 0) continue;
        const label = bname === 'rawPixels' ? 'raw pixels' : bname === 'randomEncoder' ? 'random encoder' : bname;
        knnSeries.push({ name: `${label}, k=${field.slice(3)}`, points: [[x0, v], [x1 > x0 ? x1 : x0 + 1, v]], color: color(i), dashed: true, markers: false, strokeWidth: 1.25 });
      }
    }
  }
  const knn = linePlotSvg({ title: 'Evaluation accuracy (top-1)', xLabel: 'step', yLabel: 'accuracy', series: knnSeries });
  const rankMe = linePlotSvg({ title: 'RankMe (effective rank of the embeddings)', xLabel: 'step', yLabel: 'RankMe', series: [{ name: 'RankMe', points: m.rankMe, markers: m.rankMe.length <= 60 }] });
  return { loss, lr, knn, rankMe };
}

/**
 * Reads the metrics file and writes `loss.svg`, `lr.svg`, `knn.svg` and `rankme.svg` into `outDir`
 * (default: the metrics file's folder), atomically; returns their paths in that order.
 */
export async function plotRun(metricsJsonlPath: string, outDir: string = dirname(metricsJsonlPath)): Promise<string[]> {
  const text = await readFile(metricsJsonlPath, 'utf8');
  const plots = runPlots(parseMetrics(text));
  await mkdir(outDir, { recursive: true });
  const out: string[] = [];
  for (const [name, svg] of [['loss.svg', plots.loss], ['lr.svg', plots.lr], ['knn.svg', plots.knn], ['rankme.svg', plots.rankMe]] as const) {
    const p = join(outDir, name);
    await writeFileAtomic(p, (fh) => fh.writeFile(svg));
    out.push(p);
  }
  return out;
}
