/**
 * A run's `metrics.jsonl`: one JSON object per line, appended as the run goes (non-finite
 * numbers written as null). On resume it keeps the records up to the resumed step: a killed
 * run may have logged past its last checkpoint, and those steps are run again.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeTextAtomic } from '../io/atomic.js';

export interface MetricsLog {
  readonly path: string;
  /** Appends one record. */
  record(r: Record<string, unknown>): void;
}

/** Whether a line is a record at or before `step` (baselines always kept; a line cut short by a kill dropped). */
function keptAt(line: string, step: number): boolean {
  if (!line.trim()) return false;
  try {
    const r = JSON.parse(line) as { type?: string; step?: number };
    return !(typeof r.step === 'number' && r.step > step && r.type !== 'baseline');
  } catch {
    return false;
  }
}

/** Opens the log of a run starting (step 0: emptied) or resumed at `step` (later records dropped). */
export async function openMetricsLog(path: string, step: number): Promise<MetricsLog> {
  if (step === 0) await writeTextAtomic(path, '');
  else if (existsSync(path)) {
    const kept = readFileSync(path, 'utf8').split('\n').filter((l) => keptAt(l, step));
    await writeTextAtomic(path, kept.map((l) => `${l}\n`).join(''));
  }
  return {
    path,
    record: (r) => appendFileSync(path, `${JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`),
  };
}

/** The `end` record of a run of `steps` steps in its metrics file, or null when it has none. */
export function endRecord(path: string, steps: number): { loss?: number | null } | null {
  if (!existsSync(path)) return null;
  let end: { loss?: number | null } | null = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as { type?: string; step?: number; loss?: number | null };
      if (r.type === 'end' && r.step === steps) end = r;
    } catch {
      // a blank line, or one cut short by a kill
    }
  }
  return end;
}

/** `{ knn20: 0.8, knn200: 0.79 }` from `{ 20: 0.8, 200: 0.79 }`. */
export function knnFields(knn: Record<number, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(knn).map(([k, v]) => [`knn${k}`, v]));
}
