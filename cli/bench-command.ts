import type { Command } from 'commander';
import { loadConfig, loadPlugins } from '../core/engine.js';
import { builtinDriverModules } from '../drivers/index.js';
import { benchOptions, DEFAULT_OUT } from '../benchmarks/options.js';
import { runBench } from '../benchmarks/runner.js';
import { SCENARIOS } from '../benchmarks/results.js';

/**
 * `strata bench`: the benchmarks of `npm run bench`, with the same options.
 * Drivers are the built-in ones plus the configured plugins; each runs in a
 * temporary store of its own (the configured root is not touched). Progress
 * goes to stderr; stdout gets the written file paths (or, with --json, the
 * paths and the results).
 */
export function addBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('benchmark every driver against each other and against tar, kernel overlayfs and fuse-overlayfs')
    .option('--quick', 'tiny data sets, a few seconds (proves the benchmarks work)')
    .option('--drivers <names>', 'comma-separated driver names (default: every registered driver)')
    .option('--scenarios <names>', `comma-separated scenarios (default: ${SCENARIOS.join(',')})`)
    .option('--out <dir>', 'where results.json, report.md and report.html go', DEFAULT_OUT)
    .option('--work-dir <dir>', 'where data and temporary stores go (default: a new temp dir, removed after)')
    .action(async (raw: { quick?: boolean; drivers?: string; scenarios?: string; out?: string; workDir?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<{ root?: string; config?: string; json?: boolean }>();
      const config = await loadConfig({ ...(globals.root ? { root: globals.root } : {}), ...(globals.config ? { config: globals.config } : {}) });
      const modules = [...builtinDriverModules, ...(await loadPlugins(config.plugins))];
      const { files, results } = await runBench(benchOptions(raw), undefined, modules);
      process.stdout.write(globals.json ? `${JSON.stringify({ files, results })}\n` : files.map((f) => `${f}\n`).join(''));
    });
}
