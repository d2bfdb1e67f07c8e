import { ErrorCode, StrataError } from '../../errors.js';
import { readSmallFile, safeArchivePath, type ArchiveSource } from './archive-source.js';
import type { ArchiveImage, ArchiveLayer, Digest } from './archive-types.js';
import { JSON_BLOB_LIMIT, readConfigBlob } from './config-blob.js';
import { isCompleteOciLayout, readOciLayout } from './oci-reader.js';
import { isDigestValue, verifyingStream } from './verify-stream.js';

/** One element of `docker save`'s manifest.json (the fields strata reads). */
interface DockerManifestEntry {
  readonly Config: string;
  readonly RepoTags: readonly string[] | null;
  readonly Layers: readonly string[];
}

/**
 * Reads a `docker save` archive: manifest.json (Config, RepoTags, Layers), the
 * config files and the layer tars (legacy `<id>/layer.tar`, possibly a symlink
 * to another entry, or Docker 25+'s `blobs/sha256/<hex>`). When the archive also
 * holds a complete OCI layout (Docker 25+), the layout is read instead, so the
 * manifests come along, and manifest.json's RepoTags are added to the names of
 * the image with the same config.
 *
 * Fails with EUNSAFEARCHIVE for a path in manifest.json that is absolute or has
 * a `..` component, or a link that leads outside the archive; EBADARCHIVE for a
 * malformed manifest.json, a missing config or layer, a config that is not JSON
 * or over 8 MiB, a layer count that differs from the config's diff_ids;
 * ECORRUPT for a config or blob whose name is its digest and whose bytes are not.
 * Each message names the file.
 */
export async function readDockerArchive(source: ArchiveSource): Promise<ArchiveImage[]> {
  const entries = await manifestEntries(source);
  if (await isCompleteOciLayout(source)) {
    const images = await readOciLayout(source);
    const named = images.map((image) => {
      const repoTags = entries.filter((e) => digestNamed(e.Config) === image.config.digest).flatMap((e) => e.RepoTags ?? []);
      return { ...image, names: [...new Set([...image.names, ...repoTags])] };
    });
    // the layout is used only when it holds every image manifest.json lists
    if (entries.every((e) => images.some((i) => i.config.digest === digestNamed(e.Config)))) return named;
  }
  return readEntries(source, entries);
}

async function readEntries(source: ArchiveSource, entries: readonly DockerManifestEntry[]): Promise<ArchiveImage[]> {
  const images: ArchiveImage[] = [];
  for (const entry of entries) images.push(await imageOf(source, entry));
  return images;
}

async function manifestEntries(source: ArchiveSource): Promise<DockerManifestEntry[]> {
  const bytes = await readSmallFile(source, 'manifest.json', JSON_BLOB_LIMIT, 'manifest.json');
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: manifest.json is not JSON (${(err as Error).message})`, { cause: err });
  }
  if (!Array.isArray(value)) throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: manifest.json is not a list`);
  return value.map((raw: unknown, i) => {
    const entry = raw as Partial<DockerManifestEntry> | null;
    const where = `${source.label}: manifest.json[${i}]`;
    if (entry === null || typeof entry !== 'object' || !Array.isArray(entry.Layers)) {
      throw new StrataError(ErrorCode.EBADARCHIVE, `${where} has no Layers list`);
    }
    const tags = entry.RepoTags ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
      throw new StrataError(ErrorCode.EBADARCHIVE, `${where} has a malformed RepoTags`);
    }
    return {
      Config: safeArchivePath(entry.Config, where),
      RepoTags: tags,
      Layers: entry.Layers.map((l: unknown) => safeArchivePath(l, where)),
    };
  });
}

async function imageOf(source: ArchiveSource, entry: DockerManifestEntry): Promise<ArchiveImage> {
  const named = digestNamed(entry.Config);
  const config = await readConfigBlob(source, entry.Config, named === undefined ? undefined : { digest: named });
  if (config.diffIds.length !== entry.Layers.length) {
    throw new StrataError(
      ErrorCode.EBADARCHIVE,
      `${source.label}: manifest.json names ${entry.Layers.length} layers for ${entry.Config}, its diff_ids ${config.diffIds.length}`,
    );
  }
  const layers: ArchiveLayer[] = [];
  for (const [i, path] of entry.Layers.entries()) {
    const file = await source.file(path);
    if (file === undefined) throw new StrataError(ErrorCode.EBADARCHIVE, `${source.label}: layer ${path} named in manifest.json is missing`);
    const blobDigest = digestNamed(path);
    const what = `${source.label}: layer ${path}`;
    layers.push({
      ...(blobDigest !== undefined ? { blobDigest } : {}),
      diffId: config.diffIds[i]!,
      size: file.size,
      open: async () => verifyingStream(file.open(), { size: file.size, ...(blobDigest !== undefined ? { digest: blobDigest } : {}), what }),
    });
  }
  return { names: [...(entry.RepoTags ?? [])], tags: [], config: { digest: config.digest, bytes: config.bytes }, layers };
}

/**
 * The digest a file's name states, if it states one: `<64 hex>.json` (a
 * legacy config) or `blobs/sha256/<64 hex>` (Docker 25+).
 */
function digestNamed(path: string): Digest | undefined {
  const match = /^(?:blobs\/sha256\/([0-9a-f]{64})|([0-9a-f]{64})\.json)$/.exec(path.replace(/^\.\//, ''));
  const digest = match === null ? undefined : `sha256:${match[1] ?? match[2]}`;
  return isDigestValue(digest) ? digest : undefined;
}
