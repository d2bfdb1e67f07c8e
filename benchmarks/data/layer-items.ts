/**
 * The benchmark data model: a layer is a list of items in tar order (a
 * directory before anything inside it, a hardlink after its target). Every
 * consumer — the tar packer, the overlay-style directory writer, the mount
 * change script — reads the same list, so drivers and peers see the same data.
 *
 * Paths are relative, '/'-separated, without a leading '/' ("usr/bin/ls").
 * Every item has uid 0, gid 0 and the mtime `ITEM_MTIME`.
 */
export type LayerItem =
  | { readonly kind: 'dir'; readonly path: string; readonly mode: number }
  /** Content is `contentChunks(seed, size)`. */
  | { readonly kind: 'file'; readonly path: string; readonly mode: number; readonly size: number; readonly seed: number }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string }
  /** `target` is the path of a file item earlier in the same layer. */
  | { readonly kind: 'hardlink'; readonly path: string; readonly target: string }
  /** Deletes `path` from the union (`.wh.<name>` in a tar). */
  | { readonly kind: 'whiteout'; readonly path: string }
  /** Hides every lower entry below directory `path` (`.wh..wh..opq`). */
  | { readonly kind: 'opaque'; readonly path: string };

/** Fixed modification time of generated entries (2024-01-01T00:00:00Z), whole seconds. */
export const ITEM_MTIME = new Date(Date.UTC(2024, 0, 1));

/** Bytes of regular-file content the items carry. */
export function contentBytes(items: readonly LayerItem[]): number {
  let total = 0;
  for (const item of items) if (item.kind === 'file') total += item.size;
  return total;
}
