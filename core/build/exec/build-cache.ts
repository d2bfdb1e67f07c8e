/**
 * The build cache: which image a build step produced, by the step's cache key
 * (cache-key.ts), in the root database's `build_cache` table. It persists across builds
 * and processes. An entry goes with its image (ON DELETE CASCADE): removing an
 * intermediate image forgets its step; `builder prune` removes the intermediate images
 * that nothing names or builds on, and so the entries.
 */
import type { Store } from '../../store/store.js';

export class BuildCache {
  constructor(readonly store: Store) {}

  /** The image (hex id) cached for `key`, if it is still in the store. */
  get(key: string): string | undefined {
    const row = this.store.root.db.sqlite.prepare('SELECT image FROM build_cache WHERE key = ?').get(key) as { image: string } | undefined;
    if (row === undefined) return undefined;
    try {
      return this.store.images.get(row.image).id;
    } catch {
      return undefined;
    }
  }

  /** Records that the step `key` produced `image` (a later step with the same key replaces it). */
  put(key: string, image: string): void {
    this.store.root.db.sqlite.prepare('INSERT OR REPLACE INTO build_cache (key, image, created_at) VALUES (?, ?, ?)').run(key, image, new Date().toISOString());
  }

  /** The images the cache names (hex ids), deduplicated. */
  images(): string[] {
    return (this.store.root.db.sqlite.prepare('SELECT DISTINCT image FROM build_cache').all() as { image: string }[]).map((r) => r.image);
  }

  /** Forgets every entry (the images stay). */
  clear(): void {
    this.store.root.db.sqlite.prepare('DELETE FROM build_cache').run();
  }
}
