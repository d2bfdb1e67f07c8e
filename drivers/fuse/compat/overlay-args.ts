import { resolve } from 'node:path';

/** What `strata-fuse-overlay` is asked to mount, from fuse-overlayfs' command line. */
export interface OverlayArgs {
  /** Lower directories, top-most first, as given (not yet resolved through symlinks). */
  readonly lower: readonly string[];
  /** The writable upper directory; absent for a read-only union. */
  readonly upper?: string;
  /** A directory on upper's filesystem for staging copy-ups; required with upper. */
  readonly work?: string;
  readonly mountpoint: string;
  /** Stay in the foreground (-f) instead of daemonizing once mounted. */
  readonly foreground: boolean;
  /** Options accepted and ignored (volatile, fsync=0, …), for a note on stderr. */
  readonly ignored: readonly string[];
}

/** Options fuse-overlayfs takes that change nothing here (volatile: fsync is not skipped, which is only slower). */
const IGNORED = new Set(['volatile', 'fsync', 'noacl', 'xattr_permissions', 'threaded', 'squash_to_root', 'static_nlink', 'ino32_t', 'debug', 'rw', 'suid', 'dev', 'exec', 'nodev', 'nosuid', 'noatime', 'relatime']);

/**
 * Parses `[-f] [-d] -o lowerdir=A:B[,upperdir=U,workdir=W][,opt…] MNT` (several
 * -o allowed, `-oOPTS` too). In lowerdir, `\:` is a colon inside a name, as
 * in overlayfs. Relative paths resolve against cwd. Throws an Error with a
 * one-line message for anything else (uidmapping and gidmapping included:
 * not supported).
 */
export function parseOverlayArgs(argv: readonly string[], cwd: string): OverlayArgs {
  const options: string[] = [];
  const positional: string[] = [];
  let foreground = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-o') options.push(...splitOptions(argv[++i] ?? fail('-o needs a value')));
    else if (arg.startsWith('-o')) options.push(...splitOptions(arg.slice(2)));
    else if (arg === '-f') foreground = true;
    else if (arg === '-d') foreground = true;
    else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 1) fail('expected exactly one mount point');
  const values = new Map<string, string>();
  const ignored: string[] = [];
  for (const option of options) {
    const eq = option.indexOf('=');
    const key = eq < 0 ? option : option.slice(0, eq);
    if (key === 'lowerdir' || key === 'upperdir' || key === 'workdir') values.set(key, option.slice(eq + 1));
    else if (IGNORED.has(key) || key === 'context' || key.endsWith('context')) ignored.push(option);
    else fail(`option ${key} is not supported`);
  }
  const lowerdir = values.get('lowerdir') ?? fail('lowerdir= is required');
  const lower = lowerdir.split(/(?<!\\):/).map((p) => resolve(cwd, p.replace(/\\:/g, ':')));
  if (lower.some((p) => p === resolve(cwd, ''))) fail('lowerdir has an empty entry');
  const upper = values.get('upperdir');
  const work = values.get('workdir');
  if ((upper === undefined) !== (work === undefined)) fail('upperdir and workdir go together');
  return {
    lower,
    ...(upper === undefined ? {} : { upper: resolve(cwd, upper), work: resolve(cwd, work!) }),
    mountpoint: resolve(cwd, positional[0]!),
    foreground,
    ignored,
  };
}

/** Splits an -o value at commas, keeping `\,` inside a value. */
function splitOptions(value: string): string[] {
  return value.split(/(?<!\\),/).map((o) => o.replace(/\\,/g, ',')).filter((o) => o !== '');
}

function fail(message: string): never {
  throw new Error(message);
}
