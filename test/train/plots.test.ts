/**
 * Plots: nice ticks, well-formed SVG (tags balanced, one path per series, escaped text),
 * NaN and empty series, a log axis, and plotRun on a sample metrics file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { evalSeries, formatTick, linePlotSvg, niceTicks, parseMetrics, plotRun } from '../../lib/train/plots/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const P = suite(`plots [${backend}]`);

/** Checks XML well-formedness enough for our output: balanced tags, quoted attributes, escaped text. Returns element names. */
function checkXml(svg: string): string[] {
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), 'root is an <svg> in the SVG namespace');
  const names: string[] = [];
  const stack: string[] = [];
  const re = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<&]*(?:&(?:amp|lt|gt|quot|#39);[^"<&]*)*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    const between = svg.slice(last, m.index);
    assert.not.match(between, /[<>]/, `stray markup near ${JSON.stringify(svg.slice(Math.max(0, m.index - 40), m.index + 20))}`);
    assert.not.match(between.replace(/&(amp|lt|gt|quot|#39);/g, ''), /&/, 'unescaped & in text');
    last = m.index + m[0].length;
    const [, close, name, , selfClose] = m;
    if (close) assert.is(stack.pop(), name, `</${name}> closes the open element`);
    else {
      names.push(name!);
      if (!selfClose) stack.push(name!);
    }
  }
  assert.is(svg.slice(last).trim(), '', 'nothing after the root');
  assert.equal(stack, [], 'every element is closed');
  return names;
}

const paths = (svg: string) => [...svg.matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]!);

P('nice ticks and labels', () => {
  assert.equal(niceTicks(0, 1).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(niceTicks(0, 9876).ticks, [0, 2000, 4000, 6000, 8000, 10000]);
  assert.equal(niceTicks(0.83, 0.87).ticks, [0.83, 0.84, 0.85, 0.86, 0.87]);
  const same = niceTicks(5, 5);
  assert.ok(same.lo < 5 && same.hi > 5);
  assert.is(formatTick(20000, 5000), '20k');
  assert.is(formatTick(0.25, 0.05), '0.25');
  assert.is(formatTick(3, 1), '3');
});

P('a well-formed SVG with axes, gridlines, a legend and one path per series', () => {
  const svg = linePlotSvg({
    title: 'Loss <& "quotes">',
    xLabel: 'step',
    yLabel: 'loss',
    series: [
      { name: 'train', points: Array.from({ length: 100 }, (_, i) => [i, 8 - Math.log1p(i)] as [number, number]) },
      { name: 'a & b', points: [[0, 7], [99, 5]] },
    ],
  });
  const names = checkXml(svg);
  assert.ok(names.includes('title') && names.includes('line') && names.includes('text'));
  assert.is(paths(svg).length, 2);
  assert.ok(svg.includes('Loss &lt;&amp; &quot;quotes&quot;&gt;'));
  assert.ok(svg.includes('data-name="a &amp; b"'));
  assert.ok(svg.includes('class="legend"') && svg.includes('class="grid"'));
  assert.is((svg.match(/<circle/g) ?? []).length, 2, 'markers only on the short series');
});

P('NaN breaks the line; empty and all-NaN series still give a valid plot; log axis', () => {
  const svg = linePlotSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, 1], [1, 2], [2, NaN], [3, 4], [4, Infinity], [5, 3]], markers: false }] });
  checkXml(svg);
  const [d] = paths(svg);
  assert.is((d!.match(/M/g) ?? []).length, 3, `three segments: ${d}`);
  assert.not.ok(/NaN|Infinity/.test(svg));

  const empty = linePlotSvg({ title: 'empty', xLabel: 'x', yLabel: 'y', series: [] });
  checkXml(empty);
  assert.ok(empty.includes('no data'));
  const nan = linePlotSvg({ title: 'nan', xLabel: 'x', yLabel: 'y', series: [{ name: 'bad', points: [[0, NaN], [1, NaN]] }] });
  checkXml(nan);
  assert.ok(nan.includes('no data'));
  assert.not.ok(/NaN/.test(nan.replace('data-name="bad"', '')));

  const log = linePlotSvg({ title: 'lr', xLabel: 'step', yLabel: 'lr', logY: true, series: [{ name: 'lr', points: [[0, 0], [1, 1e-4], [2, 1e-2], [3, 0.5]] }] });
  checkXml(log);
  assert.ok(log.includes('(log scale)'));
  assert.ok(log.includes('>1e-4<') || log.includes('>0.0001<'), 'a tick at 1e-4');
  assert.is((paths(log)[0]!.match(/[ML]/g) ?? []).length, 3, 'the zero is dropped on a log axis');
});

P('long series are thinned but keep their extremes', () => {
  const pts = Array.from({ length: 20000 }, (_, i) => [i, i === 12345 ? 100 : Math.sin(i / 50)] as [number, number]);
  const svg = linePlotSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: pts }] });
  checkXml(svg);
  const n = (paths(svg)[0]!.match(/[ML]/g) ?? []).length;
  assert.ok(n < 4000, `${n} vertices`);
  assert.ok(svg.length < 120_000, `${svg.length} bytes`);
  assert.ok(svg.includes('>100<'), 'the y axis still reaches the spike');
});

P('plotRun writes loss.svg, lr.svg, knn.svg and rankme.svg from a metrics file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-plots-'));
  try {
    const lines: string[] = [JSON.stringify({ type: 'start', numPrototypes: 30, config: {} })];
    for (let step = 1; step <= 120; step++) {
      lines.push(JSON.stringify({ type: 'step', step, loss: step === 60 ? null : 3.4 - step / 100, lr: 0.1 * Math.min(1, step / 10), ...(step % 10 === 0 ? { rankMe: 5 + step / 10 } : {}), stepsPerSec: 2 }));
      if (step % 40 === 0) lines.push(JSON.stringify({ type: 'eval', step, knn20: 0.7 + step / 1000, knn200: 0.68 + step / 1000, ...(step === 120 ? { rankMe: 17.5 } : {}), wall: 12 }));
    }
    lines.push(JSON.stringify({ type: 'baseline', step: 0, name: 'rawPixels', knn20: 0.85, knn200: 0.8, knn5: 0.84 }));
    lines.push(JSON.stringify({ type: 'checkpoint', step: 120, path: 'x' }));
    lines.push('{"type":"step","step":121,"lo'); // a line cut short by kill -9
    const metrics = join(dir, 'metrics.jsonl');
    writeFileSync(metrics, lines.join('\n') + '\n');
    const m = parseMetrics(readFileSync(metrics, 'utf8'));
    assert.is(m.loss.length, 120);
    assert.ok(Number.isNaN(m.loss[59]![1]), 'a null loss is kept as NaN (a break in the line)');
    assert.is(m.protocols.length, 1, 'records that do not name their sets make one protocol');
    assert.equal(Object.keys(m.protocols[0]!.series).sort(), ['knn20', 'knn200']);
    assert.is(m.numPrototypes, 30);
    assert.is(m.rankMe.length, 13, 'RankMe of the 12 logged steps and of the one evaluation that has it');
    assert.equal(m.rankMe.slice(-2), [[120, 17], [120, 17.5]]);
    assert.equal(m.protocols[0]!.baselines, { rawPixels: { knn20: 0.85, knn200: 0.8, knn5: 0.84 } });

    const out = await plotRun(metrics, dir);
    assert.equal(out, ['loss.svg', 'lr.svg', 'knn.svg', 'rankme.svg'].map((f) => join(dir, f)));
    assert.equal(readdirSync(dir).sort(), ['knn.svg', 'loss.svg', 'lr.svg', 'metrics.jsonl', 'rankme.svg'], 'no temporary file left');
    const [loss, lr, knn, rank] = out.map((p) => readFileSync(p, 'utf8'));
    for (const svg of [loss!, lr!, knn!, rank!]) checkXml(svg);
    assert.is(paths(rank!).length, 1, 'one RankMe line');
    assert.ok(loss!.includes('loss (smoothed)') && loss!.includes('ln K = 3.40'));
    assert.is(paths(lr!).length, 1);
    assert.ok(knn!.includes('kNN k=20') && knn!.includes('kNN k=200'));
    assert.is((knn!.match(/<circle/g) ?? []).length, 6);
    assert.ok(knn!.includes('raw pixels, kNN k=20 (sets not recorded)') && knn!.includes('raw pixels, kNN k=200'), 'baselines as levels');
    assert.not.ok(knn!.includes('k=5'), 'no level for a k that was not evaluated');
    assert.is(paths(knn!).length, 4);
    // outDir defaults to the metrics file's folder.
    const again = await plotRun(metrics);
    assert.equal(again, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A quality run's records: kNN during training on a sample, before/after on the full sets. */
function qualityRunLines(sizedBaselines: boolean): string[] {
  const full = { trainImages: 60000, testImages: 10000 };
  const sample = { trainImages: 10000, testImages: 2000 };
  const lines: Record<string, unknown>[] = [{ type: 'start', step: 0, numPrototypes: 100 }, { type: 'eval', step: 0, knn20: 0.8015, knn200: 0.7521, ...full, when: 'before' }];
  lines.push({ type: 'baseline', step: 0, name: 'rawPixels', knn20: 0.8501, knn200: 0.8009, ...(sizedBaselines ? full : {}) });
  if (sizedBaselines) lines.push({ type: 'baseline', step: 0, name: 'rawPixels', knn20: 0.8005, knn200: 0.7305, ...sample });
  for (let step = 400; step <= 2400; step += 400) lines.push({ type: 'eval', step, knn20: 0.81 + step / 1e5, knn200: 0.76 + step / 1e5, ...sample, when: 'during' });
  lines.push({ type: 'eval', step: 2600, knn20: 0.8694, knn200: 0.8349, linearProbe: 0.8802, ...full, when: 'after' });
  return lines.map((l) => JSON.stringify(l));
}

P('each baseline of the evaluation plot belongs to its protocol (same sets, same colour, its own steps)', () => {
  for (const sized of [true, false]) {
    const m = parseMetrics(qualityRunLines(sized).join('\n'));
    assert.equal(m.protocols.map((p) => p.id), ['10000/2000', '60000/10000'], 'the sample (most evaluations) first');
    const full = m.protocols[1]!;
    assert.equal(full.baselines['rawPixels'], { knn20: 0.8501, knn200: 0.8009 }, 'a baseline without sizes belongs to the evaluation before training');
    assert.equal(m.protocols[0]!.baselines, sized ? { rawPixels: { knn20: 0.8005, knn200: 0.7305 } } : {});
    const series = evalSeries(m);
    const levels = series.filter((s) => s.baseline);
    assert.is(levels.length, sized ? 4 : 2);
    for (const level of levels) {
      const p = m.protocols.find((q) => q.id === level.protocol)!;
      assert.ok(level.points.every((q) => q[1] === p.baselines[level.baseline!]![level.field]), `${level.name}: the value of its own protocol`);
      const measured = series.filter((s) => !s.baseline && s.color === level.color);
      assert.is(measured.length, 1, `${level.name}: exactly one measured series in its colour`);
      assert.is(measured[0]!.protocol, level.protocol, `${level.name} is drawn against ${measured[0]!.name}`);
      assert.is(measured[0]!.field, level.field);
      const steps = p.series[level.field]!.map((q) => q[0]);
      assert.equal([level.points[0]![0], level.points[1]![0]], [Math.min(...steps), Math.max(...steps)], 'spans its protocol\'s evaluations');
      assert.ok(level.name.includes(level.protocol === '10000/2000' ? '10,000 train / 2,000 test' : '60,000 train / 10,000 test'), level.name);
    }
    const before = series.filter((s) => s.protocol === '60000/10000' && !s.baseline);
    assert.ok(before.every((s) => s.line === false && s.markers), 'before/after figures are markers, not joined to the sample curve');
    assert.ok(series.filter((s) => s.protocol === '10000/2000' && !s.baseline).every((s) => s.line !== false), 'the sample curve is a line');
  }
});

P.run();
