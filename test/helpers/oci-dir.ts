import type { ImageReference } from '../../core/images/reference.js';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { DigestTap } from '../../core/store/import-taps.js';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { pack } from 'tar-stream';
import type { Descriptor, Platform, PulledImage, PullSink, PushSource } from '../../core/remotes/index.js';
import { MediaType } from '../../core/remotes/index.js';

/**
 * Test scaffolding until the image store implements PullSink/PushSource: an
 * OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`)
 * that skopeo reads and writes too, plus a sink and a source over it.
 */

export function blobPath(dir: string, digest: string): string {
  return join(dir, 'blobs', 'sha256', digest.slice(7));
}

/** Writes `bytes` as a blob; returns its descriptor. */
export async function addBlob(dir: string, mediaType: string, bytes: Buffer): Promise<Descriptor> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  await writeFile(blobPath(dir, digest), bytes);
  return { mediaType, digest, size: bytes.length };
}

/**
 * A layer: a tar with one file `data-<n>` of `size` random bytes, gzip-compressed
 * (level 1) unless `gzip` is false, with its diffID. Streams, so a 1 GiB layer
 * costs no memory.
 */
export async function addRandomLayer(dir: string, size: number, gzip = true): Promise<Descriptor & { readonly diffId: string }> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const temp = join(dir, `layer-${randomBytes(4).toString('hex')}.tmp`);
  const tar = pack();
  const entry = tar.entry({ name: `data-${randomBytes(4).toString('hex')}`, size, mode: 0o644, mtime: new Date(0) });
  const writing = (async () => {
    for (let left = size; left > 0; ) {
      const n = Math.min(left, 1024 * 1024);
      if (!entry.write(randomBytes(n))) await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
      left -= n;
    }
    entry.end(Buffer.alloc(0));
    tar.finalize();
  })();
  // The blob's digest and size, and (before gzip) the tar's digest: the diffID.
  const blob = new DigestTap();
  const tarTap = new DigestTap();
  const stages: NodeJS.ReadWriteStream[] = gzip ? [tarTap, createGzip({ level: 1 }), blob] : [tarTap, blob];
  await Promise.all([writing, pipeline(tar as unknown as Readable, ...(stages as [Transform]), createWriteStream(temp))]);
  const digest = blob.digest();
  await rename(temp, blobPath(dir, digest));
  const length = blob.bytes;
  const diffId = gzip ? tarTap.digest() : digest;
  return { mediaType: gzip ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.oci.image.layer.v1.tar', digest, size: length, diffId };
}

export interface ImageSpec {
  /** Each layer's diffID is its `diffId`, else its digest (a plain tar). */
  readonly layers: readonly (Descriptor & { readonly diffId?: string })[];
  readonly platform?: Platform;
}

/** Writes an OCI config and manifest for `layers` (skopeo's `--format v2s2` converts to Docker's types on push); returns the manifest descriptor (not yet in index.json). */
export async function addImage(dir: string, spec: ImageSpec): Promise<Descriptor & { bytes: Buffer }> {
  const platform = spec.platform ?? { os: 'linux', architecture: 'amd64' };
  const config = await addBlob(
    dir,
    MediaType.OciConfig,
    Buffer.from(JSON.stringify({ architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}), rootfs: { type: 'layers', diff_ids: spec.layers.map((l) => l.diffId ?? l.digest) }, config: { Cmd: ['/bin/sh'] }, created: new Date().toISOString() })),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config,
    layers: spec.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { ...(await addBlob(dir, manifest.mediaType, bytes)), platform, bytes };
}

/** Writes an index over `manifests` (their `platform`s kept; `annotations` per entry allowed). */
export async function addIndex(dir: string, manifests: readonly Descriptor[]): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: manifests.map(({ mediaType, digest, size, platform, annotations }) => ({ mediaType, digest, size, platform, annotations })) }));
  return addBlob(dir, MediaType.OciIndex, bytes);
}

/** Names `desc` as `tag` in index.json (and writes `oci-layout`). */
export async function tagInLayout(dir: string, tag: string, desc: Descriptor): Promise<void> {
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const index = await readIndex(dir);
  const manifests = index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  manifests.push({ mediaType: desc.mediaType, digest: desc.digest, size: desc.size, annotations: { 'org.opencontainers.image.ref.name': tag } });
  await writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
}

async function readIndex(dir: string): Promise<{ manifests: Descriptor[] }> {
  try {
    return JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  } catch {
    return { manifests: [] };
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/**
 * A PullSink over a blob directory: `has` is "the blob file exists"; layers are
 * written to a temporary file and renamed only when the verified stream ended,
 * so a failed download leaves nothing. Records what it was handed.
 */
export class DirSink implements PullSink {
  readonly layersGiven: { index: number; digest: string; streamed: boolean }[] = [];
  readonly configsGiven: string[] = [];
  committed: PulledImage | undefined;
  aborted: unknown;

  constructor(readonly dir: string) {}

  has(desc: Descriptor): Promise<boolean> {
    return exists(blobPath(this.dir, desc.digest));
  }

  async config(desc: Descriptor, bytes: Buffer): Promise<void> {
    this.configsGiven.push(desc.digest);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(blobPath(this.dir, desc.digest), bytes);
  }

  async layer(index: number, desc: Descriptor, body: Readable | null): Promise<void> {
    this.layersGiven.push({ index, digest: desc.digest, streamed: body !== null });
    if (body === null) return;
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    const temp = `${blobPath(this.dir, desc.digest)}.partial`;
    try {
      await pipeline(body, createWriteStream(temp));
      await rename(temp, blobPath(this.dir, desc.digest));
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async commit(image: PulledImage): Promise<void> {
    this.committed = image;
    await addBlob(this.dir, image.manifest.mediaType, image.manifest.bytes);
    if (image.index) await addBlob(this.dir, image.index.mediaType, image.index.bytes);
  }

  async abort(err: unknown): Promise<void> {
    this.aborted = err;
  }
}

/** A PushSource over an OCI layout's image `tag` (an image manifest, not an index). */
export class DirSource implements PushSource {
  readonly pushedTo: { dest: ImageReference; blobs: readonly Descriptor[] }[] = [];

  constructor(
    readonly dir: string,
    readonly tag: string,
    /** digest → repository paths known to hold it (for mounts). */
    readonly sources: Readonly<Record<string, readonly string[]>> = {},
  ) {}

  async manifest(): Promise<{ mediaType: string; bytes: Buffer }> {
    const entry = (await readIndex(this.dir)).manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === this.tag);
    if (entry === undefined) throw new Error(`no ${this.tag} in ${this.dir}`);
    return { mediaType: entry.mediaType, bytes: await readFile(blobPath(this.dir, entry.digest)) };
  }

  async open(desc: Descriptor): Promise<Readable> {
    return createReadStream(blobPath(this.dir, desc.digest), { highWaterMark: 1024 * 1024 });
  }

  async mountSources(desc: Descriptor): Promise<readonly string[]> {
    return this.sources[desc.digest] ?? [];
  }

  async pushed(dest: ImageReference, blobs: readonly Descriptor[]): Promise<void> {
    this.pushedTo.push({ dest, blobs });
  }
}
