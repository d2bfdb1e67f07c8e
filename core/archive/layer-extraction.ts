import { chmod, lutimes, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { errnoOf } from '../errors.js';
import type { EntryStat, TreeReader } from '../tree.js';
import { createNode, type NodeHeader, type NodeWriterContext } from './entry-writer.js';
import { hostPathOf, kindOf, lstatOrUndefined, unsafe } from './safe-path.js';
import { sys } from '../sys/index.js';
import type { WhiteoutHandler } from './whiteout-handler.js';

export interface LayerExtractionOptions {
  /** The layer's own directory, absolute; exists. */
  readonly dir: string;
  readonly whiteouts: WhiteoutHandler;
  readonly lower?: TreeReader;
  readonly allowDevices: boolean;
  readonly chown: boolean;
}

/**
 * The state of one extraction into a layer directory: what this layer wrote,
 * deleted and made opaque so far, the directories whose mode and mtime are set
 * at the end. Every path it touches was reached
 * component by component with lstat, never through a symlink.
 */
export class LayerExtraction implements NodeWriterContext {
  readonly dir: string;
  readonly whiteouts: WhiteoutHandler;
  readonly lower: TreeReader | undefined;
  readonly allowDevices: boolean;
  readonly chown: boolean;
  /** Layer paths this layer's entries created or passed through as parents. */
  readonly written = new Set<string>();
  /** Layer paths where this layer deleted something (whiteouts and replacements): lower content is gone. */
  readonly #removed = new Set<string>();
  /** Layer paths whose current node is a whiteout this layer wrote. */
  readonly #whitedOut = new Set<string>();
  /** Directories whose lower children this layer hid. */
  readonly #opaque = new Set<string>();
  readonly #deferred = new Map<string, { readonly mode: number; readonly mtime: Date | undefined }>();
  /** Layer paths checked (or made) to be real directories; this layer is the only writer, so it stays true until removed. */
  readonly #verified = new Set<string>();
  /** Directories this extraction made (empty when made): only it has put anything in them since. */
  readonly #made = new Set<string>();

  constructor(options: LayerExtractionOptions) {
    this.dir = options.dir;
    this.whiteouts = options.whiteouts;
    this.lower = options.lower;
    this.allowDevices = options.allowDevices;
    this.chown = options.chown;
  }

  deferDirectory(host: string, mode: number, mtime: Date | undefined): void {
    this.#deferred.set(host, { mode, mtime });
  }

  /**
   * Makes every parent of `parts` a real directory of the layer, creating the
   * ones the tar omits: with the lower layer's metadata where it has them, else
   * 0755, owned 0:0, with the entry's `mtime` (deterministic, unlike "now").
   * For a whiteout (`forWhiteout`), answers false where there is nothing to
   * hide below: a parent missing everywhere, or one that is a file or device.
   * Fails with EUNSAFEARCHIVE naming `what` where a parent is a symlink (in this
   * layer or below), or, for other entries, anything but a directory.
   */
  async parents(parts: readonly string[], what: string, mtime: Date, forWhiteout: boolean): Promise<boolean> {
    for (let i = 1; i < parts.length; i++) {
      const sub = parts.slice(0, i);
      const layerPath = `/${sub.join('/')}`;
      if (this.#verified.has(layerPath)) continue;
      const host = hostPathOf(this.dir, sub, what);
      const stats = await lstatOrUndefined(host);
      if (stats?.isDirectory() === true) {
        // An existing directory the tar does not list keeps its mode and mtime though entries change it.
        if (!this.#deferred.has(host)) this.deferDirectory(host, stats.mode & 0o7777, stats.mtime);
        this.written.add(layerPath);
        this.#verified.add(layerPath);
        continue;
      }
      if (stats !== undefined && !this.#whitedOut.has(layerPath)) {
        if (forWhiteout && !stats.isSymbolicLink()) return false;
        throw unsafe(what, `parent ${JSON.stringify(layerPath)} is ${kindOf(stats)}`);
      }
      let from: EntryStat | undefined;
      if (stats === undefined && this.lowerVisible(sub)) {
        from = await this.lower?.stat(layerPath);
        if (from !== undefined && from.type !== 'directory') {
          if (forWhiteout && from.type !== 'symlink') return false;
          throw unsafe(what, `parent ${JSON.stringify(layerPath)} is a ${from.type} in the lower layers`);
        }
      }
      if (forWhiteout && from === undefined) return false;
      if (stats !== undefined) await this.remove(host, layerPath);
      await this.#makeParent(host, layerPath, from, mtime, what);
    }
    return true;
  }

  /** Is the lower union still visible at `parts` (nothing removed at or above it, no opaque ancestor)? */
  lowerVisible(parts: readonly string[]): boolean {
    if (this.lower === undefined || this.#opaque.has('/')) return false;
    let path = '';
    for (let i = 0; i < parts.length; i++) {
      path += `/${parts[i]}`;
      if (this.#removed.has(path)) return false;
      if (i < parts.length - 1 && this.#opaque.has(path)) return false;
    }
    return true;
  }

  /**
   * Is it certain, without a lookup, that nothing exists at `layerPath`? True
   * where its parent is a directory this extraction made and nothing of this
   * layer has been written, whited out or removed at `layerPath` since.
   */
  surelyAbsent(layerPath: string): boolean {
    const slash = layerPath.lastIndexOf('/');
    if (slash <= 0 || !this.#made.has(layerPath.slice(0, slash))) return false;
    return !this.written.has(layerPath) && !this.#removed.has(layerPath);
  }

  /** Is the node at `layerPath` a whiteout this layer wrote (so nothing is there in the union)? */
  hasWhiteoutAt(layerPath: string): boolean {
    return this.#whitedOut.has(layerPath);
  }

  /** Removes whatever is at `host` (never following a symlink); lower content there is gone for good. */
  async remove(host: string, layerPath: string): Promise<void> {
    await rm(host, { recursive: true, force: true });
    this.#removed.add(layerPath);
    this.#whitedOut.delete(layerPath);
    this.#forgetBelow(host, layerPath);
  }

  /** Records a node this layer created at `host`; a new directory where lower content was removed becomes opaque. */
  async created(host: string, layerPath: string, isDirectory: boolean): Promise<void> {
    this.written.add(layerPath);
    this.#whitedOut.delete(layerPath);
    if (!isDirectory) return;
    this.#verified.add(layerPath);
    this.#made.add(layerPath);
    if (this.#removed.has(layerPath)) await this.opaque(layerPath);
  }

  /** Applies a `.wh.` entry through the handler; its parents were checked by `parents`. */
  async whiteout(host: string, layerPath: string): Promise<void> {
    await this.whiteouts.whiteout(this.dir, layerPath);
    this.#forgetBelow(host, layerPath);
    this.#removed.add(layerPath);
    this.#whitedOut.add(layerPath);
  }

  /** Hides the lower children of directory `layerPath` through the handler. */
  async opaque(layerPath: string): Promise<void> {
    await this.whiteouts.opaque(this.dir, layerPath, this.written);
    this.#opaque.add(layerPath);
  }

  /**
   * Sets deferred directory modes and mtimes, then makes the layer durable with
   * one syncfs of its filesystem (far cheaper than an fsync per file and
   * directory, and it covers every file and directory entry written).
   */
  async finish(): Promise<void> {
    const deepestFirst = [...this.#deferred].sort((a, b) => b[0].length - a[0].length);
    for (const [host, { mode, mtime }] of deepestFirst) {
      if ((await lstatOrUndefined(host))?.isDirectory() !== true) continue;
      await chmod(host, mode);
      if (mtime !== undefined) await lutimes(host, mtime, mtime);
    }
    await sys.syncfs(this.dir);
  }

  async #makeParent(host: string, layerPath: string, from: EntryStat | undefined, mtime: Date, what: string): Promise<void> {
    const header: NodeHeader =
      from === undefined
        ? { type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime }
        : {
            type: 'directory',
            mode: from.mode,
            uid: from.uid,
            gid: from.gid,
            mtime: new Date(from.mtimeMs),
            xattrs: await this.lower?.xattrs(layerPath),
          };
    await createNode(host, header, Readable.from([]), this, what);
    await this.created(host, layerPath, true);
  }

  /** Records that `layerPath` is now a real directory of this layer. */
  verified(layerPath: string): void {
    this.#verified.add(layerPath);
  }

  /** Drops the bookkeeping of a removed node and, if it was a directory this layer knew, of everything below. */
  #forgetBelow(host: string, layerPath: string): void {
    if (!this.#verified.has(layerPath) && !this.#deferred.has(host)) return;
    for (const key of this.#deferred.keys()) {
      if (key === host || key.startsWith(`${host}/`)) this.#deferred.delete(key);
    }
    for (const set of [this.#verified, this.#made]) {
      for (const key of set) {
        if (key === layerPath || key.startsWith(`${layerPath}/`)) set.delete(key);
      }
    }
  }
}

