/**
 * tfjax in a real browser: Debian's headless chromium (playwright-core, no downloaded browser)
 * on pages served from 127.0.0.1. Runs once (not per backend: the pages pick their backends).
 * Skipped, with the reason, where chromium is missing, except under CI=true.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { buildDemo } from '../../examples/browser/build.js';
import { startStaticServer, type StaticServer } from '../../examples/browser/server.js';
import { setBackend } from '../../lib/backend/node.js';
import { bundle, chromiumMissing, consoleErrors, launchChromium, runPage } from './harness.js';
import type { CalculusResult } from './pages/calculus.js';
import { swavLosses } from './pages/swav-steps.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ARTIFACTS = join(root, 'test/browser/artifacts');
const missing = chromiumMissing();
const ci = /^(1|true|yes)$/i.test(process.env['CI'] ?? '');
const test = suite('browser: tfjax in headless chromium');
const it = missing ? test.skip : test;
if (missing && ci) test('chromium is there (CI=true requires the browser suites)', () => assert.unreachable(missing));
else if (missing) console.log(`skip: every browser test: ${missing}`);

let out = '';
let server: StaticServer;
let browser: Browser;

test.before(async () => {
  if (missing) return;
  out = mkdtempSync(join(tmpdir(), 'tfjax-browser-'));
  const pages = join(root, 'test/browser/pages');
  const [demo] = await Promise.all([buildDemo(), bundle([join(pages, 'page.ts'), join(pages, 'worker.ts')], out)]);
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./page.js"></script>');
  const wasm = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  server = await startStaticServer({ mounts: { '/': out, '/wasm/': wasm, '/demo/': demo } });
  browser = await launchChromium();
});

test.after(async () => {
  await browser?.close();
  await server?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

function close(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol * Math.max(1, Math.abs(expected[i]!)), `${what}[${i}] = ${a}, expected ${expected[i]} (tolerance ${tol})`));
}

it('plain esbuild --platform=browser bundles of lib/index.ts build (esm and iife), with nothing from Node in them', async () => {
  const r = await build({ entryPoints: [join(root, 'lib/index.ts')], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
  assert.equal(r.errors, []);
  const inputs = Object.keys(r.metafile.inputs);
  assert.equal(inputs.filter((f) => /^node:|lib\/node\.ts|backend\/node\.ts|webgpu-node|safetensors-file|checkpoint\/index/.test(f)), []);
  assert.not.match(r.outputFiles[0]!.text, /(from|import\(|require\()\s*["']node:/);
  // No top-level await either, so classic scripts and Workers can have it as an iife.
  const iife = await build({ entryPoints: [join(root, 'lib/index.ts')], bundle: true, platform: 'browser', format: 'iife', globalName: 'tfjax', write: false, logLevel: 'silent' });
  assert.equal(iife.errors, []);
});

// f(x) = sum(x·eˣ): f' = (1 + x)eˣ, f'' = (2 + x)eˣ.
const fp = (x: number) => (1 + x) * Math.exp(x);
const fpp = (x: number) => (2 + x) * Math.exp(x);

for (const [backend, where] of [['wasm', 'page'], ['webgpu', 'page'], ['webgpu', 'module Worker']] as const) {
  it(`grad, the second derivative, vmap(grad) and jit of sum(x·eˣ) in a ${where} on ${backend}`, async () => {
    const page = await browser.newPage();
    const errors = consoleErrors(page);
    const run = where === 'page' ? 'run=calculus' : 'run=worker&task=calculus';
    const r = await runPage<CalculusResult>(page, `${server.url}?${run}&backend=${backend}`);
    await page.close();
    assert.ok(r.ok, r.ok ? '' : r.error);
    const c = (r as { result: CalculusResult }).result;
    assert.is(c.backend, backend);
    close(c.df, [fp(0.5), fp(1)], 1e-5, 'grad');
    close(c.d2f, [4.1218, 8.1548], 1e-4, 'second derivative');
    close(c.d2f, [fpp(0.5), fpp(1)], 1e-5, 'second derivative');
    close(c.perRow, [fp(0.5), fp(1), fp(0), fp(-1)], 1e-5, 'vmap(grad)');
    close(c.jitted, c.df, 1e-6, 'jit(grad) vs grad');
    assert.is(c.leaked, 0, 'tensors leaked');
    // Chromium compiles our generated kernels synchronously, on a page's main thread too (it refuses only above 8 MB).
    assert.is(c.heapKernels, backend === 'wasm', 'tfjax wasm kernels');
    assert.equal(errors, []);
  });
}

it('a wasm binary that is not served: ready() rejects naming the URL it tried', async () => {
  const page = await browser.newPage();
  const r = await runPage(page, `${server.url}?run=ready&wasm=/missing/`);
  await page.close();
  assert.not.ok(r.ok);
  assert.match((r as { error: string }).error, `${server.url}missing/tfjs-backend-wasm-simd.wasm`);
});

it("three SwAV steps in a module Worker give Node's losses (wasm, to 1e-5)", async () => {
  await setBackend('wasm');
  const node = await swavLosses(3);
  const page = await browser.newPage();
  const errors = consoleErrors(page);
  const r = await runPage<number[]>(page, `${server.url}?run=worker&backend=wasm`);
  await page.close();
  assert.ok(r.ok, r.ok ? '' : r.error);
  const inBrowser = (r as { result: number[] }).result;
  assert.ok(node.every(Number.isFinite) && node.length === 3, `node losses ${node}`);
  close(inBrowser, node, 1e-5, 'worker losses');
  assert.equal(errors, []);
});

for (const method of ['swav', 'simclr'] as const) {
  it(`the demo page trains ${method} in its Worker and reaches its first kNN readout (screenshot in test/browser/artifacts/)`, async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = consoleErrors(page);
    await page.goto(`${server.url}demo/?backend=wasm&method=${method}&evalEvery=2`);
    await page.waitForSelector('#knn[data-step]', { timeout: 120_000 });
    const accuracy = Number(await page.getAttribute('#knn', 'data-accuracy'));
    const status = (await page.textContent('#status')) ?? '';
    const picked = await page.$eval('#method', (el) => (el as HTMLSelectElement).value);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `demo-wasm-${method}.png`), fullPage: true });
    await page.close();
    assert.is(picked, method);
    // Ten balanced classes: chance is 0.1; even a barely trained encoder's kNN is far above it.
    assert.ok(accuracy > 0.2 && accuracy <= 1, `kNN accuracy ${accuracy}`);
    assert.match(status, /^step \d+ on wasm: loss \d/);
    assert.equal(errors, []);
  });
}

test.run();
