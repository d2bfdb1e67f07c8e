import { ErrorCode, StrataError } from '../errors.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { EntryStat, TreeReader } from '../tree.js';
import type { DiffEntry } from './diff-entry.js';
import { sameNode } from './same-node.js';

/**
 * The naive diff: walks both trees side by side and yields the canonical
 * `DiffEntry` sequence (see diff-entry.ts) of what `upper` changes over `lower`
 * (null: an empty lower, so every node of upper is an 'add').
 * Costs O(size of both trees): every node of both is stat'ed, and files with
 * equal metadata are read in full. Memory: the names of one directory per level.
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

/** Children of a directory present in upper; `lower` null when lower has no directory there. */
async function* compareChildren(dir: string, lower: TreeReader | null, upper: TreeReader): AsyncGenerator<DiffEntry> {
  const upperNames = await upper.readdir(dir);
  const lowerNames = lower === null ? [] : await lower.readdir(dir);
  const inUpper = new Set(upperNames);
  const opaque = lowerNames.length > 0 && lowerNames.every((name) => !inUpper.has(name));
  if (opaque) {
    yield { kind: 'opaque', path: dir };
    lower = null; // nothing below dir is compared with lower any more
  }
  let i = 0;
  let j = 0;
  while (i < upperNames.length || (lower !== null && j < lowerNames.length)) {
    const order =
      lower === null || j >= lowerNames.length ? -1 : i >= upperNames.length ? 1 : compareNames(upperNames[i]!, lowerNames[j]!);
    if (order > 0) {
      yield { kind: 'delete', path: layerPathJoin(dir, lowerNames[j++]!) };
      continue;
    }
    const path = layerPathJoin(dir, upperNames[i++]!);
    if (order === 0) j++;
    yield* compareNode(path, order === 0 ? lower : null, upper);
  }
}

async function* compareNode(path: string, lower: TreeReader | null, upper: TreeReader): AsyncGenerator<DiffEntry> {
  const upperStat = await upper.stat(path);
  if (upperStat === undefined) {
    throw new StrataError(ErrorCode.ENOTFOUND, `${path} vanished from the upper tree while it was compared`);
  }
  const lowerStat: EntryStat | undefined = lower === null ? undefined : await lower.stat(path);
  if (lower === null || lowerStat === undefined || lowerStat.type !== upperStat.type) {
    yield { kind: 'add', path };
    if (upperStat.type === 'directory') yield* compareChildren(path, null, upper);
    return;
  }
  if (!(await sameNode(path, lower, lowerStat, upper, upperStat))) yield { kind: 'modify', path };
  if (upperStat.type === 'directory') yield* compareChildren(path, lower, upper);
}
