import { lstatSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { sys } from '../../core/sys/index.js';

/** Bits of a shown inode number left to the backing inode; the filesystem's index goes above them. */
const INO_BITS = 2 ** 48;

/**
 * The st_ino numbers a mount shows, kept for the life of a layer as kernel
 * overlayfs does (with xino):
 *
 * - an entry shows `fsIndex · 2^48 + backing ino`, where fsIndex numbers the
 *   distinct filesystems of the layers, bottom layer first (0 where they all
 *   share one, the usual case: the backing inode itself). So two entries on
 *   two filesystems never share a number (inode numbers below 2^48);
 * - a copy-up records the number its source showed in an xattr of the copy
 *   (`<trusted|user>.overlay.strata.ino`, hidden from the union and left out
 *   of layer diffs as every overlay xattr), and the copy shows that number
 *   from then on, in this mount and in the mounts of layers above it. A
 *   source with several hard links keeps no number (as overlayfs without
 *   index=on): its names stay distinct files after the copy, so the copy
 *   shows its own number.
 */
export class InodeNumbers {
  readonly xattr: string;
  readonly #fsIndex = new Map<number, number>();

  /** layers: backing directories, top first (as UnionFsOptions.layers); they must exist. */
  constructor(layers: readonly string[], privileged: boolean) {
    this.xattr = privileged ? 'trusted.overlay.strata.ino' : 'user.overlay.strata.ino';
    for (const dir of [...layers].reverse()) {
      const dev = lstatSync(dir).dev;
      if (!this.#fsIndex.has(dev)) this.#fsIndex.set(dev, this.#fsIndex.size);
    }
  }

  /** The number shown for the entry at fsPath, whose lstat is st. */
  of(fsPath: string, st: Stats): number {
    return this.recorded(fsPath) ?? this.fresh(st);
  }

  /** The number an entry shows from its own inode (no record). */
  fresh(st: Stats): number {
    const index = this.#fsIndex.get(st.dev) ?? this.#fsIndex.size; // a mount inside a layer: one past the layers'
    return index * INO_BITS + (st.ino % INO_BITS);
  }

  /** The number recorded on fsPath by a copy-up, if any. */
  recorded(fsPath: string): number | undefined {
    const value = sys.lgetxattr(fsPath, this.xattr);
    const n = value === null ? NaN : Number(value.toString('ascii'));
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  }

  /**
   * Records on `copy`, a fresh copy of an entry whose lstat is st and which
   * the union showed as number `shown`, that number, unless the entry has
   * other hard links (they stay distinct files after the copy, so the copy
   * shows its own number). A filesystem refusing the xattr (user.* on a
   * symlink) leaves the copy its own number.
   */
  record(copy: string, st: Stats, shown: number): void {
    if (!st.isDirectory() && st.nlink > 1) return;
    try {
      sys.lsetxattr(copy, this.xattr, Buffer.from(String(shown), 'ascii'));
    } catch {
      // no xattr here: the copy shows its own number
    }
  }
}
