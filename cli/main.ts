#!/usr/bin/env node
/**
 * `strata`: the command line. It parses, calls core, and prints; it holds no
 * logic of its own. Exit statuses: 0 success, 1 failure (and a failed
 * `system check`), 2 usage or configuration, 3 not found, 4 busy or conflict,
 * 5 unsafe, bad or corrupt data, 6 driver unavailable or unsupported
 * (cli/exit-status.ts).
 */
import { Command } from 'commander';
import { errnoOf } from '../core/engine.js';
import { addBuildCommands } from './build-commands.js';
import { addDriverCommands } from './driver-commands.js';
import { reportError } from './errors.js';
import { addContainerCommands } from './container-commands.js';
import { addImageCommands } from './image-commands.js';
import { addLayerCommands } from './layer-commands.js';
import { addSystemCommands } from './system-commands.js';

/** The command tree; `bench` (which loads all of benchmarks/) only when it may be needed. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('strata')
    .description('layered storage for container images, through pluggable storage drivers')
    .option('--root <dir>', 'store root (env STRATA_ROOT; default /var/lib/strata as root, else ~/.local/share/strata)')
    .option('--driver <name>', 'storage driver (env STRATA_DRIVER; default overlay)')
    .option('--config <file>', 'config file (env STRATA_CONFIG; default <root>/strata.json)')
    .option('--json', 'machine-readable output')
    .option('--no-trunc', 'full ids in tables')
    .option('--debug', 'stack traces on errors')
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({ outputError: () => undefined });
  addDriverCommands(program);
  addImageCommands(program);
  addContainerCommands(program);
  addBuildCommands(program);
  addLayerCommands(program);
  addSystemCommands(program);
  await addBenchCommandIfNeeded(program, argv);
  return program;
}

/**
 * Registers `strata bench` when the command line runs it (its load errors are
 * reported like any other) or asks for help (then a bench that fails to load is
 * left out of the list): the other commands never load the benchmark code.
 */
async function addBenchCommandIfNeeded(program: Command, argv: readonly string[]): Promise<void> {
  const words = argv.slice(2);
  const firstCommand = words.find((w, i) => !w.startsWith('-') && !['--root', '--driver', '--config'].includes(words[i - 1] ?? ''));
  const wantsHelp = firstCommand === undefined || firstCommand === 'help' || words.includes('--help') || words.includes('-h');
  if (firstCommand !== 'bench' && !wantsHelp) return;
  try {
    (await import('./bench-command.js')).addBenchCommand(program);
  } catch (err) {
    if (firstCommand === 'bench') throw err;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, argv.includes('--debug'), (text) => void process.stderr.write(text));
  }
}

// A reader that stops early (`strata layer ls | head -1`) is not an error.
process.stdout.on('error', (err) => {
  if (errnoOf(err) !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
});
process.exitCode = await main(process.argv);
