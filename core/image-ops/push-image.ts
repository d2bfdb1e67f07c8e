import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ErrorCode, StrataError } from '../errors.js';
import { randomId } from '../ids.js';
import { MediaType as ImageMediaType, layerCompression } from '../images/media-types.js';
import { repositoryName, type ImageReference } from '../images/reference.js';
import type { RegistryClient } from '../remotes/client.js';
import { isIndex, parseManifest } from '../remotes/manifest.js';
import { MediaType, type Descriptor } from '../remotes/media-types.js';
import { push, type PushResult } from '../remotes/push.js';
import type { PushProgress, PushSource } from '../remotes/transfer.js';
import type { ImageRecord, LayerBlob } from '../store/image-store.js';
import { DigestTap } from '../store/import-taps.js';
import type { Store } from '../store/store.js';

export interface PushImageOptions {
  readonly client: RegistryClient;
  readonly onProgress?: (event: PushProgress) => void;
}

/**
 * `push`: the image `image` names (name, id or prefix) to `dest`. The config
 * goes out byte for byte; so does the manifest the image arrived with (pull,
 * load of an OCI layout) when the store can serve every blob it names (the
 * compressed blobs a pull kept, or plain-tar layers, which the layer's diff
 * gives back exactly). Otherwise a Docker v2 schema 2 manifest is built over
 * gzip layers: each layer's recorded gzip blob, or its diff compressed once
 * into the content store (recorded, so later pushes offer the same digests).
 * Where each blob went is remembered for cross-repository mounts. Fails with
 * ENOIMAGE, and as `push` (remotes/push.ts).
 */
export async function pushImage(store: Store, image: string, dest: ImageReference, options: PushImageOptions): Promise<PushResult> {
  const source = await StorePushSource.prepare(store, store.images.get(image));
  return push(source, dest, { client: options.client, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
}

/** An image of the store as a push's source. */
export class StorePushSource implements PushSource {
  readonly #store: Store;
  readonly #configDigest: string;
  readonly #manifest: { mediaType: string; bytes: Buffer };
  /** Layer ids by the blob digest the manifest names for them. */
  readonly #layerOf: ReadonlyMap<string, string>;

  private constructor(store: Store, configDigest: string, manifest: { mediaType: string; bytes: Buffer }, layerOf: Map<string, string>) {
    this.#store = store;
    this.#configDigest = configDigest;
    this.#manifest = manifest;
    this.#layerOf = layerOf;
  }

  /** Chooses (or builds) the manifest for `record`; compresses the layers that need it first. */
  static async prepare(store: Store, record: ImageRecord): Promise<StorePushSource> {
    const configDigest = `sha256:${record.id}`;
    const stored = await storedManifest(store, record);
    if (stored !== undefined) return new StorePushSource(store, configDigest, stored.manifest, stored.layerOf);
    const layers: Descriptor[] = [];
    const layerOf = new Map<string, string>();
    for (const layer of record.layers) {
      const blob = (await gzipBlobOf(store, layer)) ?? (await compressLayer(store, layer));
      layers.push({ mediaType: ImageMediaType.DOCKER_LAYER_GZIP, digest: blob.digest, size: blob.size });
      layerOf.set(blob.digest, layer);
    }
    const manifest = {
      schemaVersion: 2,
      mediaType: MediaType.DockerManifest,
      config: { mediaType: MediaType.DockerConfig, size: record.configSize, digest: configDigest },
      layers,
    };
    return new StorePushSource(store, configDigest, { mediaType: MediaType.DockerManifest, bytes: Buffer.from(JSON.stringify(manifest, null, 3)) }, layerOf);
  }

  async manifest(): Promise<{ readonly mediaType: string; readonly bytes: Buffer }> {
    return this.#manifest;
  }

  async open(desc: Descriptor): Promise<Readable> {
    const { content } = this.#store.images;
    if (desc.digest === this.#configDigest || (await content.has(desc.digest))) return content.open(desc.digest);
    const layer = this.#layerOf.get(desc.digest);
    if (layer === undefined) throw new StrataError(ErrorCode.ENOTFOUND, `blob ${desc.digest} is not in the store`);
    return this.#store.layers.diff(layer);
  }

  async file(desc: Descriptor): Promise<string | undefined> {
    const { content } = this.#store.images;
    return (await content.has(desc.digest)) ? content.path(desc.digest) : undefined;
  }

  async mountSources(desc: Descriptor, domain: string): Promise<readonly string[]> {
    const layer = this.#layerOf.get(desc.digest);
    if (layer === undefined) return [];
    return this.#store.images
      .layerBlobs(layer)
      .filter((b) => b.digest === desc.digest && b.source?.startsWith(`${domain}/`))
      .map((b) => b.source!.slice(domain.length + 1));
  }

  async pushed(dest: ImageReference, blobs: readonly Descriptor[]): Promise<void> {
    for (const desc of blobs) {
      const layer = this.#layerOf.get(desc.digest);
      const known = layer === undefined ? undefined : this.#store.images.layerBlobs(layer).find((b) => b.digest === desc.digest);
      if (known !== undefined) this.#store.images.recordLayerBlob({ ...known, source: repositoryName(dest) });
    }
  }
}

/**
 * The manifest the image arrived with, when the store can serve each blob it
 * names exactly: the config, and per layer its kept compressed blob or (a
 * plain tar) the layer's diff, whose digest is then its diffID.
 */
async function storedManifest(store: Store, record: ImageRecord): Promise<{ manifest: { mediaType: string; bytes: Buffer }; layerOf: Map<string, string> } | undefined> {
  const bytes = await store.images.manifest(record).catch(() => undefined);
  if (bytes === undefined || record.manifestMediaType === undefined) return undefined;
  const parsed = parseManifest(bytes, record.manifestMediaType, `image ${record.id.slice(0, 12)}`);
  if (isIndex(parsed) || parsed.config.digest !== `sha256:${record.id}` || parsed.layers.length !== record.layers.length) return undefined;
  const layerOf = new Map<string, string>();
  for (const [i, desc] of parsed.layers.entries()) {
    const layer = record.layers[i]!;
    const kept = store.images.layerBlobs(layer).some((b) => b.digest === desc.digest) && (await store.images.content.has(desc.digest));
    const plain = layerCompression(desc.mediaType) === 'none' && store.layers.get(layer).diffId === desc.digest;
    if (!kept && !plain) return undefined;
    layerOf.set(desc.digest, layer);
  }
  return { manifest: { mediaType: record.manifestMediaType, bytes }, layerOf };
}

/** A gzip blob recorded for the layer and still in the content store. */
async function gzipBlobOf(store: Store, layer: string): Promise<LayerBlob | undefined> {
  for (const blob of store.images.layerBlobs(layer)) {
    if (layerCompression(blob.mediaType) === 'gzip' && (await store.images.content.has(blob.digest))) return blob;
  }
  return undefined;
}

/**
 * Compresses the layer's diff (gzip, streaming) into a temporary file of the
 * store, then into the content store under a lease, and records it as the
 * layer's blob. Memory stays bounded whatever the layer's size.
 */
async function compressLayer(store: Store, layer: string): Promise<LayerBlob> {
  const file = join(await store.root.scratch(), `push-${randomId()}.tar.gz`);
  const lease = store.images.beginLease();
  try {
    const tap = new DigestTap();
    await pipeline(await store.layers.diff(layer), createGzip(), tap, createWriteStream(file, { mode: 0o600 }));
    const digest = tap.digest();
    const mediaType = ImageMediaType.DOCKER_LAYER_GZIP;
    const stored = await store.images.putBlob(lease, createReadStream(file), digest, mediaType, `layer ${layer.slice(0, 12)} (gzip)`);
    const blob: LayerBlob = { layer, digest, mediaType, size: stored.size };
    store.images.recordLayerBlob(blob);
    return blob;
  } finally {
    await rm(file, { force: true });
    await store.root.lock.run('push', () => store.images.abandon(lease));
  }
}
