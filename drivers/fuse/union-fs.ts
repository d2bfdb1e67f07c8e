import { randomBytes } from 'node:crypto';
import { lstat, lutimes, rename, rm, unlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { layerPathJoin, layerPathParent } from '../../core/tree.js';
import { UnionTree } from '../../core/union/union-tree.js';
import { lstatIfPresent } from '../../core/union/upper-dir.js';
import { redirectXattrFor } from '../../core/union/redirect-format.js';
import { TRUSTED_OPAQUE, isWhiteoutStats, makeWhiteout } from '../../core/union/whiteout-format.js';
import type { UnionLocation } from '../../core/union/union-tree.js';
import { copyEntry, copyTimes } from './copy-entry.js';
import { fsError, refuseReplacedBytes } from './errno.js';
import { InodeNumbers } from './inode-numbers.js';
import { ShownCtimes } from './shown-ctimes.js';

/** What a mount serves: a stack of upper directories in overlayfs' format. */
export interface UnionFsOptions {
  /** Upper directories of the stack, top (the mounted layer) first. */
  readonly layers: readonly string[];
  /** May the top layer be written through the mount? */
  readonly writable: boolean;
  /** An empty directory on the top layer's filesystem where copy-ups are staged (writable mounts). */
  readonly workDir: string;
  /** The opaque xattr name to write (trusted.overlay.opaque as root). */
  readonly opaqueXattr: string;
  /** Set owners on copies (root). */
  readonly privileged: boolean;
  /**
   * Rename a directory that continues a lower one by a redirect (overlayfs'
   * `redirect_dir=on`, see ops-rename.ts) rather than by copying its subtree.
   * Only for upper directories that no reader ignoring redirects will see:
   * strata's own layers (its diffs expand them). Default false.
   */
  readonly redirectDirs?: boolean;
}

/**
 * The state of one FUSE mount of a layer: the union of its stack and the
 * means to change its top layer the way kernel overlayfs does.
 *
 * Speed: `tree` is the mount's merged lookup index (core's `UnionTree`): each
 * directory of the union is merged once (one readdir per layer holding it)
 * into name → top-most layer, so a path resolves with hash look-ups and one
 * lstat of the layer that holds it, whatever the depth. Its layers are given
 * as not changing behind the cache: this process is the only writer of the top
 * layer while it is mounted, and every write op below patches the index
 * itself (`UnionTree.update`) instead of re-reading directories. The tree
 * follows redirects (redirect-format.ts): below a directory renamed from a
 * lower layer, the layers below are read where it came from.
 *
 * Namespace and metadata changes run one at a time (`mutate`), so two calls
 * never copy up the same file twice or race a rename; reads and data writes
 * on open files run concurrently.
 */
export class UnionFs {
  readonly tree: UnionTree;
  readonly upperDir: string;
  readonly writable: boolean;
  readonly opaqueXattr: string;
  /** The redirect xattr name written, of opaqueXattr's namespace (see redirect-format.ts). */
  readonly redirectXattr: string;
  readonly privileged: boolean;
  readonly redirectDirs: boolean;
  /** ctimes kept stable across copy-ups; ops report their changes here (see ShownCtimes). */
  readonly ctimes = new ShownCtimes();
  readonly inodes: InodeNumbers;
  readonly #workDir: string;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #changeListeners: Array<() => void> = [];

  constructor(options: UnionFsOptions) {
    const [top, ...below] = options.layers.map((dir) => ({ dir, writable: false }));
    this.tree = new UnionTree(top!, below.length > 0 ? UnionTree.of(below) : null);
    this.upperDir = options.layers[0]!;
    this.writable = options.writable;
    this.opaqueXattr = options.opaqueXattr;
    this.redirectXattr = redirectXattrFor(options.opaqueXattr === TRUSTED_OPAQUE);
    this.privileged = options.privileged;
    this.redirectDirs = options.redirectDirs === true;
    this.#workDir = options.workDir;
    this.inodes = new InodeNumbers(options.layers, options.privileged);
  }

  /** Real path of a layer path in the top layer. */
  upper(path: string): string {
    return path === '/' ? this.upperDir : this.upperDir + path;
  }

  /** Where the union holds path. Fails with ENOENT. */
  async locate(path: string): Promise<UnionLocation> {
    const at = await this.tree.locate(path);
    if (at === undefined) throw fsError('ENOENT', path);
    return at;
  }

  /**
   * The st_ino the mount shows for path, which `at` and `st` locate and lstat
   * (see InodeNumbers: stable across copy-up and remounts, distinct across
   * filesystems). A directory of the top layer that merges with one below
   * shows the number of that lower copy (its origin, as in overlayfs), so a
   * directory's number does not change when a change inside it copies it up:
   * programs that hold a directory and check its identity on the way back up
   * (fts(3) in `rm -rf`, `find`) see the same directory.
   */
  async inode(path: string, at: UnionLocation, st: Stats): Promise<number> {
    if (!at.inTop || !st.isDirectory()) return this.inodes.of(at.fsPath, st);
    const origin = await this.tree.mergedBelow(path);
    const originStat = origin === undefined ? undefined : await lstatIfPresent(origin);
    return originStat === undefined ? this.inodes.of(at.fsPath, st) : this.inodes.of(origin!, originStat);
  }

  /** Do the layers below the top have a node where the union's path continues (so its deletion needs a whiteout)? */
  lowerHas(path: string): Promise<boolean> {
    return this.tree.belowHas(path);
  }

  /**
   * Runs a change of the top layer after every change queued before it.
   * `changed`: the union paths whose own attributes the change alters as the
   * kernel sees it (the entry, or a directory whose entries it changes): once
   * it succeeds, they show their backing ctimes again (`ShownCtimes`).
   * Fails with EROFS on a read-only mount.
   */
  mutate<T>(change: () => Promise<T>, ...changed: string[]): Promise<T> {
    if (!this.writable) return Promise.reject(fsError('EROFS'));
    const task = async (): Promise<T> => {
      try {
        const result = await change();
        this.ctimes.changed(...changed);
        return result;
      } finally {
        for (const listener of this.#changeListeners) listener();
      }
    };
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Calls listener after every change `mutate` ran (whether it succeeded or
   * not): the namespace of the union may differ from before it.
   */
  whenChanged(listener: () => void): void {
    this.#changeListeners.push(listener);
  }

  /**
   * Copies path up into the top layer (parents first, each with its metadata)
   * unless the top layer holds it already, and returns its real path there.
   * A copy is staged in the work dir and renamed into place, so the top layer
   * never shows half a file; the parent keeps its times (as in overlayfs).
   * Call inside `mutate`. Fails with ENOENT, or the errno of the copy.
   */
  async copyUp(path: string): Promise<string> {
    const at = await this.locate(path);
    if (at.inTop) return at.fsPath;
    await this.copyUp(layerPathParent(path));
    const staged = this.#stagingPath();
    try {
      const st = await copyEntry(at.fsPath, staged, this.privileged);
      // A directory copied up in place shows its merged origin's number (see inode): nothing to record.
      if (!st.isDirectory()) this.inodes.record(staged, st, this.inodes.of(at.fsPath, st));
      await copyTimes(st, staged);
      await this.#keepingTimes(layerPathParent(path), () => rename(staged, this.upper(path)));
      this.tree.update(path, { isDir: st.isDirectory() });
      this.ctimes.pin(path, st.ctimeMs);
    } catch (err) {
      await rm(staged, { recursive: true, force: true });
      throw err;
    }
    return this.upper(path);
  }

  /**
   * Copies the whole union subtree at path (a directory) into a staged
   * directory and returns its real path: how a directory that continues a
   * lower one is renamed without `redirectDirs` (overlayfs without
   * redirect_dir answers EXDEV there; this does the copy instead). Hard links
   * inside become copies.
   */
  async copyTree(path: string): Promise<string> {
    const staged = this.#stagingPath();
    try {
      await this.#copyTreeTo(path, staged);
    } catch (err) {
      await rm(staged, { recursive: true, force: true });
      throw err;
    }
    return staged;
  }

  async #copyTreeTo(path: string, to: string): Promise<void> {
    const at = await this.locate(path);
    const st = await copyEntry(at.fsPath, to, this.privileged);
    this.inodes.record(to, st, await this.inode(path, at, st));
    if (st.isDirectory()) {
      for (const name of await this.tree.readdir(path)) await this.#copyTreeTo(layerPathJoin(path, name), join(to, name));
    }
    await copyTimes(st, to);
  }

  /**
   * Makes a staged copy of the directory at path alone (no entries: mode,
   * owner, user xattrs, times) and returns its real path: what renaming a
   * directory held only below needs (the copy goes in place under the new
   * name and continues the lower directory through a redirect). Call inside
   * `mutate`. Fails with ENOENT, or the errno of the copy.
   */
  async stageDirCopy(path: string): Promise<string> {
    const at = await this.locate(path);
    const staged = this.#stagingPath();
    try {
      await copyTimes(await copyEntry(at.fsPath, staged, this.privileged), staged);
    } catch (err) {
      await rm(staged, { recursive: true, force: true });
      throw err;
    }
    return staged;
  }

  /**
   * Readies path, which the union must not have, for a new entry in the top
   * layer: copies its parent up and removes a whiteout there. Returns the
   * real path and whether a whiteout was replaced (a new directory there must
   * be opaque). Call inside `mutate`. Fails with EEXIST, ENOENT, ENOTDIR, and
   * EILSEQ for a name that was not UTF-8 (see refuseReplacedBytes).
   */
  async prepareNew(path: string): Promise<{ fsPath: string; replacedWhiteout: boolean }> {
    refuseReplacedBytes(path.slice(path.lastIndexOf('/') + 1), path);
    if ((await this.tree.locate(path)) !== undefined) throw fsError('EEXIST', path);
    const parent = await this.locate(layerPathParent(path));
    if (!(await lstat(parent.fsPath)).isDirectory()) throw fsError('ENOTDIR', path);
    await this.copyUp(layerPathParent(path));
    const fsPath = this.upper(path);
    const there = await lstatIfPresent(fsPath);
    if (there !== undefined) {
      if (isWhiteoutStats(there)) await unlink(fsPath);
      else await rm(fsPath, { recursive: true, force: true }); // left by a crash: the union does not show it
    }
    return { fsPath, replacedWhiteout: there !== undefined && isWhiteoutStats(there) };
  }

  /**
   * After the top layer's own entry at path is gone: hides lower copies of
   * path with a whiteout (char 0/0) where the layers below have it, and records
   * the result in the index. The parent must be in the top layer already.
   */
  async hide(path: string): Promise<void> {
    if (await this.lowerHas(path)) makeWhiteout(this.upper(path));
    this.tree.update(path, null);
    this.ctimes.gone(path);
  }

  /** Runs change, which adds an entry to the top layer's directory at path, and puts back that directory's times; its ctime shown stays. */
  async #keepingTimes(path: string, change: () => Promise<void>): Promise<void> {
    const dir = this.upper(path);
    const before = await lstat(dir);
    this.ctimes.pin(path, before.ctimeMs);
    await change();
    await lutimes(dir, before.atimeMs / 1000, before.mtimeMs / 1000);
  }

  #stagingPath(): string {
    return join(this.#workDir, `copy-${randomBytes(8).toString('hex')}`);
  }
}
