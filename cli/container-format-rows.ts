import type { ContainerRecord, Store } from '../core/engine.js';
import { imageBytes } from '../core/image-ops/disk-usage.js';
import { argvOf } from '../core/containers/run-config.js';
import type { ContainerRowData } from './format/docker-contexts.js';
import { containerStateOf, containerStatus } from './format/container-cells.js';
import { imageLabels } from './image-labels.js';

/**
 * What `ps --format` and `system df -v --format` show of containers: the
 * status, the image's labels (a container has its image's), the bind mounts'
 * host paths, and with `sizeWanted` the image's bytes (Docker's SizeRootFs).
 */
export async function containerFormatRows(store: Store, records: readonly ContainerRecord[], sizeWanted: boolean): Promise<ContainerRowData[]> {
  const images = new Map(store.images.list().map((i) => [i.id, i]));
  return Promise.all(records.map(async (c) => {
    const image = images.get(c.image);
    const running = store.containers.isRunning(c);
    return {
      id: c.id,
      image: c.imageRef,
      argv: argvOf(c.config),
      created: new Date(c.createdAt),
      status: containerStatus(containerStateOf(c, running)),
      state: running ? 'running' : c.state,
      name: c.name,
      labels: (await imageLabels(store, image)) ?? {},
      mounts: c.config.Binds.map((b) => b.source),
      network: c.config.Network,
      imageSize: image === undefined || !sizeWanted ? 0 : imageBytes(store, image),
    };
  }));
}
