import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { inject, injectable } from 'inversify';
import {
  DirectoryLayers, DriverContext, ErrorCode, MountCounts, StrataError,
  bindMount, capabilities, deletingWhiteouts, errnoOf, extractLayer, unmountPath,
} from '../../core/index.js';
import type { CreateOptions, LayerUsage, ProbeResult, StorageDriver } from '../../core/index.js';

const run = promisify(execFile);

/**
 * A third-party driver written only against strata's core: each layer is a
 * `cp -a` copy of its parent in <home>/layers/<id>/root, with its parent and
 * writability in meta.json. Writable layers mount as that directory; read-only
 * ones as a read-only bind of it.
 */
@injectable()
export class PlainCopyDriver extends DirectoryLayers implements StorageDriver {
  readonly name = 'plain-copy';
  readonly capabilities = capabilities({ mountKind: 'directory' });
  readonly #home: string;
  readonly #counts: MountCounts;

  constructor(@inject(DriverContext) context: DriverContext) {
    super();
    this.#home = context.home;
    this.#counts = new MountCounts(join(context.home, 'counts'));
  }

  async probe(): Promise<ProbeResult> {
    return process.getuid?.() === 0 ? { ok: true } : { ok: false, reason: 'needs root for read-only bind mounts' };
  }

  async init(): Promise<void> {
    await rm(join(this.#home, 'tmp'), { recursive: true, force: true });
    await mkdir(join(this.#home, 'tmp'), { recursive: true });
    await mkdir(join(this.#home, 'layers'), { recursive: true });
  }

  async close(): Promise<void> {}

  async create(id: string, parent: string | null, { writable }: CreateOptions): Promise<void> {
    if (await this.exists(id)) throw new StrataError(ErrorCode.ELAYEREXISTS, `layer ${id} exists`);
    const staging = await this.#copyOf(parent);
    await writeFile(join(staging, 'meta.json'), JSON.stringify({ parent, writable }));
    await rename(staging, this.#dir(id));
  }

  async remove(id: string): Promise<void> {
    await this.#meta(id);
    if ((await this.#counts.get(id)) > 0) throw new StrataError(ErrorCode.ELAYERBUSY, `layer ${id} is mounted`);
    for (const other of await readdir(join(this.#home, 'layers'))) {
      if ((await this.#meta(other)).parent === id) throw new StrataError(ErrorCode.ELAYERHASCHILDREN, `layer ${id} has child ${other}`);
    }
    await rename(this.#dir(id), join(this.#home, 'tmp', `${id}.removed`));
    await rm(join(this.#home, 'tmp', `${id}.removed`), { recursive: true });
  }

  async exists(id: string): Promise<boolean> {
    return this.#meta(id).then(() => true, () => false);
  }

  async parent(id: string): Promise<string | null> {
    return (await this.#meta(id)).parent;
  }

  async mount(id: string): Promise<string> {
    const { writable } = await this.#meta(id);
    const target = writable ? join(this.#dir(id), 'root') : join(this.#home, 'mnt', id);
    if (!writable && (await this.#counts.get(id)) === 0) await bindMount(join(this.#dir(id), 'root'), target, true);
    await this.#counts.add(id, 1);
    return target;
  }

  async unmount(id: string): Promise<void> {
    await this.#meta(id);
    if ((await this.#counts.get(id)) === 1) await unmountPath(join(this.#home, 'mnt', id));
    await this.#counts.add(id, -1);
  }

  async mountCount(id: string): Promise<number> {
    await this.#meta(id);
    return this.#counts.get(id);
  }

  /** Extracts into a fresh copy of the parent and swaps it in, so a failed tar leaves no trace. */
  async applyDiff(id: string, parent: string | null, tar: Readable): Promise<number> {
    await this.#meta(id);
    const staging = await this.#copyOf(parent);
    try {
      const { size } = await extractLayer(join(staging, 'root'), tar, { whiteouts: deletingWhiteouts });
      await rename(join(this.#dir(id), 'root'), join(staging, 'old'));
      await rename(join(staging, 'root'), join(this.#dir(id), 'root'));
      return size;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async usage(id: string): Promise<LayerUsage> {
    await this.#meta(id);
    const { stdout } = await run('du', ['-s', '-B1', join(this.#dir(id), 'root')]);
    const { stdout: inodes } = await run('du', ['-s', '--inodes', join(this.#dir(id), 'root')]);
    return { bytes: parseInt(stdout, 10), inodes: parseInt(inodes, 10) };
  }

  /** A staging folder in tmp/ whose root/ is a copy of parent's root (or an empty 0755 root). */
  async #copyOf(parent: string | null): Promise<string> {
    if (parent !== null) await this.#meta(parent);
    const staging = await mkdtemp(join(this.#home, 'tmp', 'staging-'));
    if (parent === null) await mkdir(join(staging, 'root'), { mode: 0o755 });
    else await run('cp', ['-a', '--reflink=auto', join(this.#dir(parent), 'root'), join(staging, 'root')]);
    return staging;
  }

  /** Where DirectoryLayers (stat, readdir, read, xattrs, diff, changes) reads layer id. */
  protected async layerRoot(id: string): Promise<string> {
    await this.#meta(id);
    return join(this.#dir(id), 'root');
  }

  async #meta(id: string): Promise<{ parent: string | null; writable: boolean }> {
    try {
      return JSON.parse(await readFile(join(this.#dir(id), 'meta.json'), 'utf8'));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw new StrataError(ErrorCode.ENOLAYER, `no layer ${id}`);
      throw err;
    }
  }

  #dir(id: string): string {
    if (!/^[a-z0-9]+$/.test(id)) throw new StrataError(ErrorCode.ENOLAYER, `no layer ${JSON.stringify(id)}`);
    return join(this.#home, 'layers', id);
  }
}
