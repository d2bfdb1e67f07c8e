import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { inject, injectable } from 'inversify';
import { DriverContext, capabilities } from '../../core/index.js';
import type { CreateOptions, LayerUsage, ProbeResult, StorageDriver } from '../../core/index.js';
import { DirectoryLayers, MountCounts, bindMount, deletingWhiteouts, extractLayer, unmountPath } from '../../core/kit.js';

const run = promisify(execFile);

interface Meta {
  readonly parent: string | null;
  readonly writable: boolean;
}

/**
 * A third-party driver written only against strata's public surface: each
 * layer is a `cp -a` copy of its parent in <home>/layers/<id>/root, with its
 * parent and writability in meta.json. Writable layers mount as that
 * directory; read-only ones as a read-only bind of it. Core's runtime checks
 * ids, existence, mounts and children before any of these methods runs, and
 * gives it core's naive diff over `reader` (DirectoryLayers).
 */
@injectable()
export class PlainCopyDriver extends DirectoryLayers implements StorageDriver {
  readonly name = 'plain-copy';
  readonly capabilities = capabilities({ mountKind: 'directory' });
  readonly #home: string;
  readonly #tmp: string;
  readonly #counts: MountCounts;

  constructor(@inject(DriverContext) context: DriverContext) {
    super();
    this.#home = context.home;
    this.#tmp = context.tmp;
    this.#counts = new MountCounts(join(context.home, 'counts'));
  }

  async probe(): Promise<ProbeResult> {
    return process.getuid?.() === 0 ? { ok: true } : { ok: false, reason: 'needs root for read-only bind mounts' };
  }

  async init(): Promise<void> {
    await mkdir(join(this.#home, 'layers'), { recursive: true });
  }

  async close(): Promise<void> {}

  async create(id: string, parent: string | null, { writable }: CreateOptions): Promise<void> {
    const staging = await this.#copyOf(parent);
    await writeFile(join(staging, 'meta.json'), JSON.stringify({ parent, writable }));
    await rename(staging, this.#dir(id));
  }

  async remove(id: string): Promise<void> {
    await rename(this.#dir(id), join(this.#tmp, `${id}.removed`));
    await rm(join(this.#tmp, `${id}.removed`), { recursive: true });
  }

  async exists(id: string): Promise<boolean> {
    return this.#meta(id).then(() => true, () => false);
  }

  list(): Promise<string[]> {
    return readdir(join(this.#home, 'layers'));
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
    if ((await this.#counts.get(id)) === 1) await unmountPath(join(this.#home, 'mnt', id));
    if ((await this.#counts.get(id)) > 0) await this.#counts.add(id, -1);
  }

  mountCount(id: string): Promise<number> {
    return this.#counts.get(id);
  }

  /** Extracts into a fresh copy of the parent and swaps it in, so a failed tar leaves no trace. */
  async applyDiff(id: string, parent: string | null, tar: Readable): Promise<number> {
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

  /** Seals the layer: only meta.json changes. */
  async commit(id: string): Promise<void> {
    const meta = await this.#meta(id);
    await writeFile(join(this.#dir(id), 'meta.json.new'), JSON.stringify({ ...meta, writable: false }));
    await rename(join(this.#dir(id), 'meta.json.new'), join(this.#dir(id), 'meta.json'));
  }

  async usage(id: string): Promise<LayerUsage> {
    const { stdout } = await run('du', ['-s', '-B1', join(this.#dir(id), 'root')]);
    const { stdout: inodes } = await run('du', ['-s', '--inodes', join(this.#dir(id), 'root')]);
    return { bytes: parseInt(stdout, 10), inodes: parseInt(inodes, 10) };
  }

  /** A staging folder in tmp/ whose root/ is a copy of parent's root (or an empty 0755 root). */
  async #copyOf(parent: string | null): Promise<string> {
    const staging = await mkdtemp(join(this.#tmp, 'staging-'));
    if (parent === null) await mkdir(join(staging, 'root'), { mode: 0o755 });
    else await run('cp', ['-a', '--reflink=auto', join(this.#dir(parent), 'root'), join(staging, 'root')]);
    return staging;
  }

  /** Where DirectoryLayers' reader (and so core's naive diff) reads layer id. */
  protected async layerRoot(id: string): Promise<string> {
    return join(this.#dir(id), 'root');
  }

  async #meta(id: string): Promise<Meta> {
    return JSON.parse(await readFile(join(this.#dir(id), 'meta.json'), 'utf8')) as Meta;
  }

  #dir(id: string): string {
    return join(this.#home, 'layers', id);
  }
}
