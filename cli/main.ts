/**
 * `strata`: the command line. It parses, calls core, and prints; it holds no
 * logic of its own. Exit statuses: 0 success, 1 failure (and a failed
 * `system check`), 2 usage or configuration, 3 not found, 4 busy or conflict,
 * 5 unsafe, bad or corrupt data, 6 driver unavailable or unsupported
 * (cli/exit-status.ts).
 */
import { Command } from 'commander';
import { errnoOf } from '../core/errors.js';
import { strataVersion } from '../core/version.js';
import { ALL_LOADERS, BENCH_LOADER, GROUP_LOADERS } from './command-table.js';
import { firstCommandWord, groupOf } from './command-words.js';
import { reportError } from './errors.js';
import { exitNow } from './exit-now.js';

/** The command tree, with the commands this command line may run (see addCommands). */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('strata')
    .description('layered storage for container images, through pluggable storage drivers')
    .option('--root <dir>', 'store root (env STRATA_ROOT; default /var/lib/strata as root, else ~/.local/share/strata)')
    .option('--driver <name>', 'storage driver (env STRATA_DRIVER; default overlay)')
    .option('--config <file>', 'config file (env STRATA_CONFIG; default <root>/strata.json)')
    .option('--json', 'machine-readable output')
    .option('--no-trunc', 'full ids in tables')
    .option('--debug', 'stack traces on errors')
    .version(`strata version ${strataVersion()}`, '-v, --version', 'print the version and quit')
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(false)
    .configureOutput({ outputError: () => undefined });
  await addCommands(program, argv);
  return program;
}

/**
 * Registers the commands the command line can run: only the group of its first
 * word (a command loads no other command's code), or every group for help and
 * for an unknown word. `bench` (all of benchmarks/) loads only when run or when
 * help is asked (then one that fails to load is left out of the list).
 */
async function addCommands(program: Command, argv: readonly string[]): Promise<void> {
  const words = argv.slice(2);
  const firstCommand = firstCommandWord(argv);
  if (firstCommand === undefined && (words.includes('--version') || words.includes('-v'))) return;
  const wantsHelp = firstCommand === undefined || firstCommand === 'help' || words.includes('--help') || words.includes('-h');
  const group = groupOf(firstCommand);
  const loader = group === undefined ? undefined : GROUP_LOADERS[group];
  if (loader !== undefined && !wantsHelp) return (await loader())(program);
  for (const load of ALL_LOADERS) (await load())(program);
  try {
    (await BENCH_LOADER())(program);
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
// No top-level await: the bundle is one CommonJS script (scripts/bundle.mjs, cli/launcher.ts).
void main(process.argv).then((status) => {
  process.exitCode = status;
  return exitNow(status);
});
