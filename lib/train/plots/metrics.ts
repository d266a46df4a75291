/**
 * A run's metrics file (JSON lines) as the series its plots and report draw. What is read:
 * - `{ type: 'step', step, loss, lr, rankMe?, ... }`;
 * - `{ type: 'eval', step, knn20, knn200, linearProbe?, rankMe?, trainImages, testImages }`:
 *   every numeric field named `knn<k>` is a series, and `linearProbe` too when present;
 * - `{ type: 'baseline', name, knn20, ..., trainImages?, testImages? }` (e.g. `name: 'rawPixels'`);
 * - any record with a numeric `numPrototypes` (e.g. the run's start record) sets K.
 * Other types, blank lines and lines that do not parse (a line cut short by a kill) are skipped.
 *
 * An evaluation protocol is the pair of set sizes an evaluation ran on (memory bank, queries):
 * the kNN during training runs on a sample, the one before and after training on the
 * configured sets, and only numbers of the same protocol are comparable. A baseline record
 * without sizes (files written before they were recorded) belongs to the protocol of the
 * evaluation before training, on whose sets the loop computed it.
 */

/** The evaluations of one protocol and its baselines. */
export interface EvalProtocol {
  /** `<trainImages>/<testImages>`, or `unsized` for records that do not say. */
  readonly id: string;
  readonly trainImages?: number;
  readonly testImages?: number;
  /** Per series (`knn20`, `knn200`, `linearProbe`): `[step, value]`, by step. */
  readonly series: Record<string, [number, number][]>;
  /** Per baseline name (`rawPixels`), per field (`knn20`, ...): the value on this protocol's sets. */
  readonly baselines: Record<string, Record<string, number>>;
}

export interface RunMetrics {
  /** `[step, loss]` of every step record with a loss field (NaN kept: it breaks the line). */
  readonly loss: [number, number][];
  readonly lr: [number, number][];
  /** `[step, RankMe]` from any step or eval record with a numeric `rankMe` field. */
  readonly rankMe: [number, number][];
  /** The evaluation protocols, the one with the most evaluations first. */
  readonly protocols: EvalProtocol[];
  readonly numPrototypes?: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : v === null ? NaN : undefined);
const isEvalField = (k: string) => /^knn\d+$/.test(k) || k === 'linearProbe';
const protocolId = (r: Record<string, unknown>) =>
  typeof r['trainImages'] === 'number' && typeof r['testImages'] === 'number' ? `${r['trainImages']}/${r['testImages']}` : 'unsized';

/** Parses the text of a metrics file (JSON lines) into the series plotted. */
export function parseMetrics(text: string): RunMetrics {
  const loss: [number, number][] = [];
  const lr: [number, number][] = [];
  const rankMe: [number, number][] = [];
  const protocols = new Map<string, { id: string; trainImages?: number; testImages?: number; series: Record<string, [number, number][]>; baselines: Record<string, Record<string, number>> }>();
  const protocolOf = (r: Record<string, unknown>) => {
    const id = protocolId(r);
    let p = protocols.get(id);
    if (!p) {
      p = { id, series: {}, baselines: {}, ...(id !== 'unsized' ? { trainImages: r['trainImages'] as number, testImages: r['testImages'] as number } : {}) };
      protocols.set(id, p);
    }
    return p;
  };
  const unsizedBaselines: Record<string, Record<string, number>>[] = [];
  let beforeProtocol: string | undefined;
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
      const fields: Record<string, number> = {};
      for (const [k, v] of Object.entries(rec)) if (/^knn\d+$/.test(k) && typeof v === 'number') fields[k] = v;
      if (protocolId(rec) === 'unsized') unsizedBaselines.push({ [rec['name']]: fields });
      else Object.assign((protocolOf(rec).baselines[rec['name']] ??= {}), fields);
      continue;
    }
    const step = num(rec['step']);
    if (step === undefined || !Number.isFinite(step)) continue;
    const rm = num(rec['rankMe']);
    if (rm !== undefined && (rec['type'] === 'step' || rec['type'] === 'eval')) rankMe.push([step, rm]);
    if (rec['type'] === 'step') {
      const l = num(rec['loss']);
      if (l !== undefined) loss.push([step, l]);
      const a = num(rec['lr']);
      if (a !== undefined) lr.push([step, a]);
    } else if (rec['type'] === 'eval') {
      const p = protocolOf(rec);
      if (rec['when'] === 'before' || (beforeProtocol === undefined && step === 0)) beforeProtocol = p.id;
      for (const [k, v] of Object.entries(rec)) {
        const x = isEvalField(k) ? num(v) : undefined;
        if (x !== undefined) (p.series[k] ??= []).push([step, x]);
      }
    }
  }
  // Baselines that do not say their sets: computed on the sets of the evaluation before training.
  for (const b of unsizedBaselines) {
    const p = beforeProtocol !== undefined ? protocols.get(beforeProtocol)! : protocolOf({});
    for (const [name, fields] of Object.entries(b)) Object.assign((p.baselines[name] ??= {}), fields);
  }
  const bystep = (a: [number, number][]) => a.sort((p, q) => p[0] - q[0]);
  bystep(loss);
  bystep(lr);
  bystep(rankMe);
  const count = (p: EvalProtocol) => Object.values(p.series).reduce((s, a) => s + a.length, 0);
  const list = [...protocols.values()];
  list.forEach((p) => Object.values(p.series).forEach(bystep));
  list.sort((a, b) => count(b) - count(a));
  return { loss, lr, rankMe, protocols: list, numPrototypes };
}
