import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { bytesItem, planTar, type PlannedItem } from '../../core/images/archive/archive-plan.js';
import { writeTar } from '../../core/archive/tar-writer.js';
import { sha256Digest as sha256 } from '../../core/ids.js';
import { layerTar } from '../image-archives/fixtures.js';

/**
 * docker-archives made by hand (legacy layout: `<dir>/layer.tar`,
 * `<config>.json`, `manifest.json`), so tests can name exactly what is in
 * them and break exactly one thing.
 */

export interface ArchiveLayer {
  /** The bytes stored as `<dir>/layer.tar` (or a path to stream, for big layers). */
  readonly bytes?: Buffer;
  readonly file?: { readonly path: string; readonly size: number };
  /** The diff_id the config names for it. */
  readonly diffId: string;
}

export interface DockerArchiveSpec {
  readonly layers: readonly ArchiveLayer[];
  readonly tags: readonly string[];
  /** Config bytes; by default a config with one history step per layer. */
  readonly config?: Buffer;
  /** Entries added (or, by name, replacing the generated ones). */
  readonly extra?: readonly PlannedItem[];
  /** Layer paths manifest.json names instead of the generated ones. */
  readonly manifestLayers?: readonly string[];
}

/** A config for `diffIds` with one history step per layer, created one minute apart from 2026-01-01. */
export function configFor(diffIds: readonly string[], cmd = ['/hello']): Buffer {
  const history = diffIds.map((_, i) => ({ created: `2026-01-01T00:0${i}:00Z`, created_by: `/bin/sh -c #(nop) step ${i + 1}` }));
  return Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: history.at(-1)?.created, config: { Cmd: cmd }, history, rootfs: { type: 'layers', diff_ids: diffIds } }));
}

/** A small layer holding `files`, with its diff_id. */
export async function smallLayer(files: Record<string, string>): Promise<Required<Pick<ArchiveLayer, 'bytes' | 'diffId'>>> {
  const bytes = await layerTar(files);
  return { bytes, diffId: sha256(bytes) };
}

/** Writes the archive to `path`; returns its config digest (the image id). */
export async function writeDockerArchive(path: string, spec: DockerArchiveSpec): Promise<string> {
  const config = spec.config ?? configFor(spec.layers.map((l) => l.diffId));
  const configName = `${sha256(config).slice(7)}.json`;
  const dirs = spec.layers.map((_, i) => `layer${i}`);
  const generated: PlannedItem[] = [bytesItem(configName, config)];
  spec.layers.forEach((layer, i) => {
    generated.push({ kind: 'directory', name: dirs[i]! });
    const name = `${dirs[i]}/layer.tar`;
    if (layer.file !== undefined) {
      const { path: file, size } = layer.file;
      generated.push({ kind: 'file', name, size, open: async () => (await import('node:fs')).createReadStream(file) });
    } else {
      generated.push(bytesItem(name, layer.bytes!));
    }
  });
  const manifest = [{ Config: configName, RepoTags: spec.tags, Layers: spec.manifestLayers ?? dirs.map((d) => `${d}/layer.tar`) }];
  generated.push(bytesItem('manifest.json', Buffer.from(JSON.stringify(manifest))));
  const replaced = new Set((spec.extra ?? []).map((e) => e.name));
  const items = [...generated.filter((g) => !replaced.has(g.name)), ...(spec.extra ?? [])];
  await pipeline(planTar(items), createWriteStream(path));
  return sha256(config);
}

/**
 * A layer tar of `files` files of `fileSize` random bytes each (incompressible),
 * written to `<dir>/<name>.tar`; returns its path, size and diff_id.
 */
export async function bigLayer(dir: string, name: string, files: number, fileSize: number): Promise<{ file: { path: string; size: number }; diffId: string }> {
  const path = join(dir, `${name}.tar`);
  const hash = createHash('sha256');
  let size = 0;
  const tar = writeTar(
    (async function* () {
      for (let i = 0; i < files; i++) {
        yield {
          header: { name: `${name}/file${i}`, type: 'file' as const, mode: 0o644, uid: 0, gid: 0, size: fileSize, mtime: new Date(0) },
          content: async () => chunksOf(fileSize),
        };
      }
    })(),
  );
  const counted = tar.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    size += chunk.length;
  });
  await pipeline(counted, createWriteStream(path));
  return { file: { path, size }, diffId: `sha256:${hash.digest('hex')}` };
}

function chunksOf(total: number): Readable {
  let left = total;
  return new Readable({
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(left, 1 << 20);
      left -= n;
      this.push(randomBytes(n));
    },
  });
}
