import { bytesItem, type PlannedItem } from '../../core/images/archive/archive-plan.js';
import { writeTar } from '../../core/archive/tar-writer.js';
import type { Digest, SaveName } from '../../core/images/archive/index.js';
import { sha256Digest as sha256 } from '../../core/ids.js';
import { bytesOf } from './support.js';

/**
 * A SaveName for a familiar `repository:tag`, for fixtures only (the real
 * grammar is core/images/reference.ts's): a first component with a dot, a
 * colon or `localhost` is a registry, else the name is on docker.io.
 */
export function nameOf(familiar: string): SaveName {
  const colon = familiar.lastIndexOf(':');
  const repository = familiar.slice(0, colon);
  const tag = familiar.slice(colon + 1);
  const first = repository.split('/')[0]!;
  const hosted = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  const full = hosted ? repository : `docker.io/${repository.includes('/') ? '' : 'library/'}${repository}`;
  return { repository, tag, full: `${full}:${tag}` };
}

export { sha256Digest as sha256 } from '../../core/ids.js';

/** A small uncompressed layer tar holding `files`. */
export async function layerTar(files: Record<string, string>): Promise<Buffer> {
  return bytesOf(
    writeTar(
      (async function* () {
        for (const [name, body] of Object.entries(files)) {
          const content = Buffer.from(body);
          yield {
            header: { name, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: new Date(0) },
            content: async () => [content],
          };
        }
      })(),
    ),
  );
}

export function configFor(diffIds: readonly Digest[]): Buffer {
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/hello'] }, rootfs: { type: 'layers', diff_ids: diffIds } }));
}

/** The parts of a one-layer docker-archive, for tests to assemble (and break). */
export async function tinyParts(): Promise<{ layer: Buffer; config: Buffer; configName: string }> {
  const layer = await layerTar({ hello: 'hello docker\n' });
  const config = configFor([sha256(layer)]);
  return { layer, config, configName: `${sha256(config).slice(7)}.json` };
}

/** A valid one-layer docker-archive named tiny:latest, legacy layout. */
export async function tinyDockerArchive(): Promise<PlannedItem[]> {
  const { layer, config, configName } = await tinyParts();
  return [
    bytesItem(configName, config),
    { kind: 'directory', name: 'abc' },
    bytesItem('abc/layer.tar', layer),
    bytesItem('manifest.json', Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ['tiny:latest'], Layers: ['abc/layer.tar'] }]))),
  ];
}
