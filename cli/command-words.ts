/** The groups of commands: each is one module that registers its commands (cli/command-table.ts). */
export type CommandGroup = 'driver' | 'layer' | 'system' | 'image' | 'container' | 'registry' | 'build' | 'version' | 'bench';

/**
 * Which group registers each top-level word, so that a command loads only the
 * code of its own group (CLI start time is module loading), and the launcher
 * keeps a code cache per group (cli/launcher.ts).
 */
export const COMMAND_GROUPS: Readonly<Record<string, CommandGroup>> = {
  driver: 'driver',
  layer: 'layer',
  system: 'system',
  image: 'image', images: 'image', history: 'image', inspect: 'image', tag: 'image', rmi: 'image', import: 'image', load: 'image', save: 'image',
  container: 'container', create: 'container', run: 'container', start: 'container', ps: 'container', diff: 'container', commit: 'container', export: 'container', rm: 'container',
  pull: 'registry', push: 'registry', login: 'registry', logout: 'registry',
  build: 'build', builder: 'build',
  version: 'version',
  bench: 'bench',
};

/** Global options whose value is the next word. */
const VALUED_OPTIONS = new Set(['--root', '--driver', '--config']);

/** The words of a command line (`argv` as process.argv: node, the script, then the words) that are neither options nor a global option's value. */
function commandWords(argv: readonly string[]): string[] {
  const words = argv.slice(2);
  return words.filter((w, i) => !w.startsWith('-') && !VALUED_OPTIONS.has(words[i - 1] ?? ''));
}

/** The command word of a command line, if any (see commandWords). */
export function firstCommandWord(argv: readonly string[]): string | undefined {
  return commandWords(argv)[0];
}

/** The group whose code runs for `word`, if it names one. */
export function groupOf(word: string | undefined): CommandGroup | undefined {
  return word !== undefined && Object.hasOwn(COMMAND_GROUPS, word) ? COMMAND_GROUPS[word] : undefined;
}

/** Words whose next word is a subcommand (`layer diff`, `image ls`), not an argument. */
const WITH_SUBCOMMANDS = new Set(['driver', 'layer', 'system', 'image', 'container', 'builder']);

/**
 * Which code a command line runs, as a name for the launcher's code caches
 * (cli/launcher.ts): its group (`image` for `images`, `container` for `run`),
 * with the subcommand after a word that takes one (`layer-diff`); `all` for
 * help and unknown words.
 */
export function commandPath(argv: readonly string[]): string {
  const [first, second] = commandWords(argv);
  const group = groupOf(first);
  if (group === undefined) return 'all';
  return WITH_SUBCOMMANDS.has(first!) && second !== undefined && /^[a-z]{1,16}$/.test(second) ? `${group}-${second}` : group;
}
