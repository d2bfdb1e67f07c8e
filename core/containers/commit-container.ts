import { join } from 'node:path';
import { applyChanges } from '../images/change-instructions.js';
import { serializeImageConfig } from '../images/config-json.js';
import type { ContainerConfig } from '../images/image-config.js';
import { committedImageConfig } from '../images/new-config.js';
import type { ImageReference } from '../images/reference.js';
import type { Store } from '../store/store.js';
import type { ContainerRecord } from '../store/container-rows.js';
import type { Lease } from '../store/leases.js';
import type { LayerInfo } from '../store/layer-info.js';
import { argvOf } from './run-config.js';
import { withContainerFrozen } from './runner/reap.js';
import { readStubRecord, STUBS, withoutStubs } from './runtime-stubs.js';

export interface CommitContainerOptions {
  readonly message?: string;
  readonly author?: string;
  /** `-c` instructions applied to the new image's config. */
  readonly changes?: readonly string[];
  readonly name?: ImageReference;
  /** Freeze a running container during the commit (Docker's `--pause`, the default). */
  readonly pause?: boolean;
}

/**
 * `commit`: the container's changes over its image become a new image on top
 * of that image (one layer, as Docker's). The history entry carries the
 * comment and author; `-c` as in `import`. Returns the image id.
 *
 * - A stopped container committed for the first time: its writable layer is
 *   sealed in place without copying (its diff hashed once for the diffID), and
 *   the container carries on on a new empty writable layer above it, so its
 *   file system does not change.
 * - A running container, or one committed before (its layer then holds only
 *   what changed since): its changes over the image's top layer are copied into
 *   a new layer. A running one is frozen meanwhile (the cgroup freezer, as
 *   Docker pauses it; `pause: false` does not), and the runtime's mountpoints
 *   (/proc, /etc/hosts, ...) are left out, as Docker's init layer leaves them.
 */
export async function commitContainer(store: Store, ref: string, options: CommitContainerOptions = {}): Promise<string> {
  const { containers, images, layers, root } = store;
  const c = containers.get(ref);
  const running = containers.isRunning(c);
  const image = images.get(c.image);
  const { config: parent } = await images.config(image.id);
  const containerConfig: ContainerConfig = { ...(parent.config ?? {}), Hostname: c.config.Hostname, Env: c.config.Env, Cmd: argvOf(c.config), WorkingDir: c.config.WorkingDir === '/' ? '' : c.config.WorkingDir, Image: c.imageRef };
  const base: ContainerConfig = { ...(parent.config ?? {}), Env: c.config.Env, Cmd: c.config.Cmd, Entrypoint: c.config.Entrypoint, WorkingDir: c.config.WorkingDir === '/' ? '' : c.config.WorkingDir, User: c.config.User };
  const config = (options.changes ?? []).length > 0 ? applyChanges(base, options.changes!) : base;
  const lease = images.beginLease();
  try {
    await root.lock.run('commit', async () => {
      root.db.transaction(() => {
        for (const layer of image.layers) {
          layers.retain(layer);
          lease.addLayer(layer);
        }
      });
    });
    const inPlace = !running && layers.row(c.layer)?.parent === c.baseLayer;
    const committed = inPlace ? await sealInPlace(store, c, lease) : await copyChanges(store, c, lease, running && options.pause !== false);
    const bytes = serializeImageConfig(
      committedImageConfig({
        created: new Date(),
        parent,
        containerId: c.id,
        containerConfig,
        config,
        diffId: committed.diffId!,
        ...(options.message === undefined ? {} : { message: options.message }),
        ...(options.author === undefined ? {} : { author: options.author }),
      }),
    );
    return (await images.register(lease, { config: bytes, parent: image.id, ...(options.name ? { names: [options.name] } : {}) })).id;
  } catch (err) {
    await root.lock.run('commit', () => images.abandon(lease));
    throw err;
  }
}

/** The container's layer sealed in place (held by the lease), the container moved onto a fresh empty layer above it. */
async function sealInPlace(store: Store, c: ContainerRecord, lease: Lease): Promise<LayerInfo> {
  const { containers, layers, root } = store;
  return root.lock.run('commit', async () => {
    const sealed = await layers.commitLocked(c.layer, {
      inTransaction: (id) => {
        layers.retain(id);
        lease.addLayer(id);
        containers.setLayer(c.id, id);
      },
    });
    const fresh = await layers.createLayerLocked({ parent: sealed.id, writable: true });
    root.db.transaction(() => {
      containers.setLayer(c.id, fresh.id);
      layers.unreference(sealed.id);
    });
    return sealed;
  });
}

/** The container's changes over its image copied into a new layer on the image's top layer (held by the lease). */
async function copyChanges(store: Store, c: ContainerRecord, lease: Lease, freeze: boolean): Promise<LayerInfo> {
  const { containers, layers } = store;
  const dir = containers.dirOf(c.id);
  const copy = async () => {
    const tar = withoutStubs(await layers.diffOver(c.layer, c.baseLayer), await readStubRecord(join(dir, STUBS)));
    return layers.importLayer(tar, { ...(c.baseLayer === null ? {} : { parent: c.baseLayer }), lease });
  };
  return freeze ? withContainerFrozen(dir, copy) : copy();
}
