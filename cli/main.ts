#!/usr/bin/env node
/**
 * `strata`: the command line. It parses, calls core, and prints; it holds no
 * logic of its own. Exit statuses: 0 success, 1 failure (and a failed
 * `system check`), 2 usage or configuration, 3 not found, 4 busy or conflict,
 * 5 unsafe, bad or corrupt data, 6 driver unavailable or unsupported
 * (core/errors.ts exitStatusOf).
 */
import { Command } from 'commander';
import { addBenchCommand } from './bench-command.js';
import { addDriverCommands } from './driver-commands.js';
import { reportError } from './errors.js';
import { addLayerCommands } from './layer-commands.js';
import { addSystemCommands } from './system-commands.js';

/** The whole command tree; `write` receives commander's help and error text. */
export function buildProgram(): Command {
  const program = new Command('strata')
    .description('layered storage for container images, through pluggable storage drivers')
    .option('--root <dir>', 'store root (env STRATA_ROOT; default /var/lib/strata as root, else ~/.local/share/strata)')
    .option('--driver <name>', 'storage driver (env STRATA_DRIVER; default vfs)')
    .option('--config <file>', 'config file (env STRATA_CONFIG; default <root>/strata.json)')
    .option('--json', 'machine-readable output')
    .option('--no-trunc', 'full ids in tables')
    .option('--debug', 'stack traces on errors')
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({ outputError: () => undefined });
  addDriverCommands(program);
  addLayerCommands(program);
  addSystemCommands(program);
  addBenchCommand(program);
  return program;
}

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    return reportError(err, argv.includes('--debug'), (text) => void process.stderr.write(text));
  }
}

process.exitCode = await main(process.argv);
