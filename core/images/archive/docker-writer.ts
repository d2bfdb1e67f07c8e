import { chainIdOf, idOf, type Digest } from '../../ids.js';
import type { SaveImage } from './archive-types.js';
import { bytesItem, type PlannedItem } from './archive-plan.js';
import { verifyingStream } from './verify-stream.js';

/**
 * The files of a docker-archive as `docker save` of Docker 20.10 lays them out,
 * which `docker load` of every version reads:
 *
 *     <config hex>.json                the config, byte for byte
 *     <layer dir>/VERSION              "1.0"
 *     <layer dir>/json                 legacy v1 metadata: id, parent
 *     <layer dir>/layer.tar            the uncompressed layer (or a symlink to
 *                                      the same diffID's layer.tar written before)
 *     manifest.json                    [{Config, RepoTags, Layers}]
 *     repositories                     {repository: {tag: top layer dir}}
 *
 * A layer dir is the hex of the layer's chainID, so images that share a base
 * share its dirs. Each layer is verified against its diffID and size while it
 * is written (the archive fails with ECORRUPT otherwise). Deterministic: the
 * same images give the same bytes.
 */
export function planDockerArchive(images: readonly SaveImage[]): PlannedItem[] {
  const items: PlannedItem[] = [];
  const written = new Set<string>();
  const layerTarOf = new Map<string, string>(); // diffID -> layer dir holding its layer.tar
  const manifest: Array<{ Config: string; RepoTags: string[]; Layers: string[] }> = [];
  const repositories: Record<string, Record<string, string>> = {};

  for (const image of images) {
    const configName = `${image.config.digest.slice('sha256:'.length)}.json`;
    if (!written.has(configName)) {
      written.add(configName);
      items.push(bytesItem(configName, image.config.bytes));
    }
    const dirs: string[] = [];
    let chain: Digest | null = null;
    for (const layer of image.layers) {
      const parent = dirs.at(-1);
      chain = chainIdOf(chain, layer.diffId);
      const dir = idOf(chain);
      dirs.push(dir);
      if (written.has(dir)) continue;
      written.add(dir);
      items.push({ kind: 'directory', name: dir });
      items.push(bytesItem(`${dir}/VERSION`, Buffer.from('1.0')));
      items.push(bytesItem(`${dir}/json`, Buffer.from(JSON.stringify({ id: dir, ...(parent !== undefined ? { parent } : {}), created: '1970-01-01T00:00:00Z' }))));
      const earlier = layerTarOf.get(layer.diffId);
      if (earlier !== undefined) {
        items.push({ kind: 'symlink', name: `${dir}/layer.tar`, target: `../${earlier}/layer.tar` });
      } else {
        layerTarOf.set(layer.diffId, dir);
        items.push({
          kind: 'file',
          name: `${dir}/layer.tar`,
          size: layer.size,
          open: async () => verifyingStream(await layer.open(), { size: layer.size, digest: layer.diffId, what: `layer ${layer.diffId}` }),
        });
      }
    }
    manifest.push({ Config: configName, RepoTags: image.names.map((n) => `${n.repository}:${n.tag}`), Layers: dirs.map((d) => `${d}/layer.tar`) });
    for (const { repository, tag } of image.names) {
      if (dirs.length > 0) (repositories[repository] ??= {})[tag] = dirs.at(-1)!;
    }
  }
  items.push(bytesItem('manifest.json', Buffer.from(JSON.stringify(manifest))));
  items.push(bytesItem('repositories', Buffer.from(JSON.stringify(repositories))));
  return items;
}
