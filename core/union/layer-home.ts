import { randomBytes, randomInt } from 'node:crypto';
import { chmod, lchown, lutimes, mkdir, readFile, readdir, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';
import { sys } from '../sys/index.js';
import { syncPath } from '../sync-path.js';
import { UnionTree } from './union-tree.js';

/** What create() records about a layer. */
export interface UpperLayerInfo {
  readonly id: string;
  readonly parent: string | null;
  readonly writable: boolean;
  /** Short name: `l/<link>` points at the layer's upper directory. */
  readonly link: string;
}

/** Real paths of one layer's folders. */
export interface UpperLayerPaths {
  /** The upper directory: the layer's own changes, whiteouts and opaque markers. */
  readonly diff: string;
  /** overlayfs' work directory (writable layers, when the home keeps work dirs). */
  readonly work: string;
  /** Where the layer's union is mounted. */
  readonly merged: string;
}

export interface UpperLayerHomeOptions {
  /** Give writable layers a `work/` directory (kernel overlayfs needs one beside each upper). */
  readonly workDirs: boolean;
}

const LINK_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';
/**
 * 6 characters: 500 lower layers (the kernel's limit) as `a:b:...` take 3,500
 * bytes, inside the 4,095-byte mount-option page with room for upper and work.
 */
const LINK_LENGTH = 6;
const MAX_CACHED_TREES = 1024;

/**
 * The on-disk home of drivers whose layers are upper directories (overlay,
 * fuse): a layer holds only its own changes, in overlayfs' format
 * (whiteout-format.ts), and its union is read by `UnionTree`.
 *
 *     layers/<id>/diff/      the upper directory
 *     layers/<id>/work/      overlayfs work dir (writable layers, with `workDirs`)
 *     layers/<id>/merged/    mount point
 *     layers/<id>/link       the layer's short name
 *     layers/<id>/lower      short names of the layers below, top first, ':'-joined
 *     layers/<id>/parent     the parent's id ('' for a base layer)
 *     layers/<id>/writable   present for writable layers
 *     l/<short>              → ../layers/<id>/diff (moby overlay2's short links)
 *     empty/                 an always-empty directory (a bottom lower where a mount needs one)
 *     tmp/                   layers being made or removed
 *
 * A layer appears by one rename from tmp/ when its folders are complete, and
 * disappears by one rename into tmp/. A child's upper root copies its parent
 * union's root (mode, owner, mtime, xattrs), so an empty layer changes nothing.
 * Parents never change once recorded, so chains and trees are cached.
 */
export class UpperLayerHome {
  readonly root: string;
  readonly #options: UpperLayerHomeOptions;
  readonly #infos = new Map<string, UpperLayerInfo>();
  readonly #trees = new Map<string, UnionTree>();

  constructor(root: string, options: UpperLayerHomeOptions) {
    this.root = root;
    this.#options = options;
  }

  /** The directory of short links; mount from here with relative lowerdirs. */
  get linkDir(): string {
    return join(this.root, 'l');
  }

  get emptyDir(): string {
    return join(this.root, 'empty');
  }

  /** Creates the layout; removes dangling links (tmp/ is emptied by core's runtime). Idempotent. */
  async init(): Promise<void> {
    for (const dir of ['layers', 'l', 'empty', 'tmp']) await mkdir(join(this.root, dir), { recursive: true, mode: 0o700 });
    await chmod(this.emptyDir, 0o755);
    for (const name of await readdir(this.linkDir)) {
      if (!(await pathExists(join(this.linkDir, name)))) await rm(join(this.linkDir, name), { force: true });
    }
  }

  /** Every layer id present. */
  async ids(): Promise<string[]> {
    return readdir(join(this.root, 'layers'));
  }

  paths(id: string): UpperLayerPaths {
    const dir = this.#layerDir(id);
    return { diff: join(dir, 'diff'), work: join(dir, 'work'), merged: join(dir, 'merged') };
  }

  async exists(id: string): Promise<boolean> {
    return (await this.#infoOrUndefined(id, true)) !== undefined;
  }

  /** Fails with ENOLAYER. */
  async info(id: string): Promise<UpperLayerInfo> {
    const info = await this.#infoOrUndefined(id, true);
    if (info === undefined) throw new StrataError(ErrorCode.ENOLAYER, `no layer ${id}`);
    return info;
  }

  /** Ids of the stack, id first, base last. Fails with ENOLAYER (also for a broken chain: ECORRUPT). */
  async chain(id: string): Promise<UpperLayerInfo[]> {
    const out = [await this.info(id)];
    for (let p = out[0]!.parent; p !== null; p = out[out.length - 1]!.parent) {
      const info = await this.#infoOrUndefined(p);
      if (info === undefined) throw new StrataError(ErrorCode.ECORRUPT, `layer ${id}: ancestor ${p} is missing`);
      out.push(info);
    }
    return out;
  }

  /** The union of id's stack (cached, sharing the trees of its parents; see UnionTree). Fails with ENOLAYER. */
  async tree(id: string): Promise<UnionTree> {
    const cached = this.#trees.get(id);
    if (cached !== undefined) return cached;
    const info = await this.info(id);
    const below = info.parent === null ? null : await this.tree(info.parent);
    const tree = new UnionTree({ dir: this.paths(id).diff, writable: info.writable }, below);
    if (this.#trees.size >= MAX_CACHED_TREES) this.#trees.delete(this.#trees.keys().next().value!);
    this.#trees.set(id, tree);
    return tree;
  }

  /** Drops the cached union of id (after its upper directory changed outside a mount; it has no children then). */
  forgetTree(id: string): void {
    this.#trees.delete(id);
  }

  /** Creates layer id on parent (both checked by core's runtime). */
  async create(id: string, parent: string | null, writable: boolean): Promise<UpperLayerInfo> {
    const parentChain = parent === null ? [] : await this.chain(parent);
    const temp = await this.#tempDir(id);
    let link: string | undefined;
    try {
      await mkdir(join(temp, 'diff'), { mode: 0o755 });
      await mkdir(join(temp, 'merged'), { mode: 0o755 });
      if (writable && this.#options.workDirs) await mkdir(join(temp, 'work'), { mode: 0o700 });
      if (writable) await writeFile(join(temp, 'writable'), '');
      await this.#copyRoot(parent, join(temp, 'diff'));
      link = await this.#newLink(id);
      await writeFile(join(temp, 'link'), link);
      await writeFile(join(temp, 'lower'), parentChain.map((l) => l.link).join(':'));
      await writeFile(join(temp, 'parent'), parent ?? '');
      await rename(temp, this.#layerDir(id));
    } catch (err) {
      if (link !== undefined) await rm(join(this.linkDir, link), { force: true });
      await rm(temp, { recursive: true, force: true });
      if (errnoOf(err) === 'ENOTEMPTY' || errnoOf(err) === 'EEXIST') {
        throw new StrataError(ErrorCode.ELAYEREXISTS, `layer ${id} exists already`, { cause: err });
      }
      throw err;
    }
    return this.info(id);
  }

  /**
   * Makes a writable layer read-only: its `writable` mark and work dir go, its
   * upper directory stays as it is. The cached union is dropped (it re-checked
   * ctimes while writable).
   */
  async seal(id: string): Promise<void> {
    const info = await this.info(id);
    if (!info.writable) return;
    await rm(join(this.#layerDir(id), 'work'), { recursive: true, force: true });
    await rm(join(this.#layerDir(id), 'writable'), { force: true });
    await syncPath(this.#layerDir(id));
    this.#infos.delete(id);
    this.forgetTree(id);
  }

  /** Removes the layer's folders and link, with no checks (the driver checks mounts and children). */
  async destroy(id: string): Promise<void> {
    const link = await readFile(join(this.#layerDir(id), 'link'), 'utf8').catch(() => undefined);
    const temp = await this.#tempDir(id);
    await rename(this.#layerDir(id), join(temp, 'layer'));
    this.#infos.delete(id);
    this.forgetTree(id);
    if (link !== undefined && link !== '') await rm(join(this.linkDir, link), { force: true });
    await rm(temp, { recursive: true, force: true });
  }

  /**
   * Runs `fill` on the layer's upper directory: a failure empties the upper
   * directory again (nothing of it stays visible) and rethrows. The cached union
   * of id is dropped afterwards. (A crash inside is core's runtime's to clean.)
   */
  async filling<T>(id: string, fill: (diffDir: string) => Promise<T>): Promise<T> {
    const info = await this.info(id);
    try {
      return await fill(this.paths(id).diff);
    } catch (err) {
      await this.#resetUpper(info);
      throw err;
    } finally {
      this.forgetTree(id);
    }
  }

  async #resetUpper(info: UpperLayerInfo): Promise<void> {
    const temp = await this.#tempDir(info.id);
    await mkdir(join(temp, 'diff'), { mode: 0o755 });
    await this.#copyRoot(info.parent, join(temp, 'diff'));
    await rename(this.paths(info.id).diff, join(temp, 'old'));
    await rename(join(temp, 'diff'), this.paths(info.id).diff);
    await rm(temp, { recursive: true, force: true });
  }

  /** Gives a new upper root its parent union's root metadata, or 0755 0:0 for a base layer. */
  async #copyRoot(parent: string | null, target: string): Promise<void> {
    const privileged = process.getuid?.() === 0;
    if (parent === null) {
      await chmod(target, 0o755);
      if (privileged) await lchown(target, 0, 0);
      return;
    }
    const tree = await this.tree(parent);
    const st = (await tree.stat('/'))!;
    for (const [name, value] of Object.entries(await tree.xattrs('/'))) sys.lsetxattr(target, name, value);
    if (privileged) await lchown(target, st.uid, st.gid);
    await chmod(target, st.mode);
    await lutimes(target, st.mtimeMs / 1000, st.mtimeMs / 1000);
  }

  /** A fresh short name whose l/ link now points at id's (future) upper directory. */
  async #newLink(id: string): Promise<string> {
    for (;;) {
      let name = '';
      for (let i = 0; i < LINK_LENGTH; i++) name += LINK_CHARS[randomInt(LINK_CHARS.length)];
      try {
        await symlink(join('..', 'layers', id, 'diff'), join(this.linkDir, name));
        return name;
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw err;
      }
    }
  }

  /** `fresh`: read the disk even where cached (another process may have removed the layer). */
  /**
   * The layer's record, read afresh with `fresh` (a layer may have been
   * removed or sealed by another process). Three tiny files, read
   * synchronously: every diff, mount and lookup of a layer starts here, and
   * each thread-pool round trip costs more than the read itself.
   */
  async #infoOrUndefined(id: string, fresh = false): Promise<UpperLayerInfo | undefined> {
    const cached = this.#infos.get(id);
    if (cached !== undefined && !fresh) return cached;
    const dir = this.#layerDir(id);
    let parent: string;
    try {
      parent = readFileSync(join(dir, 'parent'), 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined;
      throw new StrataError(ErrorCode.ECORRUPT, `layer ${id}: unreadable parent file`, { cause: err });
    }
    const link = readFileSync(join(dir, 'link'), 'utf8');
    const info: UpperLayerInfo = { id, parent: parent === '' ? null : parent, writable: existsSync(join(dir, 'writable')), link };
    this.#infos.set(id, info);
    return info;
  }


  async #tempDir(id: string): Promise<string> {
    const dir = join(this.root, 'tmp', `${id}-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { mode: 0o700 });
    return dir;
  }

  #layerDir(id: string): string {
    return join(this.root, 'layers', id);
  }
}

/** Does path exist (following symlinks: a dangling short link does not)? */
async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
