import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ContainerModule } from 'inversify';
import { ErrorCode, StrataError, DriverRegistry } from '../core/engine.js';
import { builtinDriverModules } from '../drivers/index.js';
import { removeTree } from './cleanup.js';
import { DataSets } from './data/data-sets.js';
import { DriverSession, sessionRoot } from './driver-session.js';
import { machineInfo } from './machine.js';
import type { BenchOptions } from './options.js';
import { FULL_PLAN, QUICK_PLAN } from './plan.js';
import { renderHtml } from './report/report-html.js';
import { renderMarkdown } from './report/report-md.js';
import { type BenchResults, type DriverInfo, ResultLog, reasonOf } from './results.js';
import { SCENARIO_TABLE, type ScenarioContext } from './scenarios/index.js';
import { nowMs } from './stats.js';

export interface BenchRun {
  readonly results: BenchResults;
  /** Absolute paths of results.json, report.md, report.html. */
  readonly files: readonly string[];
}

/** The registered driver names, or the requested ones; EUNKNOWNDRIVER names an unknown one. */
async function driverNames(work: string, modules: readonly ContainerModule[], wanted?: readonly string[]): Promise<string[]> {
  const known = (await DriverRegistry.load({ root: join(work, 'registry'), plugins: [], driverOptions: {} }, modules)).names();
  for (const name of wanted ?? []) {
    if (!known.includes(name)) {
      throw new StrataError(ErrorCode.EUNKNOWNDRIVER, `unknown driver ${JSON.stringify(name)}: registered drivers are ${known.join(', ') || '(none)'}`);
    }
  }
  return [...(wanted ?? known)];
}

function capabilityRecord(caps: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(caps).map(([k, v]) => [k, typeof v === 'number' && !Number.isFinite(v) ? String(v) : v]));
}

/**
 * Runs the selected scenarios — the peers once, then every driver in a store
 * of its own — and writes results.json (every sample), report.md and
 * report.html into options.out. A driver that cannot run here, or a case that
 * fails, becomes a row with the reason; only a usage error (unknown driver or
 * scenario) fails the run, with EUNKNOWNDRIVER / EUSAGE.
 */
export async function runBench(
  options: BenchOptions,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  modules: readonly ContainerModule[] = builtinDriverModules,
): Promise<BenchRun> {
  const plan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const startedAt = new Date().toISOString();
  const work = options.workDir === undefined ? await mkdtemp(join(tmpdir(), 'strata-bench-')) : resolve(options.workDir);
  await mkdir(work, { recursive: true });
  const results = new ResultLog(log);
  const drivers: DriverInfo[] = [];
  const ownWork = options.workDir === undefined;
  // Interrupted: stop at the next scenario boundary, write the reports of what
  // was measured, detach the mounts below the work dir and remove it, and fail.
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    log(`strata bench: ${signal}: stopping after the current measurement, then cleaning up ${work}`);
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const names = await driverNames(work, modules, options.drivers);
    const machine = await machineInfo(work);
    const report = async (): Promise<BenchRun> => {
      const out: BenchResults = {
        format: 'strata-bench/1', mode: plan.mode, startedAt, finishedAt: new Date().toISOString(),
        machine, drivers, scenarios: options.scenarios, rows: results.rows,
        ...(interrupted ? { interrupted } : {}),
      };
      return { results: out, files: await writeReports(out, resolve(options.out)) };
    };
    const data = new DataSets(join(work, 'data'));
    await mkdir(data.dir, { recursive: true });
    const ctx: ScenarioContext = { plan, data, results, scratch: join(work, 'scratch') };
    await mkdir(ctx.scratch, { recursive: true });
    const scenarios = options.scenarios.map((name) => SCENARIO_TABLE[name]);
    log(`strata bench (${plan.mode}): drivers ${names.join(', ') || '(none registered)'}; scenarios ${options.scenarios.join(', ')}; work dir ${work}`);

    const checkInterrupted = async (): Promise<void> => {
      if (interrupted === undefined) return;
      const { files } = await report();
      throw new StrataError(ErrorCode.EIO, `interrupted by ${interrupted}; what was measured is in ${files.join(', ')}`);
    };
    for (const scenario of scenarios) {
      await checkInterrupted();
      const t0 = nowMs();
      await scenario.runPeers(ctx).catch((err: unknown) => log(`  peers of ${scenario.name} failed: ${reasonOf(err)}`));
      log(`peers: ${scenario.name} done in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
    }
    for (const name of names) {
      await checkInterrupted();
      log(`driver: ${name}`);
      const opened = await DriverSession.open(name, sessionRoot(work, name), modules).catch((err: unknown) => ({ unavailable: `cannot start: ${reasonOf(err)}` }));
      if (!(opened instanceof DriverSession)) {
        drivers.push({ name, available: false, reason: opened.unavailable });
        for (const scenario of scenarios) {
          results.add({ scenario: scenario.name, case: 'all', params: {}, subject: name, kind: 'driver', metric: 'time', unit: 'ms', samples: [], skipped: `driver unavailable: ${opened.unavailable}` });
        }
        continue;
      }
      const probe = await opened.driver.probe();
      drivers.push({ name, available: true, ...(probe.reason ? { reason: probe.reason } : {}), capabilities: capabilityRecord(opened.capabilities) });
      try {
        for (const scenario of scenarios) {
          await checkInterrupted();
          const t0 = nowMs();
          await scenario.runDriver(ctx, opened).catch((err: unknown) => {
            results.add({ scenario: scenario.name, case: 'all', params: {}, subject: name, kind: 'driver', metric: 'time', unit: 'ms', samples: [], skipped: `failed: ${reasonOf(err)}` });
          });
          log(`driver ${name}: ${scenario.name} done in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
        }
      } finally {
        await opened.close();
      }
    }
    return await report();
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    if (ownWork) await removeTree(work);
  }
}

async function writeReports(results: BenchResults, outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files = {
    'results.json': `${JSON.stringify(results, null, 2)}\n`,
    'report.md': renderMarkdown(results),
    'report.html': renderHtml(results),
  };
  const written: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    const path = join(outDir, name);
    await writeFile(path, text);
    written.push(path);
  }
  return written;
}
