/**
 * `npm run bench [-- --quick] [--drivers a,b] [--scenarios x,y] [--out DIR]`:
 * runs strata's benchmarks and writes DIR/results.json, report.md, report.html.
 */
import { isStrataError } from '../core/engine.js';
import { exitStatusOf } from '../cli/exit-status.js';
import { parseBenchArgs } from './options.js';
import { runBench } from './runner.js';

try {
  const { files } = await runBench(parseBenchArgs(process.argv.slice(2)));
  for (const f of files) process.stdout.write(`${f}\n`);
} catch (err) {
  process.stderr.write(`strata bench: ${(err as Error).message}\n`);
  process.exitCode = isStrataError(err) ? exitStatusOf(err.code) : 1;
}
