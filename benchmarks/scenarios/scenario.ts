import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSets } from '../data/data-sets.js';
import type { DriverSession } from '../driver-session.js';
import type { BenchPlan } from '../plan.js';
import { type ResultLog, type ResultRow, type ScenarioName, reasonOf } from '../results.js';
import { sampleFresh } from '../stats.js';

/** What every scenario gets: the plan, the shared data sets, the result log and scratch space. */
export interface ScenarioContext {
  readonly plan: BenchPlan;
  readonly data: DataSets;
  readonly results: ResultLog;
  /** A directory for peers' outputs and mount points; the scenario empties what it fills. */
  readonly scratch: string;
}

/**
 * A benchmark scenario. `runPeers` measures the outside tools once;
 * `runDriver` measures one driver. Either records a skipped row with the reason
 * for every case that does not apply, rather than leaving it out.
 */
export interface Scenario {
  readonly name: ScenarioName;
  runPeers(ctx: ScenarioContext): Promise<void>;
  runDriver(ctx: ScenarioContext, session: DriverSession): Promise<void>;
}

/** Samples plus a note learnt while measuring (e.g. the tar's size). */
export interface Measured {
  readonly samples: number[];
  readonly note?: string;
}

export type RowBase = Omit<ResultRow, 'samples' | 'summary' | 'skipped'>;

/**
 * Runs one measurement and records its samples as `row`; when it throws, records
 * the row as skipped with the error's one-line reason and carries on.
 */
export async function measure(ctx: ScenarioContext, row: RowBase, fn: () => Promise<number[] | Measured>): Promise<boolean> {
  try {
    const got = await fn();
    const m = Array.isArray(got) ? { samples: got } : got;
    const note = [row.note, m.note].filter((x) => x !== undefined).join('; ');
    ctx.results.add({ ...row, samples: m.samples, ...(note === '' ? {} : { note }) });
    return true;
  } catch (err) {
    ctx.results.add({ ...row, samples: [], skipped: `failed: ${reasonOf(err)}` });
    return false;
  }
}

/** Records `row` as not measured, with the reason the report shows. */
export function notMeasured(ctx: ScenarioContext, row: RowBase, reason: string): void {
  ctx.results.add({ ...row, samples: [], skipped: reason });
}

/**
 * Why a cost that grows with the whole tree is not measured at `base` entries
 * (see BenchPlan.linearMaxBase), or undefined where it is.
 */
export function beyondLinearBudget(ctx: ScenarioContext, base: number, what: string): string | undefined {
  const max = ctx.plan.linearMaxBase;
  return base > max ? `${what} grows with the whole tree: measured up to ${n(max)} entries only` : undefined;
}

/** Thousands separators for case labels: 20000 → "20,000". */
export function n(value: number): string {
  return value.toLocaleString('en-US');
}

/** Heavy-repeat samples of `fn` writing into a fresh scratch directory, removed after each. */
export function sampleIntoFreshDir(ctx: ScenarioContext, prefix: string, fn: (dir: string) => Promise<unknown>): Promise<number[]> {
  return sampleFresh(
    ctx.plan.heavyRepeats,
    async (i) => join(ctx.scratch, `${prefix}-${i}`),
    fn,
    (dir) => rm(dir, { recursive: true, force: true }),
    ctx.plan.budgetMs,
  );
}
