/**
 * What a run's report shows, gathered from its directory: `config.json`, `eval.json` (the
 * evaluation before and after training and the baselines), `metrics.jsonl` (the curves) and
 * the saved embedding samples. Each piece is optional (a run stopped early has no `after`);
 * a directory with neither a metrics file nor a configuration is not a run.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';
import { type RunMetrics, parseMetrics } from '../plots/index.js';
import { type EmbeddingSample, readEmbeddingSample } from './embeddings.js';

/** kNN (and linear probe) figures of one evaluation, as `eval.json` stores them. */
export interface EvalFigures {
  readonly knn: Readonly<Record<string, number>>;
  readonly linearProbe?: number;
  readonly trainImages?: number;
  readonly testImages?: number;
}

/** The summary a run writes to `eval.json`. */
export interface EvalFile {
  readonly before?: EvalFigures;
  readonly after?: EvalFigures;
  readonly baselines?: { readonly rawPixels?: Readonly<Record<string, number>>; readonly randomEncoder?: Readonly<Record<string, number>> };
  /** Steps trained. */
  readonly steps?: number;
  /** Steps the schedule planned (more than `steps` when the time limit stopped the run). */
  readonly totalSteps?: number;
  readonly stoppedEarly?: 'timeLimit';
  readonly finalLoss?: number;
  readonly seconds?: { readonly train: number; readonly eval: number; readonly total: number };
}

export interface ReportData {
  readonly dir: string;
  readonly config: Readonly<Record<string, unknown>> | null;
  readonly evaluation: EvalFile | null;
  readonly metrics: RunMetrics;
  readonly embeddings: { readonly before: EmbeddingSample | null; readonly after: EmbeddingSample | null };
}

function readJson<T>(path: string): T | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

/** Reads what the report of the run in `dir` shows. */
export function gatherReport(dir: string): ReportData {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`report: ${dir} is not a directory`);
  const metricsPath = join(dir, 'metrics.jsonl');
  const config = readJson<Record<string, unknown>>(join(dir, 'config.json'));
  if (!existsSync(metricsPath) && !config) throw new ConfigError(`report: ${dir} is not a run directory (no metrics.jsonl, no config.json)`);
  return {
    dir,
    config,
    evaluation: readJson<EvalFile>(join(dir, 'eval.json')),
    metrics: parseMetrics(existsSync(metricsPath) ? readFileSync(metricsPath, 'utf8') : ''),
    embeddings: { before: readEmbeddingSample(dir, 'before'), after: readEmbeddingSample(dir, 'after') },
  };
}
