/**
 * Plots of a training run from its JSON-lines metrics file (read by `metrics.ts`):
 * `loss.svg` (loss per step, raw and smoothed, with ln K for reference when the file names
 * K), `lr.svg` (learning rate per step), `knn.svg` (the evaluations, protocol by protocol,
 * each with its own baselines: `eval-plot.ts`) and `rankme.svg` (RankMe, the embeddings'
 * effective rank, per logged step and evaluation). Files are written atomically.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { evalPlotSvg } from './eval-plot.js';
import { type RunMetrics, parseMetrics } from './metrics.js';
import { type Series, linePlotSvg } from './svg.js';

export { type LinePlotOptions, type Series, escapeXml, formatTick, linePlotSvg, niceNumber, niceTicks, PALETTE } from './svg.js';
export { type EvalProtocol, type RunMetrics, parseMetrics } from './metrics.js';
export { type EvalSeries, evalPlotSvg, evalSeries, protocolLabel } from './eval-plot.js';

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

/** The plots of a run as SVG strings (`idPrefix` prefixes the ids inside them). */
export function runPlots(m: RunMetrics, idPrefix = ''): { loss: string; lr: string; knn: string; rankMe: string } {
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
  const loss = linePlotSvg({ title: 'Training loss', xLabel: 'step', yLabel: 'loss', series: lossSeries, id: `${idPrefix}loss-` });
  const lr = linePlotSvg({ title: 'Learning rate', xLabel: 'step', yLabel: 'learning rate', series: [{ name: 'lr', points: m.lr, markers: m.lr.length <= 60 }], id: `${idPrefix}lr-` });
  const knn = evalPlotSvg(m, { id: `${idPrefix}eval-` });
  const rankMe = linePlotSvg({ title: 'RankMe (effective rank of the embeddings)', xLabel: 'step', yLabel: 'RankMe', series: [{ name: 'RankMe', points: m.rankMe, markers: m.rankMe.length <= 60 }], id: `${idPrefix}rankme-` });
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
