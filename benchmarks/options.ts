import { parseArgs } from 'node:util';
import { ErrorCode, StrataError } from '../core/engine.js';
import { SCENARIOS, type ScenarioName } from './results.js';

/** What a benchmark run does; the same for `npm run bench` and `strata bench`. */
export interface BenchOptions {
  /** A few seconds of tiny data sets, to prove the benchmarks still work (CI). */
  readonly quick: boolean;
  /** Driver names; undefined: every registered driver. */
  readonly drivers?: readonly string[];
  readonly scenarios: readonly ScenarioName[];
  /** Where results.json, report.md and report.html go. */
  readonly out: string;
  /** Directory for the data and the drivers' temporary stores; undefined: the OS temp dir. */
  readonly workDir?: string;
}

export const DEFAULT_OUT = 'bench-out';

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Validates scenario names; fails with EUSAGE naming an unknown one and the known ones. */
export function benchOptions(raw: { quick?: boolean; drivers?: string; scenarios?: string; out?: string; workDir?: string }): BenchOptions {
  const scenarios = list(raw.scenarios) ?? [...SCENARIOS];
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s)) {
      throw new StrataError(ErrorCode.EUSAGE, `unknown scenario ${JSON.stringify(s)}: known scenarios are ${SCENARIOS.join(', ')}`);
    }
  }
  const drivers = list(raw.drivers);
  return {
    quick: raw.quick ?? false,
    ...(drivers === undefined ? {} : { drivers }),
    scenarios: scenarios as ScenarioName[],
    out: raw.out ?? DEFAULT_OUT,
    ...(raw.workDir === undefined ? {} : { workDir: raw.workDir }),
  };
}

/** Parses `[--quick] [--drivers a,b] [--scenarios x,y] [--out DIR] [--work-dir DIR]`; EUSAGE on anything else. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        quick: { type: 'boolean' },
        drivers: { type: 'string' },
        scenarios: { type: 'string' },
        out: { type: 'string' },
        'work-dir': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new StrataError(ErrorCode.EUSAGE, `bench: ${(err as Error).message}`);
  }
  return benchOptions({ ...values, workDir: values['work-dir'] });
}
