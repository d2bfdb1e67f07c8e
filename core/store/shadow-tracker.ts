import { OPAQUE_MARKER, WHITEOUT_PREFIX } from '../archive/entry.js';
import { layerPathParent } from '../tree.js';

/** What an entry is, as far as shadowing goes. */
export type EntryKind = 'file' | 'directory' | 'other';

/**
 * Finds the regular-file entries of one tar whose content will NOT be in the
 * layer once the whole tar is applied, because a later entry of the same tar
 * replaces it (same path; later wins), replaces one of its parent directories
 * with a non-directory, or whites it out or makes an ancestor opaque. The last
 * two are no-ops for same-layer entries under OCI rules, but counting them is
 * safe: a shadowed file only costs its bytes being kept in the tar-split record.
 *
 * Memory: one map entry per regular file with content (path and ordinals).
 */
export class ShadowTracker {
  /** Layer path → ordinals of file entries whose content is still in the layer. */
  readonly #live = new Map<string, number[]>();
  /** Every proper ancestor directory of a live file: skips scans under paths with none. */
  readonly #ancestors = new Set<string>();
  readonly #shadowed = new Set<number>();

  /** Ordinals of file entries shadowed so far. */
  get shadowed(): ReadonlySet<number> {
    return this.#shadowed;
  }

  /**
   * Notes the next entry of the tar at `path` (a normalized layer path). For a
   * 'file' with content, `ordinal` identifies it in later `shadowed` sets.
   */
  note(path: string, kind: EntryKind, ordinal?: number): void {
    const slash = path.lastIndexOf('/');
    const base = path.slice(slash + 1);
    const dir = layerPathParent(path);
    if (base === OPAQUE_MARKER) {
      this.#shadowUnder(dir);
      return;
    }
    if (base.startsWith(WHITEOUT_PREFIX)) {
      const target = `${dir === '/' ? '' : dir}/${base.slice(WHITEOUT_PREFIX.length)}`;
      this.#shadowExact(target);
      this.#shadowUnder(target);
      return;
    }
    this.#shadowExact(path);
    if (kind !== 'directory') this.#shadowUnder(path);
    if (kind === 'file' && ordinal !== undefined) this.#add(path, ordinal);
  }

  #add(path: string, ordinal: number): void {
    const list = this.#live.get(path);
    if (list) list.push(ordinal);
    else this.#live.set(path, [ordinal]);
    for (let dir = layerPathParent(path); dir !== '/'; dir = layerPathParent(dir)) {
      if (this.#ancestors.has(dir)) break;
      this.#ancestors.add(dir);
    }
  }

  #shadowExact(path: string): void {
    const list = this.#live.get(path);
    if (!list) return;
    for (const ordinal of list) this.#shadowed.add(ordinal);
    this.#live.delete(path);
  }

  #shadowUnder(dir: string): void {
    if (dir !== '/' && !this.#ancestors.has(dir)) return;
    const prefix = dir === '/' ? '/' : `${dir}/`;
    for (const path of [...this.#live.keys()]) {
      if (path.startsWith(prefix)) this.#shadowExact(path);
    }
  }
}
