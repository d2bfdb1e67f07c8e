import type { EntryStat } from '../tree.js';

/**
 * # The canonical diff
 *
 * What a layer (the *upper* tree) changes over its parent (the *lower* tree,
 * or nothing) is one sequence of `DiffEntry`. Every driver's diff — core's
 * naive one (`compareTrees`) and any native one — must produce exactly this
 * sequence for the same two trees; `writeLayerTar` turns it into the layer
 * tarball, so equal sequences give byte-identical tars and the same diffID.
 *
 * ## Order
 *
 * 1. Depth-first, pre-order, from the root; the root itself is never an entry
 *    (a layer's root is made by `create`, layer tars do not carry it).
 * 2. Within a directory, its children in byte order of their names
 *    (`compareNames`), the names of both trees merged: a 'delete' of child `x`
 *    takes the place `x` would have among its siblings.
 * 3. A directory's own entry ('add' or 'modify') comes before anything below it.
 * 4. An 'opaque' entry for a directory comes right after that directory's own
 *    entry, or first below it when the directory itself is unchanged.
 *
 * ## Kinds
 *
 * - **add** `path`: absent in lower, or present with another type (file,
 *   directory, symlink, char, block, fifo, socket). The new node replaces the
 *   lower one together with the lower subtree below it: nothing else is emitted
 *   for lower children (no whiteouts), and every node below a new directory is
 *   an 'add' too.
 * - **modify** `path`: same type in both, and any of these differ: mode (0o7777),
 *   uid, gid, mtime at whole-second precision (`Math.floor(mtimeMs / 1000)`, as
 *   tar stores it), size, symlink target, device numbers, xattrs (names and
 *   values). For files whose metadata is all equal, the content is compared
 *   byte by byte — only then, because a different size or mtime is a change
 *   already. Hard-link counts and inode numbers are not compared.
 * - **opaque** `dir`: `dir` is a directory in both trees, lower's `dir` has at
 *   least one child and none of lower's child names exists in upper's `dir`.
 *   Then no 'delete' is emitted below `dir` (the opaque entry hides them all).
 * - **delete** `path`: otherwise, one per lower child name of a directory present
 *   in both trees that is absent from upper.
 *
 * Sockets are compared like any node (so `changes` lists them) but a tar cannot
 * carry them: `writeLayerTar` leaves out their 'add'/'modify', as moby does.
 *
 * ## Example
 *
 *     lower: /a/ /a/x /a/y /b/ /b/old /c          upper: /a/ /a/x(new content) /a/z /b/ /b/new
 *     → modify /a/x · delete /a/y · add /a/z · opaque /b · add /b/new · delete /c
 *     (plus 'modify /a' and 'modify /b' if their mtimes differ, as they usually do)
 */
export interface DiffEntry {
  readonly kind: DiffKind;
  /** A normalized layer path ('/a/b'); for 'opaque', the directory. */
  readonly path: string;
  /**
   * For 'add' and 'modify': upper's stat of `path` as the producer saw it, so a
   * consumer need not look it up again. Optional (a producer may leave it out);
   * never part of the sequence's identity.
   */
  readonly upperStat?: EntryStat;
  /**
   * For 'add' and 'modify' of a native diff of a directory layer: the real
   * path of the node, where it is not the layer directory + `path` (a node
   * under a redirected directory lives in a lower layer, at the redirect's
   * path). Optional; never part of the sequence's identity.
   */
  readonly source?: string;
  /**
   * For 'add' and 'modify': upper's visible xattrs of `path` (as
   * `TreeReader.xattrs` gives them) where the producer read them already.
   * Optional; never part of the sequence's identity.
   */
  readonly upperXattrs?: Readonly<Record<string, Buffer>>;
  /**
   * For 'add' and 'modify' of a regular file: its content, read with its
   * `upperStat` (up to one byte past that size: more shows the file grew),
   * where the producer read it already. Optional; never part of the
   * sequence's identity.
   */
  readonly upperContent?: Buffer;
  /**
   * For 'add': whether lower holds a node (of another type) at `path`, where
   * the producer knows. Optional; never part of the sequence's identity.
   */
  readonly replaces?: boolean;
  /**
   * For 'opaque': every child name of lower's `dir`, where the producer knows
   * them. Optional; never part of the sequence's identity.
   */
  readonly hidden?: readonly string[];
}

export type DiffKind = 'add' | 'modify' | 'delete' | 'opaque';
