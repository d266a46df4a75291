/**
 * A small sample of test embeddings saved with a run, before and after training, for the
 * report's 2-D projection: `embeddings-before.npy` / `embeddings-after.npy` ([n, D] float32),
 * `embeddings-labels.npy` ([n] int32) and `embeddings.json` (the class names), all written
 * with the one atomic writer.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../../data/types.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { sample } from '../data.js';
import { type EmbedFn, embedDataset } from '../eval/index.js';
import { parseNpy, writeNpy } from '../../io/npy.js';

/** Images in the saved sample (a fixed, class-balanced sample of the evaluation's test set). */
export const EMBEDDING_SAMPLE = 1000;

export type Stage = 'before' | 'after';

export interface EmbeddingSample {
  /** [n * D], row-major. */
  readonly embeddings: Float32Array;
  readonly n: number;
  readonly dim: number;
  readonly labels: Int32Array;
  readonly classNames: readonly string[];
}

const file = (dir: string, stage: Stage) => join(dir, `embeddings-${stage}.npy`);

/** Embeds a fixed sample of `test` with `apply` and saves it in the run directory `dir`. */
export async function saveEmbeddingSample(dir: string, stage: Stage, apply: EmbedFn, test: ImageDataset, n = EMBEDDING_SAMPLE): Promise<void> {
  const ds = sample(test, n, 3);
  const emb = await embedDataset(apply, ds, { batchSize: 500 });
  try {
    await writeNpy(file(dir, stage), (await emb.data()) as Float32Array, emb.shape);
  } finally {
    emb.dispose();
  }
  await writeNpy(join(dir, 'embeddings-labels.npy'), ds.labels, [ds.n]);
  await writeFileAtomic(join(dir, 'embeddings.json'), (fh) => fh.writeFile(`${JSON.stringify({ classNames: ds.classNames, images: ds.n })}\n`));
}

/** The saved sample of a stage, or null when the run has none. */
export function readEmbeddingSample(dir: string, stage: Stage): EmbeddingSample | null {
  const path = file(dir, stage);
  const labelsPath = join(dir, 'embeddings-labels.npy');
  if (!existsSync(path) || !existsSync(labelsPath)) return null;
  const e = parseNpy(readFileSync(path), path);
  const l = parseNpy(readFileSync(labelsPath), labelsPath);
  if (!(e.data instanceof Float32Array) || e.shape.length !== 2) throw new Error(`${path}: expected a float32 [n, D] array, got shape (${e.shape.join(', ')})`);
  if (!(l.data instanceof Int32Array) || l.shape[0] !== e.shape[0]) throw new Error(`${labelsPath}: expected ${e.shape[0]} int32 labels, got shape (${l.shape.join(', ')})`);
  const metaPath = join(dir, 'embeddings.json');
  const classNames = existsSync(metaPath) ? ((JSON.parse(readFileSync(metaPath, 'utf8')) as { classNames?: string[] }).classNames ?? []) : [];
  return { embeddings: e.data, n: e.shape[0]!, dim: e.shape[1]!, labels: l.data, classNames };
}
