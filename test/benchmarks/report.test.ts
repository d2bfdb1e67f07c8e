import test from 'ava';
import { renderHtml } from '../../benchmarks/report/report-html.js';
import { renderMarkdown } from '../../benchmarks/report/report-md.js';
import { lineChart } from '../../benchmarks/report/svg-chart.js';
import { type BenchResults, type ResultRow } from '../../benchmarks/results.js';
import { summarize } from '../../benchmarks/stats.js';

function row(r: Omit<ResultRow, 'summary'>): ResultRow {
  return r.samples.length > 0 ? { ...r, summary: summarize(r.samples) } : r;
}

const results: BenchResults = {
  format: 'strata-bench/1', mode: 'quick', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z',
  machine: { cpus: 2, cpuModel: 'cpu', memoryMiB: 4096, kernel: '6.1.0-test', benchFilesystem: 'ext2/ext3', node: 'v20', strata: '0.1.0', packages: {}, peers: { tar: 'tar (GNU tar) 1.34' } },
  drivers: [{ name: 'alpha', available: true, capabilities: { nativeDiff: true } }, { name: 'beta', available: false, reason: 'needs /dev/nothing' }],
  scenarios: ['diff', 'lookups'],
  rows: [
    row({ scenario: 'diff', case: 'base 1,000, K 10', params: { base: 1000, k: 10 }, subject: 'tar -c', kind: 'peer', metric: 'time', unit: 'ms', samples: [10, 12, 11] }),
    row({ scenario: 'diff', case: 'base 1,000, K 10', params: { base: 1000, k: 10 }, subject: 'alpha', kind: 'driver', metric: 'time', unit: 'ms', samples: [30, 22, 40], peer: 'tar -c' }),
    row({ scenario: 'diff', case: 'all', params: {}, subject: 'beta', kind: 'driver', metric: 'time', unit: 'ms', samples: [], skipped: 'driver unavailable: needs /dev/nothing' }),
    row({ scenario: 'lookups', case: 'depth 1', params: { depth: 1 }, subject: 'kernel-overlayfs', kind: 'peer', via: 'mount', metric: 'stat-hit', unit: 'us', samples: [5] }),
    row({ scenario: 'lookups', case: 'depth 8', params: { depth: 8 }, subject: 'kernel-overlayfs', kind: 'peer', via: 'mount', metric: 'stat-hit', unit: 'us', samples: [10] }),
    row({ scenario: 'lookups', case: 'depth 1', params: { depth: 1 }, subject: 'alpha', kind: 'driver', via: 'api', metric: 'stat-hit', unit: 'us', samples: [20], peer: 'kernel-overlayfs' }),
    row({ scenario: 'lookups', case: 'depth 8', params: { depth: 8 }, subject: 'alpha', kind: 'driver', via: 'api', metric: 'stat-hit', unit: 'us', samples: [80], peer: 'kernel-overlayfs' }),
  ],
};

test('the Markdown report gives median, min, max and the ratio to the peer, and says why a row is missing', (t) => {
  const md = renderMarkdown(results);
  t.regex(md, /\| base 1,000, K 10 \| alpha \| time \| 30\.0 ms \| 22\.0 ms \| 40\.0 ms \| 3 \| 2\.73× tar -c \|/);
  t.regex(md, /\| all \| beta \| time \|.*not measured: driver unavailable: needs \/dev\/nothing \|/);
  t.regex(md, /beta: not available here — needs \/dev\/nothing/);
  t.regex(md, /alpha \(api\) stat hit at depth 8 costs 4\.00× its cost at depth 1/);
  t.regex(md, /kernel 6\.1\.0-test, bench dir on ext2\/ext3/);
});

test('the HTML report holds the same tables and one chart per lookup kind and per K', (t) => {
  const html = renderHtml(results);
  t.regex(html, /<td class="n">2\.73× tar -c<\/td>/);
  t.is((html.match(/<svg /g) ?? []).length, 2);
  t.regex(html, /lookups: stat-hit latency against stack depth/);
  t.regex(html, /diff of K = 10 changes against base size/);
});

test('a chart draws one line per series and escapes names', (t) => {
  const svg = lineChart({ title: 'a < b', xLabel: 'x', yLabel: 'y', series: [{ name: 'p&q', points: [{ x: 1, y: 1 }, { x: 2, y: 2 }] }, { name: 'r', points: [{ x: 1, y: 3 }] }] });
  t.is((svg.match(/<polyline /g) ?? []).length, 2);
  t.true(svg.includes('a &lt; b') && svg.includes('p&amp;q'));
  t.regex(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] }), /no data/);
});
