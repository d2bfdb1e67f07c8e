import type { BenchResults, ResultRow, ScenarioName, Unit } from '../results.js';

/** One line of a report table: a row's summary and its ratio to its peer. */
export interface TableLine {
  readonly case: string;
  readonly subject: string;
  readonly via?: 'api' | 'mount';
  readonly metric: string;
  readonly unit: Unit;
  readonly n: number;
  readonly median?: number;
  readonly min?: number;
  readonly max?: number;
  /** median / the peer's median (same scenario, case and metric). */
  readonly ratio?: number;
  readonly ratioTo?: string;
  readonly skipped?: string;
  readonly note?: string;
}

export interface ScenarioTable {
  readonly scenario: ScenarioName;
  readonly title: string;
  readonly lines: readonly TableLine[];
}

export const SCENARIO_TITLES: Readonly<Record<ScenarioName, string>> = {
  diff: 'diff — layer tarball of K changes (peer: tar -c of just the changes)',
  apply: 'apply — applyDiff of a layer tarball (peer: tar -x into an empty dir + fsync)',
  lookups: 'lookups — per operation, by stack depth (reference: kernel overlayfs)',
  snapshot: 'snapshot — create a child of a parent (peer: cp -a)',
  disk: 'disk — a base plus small children (peer: plain overlay directories)',
  commit: 'commit — mount writable, change, unmount, diff (reference: kernel overlayfs)',
  'layer-commit': 'layer commit — a writable layer of K changes becomes read-only: strata\'s commit and Docker\'s diff + apply (reference: the diff\'s digest alone)',
};

/** The row `row` is compared with, when it has a peer that was measured. */
export function peerOf(rows: readonly ResultRow[], row: ResultRow): ResultRow | undefined {
  if (row.peer === undefined) return undefined;
  return rows.find((r) => r.scenario === row.scenario && r.case === row.case && r.metric === row.metric && r.subject === row.peer && r.summary !== undefined);
}

export function ratioOf(rows: readonly ResultRow[], row: ResultRow): number | undefined {
  const peer = peerOf(rows, row);
  if (peer?.summary === undefined || row.summary === undefined || peer.summary.median === 0) return undefined;
  return row.summary.median / peer.summary.median;
}

/** Rows grouped per scenario, per case in first-seen order, peers before drivers. */
export function buildTables(results: BenchResults): ScenarioTable[] {
  return results.scenarios.map((scenario) => {
    const rows = results.rows.filter((r) => r.scenario === scenario);
    const cases = [...new Set(rows.map((r) => r.case))];
    const lines = cases.flatMap((c) =>
      rows
        .filter((r) => r.case === c)
        .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'peer' ? -1 : 1))
        .map((r): TableLine => {
          const ratio = ratioOf(results.rows, r);
          return {
            case: r.case, subject: r.subject, metric: r.metric, unit: r.unit, n: r.samples.length,
            ...(r.via ? { via: r.via } : {}),
            ...(r.summary ? { median: r.summary.median, min: r.summary.min, max: r.summary.max } : {}),
            ...(ratio !== undefined ? { ratio, ratioTo: r.peer } : {}),
            ...(r.skipped ? { skipped: r.skipped } : {}),
            ...(r.note ? { note: r.note } : {}),
          };
        }),
    );
    return { scenario, title: SCENARIO_TITLES[scenario], lines };
  });
}

function medianOf(results: BenchResults, match: (r: ResultRow) => boolean): number | undefined {
  return results.rows.find((r) => match(r) && r.summary !== undefined)?.summary?.median;
}

/**
 * The headline ratios the issue asks for, as sentences: each driver's diff and
 * apply against tar, lookup cost at the deepest measured depth against depth 1,
 * and mounts against fuse-overlayfs and kernel overlayfs.
 */
export function headlines(results: BenchResults): string[] {
  const out: string[] = [];
  const drivers = results.drivers.filter((d) => d.available).map((d) => d.name);
  const x = (v: number): string => `${v.toFixed(2)}×`;
  for (const scenario of ['diff', 'apply'] as const) {
    const rows = results.rows.filter((r) => r.scenario === scenario && r.kind === 'driver' && r.summary !== undefined);
    for (const d of drivers) {
      const mine = rows.filter((r) => r.subject === d);
      // The largest base, with K = 200 where measured (a typical layer); else the last case.
      const biggest = Math.max(...mine.map((r) => Number(r.params.base)));
      const last = mine.find((r) => Number(r.params.base) === biggest && r.params.k === 200) ?? mine[mine.length - 1];
      const ratio = last === undefined ? undefined : ratioOf(results.rows, last);
      if (last !== undefined && ratio !== undefined) out.push(`${scenario}: ${d}${last.note ? ` (${last.note.split(';')[0]})` : ''} takes ${x(ratio)} the time of ${last.peer} at ${last.case}.`);
    }
  }
  const depths = [...new Set(results.rows.filter((r) => r.scenario === 'lookups').map((r) => Number(r.params.depth)))].sort((a, b) => a - b);
  if (depths.length > 1) {
    const lo = depths[0]!;
    const subjects = [...new Set(results.rows.filter((r) => r.scenario === 'lookups').map((r) => `${r.subject}|${r.via ?? 'mount'}`))];
    for (const key of subjects) {
      const [subject, via] = key.split('|') as [string, string];
      const at = (depth: number): number | undefined => medianOf(results, (r) => r.scenario === 'lookups' && r.subject === subject && (r.via ?? 'mount') === via && r.metric === 'stat-hit' && r.params.depth === depth);
      const deepest = [...depths].reverse().find((dp) => at(dp) !== undefined);
      const a = at(lo);
      const b = deepest === undefined ? undefined : at(deepest);
      if (a !== undefined && b !== undefined && deepest !== lo) out.push(`lookups: ${subject} (${via}) stat hit at depth ${deepest} costs ${x(b / a)} its cost at depth ${lo}.`);
    }
    const deep = depths[depths.length - 1]!;
    const peerAt = (p: string): number | undefined => medianOf(results, (r) => r.scenario === 'lookups' && r.subject === p && r.metric === 'stat-hit' && r.params.depth === deep);
    const kernel = peerAt('kernel-overlayfs');
    const fuse = peerAt('fuse-overlayfs');
    for (const d of drivers) {
      const mine = medianOf(results, (r) => r.scenario === 'lookups' && r.subject === d && r.via === 'mount' && r.metric === 'stat-hit' && r.params.depth === deep);
      if (mine === undefined) continue;
      const parts = [kernel ? `${x(mine / kernel)} kernel overlayfs` : undefined, fuse ? `${x(mine / fuse)} fuse-overlayfs` : undefined].filter(Boolean);
      if (parts.length > 0) out.push(`mount: ${d}'s stat hit at depth ${deep} through its mount costs ${parts.join(' and ')}.`);
    }
  }
  return out;
}
