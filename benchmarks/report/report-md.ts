import type { BenchResults } from '../results.js';
import { formatRatio, formatValue } from './format.js';
import { buildTables, headlines } from './tables.js';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** Machine and versions, one bullet each (shared by the Markdown and HTML reports). */
export function machineLines(results: BenchResults): string[] {
  const m = results.machine;
  return [
    `machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryMiB.toLocaleString('en-US')} MiB, kernel ${m.kernel}, bench dir on ${m.benchFilesystem}`,
    `node ${m.node}, strata ${m.strata}; ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `peers: ${Object.entries(m.peers).map(([k, v]) => `${k}: ${v}`).join('; ')}`,
    `run: ${results.mode} mode, ${results.startedAt} → ${results.finishedAt}; medians of repeated runs, warm caches${results.interrupted ? `; INTERRUPTED by ${results.interrupted}: incomplete` : ''}`,
  ];
}

export function driverLines(results: BenchResults): string[] {
  if (results.drivers.length === 0) return ['no driver is registered: only the peers were measured'];
  return results.drivers.map((d) => (d.available
    ? `${d.name}: available${d.reason ? ` (${d.reason})` : ''}; ${Object.entries(d.capabilities ?? {}).map(([k, v]) => `${k} ${String(v)}`).join(', ')}`
    : `${d.name}: not available here — ${d.reason ?? 'no reason given'}`));
}

/** The Markdown summary: machine, drivers, headlines, then one table per scenario. */
export function renderMarkdown(results: BenchResults): string {
  const out = ['# strata benchmarks', ''];
  for (const line of machineLines(results)) out.push(`- ${line}`);
  out.push('', '## Drivers', '');
  for (const line of driverLines(results)) out.push(`- ${line}`);
  const heads = headlines(results);
  if (heads.length > 0) {
    out.push('', '## Headlines', '');
    for (const h of heads) out.push(`- ${h}`);
  }
  for (const table of buildTables(results)) {
    out.push('', `## ${table.title}`, '');
    out.push('| case | subject | metric | median | min | max | n | ratio to peer | note |', '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const l of table.lines) {
      const subject = l.via ? `${l.subject} (${l.via})` : l.subject;
      const ratio = l.skipped ? '' : l.ratio !== undefined ? `${formatRatio(l.ratio)} ${l.ratioTo}` : '';
      const note = l.skipped ? `not measured: ${l.skipped}` : l.note ?? '';
      out.push(`| ${cell(l.case)} | ${cell(subject)} | ${cell(l.metric)} | ${formatValue(l.median, l.unit)} | ${formatValue(l.min, l.unit)} | ${formatValue(l.max, l.unit)} | ${l.n} | ${cell(ratio)} | ${cell(note)} |`);
    }
  }
  return `${out.join('\n')}\n`;
}
