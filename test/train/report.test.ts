/**
 * The run report (issue 18): the PCA projection, the trained-vs-pixels verdict, and a tiny
 * run's `report.html` rendered in headless Chromium (no console message, no external
 * resource, the evaluation table and the plots shown; a screenshot is saved under
 * runs/test-artefacts/). Without Chromium the browser test is skipped with a reason, unless
 * CI=true, where it fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pca2, pixelComparison, readEmbeddingSample } from '../../lib/train/report/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { backend, cli, metrics, ok, tiny } from './cli-run.js';

await useTestBackend();

const T = suite('report: PCA, verdict, report.html');

T('pca2 finds the two directions of largest variance of rotated data, in order', () => {
  // Points s * 3 u + t * 1 v + tiny noise in 5-D, with u, v orthonormal and not axis-aligned.
  const d = 5;
  const u = [1, 1, 0, 1, 1].map((x) => x / 2);
  const v = [1, -1, 1, 0, 0].map((x) => x / Math.sqrt(3));
  const n = 400;
  const x = new Float64Array(n * d);
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
  // s and t uncorrelated and centred over the sample (cos and sin over whole periods), so the exact components are u and v.
  const s = Array.from({ length: n }, (_, i) => Math.cos((2 * Math.PI * i) / n));
  const t = Array.from({ length: n }, (_, i) => Math.sin((6 * Math.PI * i) / n));
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = 3 * s[i]! * u[j]! + t[i]! * v[j]! + 1e-3 * rand() + 7;
  const p = pca2(x, n, d);
  const corr = (a: number[], b: number[]) => {
    const ma = a.reduce((q, r) => q + r, 0) / a.length;
    const mb = b.reduce((q, r) => q + r, 0) / b.length;
    let ab = 0, aa = 0, bb = 0;
    for (let i = 0; i < a.length; i++) [ab, aa, bb] = [ab + (a[i]! - ma) * (b[i]! - mb), aa + (a[i]! - ma) ** 2, bb + (b[i]! - mb) ** 2];
    return ab / Math.sqrt(aa * bb);
  };
  const pc1 = Array.from({ length: n }, (_, i) => p.points[2 * i]!);
  const pc2 = Array.from({ length: n }, (_, i) => p.points[2 * i + 1]!);
  assert.ok(Math.abs(corr(pc1, s)) > 0.9999, `PC 1 follows s: ${corr(pc1, s)}`);
  assert.ok(Math.abs(corr(pc2, t)) > 0.9999, `PC 2 follows t: ${corr(pc2, t)}`);
  assert.ok(p.variances[0] > p.variances[1]);
  assert.ok(p.explained[0] + p.explained[1] > 0.9999 && p.explained[0] + p.explained[1] <= 1 + 1e-9, `${p.explained}`);
  // The projection's spread is the component's variance.
  const variance = (a: number[]) => a.reduce((q, r) => q + r * r, 0) / (a.length - 1);
  assert.ok(Math.abs(variance(pc1) - p.variances[0]) < 1e-6 * p.variances[0], 'PC 1 variance');
  assert.throws(() => pca2(x, n, 4), /expected 400 x 4/);
});

T('pixelComparison says plainly whether training beat raw pixels, k by k', () => {
  const pixels = { 20: 0.8025, 200: 0.7325 };
  const worse = pixelComparison({ 20: 0.7865, 200: 0.722 }, pixels, [20, 200], '10,000 train / 2,000 test images');
  assert.equal([worse.beaten, worse.notBeaten], [[], [20, 200]]);
  assert.is(worse.sentence, 'training did not beat the raw-pixel baseline at k=20 and k=200 (kNN after training minus raw pixels: -1.60 at k=20, -1.05 at k=200 points, on the same 10,000 train / 2,000 test images).');
  const mixed = pixelComparison({ 20: 0.81, 200: 0.7325 }, pixels, [20, 200]);
  assert.equal([mixed.beaten, mixed.notBeaten], [[20], [200]], 'a tie is not a win');
  assert.ok(mixed.sentence.startsWith('training did not beat the raw-pixel baseline at k=200; it did at k=20 ('), mixed.sentence);
  const better = pixelComparison({ 20: 0.83, 200: 0.75 }, pixels, [20, 200]);
  assert.ok(better.sentence.startsWith('training beat the raw-pixel baseline at k=20 and k=200 (kNN after training minus raw pixels: +2.75 at k=20, +1.75 at k=200 points'), better.sentence);
});

/** The CLI's end-of-run table: per row, per k, the percentage. */
function summaryTable(stdout: string): Record<string, Record<number, number>> {
  const rows: Record<string, Record<number, number>> = {};
  for (const line of stdout.split('\n')) {
    const m = /^ {2}(raw pixels \(baseline\)|before training \(random\)|after training)\s+(.*)$/.exec(line);
    if (!m) continue;
    rows[m[1]!] = Object.fromEntries([...m[2]!.matchAll(/kNN k=(\d+)\s+([\d.]+)%/g)].map((q) => [Number(q[1]), Number(q[2]) / 100]));
  }
  return rows;
}

T("the default preset's configuration, on a small budget, ends with the verdict its own table implies", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-quick-'));
  try {
    // The quick preset with fewer images, steps and evaluation images; nothing else changed.
    const r = await cli(['train', '--backend', backend, '--out-dir', dir, '--steps', '3', '--batch-size', '32', '--workers', '1', '--dataset.limit-per-class', '20', '--eval.train-subset', '200', '--eval.test-subset', '100', '--optimizer.warmup-steps', '1']);
    ok(r, 'quick preset, small budget');
    const table = summaryTable(r.stdout);
    const pixels = table['raw pixels (baseline)']!;
    const after = table['after training']!;
    assert.ok(pixels && after, r.stdout);
    const beatenAt = [20, 200].filter((k) => after[k]! > pixels[k]!);
    const lostAt = [20, 200].filter((k) => !(after[k]! > pixels[k]!));
    const verdict = r.stdout.split('\n').find((l) => l.startsWith('training '));
    assert.ok(verdict, `a verdict sentence after the table:\n${r.stdout}`);
    if (lostAt.length) assert.ok(verdict!.startsWith(`training did not beat the raw-pixel baseline at ${lostAt.map((k) => `k=${k}`).join(' and ')}`), verdict);
    else assert.ok(verdict!.startsWith(`training beat the raw-pixel baseline at ${beatenAt.map((k) => `k=${k}`).join(' and ')}`), verdict);
    assert.ok(verdict!.includes('on the same 200 train / 100 test images'), verdict);
    // The three rows were measured on the same sets (eval.json records the sets of before and after).
    const ev = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8')) as { before: { trainImages: number; testImages: number }; after: { trainImages: number; testImages: number } };
    assert.equal([ev.before.trainImages, ev.before.testImages, ev.after.trainImages, ev.after.testImages], [200, 100, 200, 100]);
    assert.ok(r.stdout.trimEnd().endsWith(`report: ${join(dir, 'report.html')}`), 'the report path comes last');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Loads a page in headless Chromium: its serialized DOM and the console messages it logged. */
function chromium(url: string, extra: string[]): { dom: string; console: string[] } {
  const profile = mkdtempSync(join(tmpdir(), 'tfjax-chromium-'));
  try {
    const r = spawnSync(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...extra, url], { encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, `chromium exited with ${r.status} ${r.signal ?? ''}: ${r.stderr.slice(-2000)}`);
    return { dom: r.stdout, console: r.stderr.split('\n').filter((l) => l.includes(':CONSOLE')) };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

T('a tiny run writes report.html: offline, no console message, its table and plots render in Chromium', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-report-'));
  try {
    const r = await tiny(dir, '--eval.baselines', 'true', '--eval.linear-probe', 'true', '--eval.every', '3', '--eval.during-train-subset', '40', '--eval.during-test-subset', '20');
    ok(r, 'tiny run');
    // Each evaluation protocol has its raw-pixel baseline, recorded with its sets.
    const pixelSets = metrics(dir).filter((m) => m.type === 'baseline' && m['name'] === 'rawPixels').map((m) => `${m['trainImages']}/${m['testImages']}`);
    assert.equal(pixelSets, ['80/40', '40/20']);
    const path = join(dir, 'report.html');
    assert.ok(r.stdout.includes(`report: ${path}`), r.stdout);
    const before = readEmbeddingSample(dir, 'before')!;
    const after = readEmbeddingSample(dir, 'after')!;
    assert.equal([before.n, after.n, before.labels.length], [40, 40, 40], 'the embedding sample: the 40 test images of the tiny preset');
    const html = readFileSync(path, 'utf8');
    assert.not.ok(/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html) || /url\(\s*["']?https?:/i.test(html) || /@import/.test(html), 'no external resource');
    assert.not.ok(/<script/i.test(html), 'no script');
    // `tfjax report DIR` rebuilds the same page from the directory alone.
    const mtime = statSync(path).mtimeMs;
    const again = await cli(['report', dir]);
    ok(again, 'tfjax report');
    assert.is(again.stdout, `report: ${path}\n`);
    assert.ok(statSync(path).mtimeMs >= mtime);
    assert.is(readFileSync(path, 'utf8'), html);
    const bad = await cli(['report', join(dir, 'checkpoints', 'nope')]);
    assert.is(bad.code, 2, bad.stderr);
    assert.ok(bad.stderr.startsWith(`report: ${join(dir, 'checkpoints', 'nope')} is not a directory\n`), bad.stderr);

    if (!existsSync(CHROMIUM)) {
      if (process.env['CI'] === 'true') assert.unreachable(`${CHROMIUM} is missing (CI=true: the browser check must run)`);
      console.log(`  skipped the browser check: ${CHROMIUM} is not installed`);
      return;
    }
    // The console check can fail: a page with a console error is caught.
    const control = join(dir, 'control.html');
    writeFileSync(control, '<!DOCTYPE html><p>x</p><script>console.error("control")</script>');
    assert.is(chromium(pathToFileURL(control).href, ['--dump-dom']).console.length, 1, 'the console check sees a console message');

    const page = chromium(pathToFileURL(path).href, ['--dump-dom']);
    assert.equal(page.console, [], 'no console message');
    const table = /<table id="evaluation">([\s\S]*?)<\/table>/.exec(page.dom)?.[1] ?? '';
    for (const row of ['raw pixels (baseline)', 'before training (random encoder)', 'after training']) assert.ok(table.includes(`<td>${row}</td>`), `table row ${row}`);
    assert.ok(/<th>kNN k=5<\/th><th>kNN k=20<\/th><th>linear probe<\/th>/.test(table), 'table columns');
    assert.is((page.dom.match(/<svg /g) ?? []).length, 6, 'loss, lr, evaluation, RankMe (the loop logs it for every method) and two projections');
    assert.ok(page.dom.includes('RankMe (effective rank of the embeddings)'), 'the RankMe panel');
    const projections = /<div class="grid" id="projections">([\s\S]*?)<\/div>/.exec(page.dom)?.[1] ?? '';
    const dots = [...projections.matchAll(/<g class="points">([\s\S]*?)<\/g>/g)].map((g) => (g[1]!.match(/<circle /g) ?? []).length);
    assert.equal(dots, [40, 40], 'the 40 test images, before and after');
    assert.ok(/training (did not )?beat the raw-pixel baseline/.test(page.dom), 'the verdict');

    const artefacts = resolve('runs', 'test-artefacts');
    mkdirSync(artefacts, { recursive: true });
    const shot = join(artefacts, 'report-tiny.png');
    rmSync(shot, { force: true });
    chromium(pathToFileURL(path).href, [`--screenshot=${shot}`, '--window-size=1500,2200', '--hide-scrollbars']);
    assert.ok(existsSync(shot) && statSync(shot).size > 10_000, `a screenshot at ${shot}`);
    console.log(`  screenshot: ${shot}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

T.run();
