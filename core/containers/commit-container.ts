import { ErrorCode, StrataError } from '../errors.js';
import { applyChanges } from '../images/change-instructions.js';
import { serializeImageConfig } from '../images/config-json.js';
import type { ContainerConfig } from '../images/image-config.js';
import { committedImageConfig } from '../images/new-config.js';
import type { ImageReference } from '../images/reference.js';
import type { Store } from '../store/store.js';
import { argvOf } from './run-config.js';

export interface CommitContainerOptions {
  readonly message?: string;
  readonly author?: string;
  /** `-c` instructions applied to the new image's config. */
  readonly changes?: readonly string[];
  readonly name?: ImageReference;
}

/**
 * `commit`: a stopped container's changes become a new image on top of its
 * image, without copying them: the container's writable layer is committed in
 * place (its diff hashed once for the diffID) and the container carries on on
 * a new empty writable layer above it, so its file system does not change.
 * The history entry carries the comment and author; `-c` as in `import`.
 * A running container is refused (ECONFLICT): strata does not freeze and copy.
 * Returns the image id.
 */
export async function commitContainer(store: Store, ref: string, options: CommitContainerOptions = {}): Promise<string> {
  const { containers, images, layers, root } = store;
  const c = containers.get(ref);
  if (containers.isRunning(c)) {
    throw new StrataError(ErrorCode.ECONFLICT, `container ${c.id.slice(0, 12)} is running: stop it before committing (strata commits a stopped container's layer in place, without copying)`);
  }
  const image = images.get(c.image);
  const { config: parent } = await images.config(image.id);
  const containerConfig: ContainerConfig = { ...(parent.config ?? {}), Hostname: c.config.Hostname, Env: c.config.Env, Cmd: argvOf(c.config), WorkingDir: c.config.WorkingDir === '/' ? '' : c.config.WorkingDir, Image: c.imageRef };
  const base: ContainerConfig = { ...(parent.config ?? {}), Env: c.config.Env, Cmd: c.config.Cmd, Entrypoint: c.config.Entrypoint, WorkingDir: c.config.WorkingDir === '/' ? '' : c.config.WorkingDir, User: c.config.User };
  const config = (options.changes ?? []).length > 0 ? applyChanges(base, options.changes!) : base;
  const lease = images.beginLease();
  try {
    const committed = await root.lock.run('commit', async () => {
      root.db.transaction(() => {
        for (const layer of image.layers) {
          layers.retain(layer);
          lease.addLayer(layer);
        }
      });
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
