/**
 * The build cache as the user sees it (`system df`'s Build Cache row, `builder prune`):
 * the images the cache names that no tag names — the intermediate images of builds —
 * and the layers only they hold.
 */
import { layerBytes } from '../../image-ops/disk-usage.js';
import type { Store } from '../../store/store.js';
import { clearContextHashCaches } from '../context/hash-cache.js';
import { BuildCache } from './build-cache.js';

export interface BuildCacheUsage {
  /** Cached images without a name. */
  entries: number;
  /** Bytes of the layers that only those images hold. */
  size: number;
}

export function buildCacheUsage(store: Store): BuildCacheUsage {
  const cached = new Set(new BuildCache(store).images());
  const all = store.images.list();
  const intermediate = all.filter((i) => cached.has(i.id) && i.names.length === 0);
  const kept = new Set(all.filter((i) => !intermediate.includes(i)).flatMap((i) => i.layers));
  const own = new Set(intermediate.flatMap((i) => i.layers).filter((l) => !kept.has(l)));
  return { entries: intermediate.length, size: [...own].reduce((sum, l) => sum + layerBytes(store, l), 0) };
}

/**
 * `builder prune`: forgets every cache entry (and the contexts' remembered file hashes)
 * and removes the cached images that nothing names and nothing builds on, repeatedly (a
 * chain of intermediate images goes from the top down); those a named image builds on
 * stay, as its parents. Returns the removed image ids (`sha256:…`) and the bytes freed.
 */
export async function pruneBuildCache(store: Store): Promise<{ deleted: string[]; reclaimed: number }> {
  const cache = new BuildCache(store);
  return store.root.lock.run('builder prune', async () => {
    const before = buildCacheUsage(store).size;
    const candidates = new Set(cache.images());
    cache.clear();
    await clearContextHashCaches(store.root.path);
    const deleted: string[] = [];
    for (;;) {
      const images = store.images.list();
      const victims = images.filter((i) => candidates.has(i.id) && i.names.length === 0 && !images.some((o) => o.parent === i.id) && store.containers.containersOf(i.id) === 0);
      if (victims.length === 0) break;
      for (const victim of victims) {
        await store.images.removeLocked(victim.id, { force: true, noPrune: true });
        candidates.delete(victim.id);
        deleted.push(`sha256:${victim.id}`);
      }
    }
    return { deleted, reclaimed: before };
  });
}
