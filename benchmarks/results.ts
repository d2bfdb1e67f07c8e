import { type Summary, summarize } from './stats.js';

export const SCENARIOS = ['diff', 'apply', 'lookups', 'snapshot', 'disk', 'commit', 'layer-commit'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export type Unit = 'ms' | 'us' | 'bytes' | 'inodes' | 'MB/s';

/**
 * One measured (or skipped) cell of the report: a subject (a driver or a peer)
 * in one case of a scenario, with every sample kept. Rows of one scenario, case
 * and metric are compared with the row whose subject is `peer`.
 */
export interface ResultRow {
  readonly scenario: ScenarioName;
  /** Human label of the case, e.g. "base 20000, K 200". */
  readonly case: string;
  readonly params: Readonly<Record<string, number | string>>;
  readonly subject: string;
  readonly kind: 'driver' | 'peer';
  /** How a lookup reached the tree: the driver's calls or a mount. */
  readonly via?: 'api' | 'mount';
  /** What was measured: "time", "stat-hit", "bytes", ... */
  readonly metric: string;
  readonly unit: Unit;
  readonly samples: readonly number[];
  readonly summary?: Summary;
  readonly peer?: string;
  /** Why there are no samples (the scenario does not apply, or it failed). */
  readonly skipped?: string;
  readonly note?: string;
}

export interface DriverInfo {
  readonly name: string;
  readonly available: boolean;
  readonly reason?: string;
  readonly capabilities?: Readonly<Record<string, unknown>>;
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryMiB: number;
  readonly kernel: string;
  readonly benchFilesystem: string;
  readonly node: string;
  readonly strata: string;
  readonly packages: Readonly<Record<string, string>>;
  readonly peers: Readonly<Record<string, string>>;
}

export interface BenchResults {
  readonly format: 'strata-bench/1';
  readonly mode: 'quick' | 'full';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  readonly drivers: readonly DriverInfo[];
  readonly scenarios: readonly ScenarioName[];
  readonly rows: readonly ResultRow[];
  /** Set when a signal stopped the run early: the rows are what was measured until then. */
  readonly interrupted?: string;
}

/** Collects rows as scenarios produce them; summaries are computed here, once. */
export class ResultLog {
  readonly rows: ResultRow[] = [];
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  add(row: Omit<ResultRow, 'summary'>): void {
    const summary = row.samples.length > 0 ? summarize(row.samples) : undefined;
    this.rows.push(summary === undefined ? row : { ...row, summary });
    const what = `${row.scenario} [${row.case}] ${row.subject}${row.via ? ` (${row.via})` : ''} ${row.metric}`;
    if (row.skipped !== undefined) this.#log(`  ${what}: skipped — ${row.skipped}`);
    else if (summary !== undefined) this.#log(`  ${what}: median ${summary.median.toFixed(2)} ${row.unit} (n=${summary.n})`);
  }

  /** Records that `subject` has nothing for this case, and why. */
  skip(base: Pick<ResultRow, 'scenario' | 'case' | 'params' | 'subject' | 'kind' | 'metric' | 'unit'> & { via?: 'api' | 'mount' }, reason: string): void {
    this.add({ ...base, samples: [], skipped: reason });
  }

  log(line: string): void {
    this.#log(line);
  }
}

/** The one-line reason of a failure, for a skipped row. */
export function reasonOf(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  const msg = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
  return typeof e?.code === 'string' ? `${e.code}: ${msg}` : msg;
}
