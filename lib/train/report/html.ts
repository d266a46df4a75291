/**
 * The report page of a run as one self-contained HTML document: inline CSS and inline SVG,
 * no script and no external resource, so it opens offline from the run directory.
 */
import { escapeXml, linePlotSvg, protocolLabel, runPlots } from '../plots/index.js';
import type { ReportData, EvalFigures } from './data.js';
import type { EmbeddingSample } from './embeddings.js';
import { pca2 } from './pca.js';
import { scatterSvg } from './scatter.js';
import { pixelComparison } from './verdict.js';

const pct = (x: number | undefined) => (x === undefined ? '&ndash;' : `${(100 * x).toFixed(2)}%`);
const esc = escapeXml;

const STYLE = `body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1480px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:16px}.grid figure{margin:0}figcaption{font-size:13px;color:#555;max-width:720px}
pre{background:#f6f6f6;padding:12px;overflow:auto;font-size:12px}.verdict{font-weight:600}.muted{color:#666}`;

/** The sets an evaluation ran on, in words. */
function setsOf(e: EvalFigures | undefined): string | undefined {
  return e?.trainImages !== undefined && e.testImages !== undefined ? `${protocolLabel(e)} images` : undefined;
}

function evaluationSection(d: ReportData, ks: readonly number[]): string {
  const e = d.evaluation;
  if (!e) return '<p class="muted">No evaluation (no eval.json in the run directory).</p>';
  const pixels = e.baselines?.rawPixels;
  const rows: [string, Readonly<Record<string, number>> | undefined, number | undefined][] = [
    ['raw pixels (baseline)', pixels, undefined],
    ['before training (random encoder)', e.before?.knn ?? e.baselines?.randomEncoder, e.before?.linearProbe],
    ['after training', e.after?.knn, e.after?.linearProbe],
  ];
  const head = `<tr><th></th>${ks.map((k) => `<th>kNN k=${k}</th>`).join('')}<th>linear probe</th></tr>`;
  const body = rows.map(([name, knn, probe]) => `<tr><td>${name}</td>${ks.map((k) => `<td>${pct(knn?.[k])}</td>`).join('')}<td>${pct(probe)}</td></tr>`).join('');
  const sets = setsOf(e.after) ?? setsOf(e.before);
  const verdict = e.after && pixels ? `<p class="verdict">${esc(pixelComparison(e.after.knn, pixels, ks, sets).sentence)}</p>` : '';
  return `<table id="evaluation">${head}${body}</table><p class="muted">Top-1 accuracy${sets ? ` on ${esc(sets)} (memory bank / queries), the same sets for every row` : ''}.</p>${verdict}`;
}

function projection(title: string, s: EmbeddingSample | null): string {
  if (!s) return `<figure><p class="muted">${esc(title)}: no embedding sample saved with this run.</p></figure>`;
  const p = pca2(s.embeddings, s.n, s.dim);
  const svg = scatterSvg({
    title,
    points: p.points,
    labels: s.labels,
    classNames: s.classNames,
    xLabel: `PC 1 (${(100 * p.explained[0]).toFixed(1)}% of the variance)`,
    yLabel: `PC 2 (${(100 * p.explained[1]).toFixed(1)}%)`,
  });
  return `<figure>${svg}<figcaption>${s.n} test images, ${s.dim}-d embeddings.</figcaption></figure>`;
}

/** The HTML of the report of a run. */
export function renderReport(d: ReportData): string {
  const evalCfg = (d.config?.['eval'] ?? {}) as { ks?: number[] };
  const ks = evalCfg.ks ?? Object.keys(d.evaluation?.after?.knn ?? d.evaluation?.before?.knn ?? {}).map(Number);
  const plots = runPlots(d.metrics, 'report-');
  const figures = [
    `<figure>${plots.loss}</figure>`,
    `<figure>${plots.lr}</figure>`,
    `<figure>${plots.knn}<figcaption>Each series names the sets it was measured on; a dashed level is raw pixels on those same sets.</figcaption></figure>`,
  ];
  if (d.metrics.rankMe.length)
    figures.push(`<figure>${linePlotSvg({ title: 'RankMe (effective rank of the embeddings)', xLabel: 'step', yLabel: 'RankMe', series: [{ name: 'RankMe', points: d.metrics.rankMe }], id: 'report-rankme-' })}</figure>`);
  const e = d.evaluation;
  const facts = [
    e?.steps !== undefined ? `${e.steps}${e.totalSteps !== undefined && e.totalSteps !== e.steps ? ` of ${e.totalSteps}` : ''} steps${e.stoppedEarly === 'timeLimit' ? ' (stopped by the time limit)' : ''}` : undefined,
    e?.finalLoss !== undefined ? `final loss ${e.finalLoss.toFixed(4)}` : undefined,
    e?.seconds ? `training ${e.seconds.train.toFixed(0)} s, evaluation ${e.seconds.eval.toFixed(0)} s, ${e.seconds.total.toFixed(0)} s in all` : undefined,
  ].filter(Boolean);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>tfjax run ${esc(d.dir)}</title><style>${STYLE}</style></head>
<body>
<h1>tfjax run <code>${esc(d.dir)}</code></h1>
${facts.length ? `<p>${esc(facts.join(', '))}.</p>` : ''}
<h2>Evaluation</h2>
${evaluationSection(d, ks)}
<h2>Training curves</h2>
<div class="grid">${figures.join('\n')}</div>
<h2>Test embeddings, first two principal components</h2>
<div class="grid" id="projections">${projection('Before training', d.embeddings.before)}${projection('After training', d.embeddings.after)}</div>
<h2>Configuration</h2>
<pre id="config">${esc(JSON.stringify(d.config, null, 2))}</pre>
</body></html>
`;
}
