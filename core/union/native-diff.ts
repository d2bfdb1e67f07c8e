import type { DiffEntry } from '../diff/diff-entry.js';
import { sameNode } from '../diff/same-node.js';
import { ErrorCode, StrataError } from '../errors.js';
import { compareNames, layerPathJoin } from '../tree.js';
import type { TreeReader } from '../tree.js';
import { listUpperDir } from './upper-dir.js';
import { isOpaqueDir } from './whiteout-format.js';

/**
 * The native diff of an upper-directory layer: the canonical `DiffEntry`
 * sequence (core/diff/diff-entry.ts) of what the layer changes over its own
 * parent — exactly what `compareTrees(lower, upper)` yields for the same trees —
 * found by walking only the layer's own upper directory.
 *
 * - `upperDir`: the layer's upper directory (its whiteouts and opaque markers
 *   say what it removes);
 * - `lower`: the parent's union (null for a base layer);
 * - `upper`: the layer's own union (stats, xattrs and content come from it,
 *   as they do for the naive diff).
 *
 * Cost O(entries of the upper directory): names the layer does not hold are
 * by construction the parent's, unchanged, and never visited. The parent's
 * union is asked only about paths the upper directory holds, and listed only
 * for directories where the layer whites out names or is opaque.
 * Fails with what the trees' lookups fail with.
 */
export async function* compareUpper(upperDir: string, lower: TreeReader | null, upper: TreeReader): AsyncGenerator<DiffEntry> {
  if ((await upper.stat('/'))?.type !== 'directory') {
    throw new StrataError(ErrorCode.ENOTFOUND, 'the upper tree has no root directory');
  }
  const lowerRoot = lower === null ? undefined : await lower.stat('/');
  yield* children(upperDir, '/', lowerRoot?.type === 'directory' ? lower : null, false, upper);
}

/**
 * Children of directory `dir`, which the layer holds. `lower` is null where
 * the comparison with lower has stopped (dir is new, or an opaque entry hides
 * lower below it). `cut`: the layer's dir is not merged with lower's (it, or an
 * ancestor, is opaque), so the union lists only the layer's names there.
 */
async function* children(
  upperDir: string,
  dir: string,
  lower: TreeReader | null,
  cut: boolean,
  upper: TreeReader,
): AsyncGenerator<DiffEntry> {
  const fsDir = dir === '/' ? upperDir : upperDir + dir;
  const entries = await listUpperDir(fsDir, dir);
  const own = entries.filter((e) => e.kind !== 'whiteout').map((e) => e.name).sort(compareNames);
  const whiteouts = new Set(entries.filter((e) => e.kind === 'whiteout').map((e) => e.name));
  cut ||= dir !== '/' && isOpaqueDir(fsDir);

  let deleted: string[] = [];
  if (lower !== null && (cut || whiteouts.size > 0)) {
    const ownSet = new Set(own);
    const lowerNames = await lower.readdir(dir);
    // A lower name survives in the union where the layer holds it, or, in a merged dir, where it is not whited out.
    const survives = (name: string) => ownSet.has(name) || (!cut && !whiteouts.has(name));
    deleted = lowerNames.filter((n) => !survives(n));
    if (lowerNames.length > 0 && deleted.length === lowerNames.length) {
      yield { kind: 'opaque', path: dir };
      lower = null;
      deleted = [];
    }
  }

  let j = 0;
  for (const name of own) {
    while (j < deleted.length && compareNames(deleted[j]!, name) < 0) yield { kind: 'delete', path: layerPathJoin(dir, deleted[j++]!) };
    yield* node(upperDir, layerPathJoin(dir, name), lower, cut, upper);
  }
  while (j < deleted.length) yield { kind: 'delete', path: layerPathJoin(dir, deleted[j++]!) };
}

async function* node(
  upperDir: string,
  path: string,
  lower: TreeReader | null,
  cut: boolean,
  upper: TreeReader,
): AsyncGenerator<DiffEntry> {
  const upperStat = await upper.stat(path);
  if (upperStat === undefined) {
    throw new StrataError(ErrorCode.ENOTFOUND, `${path} vanished from the upper tree while it was compared`);
  }
  const lowerStat = lower === null ? undefined : await lower.stat(path);
  if (lower === null || lowerStat === undefined || lowerStat.type !== upperStat.type) {
    yield { kind: 'add', path };
    if (upperStat.type === 'directory') yield* children(upperDir, path, null, true, upper);
    return;
  }
  if (!(await sameNode(path, lower, lowerStat, upper, upperStat))) yield { kind: 'modify', path };
  if (upperStat.type === 'directory') yield* children(upperDir, path, lower, cut, upper);
}
