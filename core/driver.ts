import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { TreeReader } from './tree.js';

/**
 * # The storage-driver contract
 *
 * A storage driver keeps the *content* of layers; core keeps everything else
 * (ids, digests, reference counts, images). Modelled on moby's graph drivers,
 * containers/storage and containerd's snapshotters.
 *
 * ## Life cycle of a layer
 *
 *     create(id, parent, {writable})   an empty layer on top of parent: its union
 *                                      equals parent's union (or is empty for a base)
 *     applyDiff(id, parent, tar)       fill it from an OCI layer tarball  — or —
 *     mount(id) ... unmount(id)        let processes change a writable layer
 *     commit(id)                       the writable layer becomes read-only, its
 *                                      content untouched (a container's changes
 *                                      becoming an image layer)
 *     reader(id)                       look through its union without mounting
 *     diff(id, parent) / changes(...)  what id changes over parent
 *     remove(id)                       once no child and no mount remains
 *
 * ## Glossary
 *
 * - *layer*: a named set of changes over its parent. Ids are storage keys chosen
 *   by core: 1 to 128 characters of [a-z0-9]. Core maps content ids (chainIDs)
 *   to storage keys, so a driver never renames a layer.
 * - *union* of a layer: what a process sees through its mount: the parent's
 *   union with this layer's changes on top (deletions hide lower entries, an
 *   opaque directory hides every lower entry below it).
 * - *layer path*: absolute, '/'-separated, normalized (`normalizeLayerPath`).
 * - *home*: the one directory the driver owns (`DriverContext.home`). A driver
 *   writes nothing outside it (mounts are made inside it too). The name
 *   `.strata-runtime` in it is core's.
 *
 * ## Example: importing a layer
 *
 *     await driver.create(id, parentId, { writable: false });
 *     const size = await driver.applyDiff(id, parentId, tarStream);
 *     // core records diffID, size; the layer becomes visible
 *
 * ## What core checks, so that a driver does not
 *
 * Every driver is reached through core's `DriverRuntime` (runtime/), which
 * enforces the life cycle and the checks below *before* calling the driver:
 * `init` exactly once before anything but `probe`; nothing after `close`; the
 * id rule (EINVALID); ENOLAYER for an id (or parent) that does not exist;
 * ELAYEREXISTS on create; ELAYERBUSY (mounted) and ELAYERHASCHILDREN on
 * remove and commit. It also marks a layer half-made while `applyDiff` runs
 * and removes it through `remove` if a crash interrupted that, and gives
 * drivers without a native diff core's naive diff and changes over `reader`.
 * A driver's methods may therefore assume their ids exist and are well-formed.
 *
 * ## Errors
 *
 * Methods fail with a `StrataError`; the codes each one uses are in its comment.
 *
 * ## Concurrency
 *
 * Core serialises mutating calls on one store (a store lock across processes);
 * lookups (`reader`, `diff`, `changes`, `usage`) may run concurrently with each
 * other and with mounts of other layers.
 */
export interface StorageDriver {
  /** The name the driver is registered and configured under (`vfs`, `overlay`, ...). */
  readonly name: string;
  readonly capabilities: DriverCapabilities;

  /** Can this driver work here? Never throws; `reason` says what is missing. */
  probe(): Promise<ProbeResult>;

  /**
   * Called once before any other method but `probe`: creates the home layout and
   * recovers from a crash — clears stale mounts, drops temporary files. Layers a
   * crash left half-made are removed by core afterwards, through `remove`.
   */
  init(): Promise<void>;

  /** Releases in-process resources. Mounts that outlive the process stay. Nothing is called after. */
  close(): Promise<void>;

  /**
   * Creates layer `id` on top of `parent` (null: a base layer), empty of changes.
   * Its root is a directory 0755 owned 0:0 for a base layer.
   * A writable layer may be mounted read-write; a read-only layer's mount refuses
   * writes (EROFS to the writing process). Atomic: after a crash, the layer
   * exists completely or not at all.
   */
  create(id: string, parent: string | null, options: CreateOptions): Promise<void>;

  /**
   * Deletes the layer and its content; core has checked that it is neither
   * mounted nor anyone's parent. Also removes a half-made layer (one whose
   * `applyDiff` was cut short). Atomic as seen by `exists`.
   */
  remove(id: string): Promise<void>;

  exists(id: string): Promise<boolean>;

  /** Every layer id the driver holds, in any order. */
  list(): Promise<string[]>;

  /** The parent id create() recorded, null for a base layer. */
  parent(id: string): Promise<string | null>;

  /**
   * Makes the union of id available as a real directory that any process can use,
   * and returns its absolute path. Reference-counted, durably across processes of
   * one store: n mounts need n unmounts before the directory goes away; every
   * mount of one id returns the same path.
   * Fails with EUNSUPPORTED (mountKind 'none'), EDRIVERUNAVAILABLE
   * (e.g. the kernel refuses, with the kernel's reason). `options` apply to the
   * mount that attaches the union (the first reference); a driver may ignore them.
   */
  mount(id: string, options?: MountOptions): Promise<string>;

  /** Drops one reference; at zero the mount really goes. Unmounting a layer not mounted is a no-op. */
  unmount(id: string): Promise<void>;

  /** Number of live references `mount` holds for id (0 when not mounted). */
  mountCount(id: string): Promise<number>;

  /**
   * Writes an uncompressed OCI layer tarball into layer id, which was just created
   * on `parent` and holds no changes yet. Applies whiteouts (`.wh.name`) and opaque
   * markers (`.wh..wh..opq`) against parent's union; later duplicate entries win.
   * Returns the total bytes of regular-file content written.
   * Untrusted input: fails with EUNSAFEARCHIVE or EBADARCHIVE naming the entry,
   * and then the layer holds no content that is visible through any lookup.
   */
  applyDiff(id: string, parent: string | null, tar: Readable): Promise<number>;

  /**
   * Seals a writable, unmounted layer: from now on it is read-only (its mounts
   * refuse writes), and its content, union, diff and changes are exactly what
   * they were — nothing is rewritten or copied (containerd's snapshotter
   * `Commit`; core then records the layer under its content id). Committing a
   * read-only layer is a no-op.
   */
  commit(id: string): Promise<void>;

  /**
   * Optional. The uncompressed OCI layer tarball of what id changes over parent
   * (normally id's own parent; null: the whole union of id), byte for byte core's
   * naive diff of the same two unions (`naiveDiff`), which core uses where a
   * driver has none. Deterministic.
   */
  diff?(id: string, parent: string | null): Promise<Readable>;

  /** Optional. Added / Modified / Deleted paths of id over parent, sorted by path; as core's `naiveChanges`. */
  changes?(id: string, parent: string | null): Promise<Change[]>;

  /**
   * Read access to id's union without mounting it: stat, readdir, read and
   * xattrs by layer path (see `TreeReader`). While a writable layer is mounted
   * the reader sees what its processes see.
   */
  reader(id: string): Promise<TreeReader>;

  /** Bytes and inodes id itself holds on disk (its own content, not its parents'). */
  usage(id: string): Promise<LayerUsage>;
}

export interface MountOptions {
  /**
   * Nothing written through this mount needs to survive a crash: the layer is
   * thrown away after it (a `run --rm` container). A driver may then skip
   * syncing — kernel overlayfs's `volatile`, whose unmount does not sync the
   * whole upper filesystem — as podman does for `--rm`.
   */
  readonly volatile?: boolean;
}

export interface CreateOptions {
  /** May the layer be changed through a mount? */
  readonly writable: boolean;
}

export interface ProbeResult {
  readonly ok: boolean;
  /** Why the driver cannot work here (ok false), or a note on what is limited. */
  readonly reason?: string;
}

export type ChangeKind = 'A' | 'C' | 'D';

/** One changed path, as `docker diff` prints it. */
export interface Change {
  readonly kind: ChangeKind;
  readonly path: string;
}

export interface LayerUsage {
  /** Bytes of disk the layer alone holds (allocated blocks × 512 where known). */
  readonly bytes: number;
  readonly inodes: number;
  /** Bytes the layer shares with other layers (copy-on-write drivers); 0 otherwise. */
  readonly sharedBytes?: number;
}

/** How `mount` makes a union visible. */
export type MountKind = 'kernel' | 'fuse' | 'directory' | 'none';

/** What `create(id, parent)` costs as the parent grows. */
export type SnapshotCost = 'constant' | 'linear';

/**
 * Capabilities are data with defaults (see `defaultCapabilities`), never sniffed
 * from a driver's class or name.
 */
export interface DriverCapabilities {
  /** diff/changes read only the layer's own changes, not both trees. Default false. */
  readonly nativeDiff: boolean;
  /** Default 'directory'. */
  readonly mountKind: MountKind;
  /** Default 'linear'. */
  readonly snapshotCost: SnapshotCost;
  /** A directory from a lower layer can be renamed through a mount. Default true. */
  readonly renameDirectories: boolean;
  /** Extended attributes are kept. Default true. */
  readonly xattrs: boolean;
  /** Deepest stack the driver supports, in layers; Infinity where unbounded. Default Infinity. */
  readonly maxDepth: number;
}

export const defaultCapabilities: DriverCapabilities = Object.freeze({
  nativeDiff: false,
  mountKind: 'directory',
  snapshotCost: 'linear',
  renameDirectories: true,
  xattrs: true,
  maxDepth: Number.POSITIVE_INFINITY,
});

/** A driver's capabilities over the defaults: adding a flag later breaks no driver. */
export function capabilities(overrides: Partial<DriverCapabilities>): DriverCapabilities {
  return Object.freeze({ ...defaultCapabilities, ...overrides });
}

/** Type guard: the driver's mounts are real directories other processes can use. */
export function canMount(caps: DriverCapabilities): caps is DriverCapabilities & { mountKind: Exclude<MountKind, 'none'> } {
  return caps.mountKind !== 'none';
}

/** What core hands a driver: its home and its own options from configuration. */
export interface DriverContext {
  /** Absolute path of the only directory the driver may write in; exists. */
  readonly home: string;
  /** A scratch directory inside home for staging; core empties it before `init`. Exists. */
  readonly tmp: string;
  /** `driverOptions[<name>]` from configuration, unvalidated: the driver validates. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The context for a driver whose home is `home`: its scratch directory is `<home>/tmp`. */
export function driverContext(home: string, options: Readonly<Record<string, unknown>> = {}): DriverContext {
  return { home, tmp: join(home, 'tmp'), options };
}

/** Injection tokens share their interface's name. */
export const StorageDriver = Symbol.for('strata.StorageDriver');
export const DriverContext = Symbol.for('strata.DriverContext');
