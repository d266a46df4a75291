/**
 * What the browser suites share: Debian's chromium driven by playwright-core (never a
 * downloaded browser), flags that keep it off the network and give it WebGPU on SwiftShader,
 * esbuild bundles of test pages, and a record of every console error of a page and its Workers.
 */
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The chromium binary (TFJAX_CHROMIUM overrides Debian's /usr/bin/chromium). */
export const CHROMIUM = process.env['TFJAX_CHROMIUM'] || '/usr/bin/chromium';

/** Why the browser suites cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `no chromium at ${CHROMIUM} (apt-get install chromium, or set TFJAX_CHROMIUM)`;
}

/** Headless chromium that stays on 127.0.0.1 (no background networking) with WebGPU on SwiftShader. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--enable-unsafe-webgpu',
      '--enable-unsafe-swiftshader',
      '--use-webgpu-adapter=swiftshader',
    ],
  });
}

/** Bundles `entryPoints` (ESM, for the browser) into `outdir`; throws with esbuild's messages. */
export async function bundle(entryPoints: string[], outdir: string): Promise<void> {
  await build({ entryPoints, outdir, bundle: true, platform: 'browser', format: 'esm', logLevel: 'silent', sourcemap: 'linked' });
}

/** Collects the console errors and uncaught exceptions of `page` and of every Worker it starts. */
export function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  page.on('worker', (w) =>
    w.on('console', (m) => {
      if (m.type() === 'error') errors.push(`worker console: ${m.text()}`);
    }),
  );
  return errors;
}

/** What a test page leaves in `window.__done`. */
export type Outcome<T> = { ok: true; result: T } | { ok: false; error: string };

/** Opens `url` and waits (up to `timeoutMs`) for the page's `window.__done`. */
export async function runPage<T>(page: Page, url: string, timeoutMs = 60_000): Promise<Outcome<T>> {
  await page.goto(url);
  const handle = await page.waitForFunction(() => (globalThis as { __done?: unknown }).__done, undefined, { timeout: timeoutMs });
  return (await handle.jsonValue()) as Outcome<T>;
}
