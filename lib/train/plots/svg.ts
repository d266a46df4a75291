/**
 * Line plots as self-contained SVG strings, with no dependencies: axes with "nice" ticks
 * (1, 2, 5 x 10^n; powers of ten on a log axis), gridlines, a legend, and a title.
 * Non-finite points (NaN, Infinity; and values <= 0 on a log axis) break a line rather
 * than bend it; long series are thinned to a min/max per pixel column, so a 100k-step loss
 * curve stays a small file that looks the same.
 */

export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** CSS colour (default: the next of a ten-colour palette). */
  readonly color?: string;
  /** Line opacity (default 1). */
  readonly opacity?: number;
  /** Line width in px (default 1.75). */
  readonly strokeWidth?: number;
  /** Dots at the points (default: when the series has at most 60 points). */
  readonly markers?: boolean;
  /** Dashed line (e.g. a reference level). */
  readonly dashed?: boolean;
  /** Join the points with a line (default true; false: markers alone). */
  readonly line?: boolean;
}

export interface LinePlotOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Logarithmic y axis (non-positive values are dropped). */
  readonly logY?: boolean;
  /** Pixels (default 720 x 420). */
  readonly width?: number;
  readonly height?: number;
  /** Fixed y range (default: the data's, padded). */
  readonly yMin?: number;
  readonly yMax?: number;
  /** A prefix for the ids inside the SVG, unique per plot when several are inlined in one page. */
  readonly id?: string;
  /** The legend under the plot (the SVG grows to hold it) instead of in a corner of it. */
  readonly legendBelow?: boolean;
}

/** Tableau 10. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A "nice" number near x: 1, 2, 5 or 10 times a power of ten (Heckbert), rounded up or to nearest. */
export function niceNumber(x: number, round: boolean): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const e = Math.floor(Math.log10(x));
  const f = x / 10 ** e;
  const nf = round ? (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) : f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * 10 ** e;
}

/** Nice tick values covering [lo, hi] (about `count` of them) and the nice bounds. */
export function niceTicks(lo: number, hi: number, count = 6): { ticks: number[]; lo: number; hi: number; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [0, 1], lo: 0, hi: 1, step: 1 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const range = niceNumber(hi - lo, false);
  const step = niceNumber(range / Math.max(1, count - 1), true);
  const nlo = Math.floor(lo / step) * step;
  const nhi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  const n = Math.round((nhi - nlo) / step);
  for (let i = 0; i <= n; i++) ticks.push(cleanFloat(nlo + i * step));
  return { ticks, lo: nlo, hi: nhi, step };
}

function cleanFloat(x: number): number {
  return Number.parseFloat(x.toPrecision(12));
}

/** Tick labels: plain for moderate magnitudes, k/M suffixes for large integers, exponent for tiny ones. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 && Number.isInteger(v)) return `${cleanFloat(v / 1e6)}M`;
  if (a >= 1e4 && Number.isInteger(v)) return `${cleanFloat(v / 1e3)}k`;
  if (a < 1e-3) return v.toExponential(Math.max(0, Math.min(3, -Math.floor(Math.log10(step)) + Math.floor(Math.log10(a)))));
  const decimals = Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

function logTicks(lo: number, hi: number): { ticks: number[]; lo: number; hi: number } {
  let e0 = Math.floor(Math.log10(lo));
  let e1 = Math.ceil(Math.log10(hi));
  if (e1 === e0) e1 = e0 + 1;
  const ticks: number[] = [];
  const decades = e1 - e0;
  const mult = decades <= 2 ? [1, 2, 5] : [1];
  const stride = Math.max(1, Math.ceil(decades / 8));
  if (stride > 1) e0 = Math.floor(e0 / stride) * stride;
  for (let e = e0; e <= e1; e += stride) for (const m of mult) ticks.push(cleanFloat(m * 10 ** e));
  // Tighten to the data when a decade is mostly empty (keep at least the enclosing ticks).
  const below = ticks.filter((t) => t <= lo);
  const above = ticks.filter((t) => t >= hi);
  const tlo = below.length ? below[below.length - 1]! : ticks[0]!;
  const thi = above.length ? above[0]! : ticks[ticks.length - 1]!;
  return { ticks: ticks.filter((t) => t >= tlo && t <= thi), lo: tlo, hi: thi };
}

function fmt(n: number): string {
  return (Math.round(n * 100) / 100).toString();
}

/** At most ~2 points per pixel column: keeps first, min, max, last of each column, in order. */
function thin(points: (readonly [number, number])[], x0: number, x1: number, columns: number): (readonly [number, number])[] {
  if (points.length <= columns * 4) return points;
  const out: (readonly [number, number])[] = [];
  let col = -1;
  let bucket: (readonly [number, number])[] = [];
  const flush = () => {
    if (!bucket.length) return;
    let lo = bucket[0]!;
    let hi = bucket[0]!;
    for (const p of bucket) {
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
    }
    const keep = new Set([bucket[0]!, lo, hi, bucket[bucket.length - 1]!]);
    for (const p of bucket) if (keep.has(p)) out.push(p);
    bucket = [];
  };
  const span = x1 - x0 || 1;
  for (const p of points) {
    const c = Math.floor(((p[0] - x0) / span) * columns);
    if (c !== col) {
      flush();
      col = c;
    }
    bucket.push(p);
  }
  flush();
  return out;
}

/** A line chart as a standalone SVG document. */
export function linePlotSvg(opts: LinePlotOptions): string {
  const W = opts.width ?? 720;
  const legendRows = opts.legendBelow ? opts.series.length : 0;
  const H = (opts.height ?? 420) + (legendRows ? legendRows * 18 + 16 : 0);
  const logY = !!opts.logY;
  const clipId = `${opts.id ?? ''}plot-area`;
  const margin = { top: 44, right: 24, bottom: 52, left: 72 };
  const pw = W - margin.left - margin.right;
  const ph = H - margin.top - margin.bottom - (legendRows ? legendRows * 18 + 16 : 0);
  const ok = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!logY || p[1] > 0);

  // Data ranges over the valid points.
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const s of opts.series) {
    for (const p of s.points) {
      if (!ok(p)) continue;
      xmin = Math.min(xmin, p[0]);
      xmax = Math.max(xmax, p[0]);
      ymin = Math.min(ymin, p[1]);
      ymax = Math.max(ymax, p[1]);
    }
  }
  const empty = !Number.isFinite(xmin);
  if (empty) {
    xmin = 0;
    xmax = 1;
    ymin = logY ? 1 : 0;
    ymax = logY ? 10 : 1;
  }
  if (opts.yMin !== undefined && (!logY || opts.yMin > 0)) ymin = opts.yMin;
  if (opts.yMax !== undefined) ymax = opts.yMax;

  const xt = niceTicks(xmin, xmax, 7);
  // x: the data's own extent when it is wide enough (no empty margin before step 0).
  // x: the data's own extent, widened to the nice bounds when they are close (so a run from
  // step 1 starts at a labelled 0), but with no long empty stretch.
  const xspan = xmax - xmin;
  const xlo = xmin < xmax && xmin - xt.lo > 0.03 * xspan ? xmin : xt.lo;
  const xhi = xmin < xmax && xt.hi - xmax > 0.03 * xspan ? xmax : xt.hi;
  const xTicks = xt.ticks.filter((t) => t >= xlo - 1e-9 * Math.abs(xhi - xlo) && t <= xhi + 1e-9 * Math.abs(xhi - xlo));
  let ylo: number;
  let yhi: number;
  let yTicks: number[];
  let yStep = 1;
  if (logY) {
    const lt = logTicks(ymin, ymax === ymin ? ymin * 10 : ymax);
    ylo = lt.lo;
    yhi = lt.hi;
    yTicks = lt.ticks;
  } else {
    const yt = niceTicks(ymin, ymax, 6);
    ylo = yt.lo;
    yhi = yt.hi;
    yTicks = yt.ticks;
    yStep = yt.step;
  }
  const sx = (x: number) => margin.left + ((x - xlo) / (xhi - xlo || 1)) * pw;
  const ty = logY ? (y: number) => Math.log10(y) : (y: number) => y;
  const sy = (y: number) => margin.top + ph - ((ty(y) - ty(ylo)) / (ty(yhi) - ty(ylo) || 1)) * ph;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
  );
  parts.push(`<title>${escapeXml(opts.title)}</title>`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#222">${escapeXml(opts.title)}</text>`);

  // Gridlines and ticks.
  const grid: string[] = [];
  const labels: string[] = [];
  for (const t of xTicks) {
    const x = fmt(sx(t));
    grid.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + ph}"/>`);
    labels.push(`<text x="${x}" y="${margin.top + ph + 18}" text-anchor="middle">${escapeXml(formatTick(t, xt.step))}</text>`);
  }
  for (const t of yTicks) {
    const y = fmt(sy(t));
    grid.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + pw}" y2="${y}"/>`);
    const text = logY ? formatLog(t) : formatTick(t, yStep);
    labels.push(`<text x="${margin.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(text)}</text>`);
  }
  parts.push(`<g class="grid" stroke="#e6e6e6" stroke-width="1">${grid.join('')}</g>`);
  parts.push(
    `<g class="axes" stroke="#444" stroke-width="1" fill="none"><line x1="${margin.left}" y1="${margin.top + ph}" x2="${margin.left + pw}" y2="${margin.top + ph}"/><line x1="${margin.left}" y1="${margin.top}" x2="${margin.left}" y2="${margin.top + ph}"/></g>`,
  );
  parts.push(`<g class="ticks" fill="#444">${labels.join('')}</g>`);
  parts.push(`<text x="${margin.left + pw / 2}" y="${margin.top + ph + margin.bottom - 12}" text-anchor="middle" fill="#222">${escapeXml(opts.xLabel)}</text>`);
  parts.push(
    `<text x="16" y="${margin.top + ph / 2}" text-anchor="middle" fill="#222" transform="rotate(-90 16 ${margin.top + ph / 2})">${escapeXml(opts.yLabel)}${logY ? ' (log scale)' : ''}</text>`,
  );

  // Series, clipped to the plot area.
  // The clip leaves room for a marker's radius, so points on the frame are drawn whole.
  parts.push(`<defs><clipPath id="${escapeXml(clipId)}"><rect x="${margin.left - 4}" y="${margin.top - 4}" width="${pw + 8}" height="${ph + 8}"/></clipPath></defs>`);
  const lines: string[] = [];
  opts.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const segments: (readonly [number, number])[][] = [];
    let cur: (readonly [number, number])[] = [];
    for (const p of s.points) {
      if (ok(p)) cur.push(p);
      else if (cur.length) {
        segments.push(cur);
        cur = [];
      }
    }
    if (cur.length) segments.push(cur);
    const d = segments
      .map((seg) => thin(seg, xlo, xhi, pw))
      .map((seg) => seg.map((p, j) => `${j ? 'L' : 'M'}${fmt(sx(p[0]))},${fmt(sy(p[1]))}`).join(''))
      .join('');
    const opacity = s.opacity ?? 1;
    const markers = s.markers ?? s.points.length <= 60;
    const attrs = `stroke="${escapeXml(color)}" stroke-width="${s.strokeWidth ?? 1.75}"${opacity !== 1 ? ` stroke-opacity="${opacity}"` : ''}${s.dashed ? ' stroke-dasharray="6 4"' : ''}`;
    let g = `<g class="series" data-name="${escapeXml(s.name)}">`;
    if (d && s.line !== false) g += `<path d="${d}" fill="none" ${attrs} stroke-linejoin="round" stroke-linecap="round"/>`;
    if (markers) {
      for (const seg of segments) for (const p of seg) g += `<circle cx="${fmt(sx(p[0]))}" cy="${fmt(sy(p[1]))}" r="3" fill="${escapeXml(color)}"${opacity !== 1 ? ` fill-opacity="${opacity}"` : ''}/>`;
    }
    g += '</g>';
    lines.push(g);
  });
  parts.push(`<g clip-path="url(#${escapeXml(clipId)})">${lines.join('')}</g>`);
  if (empty) {
    parts.push(`<text x="${margin.left + pw / 2}" y="${margin.top + ph / 2}" text-anchor="middle" fill="#888" font-size="14">no data</text>`);
  }

  // Legend: top-right inside the plot area, on a translucent box.
  if (opts.series.length) {
    const rowH = 18;
    const textW = Math.max(...opts.series.map((s) => s.name.length)) * 6.8;
    const boxW = Math.ceil(28 + textW + 10);
    const boxH = opts.series.length * rowH + 8;
    // The corner where the box covers the fewest data points (top right on ties).
    const bestCorner = (boxW: number, boxH: number): [number, number] => {
      const corners: [number, number][] = [
        [margin.left + pw - boxW - 8, margin.top + 8],
        [margin.left + pw - boxW - 8, margin.top + ph - boxH - 8],
        [margin.left + 8, margin.top + 8],
        [margin.left + 8, margin.top + ph - boxH - 8],
      ];
      const covered = corners.map(([cx, cy]) => {
        let n = 0;
        for (const s of opts.series) {
          const pts = s.points.filter(ok);
          // Sample long series, and the midpoints of segments, so lines through the box count.
          const stride = Math.max(1, Math.floor(pts.length / 400));
          for (let j = 0; j < pts.length; j += stride) {
            const p = pts[j]!;
            const q = pts[Math.min(pts.length - 1, j + stride)]!;
            for (const [x, y] of [[sx(p[0]), sy(p[1])], [(sx(p[0]) + sx(q[0])) / 2, (sy(p[1]) + sy(q[1])) / 2]]) {
              if (x >= cx - 4 && x <= cx + boxW + 4 && y >= cy - 4 && y <= cy + boxH + 4) n++;
            }
          }
        }
        return n;
      });
      return corners[covered.indexOf(Math.min(...covered))]!;
    };
    const [bx, by] = opts.legendBelow ? [margin.left, margin.top + ph + margin.bottom + 4] : bestCorner(boxW, boxH);
    let g = `<g class="legend"><rect x="${fmt(bx)}" y="${fmt(by)}" width="${boxW}" height="${boxH}" rx="4" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`;
    opts.series.forEach((s, i) => {
      const color = s.color ?? PALETTE[i % PALETTE.length]!;
      const y = by + 4 + rowH * i + rowH / 2;
      const op = s.opacity ?? 1;
      if (s.line === false) g += `<circle cx="${fmt(bx + 17)}" cy="${fmt(y)}" r="3.5" fill="${escapeXml(color)}"/>`;
      else
        g += `<line x1="${fmt(bx + 8)}" y1="${fmt(y)}" x2="${fmt(bx + 26)}" y2="${fmt(y)}" stroke="${escapeXml(color)}" stroke-width="2.5"${op !== 1 ? ` stroke-opacity="${Math.max(op, 0.35)}"` : ''}${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
      g += `<text x="${fmt(bx + 32)}" y="${fmt(y)}" dominant-baseline="middle" fill="#222">${escapeXml(s.name)}</text>`;
    });
    parts.push(g + '</g>');
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function formatLog(v: number): string {
  const e = Math.floor(Math.log10(v) + 1e-9);
  if (e >= -3 && e <= 4) return cleanFloat(v).toString();
  const m = cleanFloat(v / 10 ** e);
  return m === 1 ? `1e${e}` : `${m}e${e}`;
}
