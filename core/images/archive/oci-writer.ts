import { Readable } from 'node:stream';
import { sha256Digest } from '../../ids.js';
import { Annotation, MediaType, type Descriptor, type Digest, type SaveImage, type SaveLayer } from './archive-types.js';
import { bytesItem, type PlannedItem } from './archive-plan.js';
import { verifyingStream } from './verify-stream.js';

/**
 * The files of an OCI image layout (image-spec 1.0 image-layout):
 *
 *     oci-layout                      {"imageLayoutVersion":"1.0.0"}
 *     blobs/sha256/<hex>              layers, configs, manifests; each once
 *     index.json                      one descriptor per image name, annotated
 *                                     io.containerd.image.name = the full name,
 *                                     org.opencontainers.image.ref.name = its tag
 *                                     (as Docker 25+ writes); one unannotated
 *                                     descriptor for an image without names
 *
 * A layer is written as its stored compressed blob when offered, else as the
 * uncompressed tar (media type ...tar, digest = diffID). The image's stored
 * manifest is reused byte for byte when its config is this config and each
 * layer it names is one offered (compressed or not); otherwise a new OCI
 * manifest is written. Every blob is verified against its digest and size
 * while written (ECORRUPT otherwise). Deterministic: same images, same bytes.
 */
export function planOciLayout(images: readonly SaveImage[]): PlannedItem[] {
  const blobs = new Map<Digest, PlannedItem>();
  const index: Descriptor[] = [];
  for (const image of images) {
    const { layers, manifest } = manifestFor(image);
    for (const layer of layers) addBlob(blobs, layer.descriptor.digest, layer.descriptor.size, layer.open);
    addBlob(blobs, image.config.digest, image.config.bytes.length, async () => Readable.from([image.config.bytes]));
    addBlob(blobs, manifest.digest, manifest.bytes.length, async () => Readable.from([manifest.bytes]));
    const descriptor = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length };
    if (image.names.length === 0) index.push(descriptor);
    for (const name of image.names) {
      index.push({ ...descriptor, annotations: { [Annotation.containerdName]: name.full, [Annotation.refName]: name.tag } });
    }
  }
  const indexJson = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index };
  return [
    bytesItem('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))),
    { kind: 'directory', name: 'blobs' },
    { kind: 'directory', name: 'blobs/sha256' },
    ...blobs.values(),
    bytesItem('index.json', Buffer.from(JSON.stringify(indexJson))),
  ];
}

interface ChosenLayer {
  readonly descriptor: Descriptor;
  open(): Promise<Readable>;
}

/** The layer blobs and the manifest bytes to write for `image`. */
function manifestFor(image: SaveImage): { layers: ChosenLayer[]; manifest: { digest: Digest; bytes: Buffer; mediaType: string } } {
  const reused = reuseStored(image);
  if (reused !== undefined) return reused;
  const layers = image.layers.map((layer) => compressedOrPlain(layer, layer.compressed !== undefined));
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: image.config.digest, size: image.config.bytes.length },
    layers: layers.map((l) => l.descriptor),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { layers, manifest: { digest: sha256Digest(bytes), bytes, mediaType: MediaType.ociManifest } };
}

/** The stored manifest and the blobs it names, when every one of them is offered. */
function reuseStored(image: SaveImage): ReturnType<typeof manifestFor> | undefined {
  const stored = image.manifest;
  if (stored === undefined) return undefined;
  let parsed: { config?: { digest?: unknown }; layers?: Array<{ digest?: unknown; mediaType?: unknown }> };
  try {
    parsed = JSON.parse(stored.bytes.toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  if (parsed.config?.digest !== image.config.digest || !Array.isArray(parsed.layers) || parsed.layers.length !== image.layers.length) return undefined;
  const layers: ChosenLayer[] = [];
  for (const [i, named] of parsed.layers.entries()) {
    const layer = image.layers[i]!;
    if (layer.compressed !== undefined && named.digest === layer.compressed.digest) layers.push(compressedOrPlain(layer, true));
    else if (named.digest === layer.diffId) layers.push(compressedOrPlain(layer, false));
    else return undefined;
  }
  return { layers, manifest: stored };
}

const OCI_TYPE_OF: Readonly<Record<string, string>> = { [MediaType.dockerLayerGzip]: MediaType.ociLayerGzip };

function compressedOrPlain(layer: SaveLayer, compressed: boolean): ChosenLayer {
  const c = layer.compressed;
  if (compressed && c !== undefined) {
    return {
      descriptor: { mediaType: OCI_TYPE_OF[c.mediaType] ?? c.mediaType, digest: c.digest, size: c.size },
      open: async () => verifyingStream(await c.open(), { size: c.size, digest: c.digest, what: `layer blob ${c.digest}` }),
    };
  }
  return {
    descriptor: { mediaType: MediaType.ociLayer, digest: layer.diffId, size: layer.size },
    open: async () => verifyingStream(await layer.open(), { size: layer.size, digest: layer.diffId, what: `layer ${layer.diffId}` }),
  };
}

function addBlob(blobs: Map<Digest, PlannedItem>, digest: Digest, size: number, open: () => Promise<Readable>): void {
  if (blobs.has(digest)) return;
  blobs.set(digest, { kind: 'file', name: `blobs/sha256/${digest.slice('sha256:'.length)}`, size, open });
}
