import { formatCreated } from './config-json.js';
import { hostPlatform } from './image-config.js';
import type { ContainerConfig, HistoryEntry, ImageConfig, PlatformSpec } from './image-config.js';

/**
 * The configs strata creates, shaped as Docker 20.10 shapes them (recorded in
 * notes/docker-images.md), for `serializeImageConfig` to encode. With the same
 * inputs (created time, docker_version) they give Docker's very bytes, hence
 * Docker's image id.
 */

/** Docker's comment for an import from a stream (`docker import FILE` streams too). */
export const IMPORT_COMMENT = 'Imported from -';

interface CommonOptions {
  /** RFC 3339 string (kept verbatim, e.g. with nanoseconds) or a Date (written as Go does). */
  readonly created: string | Date;
  /** Defaults to `hostPlatform()`. */
  readonly platform?: PlatformSpec;
  /** Written as `docker_version` when given (Docker writes its own; strata need not). */
  readonly dockerVersion?: string;
}

export interface ImportOptions extends CommonOptions {
  /** sha256 of the uncompressed layer tar. */
  readonly diffId: string;
  /** `-m`; replaces the default comment `Imported from -`. */
  readonly message?: string;
  /** The config after `-c` changes (applyChanges on {}); absent fields are Docker's zero values. */
  readonly config?: ContainerConfig;
}

function createdText(created: string | Date): string {
  return typeof created === 'string' ? created : formatCreated(created);
}

function platformFields(platform: PlatformSpec | undefined): Pick<ImageConfig, 'architecture' | 'os' | 'variant'> {
  const p = platform ?? hostPlatform();
  return { architecture: p.architecture, os: p.os, ...(p.variant === undefined ? {} : { variant: p.variant }) };
}

/** The config of `import`: one layer, one history entry `{created, comment}`, an empty container_config. */
export function importedImageConfig(options: ImportOptions): ImageConfig {
  const created = createdText(options.created);
  const comment = options.message === undefined || options.message === '' ? IMPORT_COMMENT : options.message;
  return {
    ...platformFields(options.platform),
    comment,
    config: options.config ?? {},
    container_config: {},
    created,
    ...(options.dockerVersion === undefined ? {} : { docker_version: options.dockerVersion }),
    history: [{ created, comment }],
    rootfs: { type: 'layers', diff_ids: [options.diffId] },
  };
}

export interface CommitOptions extends CommonOptions {
  /** The image the container runs. */
  readonly parent: ImageConfig;
  /** Container id (64 hex), written as `container`. */
  readonly containerId: string;
  /** The container's own config (`container_config`; its Cmd makes the history's created_by). */
  readonly containerConfig: ContainerConfig;
  /** The new image's config (the container's config after `-c` changes). */
  readonly config: ContainerConfig;
  /** sha256 of the container layer's tar. */
  readonly diffId: string;
  /** `-m`. */
  readonly message?: string;
  /** `-a`. */
  readonly author?: string;
}

/**
 * The config of `commit`: the parent's layers and history plus one layer and
 * one entry `{created, author, created_by: Cmd joined by spaces, comment}`;
 * `author` also at the top, the message only in history (Docker's inspect
 * shows the last history comment as Comment when the config has none).
 */
export function committedImageConfig(options: CommitOptions): ImageConfig {
  const created = createdText(options.created);
  const entry: HistoryEntry = {
    created,
    ...(options.author ? { author: options.author } : {}),
    created_by: (options.containerConfig.Cmd ?? []).join(' '),
    ...(options.message ? { comment: options.message } : {}),
  };
  return {
    ...platformFields(options.platform ?? { os: options.parent.os, architecture: options.parent.architecture, ...(options.parent.variant ? { variant: options.parent.variant } : {}) }),
    ...(options.author ? { author: options.author } : {}),
    config: options.config,
    container: options.containerId,
    container_config: options.containerConfig,
    created,
    ...(options.dockerVersion === undefined ? {} : { docker_version: options.dockerVersion }),
    history: [...(options.parent.history ?? []), entry],
    rootfs: { type: 'layers', diff_ids: [...options.parent.rootfs.diff_ids, options.diffId] },
  };
}
