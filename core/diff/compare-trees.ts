import { ErrorCode, StrataError } from '../errors.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { EntryStat, TreeReader } from '../tree.js';
import type { DiffEntry } from './diff-entry.js';
import { LOOKAHEAD, prefetch } from './prefetch.js';
import { sameNode } from './same-node.js';

/**
 * The naive diff: walks both trees side by side and yields the canonical
 * `DiffEntry` sequence (see diff-entry.ts) of what `upper` changes over `lower`
 * (null: an empty lower, so every node of upper is an 'add').
 * Costs O(size of both trees): every node of both is stat'ed, and files with
 * equal metadata are read in full. Memory: the names of one directory per
 * level, plus LOOKAHEAD stats per level.
 * Fails with ENOTFOUND when upper's root is not a directory, and with whatever
 * the trees' lookups fail with (e.g. a tree that changes while walked).
 */
export async function* compareTrees(lower: TreeReader | null, upper: TreeReader): AsyncGenerator<DiffEntry> {
  const upperRoot = await upper.stat('/');
  if (upperRoot?.type !== 'directory') {
    throw new StrataError(ErrorCode.ENOTFOUND, 'the upper tree has no root directory');
  }
  const lowerRoot = lower === null ? undefined : await lower.stat('/');
  yield* compareChildren('/', lowerRoot?.type === 'directory' ? lower : null, upper);
}

/** A child name of a directory: in upper (with its stat, and lower's where both have it) or only in lower. */
interface Child {
  readonly path: string;
  readonly upperStat?: EntryStat;
  readonly lowerStat?: EntryStat;
}

/** Children of a directory present in upper; `lower` null when lower has no directory there. */
async function* compareChildren(dir: string, lower: TreeReader | null, upper: TreeReader): AsyncGenerator<DiffEntry> {
  const upperNames = await upper.readdir(dir);
  const lowerNames = lower === null ? [] : await lower.readdir(dir);
  const inUpper = new Set(upperNames);
  const opaque = lowerNames.length > 0 && lowerNames.every((name) => !inUpper.has(name));
  if (opaque) yield { kind: 'opaque', path: dir };
  const below = opaque ? null : lower; // below an opaque directory nothing is compared with lower
  const inLower = new Set(below === null ? [] : lowerNames);
  const names = below === null ? upperNames : [...new Set([...upperNames, ...lowerNames])].sort(compareNames);
  const lookup = async (name: string): Promise<Child> => {
    const path = layerPathJoin(dir, name);
    if (!inUpper.has(name)) return { path };
    const [upperStat, lowerStat] = await Promise.all([upper.stat(path), below !== null && inLower.has(name) ? below.stat(path) : undefined]);
    if (upperStat === undefined) {
      throw new StrataError(ErrorCode.ENOTFOUND, `${path} vanished from the upper tree while it was compared`);
    }
    return { path, upperStat, lowerStat };
  };
  for await (const child of prefetch(names, lookup, LOOKAHEAD)) {
    if (child.upperStat === undefined) yield { kind: 'delete', path: child.path };
    else yield* compareNode(child.path, child.upperStat, below, child.lowerStat, upper);
  }
}

async function* compareNode(
  path: string,
  upperStat: EntryStat,
  lower: TreeReader | null,
  lowerStat: EntryStat | undefined,
  upper: TreeReader,
): AsyncGenerator<DiffEntry> {
  if (lower === null || lowerStat === undefined || lowerStat.type !== upperStat.type) {
    yield { kind: 'add', path, upperStat };
    if (upperStat.type === 'directory') yield* compareChildren(path, null, upper);
    return;
  }
  if (!(await sameNode(path, lower, lowerStat, upper, upperStat))) yield { kind: 'modify', path, upperStat };
  if (upperStat.type === 'directory') yield* compareChildren(path, lower, upper);
}
