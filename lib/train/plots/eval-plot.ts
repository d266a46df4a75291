/**
 * The evaluation plot: one series per (protocol, measure), each with its own baselines.
 * A protocol is a pair of evaluation sets (see `metrics.ts`); a curve and a baseline are
 * drawn in the same colour only when they were measured on the same sets, and every label
 * names its sets, so no curve is read against another protocol's baseline. Protocols with
 * evaluations at three or more steps (the kNN during training) are lines; the others (the
 * evaluations before and after training) are markers.
 */
import type { EvalProtocol, RunMetrics } from './metrics.js';
import { PALETTE, type Series, linePlotSvg } from './svg.js';

/** A series of the evaluation plot, with what it measures and on which sets. */
export interface EvalSeries extends Series {
  /** The protocol id (`<trainImages>/<testImages>`). */
  readonly protocol: string;
  /** `knn20`, `knn200`, `linearProbe`. */
  readonly field: string;
  /** The baseline's name (`rawPixels`) for a reference level; absent for a measured series. */
  readonly baseline?: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** `10,000 train / 2,000 test`, or `sets not recorded`. */
export function protocolLabel(p: Pick<EvalProtocol, 'trainImages' | 'testImages'>): string {
  return p.trainImages === undefined || p.testImages === undefined ? 'sets not recorded' : `${count(p.trainImages)} train / ${count(p.testImages)} test`;
}

const fieldLabel = (f: string) => (f === 'linearProbe' ? 'linear probe' : `kNN k=${f.slice(3)}`);
const baselineLabel = (b: string) => (b === 'rawPixels' ? 'raw pixels' : b === 'randomEncoder' ? 'random encoder' : b);
const fieldOrder = (a: string, b: string) => (a === 'linearProbe' ? 1 : b === 'linearProbe' ? -1 : Number(a.slice(3)) - Number(b.slice(3)));

/** The series of the evaluation plot (measured series and their baselines, protocol by protocol). */
export function evalSeries(m: RunMetrics): EvalSeries[] {
  const out: EvalSeries[] = [];
  let colour = 0;
  for (const p of m.protocols) {
    const fields = Object.keys(p.series).sort(fieldOrder);
    const steps = fields.flatMap((f) => p.series[f]!.map((q) => q[0]));
    if (!steps.length) continue;
    const [x0, x1] = [Math.min(...steps), Math.max(...steps)];
    const curve = new Set(steps).size >= 3;
    const sets = protocolLabel(p);
    for (const field of fields) {
      const color = PALETTE[colour++ % PALETTE.length]!;
      out.push({ name: `${fieldLabel(field)} (${sets})`, points: p.series[field]!, color, markers: true, line: curve, protocol: p.id, field });
      for (const [name, fieldsOf] of Object.entries(p.baselines)) {
        const v = fieldsOf[field];
        if (v === undefined) continue;
        out.push({
          name: `${baselineLabel(name)}, ${fieldLabel(field)} (${sets})`,
          points: [[x0, v], [x1 > x0 ? x1 : x0 + 1, v]],
          color,
          dashed: true,
          markers: false,
          strokeWidth: 1.25,
          protocol: p.id,
          field,
          baseline: name,
        });
      }
    }
  }
  return out;
}

/** The evaluation plot as an SVG document. */
export function evalPlotSvg(m: RunMetrics, opts: { width?: number; height?: number; id?: string } = {}): string {
  const measured = m.protocols.filter((p) => Object.keys(p.series).length);
  const yLabel = measured.length === 1 ? `top-1 accuracy on ${protocolLabel(measured[0]!)} images` : 'top-1 accuracy (on the sets each series names)';
  return linePlotSvg({ title: 'Evaluation accuracy (top-1)', xLabel: 'step', yLabel, series: evalSeries(m), legendBelow: true, ...opts });
}
