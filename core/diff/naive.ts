import type { Readable } from 'node:stream';
import type { Change } from '../driver.js';
import type { TreeReader } from '../tree.js';
import { changesOf } from './changes.js';
import { compareTrees } from './compare-trees.js';
import { layerTarEntries, writeLayerTar } from './layer-tar.js';

/**
 * The one-call helpers a driver without a native diff uses, in the manner of
 * moby's NaiveDiffDriver: `lower` is the parent's union (null for a base
 * layer), `upper` the layer's union. Cost O(size of both trees).
 */

/** The OCI layer tarball of what upper changes over lower (see `writeLayerTar`). */
export function naiveDiff(lower: TreeReader | null, upper: TreeReader): Readable {
  return writeLayerTar(compareTrees(lower, upper), upper);
}

/** Added / Modified / Deleted paths of upper over lower, sorted by path (see `changesOf`). */
export function naiveChanges(lower: TreeReader | null, upper: TreeReader): Promise<Change[]> {
  return changesOf(compareTrees(lower, upper), lower);
}

/**
 * Bytes of regular-file content the naive diff's tarball carries (each hard-linked
 * content once): what applying that tarball writes, as `applyDiff` returns it.
 * Reads metadata only, no content.
 */
export async function diffSize(lower: TreeReader | null, upper: TreeReader): Promise<number> {
  let total = 0;
  for await (const { header } of layerTarEntries(compareTrees(lower, upper), upper)) {
    if (header.type === 'file') total += header.size;
  }
  return total;
}
