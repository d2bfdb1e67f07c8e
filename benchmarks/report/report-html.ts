import type { BenchResults, ResultRow } from '../results.js';
import { formatRatio, formatValue, unitLabel } from './format.js';
import { driverLines, machineLines } from './report-md.js';
import { type ChartSeries, escapeXml, lineChart } from './svg-chart.js';
import { buildTables, headlines } from './tables.js';

/** One series per subject (and lookup path), y = median, over the numeric parameter `param`. */
function seriesOf(rows: readonly ResultRow[], param: string): ChartSeries[] {
  const bySubject = new Map<string, { x: number; y: number }[]>();
  for (const r of rows) {
    if (r.summary === undefined) continue;
    const name = r.via === 'api' ? `${r.subject} (api)` : r.kind === 'driver' && r.via === 'mount' ? `${r.subject} (mount)` : r.subject;
    const points = bySubject.get(name) ?? [];
    points.push({ x: Number(r.params[param]), y: r.summary.median });
    bySubject.set(name, points);
  }
  return [...bySubject].map(([name, points]) => ({ name, points }));
}

/** The charts the issue asks for: lookup latency against depth, diff time against base size. */
function charts(results: BenchResults): string[] {
  const out: string[] = [];
  const lookups = results.rows.filter((r) => r.scenario === 'lookups');
  for (const metric of [...new Set(lookups.map((r) => r.metric))]) {
    const rows = lookups.filter((r) => r.metric === metric);
    const perSecond = rows[0]?.unit === 'MB/s';
    out.push(lineChart({
      title: `lookups: ${metric} ${perSecond ? 'throughput' : 'latency'} against stack depth`,
      xLabel: 'stack depth (layers)',
      yLabel: perSecond ? 'MB/s (median)' : 'µs per operation (median)',
      series: seriesOf(rows, 'depth'),
    }));
  }
  const diffs = results.rows.filter((r) => r.scenario === 'diff');
  for (const k of [...new Set(diffs.map((r) => Number(r.params.k)))].filter((k) => Number.isFinite(k))) {
    out.push(lineChart({ title: `diff of K = ${k.toLocaleString('en-US')} changes against base size`, xLabel: 'base entries', yLabel: 'ms (median)', series: seriesOf(diffs.filter((r) => r.params.k === k), 'base') }));
  }
  return out;
}

const STYLE = `body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr.skip td{color:#888}svg{display:block;margin:1em 0}`;

/** The HTML report: the Markdown report's content plus inline SVG charts, in one self-contained page. */
export function renderHtml(results: BenchResults): string {
  const e = escapeXml;
  const out = ['<!doctype html>', '<html lang="en"><head><meta charset="utf-8"><title>strata benchmarks</title>', `<style>${STYLE}</style></head><body>`, '<h1>strata benchmarks</h1>'];
  out.push('<ul>', ...machineLines(results).map((l) => `<li>${e(l)}</li>`), '</ul>');
  out.push('<h2>Drivers</h2><ul>', ...driverLines(results).map((l) => `<li>${e(l)}</li>`), '</ul>');
  const heads = headlines(results);
  if (heads.length > 0) out.push('<h2>Headlines</h2><ul>', ...heads.map((h) => `<li>${e(h)}</li>`), '</ul>');
  out.push('<h2>Charts</h2>', ...charts(results));
  for (const table of buildTables(results)) {
    out.push(`<h2>${e(table.title)}</h2>`, '<table><thead><tr><th>case</th><th>subject</th><th>metric</th><th>median</th><th>min</th><th>max</th><th>n</th><th>ratio to peer</th><th>note</th></tr></thead><tbody>');
    for (const l of table.lines) {
      const subject = l.via ? `${l.subject} (${l.via})` : l.subject;
      const ratio = l.skipped || l.ratio === undefined ? '' : `${formatRatio(l.ratio)} ${l.ratioTo}`;
      const note = l.skipped ? `not measured: ${l.skipped}` : l.note ?? '';
      out.push(`<tr${l.skipped ? ' class="skip"' : ''}><td>${e(l.case)}</td><td>${e(subject)}</td><td>${e(l.metric)} (${e(unitLabel(l.unit))})</td>`
        + `<td class="n">${formatValue(l.median, l.unit)}</td><td class="n">${formatValue(l.min, l.unit)}</td><td class="n">${formatValue(l.max, l.unit)}</td>`
        + `<td class="n">${l.n}</td><td class="n">${e(ratio)}</td><td>${e(note)}</td></tr>`);
    }
    out.push('</tbody></table>');
  }
  out.push('</body></html>');
  return `${out.join('\n')}\n`;
}
