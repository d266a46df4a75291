/**
 * A scatter plot of 2-D points coloured by class, as a standalone SVG string (the report's
 * PCA projections), with a legend of the class names.
 */
import { PALETTE, escapeXml, formatTick, niceTicks } from '../plots/index.js';

export interface ScatterOptions {
  readonly title: string;
  /** [n * 2] coordinates. */
  readonly points: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
  readonly classNames: readonly string[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** Pixels (default 440 x 460, the legend included). */
  readonly width?: number;
  readonly height?: number;
}

const f = (x: number) => (Math.round(x * 10) / 10).toString();

/** The scatter plot of `points` coloured by `labels` (class i in the palette's colour i). */
export function scatterSvg(o: ScatterOptions): string {
  const W = o.width ?? 440;
  const H = o.height ?? 460;
  const n = o.labels.length;
  const classes = Math.max(o.classNames.length, ...Array.from(o.labels, (l) => l + 1));
  const legendRows = Math.ceil(classes / 3);
  const m = { top: 36, right: 16, bottom: 48 + legendRows * 16, left: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const [x, y] = [o.points[2 * i]!, o.points[2 * i + 1]!];
    [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
  }
  if (!n) [x0, x1, y0, y1] = [0, 1, 0, 1];
  const xt = niceTicks(x0, x1, 5);
  const yt = niceTicks(y0, y1, 5);
  const sx = (x: number) => m.left + ((x - xt.lo) / (xt.hi - xt.lo || 1)) * pw;
  const sy = (y: number) => m.top + ph - ((y - yt.lo) / (yt.hi - yt.lo || 1)) * ph;
  const colour = (c: number) => PALETTE[c % PALETTE.length]!;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(o.title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="600" fill="#222">${escapeXml(o.title)}</text>`,
  ];
  const grid: string[] = [];
  for (const t of xt.ticks) grid.push(`<line x1="${f(sx(t))}" y1="${m.top}" x2="${f(sx(t))}" y2="${m.top + ph}"/>`);
  for (const t of yt.ticks) grid.push(`<line x1="${m.left}" y1="${f(sy(t))}" x2="${m.left + pw}" y2="${f(sy(t))}"/>`);
  parts.push(`<g stroke="#eeeeee">${grid.join('')}</g>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  const ticks = [
    ...xt.ticks.map((t) => `<text x="${f(sx(t))}" y="${m.top + ph + 16}" text-anchor="middle">${escapeXml(formatTick(t, xt.step))}</text>`),
    ...yt.ticks.map((t) => `<text x="${m.left - 6}" y="${f(sy(t))}" text-anchor="end" dominant-baseline="middle">${escapeXml(formatTick(t, yt.step))}</text>`),
  ];
  parts.push(`<g fill="#444">${ticks.join('')}</g>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle" fill="#222">${escapeXml(o.xLabel)}</text>`);
  parts.push(`<text x="14" y="${m.top + ph / 2}" text-anchor="middle" fill="#222" transform="rotate(-90 14 ${m.top + ph / 2})">${escapeXml(o.yLabel)}</text>`);
  const dots: string[] = [];
  for (let i = 0; i < n; i++) dots.push(`<circle cx="${f(sx(o.points[2 * i]!))}" cy="${f(sy(o.points[2 * i + 1]!))}" r="2.2" fill="${colour(o.labels[i]!)}" fill-opacity="0.75"/>`);
  parts.push(`<g class="points">${dots.join('')}</g>`);
  const legend: string[] = [];
  for (let c = 0; c < classes; c++) {
    const x = m.left + (c % 3) * (pw / 3);
    const y = m.top + ph + 52 + Math.floor(c / 3) * 16;
    legend.push(`<circle cx="${f(x + 5)}" cy="${y}" r="4" fill="${colour(c)}"/><text x="${f(x + 14)}" y="${y}" dominant-baseline="middle" fill="#222">${escapeXml(o.classNames[c] ?? `class ${c}`)}</text>`);
  }
  parts.push(`<g class="legend">${legend.join('')}</g>`, '</svg>');
  return parts.join('\n') + '\n';
}
