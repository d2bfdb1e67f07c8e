/** A line chart drawn as inline SVG, no library: categorical x, linear or log y. */
export interface ChartSeries {
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface ChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly ChartSeries[];
}

const W = 720;
const H = 380;
const M = { left: 70, right: 210, top: 36, bottom: 52 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function tickLabel(v: number): string {
  if (v >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return String(Number(v.toPrecision(2)));
}

/**
 * The chart as an `<svg>` element. X values are placed evenly in sorted order
 * (depths 1, 8, 32, 64, 128 read better that way); y is logarithmic when the
 * values span more than a factor of 30, else linear from 0. Points with a
 * non-positive or non-finite y are left out.
 */
export function lineChart(spec: ChartSpec): string {
  const series = spec.series.map((s) => ({ ...s, points: s.points.filter((p) => Number.isFinite(p.y) && p.y > 0) })).filter((s) => s.points.length > 0);
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" font-family="sans-serif" font-size="12">`];
  parts.push(`<title>${escapeXml(spec.title)}</title>`, `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  if (series.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`);
    return parts.join('');
  }
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const log = hi / lo > 30;
  const yMin = log ? 10 ** Math.floor(Math.log10(lo)) : 0;
  const yMax = log ? 10 ** Math.ceil(Math.log10(hi)) : hi * 1.1;
  const py = (y: number): number => M.top + plotH - (log ? (Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin)) : (y - yMin) / (yMax - yMin)) * plotH;
  const px = (x: number): number => M.left + (xs.length === 1 ? plotW / 2 : (xs.indexOf(x) / (xs.length - 1)) * plotW);

  const ticks = log
    ? Array.from({ length: Math.round(Math.log10(yMax / yMin)) + 1 }, (_, i) => yMin * 10 ** i)
    : Array.from({ length: 6 }, (_, i) => yMin + ((yMax - yMin) * i) / 5);
  for (const t of ticks) {
    parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  for (const x of xs) parts.push(`<text x="${px(x).toFixed(1)}" y="${M.top + plotH + 18}" text-anchor="middle">${tickLabel(x)}</text>`);
  parts.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" stroke="#333"/>`);
  parts.push(`<text x="${M.left + plotW / 2}" y="${H - 10}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}${log ? ' (log scale)' : ''}</text>`);

  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = [...s.points].sort((a, b) => a.x - b.x).map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) {
      const [cx, cy] = p.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`);
    }
    const ly = M.top + 10 + i * 18;
    parts.push(`<line x1="${W - M.right + 14}" x2="${W - M.right + 34}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${W - M.right + 40}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
