/**
 * The report page of a run: `report.html` in the run directory, rebuilt from the directory's
 * files alone (`tfjax report RUN_DIR`). See `data.ts` (what is read), `html.ts` (the page),
 * `pca.ts` and `scatter.ts` (the projections), `verdict.ts` (trained vs raw pixels).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic.js';
import { gatherReport } from './data.js';
import { renderReport } from './html.js';

export { type EvalFile, type ReportData, gatherReport } from './data.js';
export { EMBEDDING_SAMPLE, type EmbeddingSample, readEmbeddingSample, saveEmbeddingSample } from './embeddings.js';
export { renderReport } from './html.js';
export { type Pca2, pca2 } from './pca.js';
export { type PixelComparison, pixelComparison } from './verdict.js';

/**
 * Writes `report.html` into the run directory `dir` (atomically) and returns its path.
 * @example await writeReport('runs/quick'); // 'runs/quick/report.html'
 */
export async function writeReport(dir: string): Promise<string> {
  const html = renderReport(gatherReport(dir));
  const path = join(dir, 'report.html');
  await writeFileAtomic(path, (fh) => fh.writeFile(html));
  return path;
}
