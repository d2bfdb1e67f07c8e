import type { Store } from '../core/engine.js';
import type { ImagesSpace } from '../core/image-ops/disk-usage.js';
import { familiarName, parseReference } from '../core/images/index.js';
import { containerFormatRows } from './container-format-rows.js';
import { createdOf } from './image-commands.js';

/**
 * `system df -v --format F`: F run once over Docker's diskUsageContext
 * (`.Images`, `.Containers`, `.Volumes`, `.BuildCache`; `json` is `{{json .}}`),
 * printed without a newline after it, as Docker prints it. Fails with EUSAGE
 * on a bad template (a failing one in Go's words alone, as Docker says it).
 */
export async function printDiskUsageVerbose(store: Store, space: ImagesSpace, format: string): Promise<void> {
  const [{ diskUsageVerboseValue }, { renderOnce }] = await Promise.all([import('./format/docker-contexts.js'), import('./format/docker-format.js')]);
  const images = await Promise.all(space.images.map(async (i) => {
    const ref = i.image.names[0] === undefined ? undefined : parseReference(i.image.names[0]);
    return {
      id: `sha256:${i.image.id}`, repo: ref ? familiarName(ref) : '<none>', tag: ref?.tag ?? '<none>', digest: '',
      created: await createdOf(store, i.image), size: i.size, shared: i.shared, containers: i.containers,
    };
  }));
  images.sort((a, b) => b.created.getTime() - a.created.getTime()); // the daemon lists images newest first
  const containers = await containerFormatRows(store, store.containers.list(), false);
  process.stdout.write(renderOnce(format, diskUsageVerboseValue(images, containers)));
}
