import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import { randomId, resolvePrefix } from '../ids.js';
import { generateName, NAME_RE } from '../containers/names.js';
import { runConfig, type RunFlags } from '../containers/run-config.js';
import { reapContainer } from '../containers/runner/reap.js';
import { removeRecordedStubs, STUBS } from '../containers/runtime-stubs.js';
import { ContainerRows, type ContainerRecord } from './container-rows.js';
import type { ImageStore } from './image-store.js';
import type { LayerStore } from './layer-store.js';
import { ownStartTime, processLives } from '../process-stat.js';
import { Lease } from './leases.js';
import type { StoreRoot } from './store-root.js';

export type { ContainerRecord, ContainerState } from './container-rows.js';

/**
 * The container store of a root: a container is a writable layer on an image's
 * top layer (it holds one reference to that layer, and blocks the image's
 * removal), its merged run configuration, and its state. A running container
 * names the strata process that runs it; when that process is gone (killed,
 * even by SIGKILL) the next open records the container as exited and drops
 * its mount. A peer of the layer and image stores over one StoreRoot.
 */
export class ContainerStore {
  readonly #root: StoreRoot;
  readonly #layers: LayerStore;
  readonly #images: ImageStore;
  readonly #rows: ContainerRows;
  readonly #dir: string;

  constructor(root: StoreRoot, layers: LayerStore, images: ImageStore) {
    this.#root = root;
    this.#layers = layers;
    this.#images = images;
    this.#rows = new ContainerRows(root.db);
    this.#dir = join(root.path, 'containers');
  }

  /** `<root>/containers/<id>`: the runner's files for one container (hosts, resolv.conf, bundle). */
  dirOf(id: string): string {
    return join(this.#dir, id);
  }

  /**
   * At open, under the lock: containers whose strata process died are recorded
   * as exited (137) after `#cleanAfter` took away what that process left.
   */
  async recover(): Promise<void> {
    for (const c of this.#rows.all()) {
      if (c.state !== 'running' || (c.ownerPid !== null && c.ownerStarted !== null && processLives(c.ownerPid, c.ownerStarted))) continue;
      await this.#cleanAfter(c);
      this.#rows.setExited(c.id, 137);
    }
  }

  /**
   * Under the lock, once the strata process running `c` is dead: whatever is
   * left in its cgroup is killed and runc's state deleted (`reapContainer`),
   * its mount dropped, and the runtime's stubs it placed taken out of the
   * layer (mounting it again for that), so `diff` and `commit` never see them.
   */
  async #cleanAfter(c: ContainerRecord): Promise<void> {
    await reapContainer(this.dirOf(c.id)).catch(() => undefined);
    await this.#layers.unmountLocked(c.layer).catch(() => undefined);
    const stubs = join(this.dirOf(c.id), STUBS);
    if (!(await access(stubs).then(() => true, () => false))) return;
    const rootfs = await this.#layers.mountLocked(c.layer);
    try {
      await removeRecordedStubs(rootfs, stubs);
    } finally {
      await this.#layers.unmountLocked(c.layer);
    }
  }

  list(): ContainerRecord[] {
    return this.#rows.all();
  }

  /** A container by name, id or unique id prefix. Fails with ENOCONTAINER (`No such container: …`), EAMBIGUOUS. */
  get(ref: string): ContainerRecord {
    const byName = this.#rows.byName(ref.replace(/^\//, ''));
    if (byName !== undefined) return byName;
    if (/^[0-9a-f]{1,64}$/.test(ref)) {
      try {
        return this.#rows.find(resolvePrefix(ref, this.#rows.all().map((c) => c.id), 'container'))!;
      } catch (err) {
        if (!isStrataError(err, ErrorCode.ENOLAYER)) throw err;
      }
    }
    throw new StrataError(ErrorCode.ENOCONTAINER, `No such container: ${ref}`);
  }

  /** The id of a container using image id, if any (blocks `rmi`). */
  usedBy(imageId: string): string | undefined {
    return this.#rows.ofImage(imageId)[0]?.id;
  }

  containersOf(imageId: string): number {
    return this.#rows.ofImage(imageId).length;
  }

  /**
   * `create`: a container of the image `imageRef` names, with a new writable
   * layer on its top layer. Fails with ENOIMAGE, ECONFLICT (the name is taken,
   * Docker's message), EINVALID (bad flags or name).
   */
  async create(imageRef: string, flags: RunFlags, name?: string): Promise<ContainerRecord> {
    const image = this.#images.get(imageRef);
    const { config } = await this.#images.config(image.id);
    const id = randomId();
    const run = runConfig(config.config, flags, id);
    return this.#root.lock.run('create', async () => {
      const chosen = this.#nameFor(name);
      const lease = Lease.begin(this.#root.db);
      const top = image.layers.at(-1);
      try {
        const layer = await this.#layers.createLayerLocked({ writable: true, lease, ...(top === undefined ? {} : { parent: top }) });
        // A --rm container lives for one command: its row need not wait for the disk (a process crash
        // loses no commit; a power cut can lose the row and the lease's end together, and recovery then
        // gives the lease's layer back).
        const commit = run.AutoRemove ? this.#root.db.relaxed.bind(this.#root.db) : this.#root.db.transaction.bind(this.#root.db);
        commit(() => {
          this.#rows.insert({ id, name: chosen, image: image.id, imageRef, layer: layer.id, baseLayer: top ?? null, config: run });
          lease.end();
        });
      } catch (err) {
        await this.#images.abandon(lease);
        throw err;
      }
      return this.#rows.find(id)!;
    });
  }

  #nameFor(name: string | undefined): string {
    if (name !== undefined) {
      if (!NAME_RE.test(name)) throw new StrataError(ErrorCode.EINVALID, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
      const clean = name.replace(/^\//, '');
      const taken = this.#rows.byName(clean);
      if (taken !== undefined) {
        throw new StrataError(ErrorCode.ECONFLICT, `Conflict. The container name "/${clean}" is already in use by container "${taken.id}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
      return clean;
    }
    for (let retry = 0; ; retry++) {
      const candidate = generateName(retry);
      if (this.#rows.byName(candidate) === undefined) return candidate;
    }
  }

  /** Records that this process runs the container now (its layer is mounted by the caller). */
  markRunning(id: string): void {
    // Relaxed: recovery tells a running mark from a dead owner, whatever the disk kept.
    this.#root.db.relaxed(() => this.#rows.setRunning(id, process.pid, ownStartTime() ?? ''));
  }

  /** Records the exit; for a --rm container (removed right after) without waiting for the disk. */
  markExited(id: string, exitCode: number, autoRemove = false): void {
    if (autoRemove) this.#root.db.relaxed(() => this.#rows.setExited(id, exitCode));
    else this.#root.db.transaction(() => this.#rows.setExited(id, exitCode));
  }

  /** Is the container running now (its strata process alive)? */
  isRunning(c: ContainerRecord): boolean {
    return c.state === 'running' && c.ownerPid !== null && c.ownerStarted !== null && processLives(c.ownerPid, c.ownerStarted);
  }

  /** Points the container at another writable layer (after a commit). */
  setLayer(id: string, layer: string): void {
    this.#rows.setLayer(id, layer);
  }

  /**
   * `rm`: the container and its layer. Fails with ECONFLICT while it runs
   * (Docker's message), unless `force`, which kills the strata process running
   * it first (the container's processes die with it).
   */
  async remove(ref: string, force = false): Promise<ContainerRecord> {
    const c = this.get(ref);
    if (this.isRunning(c)) {
      if (!force) {
        throw new StrataError(ErrorCode.ECONFLICT, `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`);
      }
      process.kill(c.ownerPid!, 'SIGKILL');
      for (let i = 0; i < 200 && processLives(c.ownerPid!, c.ownerStarted!); i++) await new Promise((r) => setTimeout(r, 10));
    }
    await this.#root.lock.run('rm', async () => {
      await reapContainer(this.dirOf(c.id)).catch(() => undefined);
      const mounts = await this.#root.driver.mountCount(this.#layers.row(c.layer)?.driver_id ?? c.layer).catch(() => 0);
      for (let i = 0; i < mounts; i++) await this.#layers.unmountLocked(c.layer);
      // Made durable by the release's own commits that follow (WAL keeps commits in order).
      this.#root.db.relaxed(() => this.#rows.delete(c.id));
      await this.#layers.releaseLocked(c.layer).catch((err: unknown) => {
        if (!isStrataError(err, ErrorCode.ENOLAYER)) throw err;
      });
    });
    await rm(this.dirOf(c.id), { recursive: true, force: true });
    return c;
  }
}
