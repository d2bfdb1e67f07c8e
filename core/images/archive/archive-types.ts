import type { Readable } from 'node:stream';

/**
 * What the archive readers yield and the writers take. The OCI/Docker shapes
 * below are the minimal local ones this folder needs; they are to be replaced
 * by core/images/manifest.ts and image-config.ts when those land (the names
 * and fields follow the OCI image spec, so the swap is mechanical).
 */

import type { Digest } from '../../ids.js';

/** `sha256:<64 hex>` (core/ids.ts); the only algorithm accepted in archives. */
export type { Digest };

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** An OCI content descriptor (the fields strata reads or writes). To be replaced by manifest.ts. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: Digest;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: { readonly architecture?: string; readonly os?: string; readonly variant?: string };
}

/** Annotation keys that carry image names in an OCI layout's index.json. */
export const Annotation = {
  refName: 'org.opencontainers.image.ref.name',
  containerdName: 'io.containerd.image.name',
} as const;

/** Which of the three archive formats; detected from content when reading. */
export type ArchiveFormat = 'docker-archive' | 'oci-archive' | 'oci-dir';

/** A blob held whole in memory (configs and manifests; bounded by the reader's limits). */
export interface StoredBlob {
  readonly digest: Digest;
  /** Exactly the bytes in the archive: their sha256 is `digest`. */
  readonly bytes: Buffer;
}

/** One image found in an archive. */
export interface ArchiveImage {
  /**
   * Full references as the archive spells them (RepoTags, `io.containerd.image.name`,
   * or a ref.name that is a whole reference), unnormalised: the caller parses them.
   */
  readonly names: readonly string[];
  /**
   * Bare `org.opencontainers.image.ref.name` values such as `latest`: tags without a
   * repository (skopeo's `oci:DIR:TAG`); the caller decides which repository they tag.
   */
  readonly tags: readonly string[];
  /** The config, verified against its digest (the image id) before this is returned. */
  readonly config: StoredBlob;
  /** The manifest the archive holds (OCI layouts and Docker 25+ archives); verified. */
  readonly manifest?: StoredBlob & { readonly mediaType: string };
  /** The layers, bottom first; as many as the config's rootfs.diff_ids. */
  readonly layers: readonly ArchiveLayer[];
}

/** One layer as stored in an archive. */
export interface ArchiveLayer {
  /** The blob's digest when the archive names one (OCI layouts); `open` verifies it. */
  readonly blobDigest?: Digest;
  readonly mediaType?: string;
  /** The diffID the config lists for this layer (the store checks the uncompressed tar against it). */
  readonly diffId: Digest;
  /** Bytes as stored (compressed or not). */
  readonly size: number;
  /**
   * The raw bytes as stored: compressed or not (decompress with
   * `openLayerStream`, which detects by magic). When `blobDigest` is known the
   * stream fails with ECORRUPT at its end if the bytes do not hash to it, and
   * with EBADARCHIVE if fewer than `size` bytes arrive.
   */
  open(): Promise<Readable>;
}

/**
 * One tagged name of an image to write, already parsed (core/images/reference.ts
 * gives these parts; the writers never split a name themselves).
 */
export interface SaveName {
  /** Docker's familiar repository: `busybox`, `example.com:5000/team/app`. */
  readonly repository: string;
  readonly tag: string;
  /** The fully qualified reference: `docker.io/library/busybox:latest`. */
  readonly full: string;
}

/** One image to write. */
export interface SaveImage {
  /**
   * Its tagged names: `repository:tag` in docker-archive's RepoTags and
   * `repositories`; `full` as io.containerd.image.name and `tag` as
   * org.opencontainers.image.ref.name in OCI layouts (as Docker 25+ writes).
   */
  readonly names: readonly SaveName[];
  /** The config bytes exactly as stored; its digest is the image id. */
  readonly config: StoredBlob;
  /**
   * The stored manifest, reused byte for byte by the OCI writers when its config
   * is `config` and every layer it names is offered exactly (same digest among
   * the layers' `compressed` blobs, or uncompressed diffIDs); otherwise a new
   * OCI manifest is written.
   */
  readonly manifest?: StoredBlob & { readonly mediaType: string };
  /** Bottom first, as the config's rootfs.diff_ids. */
  readonly layers: readonly SaveLayer[];
}

export interface SaveLayer {
  readonly diffId: Digest;
  /** Bytes of the uncompressed tar. */
  readonly size: number;
  /** The uncompressed layer tar (`size` bytes, hashing to `diffId`). */
  open(): Promise<Readable>;
  /** The layer's compressed blob as it arrived, when the store kept it; the OCI writers prefer it. */
  readonly compressed?: {
    readonly digest: Digest;
    readonly size: number;
    readonly mediaType: string;
    open(): Promise<Readable>;
  };
}
