import { readdir } from 'node:fs/promises';
import { ownStartTime, processLives } from '../process-stat.js';

/**
 * Names in the store's tmp that say which process made them:
 * `<kind>-<pid>-<start time>`, optionally followed by `-<anything>`. A process
 * killed with -9 leaves its files behind; whoever cleans up (the next open of
 * the store for scratch directories, the next pull for a pull's staging)
 * finds them by name and knows they are no one's: the pid is gone, or is now
 * another process's (its start time differs).
 */

/** This process's name of `kind` (a word: `proc`, `pull`). */
export function ownedName(kind: string): string {
  return `${kind}-${process.pid}-${ownStartTime() ?? 0}`;
}

/** The pattern of `kind`'s names (pid and start time captured), made once per kind. */
const PATTERNS = new Map<string, RegExp>();

function patternOf(kind: string): RegExp {
  let pattern = PATTERNS.get(kind);
  if (pattern === undefined) {
    pattern = new RegExp(`^${kind.replace(/[^a-z0-9]/g, (c) => `\\${c}`)}-(\\d+)-(\\d+)(?:-|$)`);
    PATTERNS.set(kind, pattern);
  }
  return pattern;
}

/** Whether `name` is a name of `kind` whose process lives; undefined where it is not a name of `kind`. */
export function ownerLives(name: string, kind: string): boolean | undefined {
  const m = patternOf(kind).exec(name);
  return m === null ? undefined : processLives(Number(m[1]), m[2]!);
}

/** The entries of `dir` named for `kind` whose process is gone. */
export async function deadOwnersIn(dir: string, kind: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).filter((name) => ownerLives(name, kind) === false);
}
