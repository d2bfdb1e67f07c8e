import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { MediaType as ImageMediaType } from '../../core/images/media-types.js';
import { MediaType, hostPlatform, type Descriptor, type Platform } from '../../core/remotes/index.js';
import { addBlob, tagInLayout } from '../helpers/oci-dir.js';

/** A layer of an OCI layout made here: its gzip blob's descriptor and its diffID. */
export interface TreeLayer {
  readonly desc: Descriptor;
  readonly diffId: string;
}

/** A tar of `files` (path → content; mode 0644, root-owned, mtime 0), gzip'd as a blob of `layout`. */
export async function addTreeLayer(layout: string, files: Readonly<Record<string, string | Buffer>>): Promise<TreeLayer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  tar.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
  const ended = new Promise<void>((resolve) => tar.on('end', resolve));
  for (const [name, content] of Object.entries(files)) tar.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, content);
  tar.finalize();
  await ended;
  const bytes = Buffer.concat(chunks);
  const desc = await addBlob(layout, ImageMediaType.OCI_LAYER_GZIP, gzipSync(bytes, { level: 1 }));
  return { desc, diffId: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** An OCI image of `layers` (for this host's platform by default), tagged `tag` in `layout` unless `tag` is undefined; returns its manifest's descriptor and config's digest. */
export async function addTreeImage(layout: string, tag: string | undefined, layers: readonly TreeLayer[], platform: Platform = hostPlatform()): Promise<{ manifest: string; config: string; desc: Descriptor }> {
  const config = await addBlob(
    layout,
    MediaType.OciConfig,
    Buffer.from(JSON.stringify({ architecture: platform.architecture, os: platform.os, config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, created: '2026-11-29T00:00:00Z' })),
  );
  const manifest = await addBlob(layout, MediaType.OciManifest, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: layers.map((l) => l.desc) })));
  if (tag !== undefined) await tagInLayout(layout, tag, manifest);
  return { manifest: manifest.digest, config: config.digest, desc: { ...manifest, platform } };
}
