/**
 * Media types of OCI images (image-spec v1.1) and of Docker's schema 2, and
 * what each means to strata. Schema 1 manifests (signed or not) are not
 * supported: they are named here only so that they can be refused clearly.
 */
export const MediaType = {
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  OCI_LAYER: 'application/vnd.oci.image.layer.v1.tar',
  OCI_LAYER_GZIP: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCI_LAYER_ZSTD: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OCI_LAYER_NONDISTRIBUTABLE: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OCI_LAYER_NONDISTRIBUTABLE_GZIP: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OCI_LAYER_NONDISTRIBUTABLE_ZSTD: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  OCI_EMPTY: 'application/vnd.oci.empty.v1+json',
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_MANIFEST_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_CONFIG: 'application/vnd.docker.container.image.v1+json',
  DOCKER_LAYER: 'application/vnd.docker.image.rootfs.diff.tar',
  DOCKER_LAYER_GZIP: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DOCKER_LAYER_ZSTD: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  DOCKER_LAYER_FOREIGN_GZIP: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  DOCKER_MANIFEST_V1: 'application/vnd.docker.distribution.manifest.v1+json',
  DOCKER_MANIFEST_V1_SIGNED: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/** How a layer blob is compressed, judged by its media type. */
export type LayerCompression = 'none' | 'gzip' | 'zstd';

const MANIFESTS: ReadonlySet<string> = new Set([MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST]);
const INDEXES: ReadonlySet<string> = new Set([MediaType.OCI_INDEX, MediaType.DOCKER_MANIFEST_LIST]);
const CONFIGS: ReadonlySet<string> = new Set([MediaType.OCI_CONFIG, MediaType.DOCKER_CONFIG]);
const LAYERS: ReadonlyMap<string, LayerCompression> = new Map<string, LayerCompression>([
  [MediaType.OCI_LAYER, 'none'],
  [MediaType.OCI_LAYER_GZIP, 'gzip'],
  [MediaType.OCI_LAYER_ZSTD, 'zstd'],
  [MediaType.OCI_LAYER_NONDISTRIBUTABLE, 'none'],
  [MediaType.OCI_LAYER_NONDISTRIBUTABLE_GZIP, 'gzip'],
  [MediaType.OCI_LAYER_NONDISTRIBUTABLE_ZSTD, 'zstd'],
  [MediaType.DOCKER_LAYER, 'none'],
  [MediaType.DOCKER_LAYER_GZIP, 'gzip'],
  [MediaType.DOCKER_LAYER_ZSTD, 'zstd'],
  [MediaType.DOCKER_LAYER_FOREIGN_GZIP, 'gzip'],
]);

/** An image manifest (OCI or Docker schema 2). */
export function isManifestMediaType(mediaType: string): boolean {
  return MANIFESTS.has(mediaType);
}

/** A list of manifests (OCI index or Docker manifest list). */
export function isIndexMediaType(mediaType: string): boolean {
  return INDEXES.has(mediaType);
}

/** An image config (OCI or Docker). */
export function isConfigMediaType(mediaType: string): boolean {
  return CONFIGS.has(mediaType);
}

/** The compression a layer media type declares, or undefined when it is not a layer type strata knows. */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  return LAYERS.get(mediaType);
}

/** Docker schema 1 (refused). */
export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === MediaType.DOCKER_MANIFEST_V1 || mediaType === MediaType.DOCKER_MANIFEST_V1_SIGNED;
}

/**
 * The Accept header a registry client sends for a manifest: all four kinds,
 * since a registry answers 404 to a manifest type it was not asked for.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  MediaType.OCI_INDEX,
  MediaType.OCI_MANIFEST,
  MediaType.DOCKER_MANIFEST_LIST,
  MediaType.DOCKER_MANIFEST,
];

/** The layer media type strata writes for `compression`, in the OCI or the Docker family. */
export function layerMediaType(compression: LayerCompression, family: 'oci' | 'docker'): string {
  if (family === 'oci') {
    return compression === 'gzip' ? MediaType.OCI_LAYER_GZIP : compression === 'zstd' ? MediaType.OCI_LAYER_ZSTD : MediaType.OCI_LAYER;
  }
  return compression === 'gzip' ? MediaType.DOCKER_LAYER_GZIP : compression === 'zstd' ? MediaType.DOCKER_LAYER_ZSTD : MediaType.DOCKER_LAYER;
}
