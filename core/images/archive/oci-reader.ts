import { ErrorCode, StrataError } from '../../errors.js';
import { sha256Digest } from '../../ids.js';
import { parseJsonObject, readSmallFile, type ArchiveSource } from './archive-source.js';
import { Annotation, MediaType, type ArchiveImage, type ArchiveLayer, type Descriptor, type Digest } from './archive-types.js';
import { JSON_BLOB_LIMIT, readConfigBlob } from './config-blob.js';
import { isDigestValue, verifyingStream } from './verify-stream.js';
import { hostPlatform } from '../image-config.js';

/**
 * Reads an OCI image layout (oci-layout, index.json, blobs/<alg>/<hex>), from
 * a directory or a tar alike, per the OCI image-layout spec.
 *
 * Every manifest index.json names (through nested indexes: the one for this
 * machine's platform, else the first) is one image; the same manifest named
 * twice is one image with both names. Manifests and configs are read and
 * verified eagerly; layers are checked for presence and size, and verified
 * against their digest while `open()`'s stream is read.
 *
 * Fails with EBADARCHIVE (naming the blob or file) for a missing index.json,
 * manifest, config or layer blob, a malformed one, or a config whose diff_ids
 * do not match the manifest's layers; with ECORRUPT for a manifest or config
 * whose bytes do not match its descriptor; EUNSAFEARCHIVE for a blob path that
 * leads outside the archive.
 */
export async function readOciLayout(source: ArchiveSource): Promise<ArchiveImage[]> {
  const found = await manifestsOf(source);
  const images: ArchiveImage[] = [];
  for (const { descriptor, names, tags } of found.values()) images.push(await imageOf(source, descriptor, [...names], [...tags]));
  return images;
}

/**
 * Whether index.json and every blob it leads to (manifests, configs, layers)
 * are present: Docker 25+ archives carry a layout beside manifest.json, and the
 * layout is preferred only when this holds. Presence only: digests are checked
 * when the layout is then read. Fails only with EUNSAFEARCHIVE.
 */
export async function isCompleteOciLayout(source: ArchiveSource): Promise<boolean> {
  try {
    for (const { descriptor } of (await manifestsOf(source)).values()) {
      const manifest = parseJsonObject(await readBlob(source, descriptor, 'manifest'), source.label, descriptor.digest);
      for (const blob of [manifest['config'], ...(Array.isArray(manifest['layers']) ? manifest['layers'] : [undefined])]) {
        if ((await source.file(blobPath(descriptorOf(source, blob, descriptor.digest)))) === undefined) return false;
      }
    }
    return true;
  } catch (err) {
    if (err instanceof StrataError && err.code === ErrorCode.EUNSAFEARCHIVE) throw err;
    return false;
  }
}

interface Found {
  descriptor: Descriptor;
  names: Set<string>;
  tags: Set<string>;
}

/** The image manifests index.json leads to, by manifest digest, with their names. */
async function manifestsOf(source: ArchiveSource): Promise<Map<Digest, Found>> {
  const index = parseJsonObject(await readSmallFile(source, 'index.json', JSON_BLOB_LIMIT, 'index.json'), source.label, 'index.json');
  const found = new Map<Digest, Found>();
  for (const top of descriptorsOf(source, index, 'index.json')) {
    const descriptor = await imageManifestOf(source, top, 0);
    if (descriptor === undefined) continue;
    const entry = found.get(descriptor.digest) ?? { descriptor, names: new Set<string>(), tags: new Set<string>() };
    found.set(descriptor.digest, entry);
    const containerdName = top.annotations?.[Annotation.containerdName];
    const refName = top.annotations?.[Annotation.refName];
    if (containerdName !== undefined && containerdName !== '') entry.names.add(containerdName);
    if (refName !== undefined && refName !== '') {
      if (isBareTag(refName)) entry.tags.add(refName);
      else entry.names.add(refName);
    }
  }
  return found;
}

/** Docker's tag grammar: a ref.name of this form is a tag without a repository. */
function isBareTag(refName: string): boolean {
  return /^[\w][\w.-]{0,127}$/.test(refName);
}

const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.ociIndex, MediaType.dockerManifestList]);
const MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.ociManifest, MediaType.dockerManifest]);
const MAX_INDEX_DEPTH = 4;

/** The image manifest `descriptor` leads to (itself, or a nested index's pick), or undefined for other artifacts. */
async function imageManifestOf(source: ArchiveSource, descriptor: Descriptor, depth: number): Promise<Descriptor | undefined> {
  if (MANIFEST_TYPES.has(descriptor.mediaType)) return descriptor;
  if (!INDEX_TYPES.has(descriptor.mediaType)) return undefined;
  if (depth >= MAX_INDEX_DEPTH) throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: indexes nested deeper than ${MAX_INDEX_DEPTH}`);
  const index = parseJsonObject(await readBlob(source, descriptor, 'index'), source.label, descriptor.digest);
  const children = descriptorsOf(source, index, descriptor.digest).filter(
    (d) => INDEX_TYPES.has(d.mediaType) || (MANIFEST_TYPES.has(d.mediaType) && d.platform?.os !== 'unknown'),
  );
  const arch = hostPlatform().architecture;
  const pick = children.find((d) => d.platform?.os === 'linux' && d.platform.architecture === arch) ?? children[0];
  return pick === undefined ? undefined : imageManifestOf(source, pick, depth + 1);
}

async function imageOf(source: ArchiveSource, descriptor: Descriptor, names: string[], tags: string[]): Promise<ArchiveImage> {
  const bytes = await readBlob(source, descriptor, 'manifest');
  const manifest = parseJsonObject(bytes, source.label, `manifest ${descriptor.digest}`);
  const configDescriptor = descriptorOf(source, manifest['config'], descriptor.digest);
  const rawLayers = manifest['layers'];
  if (!Array.isArray(rawLayers)) throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: manifest ${descriptor.digest} has no layers list`);
  const layerDescriptors = rawLayers.map((l) => descriptorOf(source, l, descriptor.digest));
  const config = await readConfigBlob(source, blobPath(configDescriptor), configDescriptor);
  if (config.diffIds.length !== layerDescriptors.length) {
    throw new StrataError(
      ErrorCode.EBADARCHIVE,
      `${source.label}: manifest ${descriptor.digest} names ${layerDescriptors.length} layers, its config ${config.diffIds.length} diff_ids`,
    );
  }
  const layers: ArchiveLayer[] = [];
  for (const [i, layer] of layerDescriptors.entries()) layers.push(await layerOf(source, layer, config.diffIds[i]!));
  return {
    names,
    tags,
    config: { digest: config.digest, bytes: config.bytes },
    manifest: { digest: descriptor.digest, bytes, mediaType: descriptor.mediaType },
    layers,
  };
}

async function layerOf(source: ArchiveSource, descriptor: Descriptor, diffId: Digest): Promise<ArchiveLayer> {
  const path = blobPath(descriptor);
  const file = await source.file(path);
  if (file === undefined) throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: layer blob ${descriptor.digest} is missing`);
  if (file.size !== descriptor.size) {
    const code = file.size < descriptor.size ? ErrorCode.EBADARCHIVE : ErrorCode.ECORRUPT;
    throw new StrataError(code, `${source.label}: layer blob ${descriptor.digest} is ${file.size} bytes, its descriptor says ${descriptor.size}`);
  }
  return {
    blobDigest: descriptor.digest,
    mediaType: descriptor.mediaType,
    diffId,
    size: descriptor.size,
    open: async () => verifyingStream(file.open(), { size: descriptor.size, digest: descriptor.digest, what: `${source.label}: layer blob ${descriptor.digest}` }),
  };
}

/** A manifest or index blob, whole, verified against its descriptor (ECORRUPT otherwise). */
async function readBlob(source: ArchiveSource, descriptor: Descriptor, kind: string): Promise<Buffer> {
  const bytes = await readSmallFile(source, blobPath(descriptor), JSON_BLOB_LIMIT, `${kind} ${descriptor.digest}`);
  if (sha256Digest(bytes) !== descriptor.digest || bytes.length !== descriptor.size) {
    throw new StrataError(ErrorCode.ECORRUPT, `${source.label}: ${kind} blob ${descriptor.digest} does not match its digest or size`);
  }
  return bytes;
}

function blobPath(descriptor: Descriptor): string {
  return `blobs/sha256/${descriptor.digest.slice('sha256:'.length)}`;
}

function descriptorsOf(source: ArchiveSource, index: Record<string, unknown>, where: string): Descriptor[] {
  const manifests = index['manifests'];
  if (!Array.isArray(manifests)) throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: ${where} has no manifests list`);
  return manifests.map((m) => descriptorOf(source, m, where));
}

/** A validated descriptor; EBADARCHIVE naming `where` otherwise. */
function descriptorOf(source: ArchiveSource, value: unknown, where: string): Descriptor {
  const d = value as Partial<Descriptor> | null | undefined;
  if (
    d === null ||
    typeof d !== 'object' ||
    typeof d.mediaType !== 'string' ||
    !isDigestValue(d.digest) ||
    typeof d.size !== 'number' ||
    !Number.isSafeInteger(d.size) ||
    d.size < 0
  ) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: ${where} has a malformed descriptor ${JSON.stringify(value)?.slice(0, 200)}`);
  }
  return d as Descriptor;
}
