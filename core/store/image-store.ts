import { createHash } from 'node:crypto';
import type { ContentStore } from '../content/content-store.js';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import { parseImageConfig, type ImageConfig } from '../images/image-config.js';
import { familiarString, parseReference, withDefaultTag, formatReference, type ImageReference } from '../images/reference.js';
import { resolvePrefix } from '../ids.js';
import { ImageRows, type ImageRecord, type LayerBlob } from './image-rows.js';
import type { LayerStore } from './layer-store.js';
import { Lease, deadLeases, dropLeaseLayer } from './leases.js';
import type { StoreRoot } from './store-root.js';

export type { ImageRecord, LayerBlob } from './image-rows.js';

/** What `register` makes an image of; the lease holds its layers' references, base first. */
export interface NewImage {
  /** The config, byte for byte as it will be stored and served (its sha256 is the image id). */
  readonly config: Buffer;
  /** The manifest it arrived with, byte for byte (load of an OCI layout, pull). */
  readonly manifest?: { readonly bytes: Buffer; readonly mediaType: string };
  /** Names to point at it (parsed; a tag moves from any image that had it). */
  readonly names?: readonly ImageReference[];
  /** `repository@digest` names (pull, load by digest). */
  readonly repoDigests?: readonly ImageReference[];
  readonly parent?: string;
  /** Compressed blobs of its layers as they arrived (already in the content store under the lease). */
  readonly layerBlobs?: readonly LayerBlob[];
}

/** One line of `rmi` / `image prune` output. */
export interface RemovalEvent {
  readonly kind: 'Untagged' | 'Deleted';
  /** A familiar name (`hello:latest`), or `sha256:<hex>` of an image or a layer. */
  readonly what: string;
}

export interface RemoveOptions {
  readonly force?: boolean;
  readonly noPrune?: boolean;
  /** The container using image id, if any (containers block removal unless forced). */
  readonly usedBy?: (imageId: string) => string | undefined;
}

/**
 * The image store of a root: images (id = config sha256) holding one reference
 * to each layer of their chain, names and RepoDigests, and the blobs (configs,
 * manifests, compressed layers) in the content store. A peer of the layer store
 * over one StoreRoot: registering an image and taking over its layers'
 * references, or removing one and releasing them, happen in one transaction,
 * with a lease (leases.ts) covering the steps a crash could cut.
 */
export class ImageStore {
  readonly #root: StoreRoot;
  readonly #layers: LayerStore;
  readonly #content: ContentStore;
  readonly #rows: ImageRows;

  constructor(root: StoreRoot, layers: LayerStore, content: ContentStore) {
    this.#root = root;
    this.#layers = layers;
    this.#content = content;
    this.#rows = new ImageRows(root.db);
  }

  get content(): ContentStore {
    return this.#content;
  }

  /** At open, under the lock: gives back what dead operations held, drops unreferenced blobs. */
  async recover(): Promise<void> {
    await this.#content.init();
    for (const lease of deadLeases(this.#root.db)) {
      for (const layer of lease.layers) {
        try {
          // A build killed during a RUN leaves its step's writable layer (its own, nobody else's) mounted.
          const info = this.#layers.get(layer);
          if (info.writable && info.refCount === 1) for (let n = info.mountCount; n > 0; n--) await this.#layers.unmountLocked(layer);
          await this.#giveBack(lease.id, layer);
        } catch (err) {
          if (!isStrataError(err, ErrorCode.ENOLAYER)) throw err;
          this.#root.db.transaction(() => dropLeaseLayer(this.#root.db, lease.id, layer));
        }
      }
      this.#root.db.sqlite.prepare('DELETE FROM leases WHERE id = ?').run(lease.id);
    }
    await this.collectBlobs();
    const known = this.#rows.knownBlobs();
    await this.#content.sweep((digest) => known.has(digest));
  }

  /** A lease for an operation that will register an image (see leases.ts). */
  beginLease(): Lease {
    return Lease.begin(this.#root.db);
  }

  /**
   * Ends a lease whose operation failed: gives back its layers, newest first,
   * each one's lease record dropped as it goes (a crash meanwhile leaves the
   * rest to the next open, nothing released twice), then the lease. The
   * caller holds the lock.
   */
  async abandon(lease: Lease): Promise<void> {
    for (const layer of lease.layers().reverse()) await this.#giveBack(lease.id, layer).catch(() => undefined);
    this.#root.db.transaction(() => lease.end());
    await this.collectBlobs();
  }

  /**
   * Releases one reference the lease holds and forgets it in the lease: a
   * reference that is not the last in the same transaction; the last one
   * (which deletes the layer) just after — a crash between the two leaves a
   * record whose layer is gone, which recovery skips.
   */
  async #giveBack(lease: string, layer: string): Promise<boolean> {
    const db = this.#root.db;
    if (this.#layers.get(layer).refCount > 1) {
      db.transaction(() => {
        this.#layers.unreference(layer);
        dropLeaseLayer(db, lease, layer);
      });
      return false;
    }
    await this.#layers.releaseLocked(layer);
    db.transaction(() => dropLeaseLayer(db, lease, layer));
    return true;
  }

  /**
   * Stores a blob under the lease (recorded before it is written, so no open
   * sweeps it meanwhile): bytes, a stream, or `{ file }`, a file on the
   * store's filesystem that is linked, not copied (see ContentStore.putFile).
   */
  async putBlob(lease: Lease, data: Buffer | NodeJS.ReadableStream | { readonly file: string; readonly verified?: boolean }, expected: string | undefined, mediaType: string, what: string): Promise<{ digest: string; size: number }> {
    const digest = expected ?? (Buffer.isBuffer(data) ? `sha256:${createHash('sha256').update(data).digest('hex')}` : undefined);
    if (digest === undefined) throw new StrataError(ErrorCode.EINVALID, `${what}: a streamed blob needs its digest`);
    this.#root.db.transaction(() => lease.addBlob(digest));
    const stored = 'file' in data ? await this.#content.putFile(data.file, digest, what, data.verified === true) : await this.#content.put(data as Buffer, digest, what);
    this.#root.db.transaction(() => this.#rows.addBlob(stored.digest, stored.size, mediaType));
    return stored;
  }

  /**
   * Registers an image whose layers the lease holds (base first), ending the
   * lease: the image takes over those references (or, when it exists already,
   * they are given back and it gains the names). The config must be valid and
   * its rootfs.diff_ids must be the layers' diffIDs. Fails with EBADARCHIVE
   * (a config that does not parse or does not match its layers).
   */
  async register(lease: Lease, image: NewImage): Promise<{ id: string; existed: boolean }> {
    const configDigest = `sha256:${createHash('sha256').update(image.config).digest('hex')}`;
    const config = parseImageConfig(image.config, { what: `image config ${configDigest}`, code: ErrorCode.EBADARCHIVE });
    const layers = lease.layers();
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== layers.length || diffIds.some((d, i) => this.#layers.get(layers[i]!).diffId !== d)) {
      throw new StrataError(ErrorCode.EBADARCHIVE, `image config ${configDigest}: its rootfs.diff_ids do not match the ${layers.length} layer(s) given`);
    }
    await this.putBlob(lease, image.config, configDigest, 'application/vnd.oci.image.config.v1+json', `image config ${configDigest}`);
    const manifestDigest = image.manifest === undefined ? undefined : (await this.putBlob(lease, image.manifest.bytes, undefined, image.manifest.mediaType, 'image manifest')).digest;
    const id = configDigest.slice(7);
    let existed = false;
    this.#root.db.transaction(() => {
      existed = this.#rows.find(id) !== undefined;
      if (existed) {
        for (const layer of layers) this.#layers.unreference(layer);
        if (manifestDigest !== undefined) this.#rows.setManifest(id, manifestDigest, image.manifest!.mediaType);
      } else {
        this.#rows.insert({
          id,
          layers,
          configSize: image.config.length,
          ...(manifestDigest === undefined ? {} : { manifestDigest, manifestMediaType: image.manifest!.mediaType }),
          ...(image.parent === undefined ? {} : { parent: image.parent }),
        });
      }
      this.#rows.addImageBlob(id, configDigest);
      if (manifestDigest !== undefined) this.#rows.addImageBlob(id, manifestDigest);
      for (const blob of image.layerBlobs ?? []) this.#rows.addLayerBlob(blob);
      for (const name of image.names ?? []) this.#rows.setTag(formatReference(withDefaultTag(name)), id);
      for (const name of image.repoDigests ?? []) this.#rows.addRepoDigest(formatReference(name), id);
      lease.end();
    });
    return { id, existed };
  }

  /**
   * Registers a chain of images that add no layer (a build's metadata steps): the first's
   * parent is `parent` (undefined: none, and no layers), each next one's the one before,
   * and each holds one reference to every layer of `parent`, whose diffIDs its config's
   * rootfs must list. Its cost does not grow with the chain's length: the configs are
   * stored with one sync round (ContentStore.putMany) under a lease that is recorded
   * without waiting for the disk (a crash loses it and the files are swept at open), then
   * every row — and the caller's, from `inTransaction` (build cache entries) — goes in one
   * durable transaction, under the store lock. An image that exists already stays as it
   * is. Returns the ids, in order. Fails with EBADARCHIVE (a config that does not parse or
   * does not match the layers), ENOLAYER (the parent's layers are gone).
   */
  async registerChain(parent: ImageRecord | undefined, configs: readonly Buffer[], inTransaction?: (ids: readonly string[]) => void): Promise<string[]> {
    const layers = parent?.layers ?? [];
    const want = JSON.stringify(layers.map((l) => this.#layers.get(l).diffId));
    const ids = configs.map((bytes) => {
      const id = createHash('sha256').update(bytes).digest('hex');
      const config = parseImageConfig(bytes, { what: `image config sha256:${id}`, code: ErrorCode.EBADARCHIVE });
      if (JSON.stringify(config.rootfs?.diff_ids ?? []) !== want) throw new StrataError(ErrorCode.EBADARCHIVE, `image config sha256:${id}: its rootfs.diff_ids are not its parent's layers`);
      return id;
    });
    const db = this.#root.db;
    const lease = db.relaxed(() => {
      const begun = Lease.begin(db);
      for (const id of ids) begun.addBlob(`sha256:${id}`);
      return begun;
    });
    try {
      const stored = await this.#content.putMany(configs);
      await this.#root.lock.run('register', async () => {
        db.transaction(() => {
          ids.forEach((id, i) => {
            this.#rows.addBlob(stored[i]!.digest, stored[i]!.size, 'application/vnd.oci.image.config.v1+json');
            if (this.#rows.find(id) === undefined) {
              for (const layer of layers) this.#layers.retain(layer);
              this.#rows.insert({ id, layers: [...layers], configSize: configs[i]!.length, ...(i > 0 ? { parent: ids[i - 1]! } : parent ? { parent: parent.id } : {}) });
            }
            this.#rows.addImageBlob(id, stored[i]!.digest);
          });
          inTransaction?.(ids);
          lease.end();
        });
      });
    } catch (err) {
      db.relaxed(() => lease.end());
      throw err;
    }
    return ids;
  }

  /** Every image, oldest registration first. */
  list(): ImageRecord[] {
    return this.#rows.all();
  }

  /**
   * An image by name (`hello`, `hello:v1`, `repo@sha256:…`), id (`sha256:` form
   * too) or unique id prefix. Fails with ENOIMAGE (Docker's `No such image: …`),
   * EAMBIGUOUS.
   */
  get(ref: string): ImageRecord {
    const id = this.resolveId(ref);
    return this.#rows.find(id)!;
  }

  resolveId(ref: string): string {
    let parsed: ImageReference | undefined;
    try {
      parsed = parseReference(ref);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) {
      const byName = parsed.digest !== undefined ? this.#rows.byRepoDigest(formatReference(parsed)) : this.#rows.byName(formatReference(withDefaultTag(parsed)));
      if (byName !== undefined) return byName;
    }
    if (/^(sha256:)?[0-9a-f]{1,64}$/.test(ref)) {
      try {
        return resolvePrefix(ref, this.#rows.ids(), 'image');
      } catch (err) {
        if (!isStrataError(err, ErrorCode.ENOLAYER)) throw err;
      }
    }
    const shown = parsed === undefined ? ref : familiarString(parsed.digest !== undefined ? parsed : withDefaultTag(parsed));
    throw new StrataError(ErrorCode.ENOIMAGE, `No such image: ${shown}`);
  }

  /** The image's config, parsed, and its bytes as stored. */
  async config(id: string): Promise<{ config: ImageConfig; bytes: Buffer }> {
    const bytes = await this.#content.read(`sha256:${id}`);
    return { bytes, config: parseImageConfig(bytes, { what: `image config sha256:${id}`, code: ErrorCode.ECORRUPT }) };
  }

  /** The manifest bytes an image arrived with, if any. */
  async manifest(image: ImageRecord): Promise<Buffer | undefined> {
    return image.manifestDigest === undefined ? undefined : this.#content.read(image.manifestDigest);
  }

  layerBlobs(layer: string): LayerBlob[] {
    return this.#rows.layerBlobs(layer);
  }

  /**
   * Records a compressed blob of a layer (already in the content store: under
   * a lease until this returns), or where a known one now is (`source`, the
   * repository `domain/path` it was pushed to: the latest wins).
   */
  recordLayerBlob(blob: LayerBlob): void {
    this.#root.db.transaction(() => this.#rows.addLayerBlob(blob));
  }

  /** Layers that have the compressed blob `digest` recorded. */
  layersWithBlob(digest: string): string[] {
    return this.#rows.layersWithBlob(digest);
  }

  /** Points `target` (parsed, tag defaulted) at the image `source` names. Fails with ENOIMAGE, EINVALID. */
  tag(source: string, target: ImageReference): void {
    const id = this.resolveId(source);
    this.#root.db.transaction(() => this.#rows.setTag(formatReference(withDefaultTag(target)), id));
  }

  /**
   * `rmi`: removes a name or an image, as Docker does — a name is untagged and
   * the image deleted when nothing names it any more; an id deletes the image
   * (refused when several repositories name it, unless forced). Deleting gives
   * back its layers (those nothing else holds are deleted) and frees its blobs.
   * Fails with ENOIMAGE, ECONFLICT (several names, a container, child images).
   * The caller holds the lock.
   */
  async removeLocked(ref: string, options: RemoveOptions = {}): Promise<RemovalEvent[]> {
    const id = this.resolveId(ref);
    const image = this.#rows.find(id)!;
    const byName = image.names.includes(this.#nameOf(ref) ?? '') ? this.#nameOf(ref) : undefined;
    const container = options.usedBy?.(id);
    const events: RemovalEvent[] = [];
    if (byName !== undefined && (image.names.length > 1 || container !== undefined)) {
      if (container !== undefined && image.names.length === 1 && !options.force) {
        throw new StrataError(ErrorCode.ECONFLICT, `conflict: unable to remove repository reference "${ref}" (must force) - container ${container.slice(0, 12)} is using its referenced image ${id.slice(0, 12)}`);
      }
      this.#root.db.transaction(() => this.#rows.deleteTag(byName));
      return [{ kind: 'Untagged', what: familiarString(parseReference(byName)) }];
    }
    if (byName === undefined && image.names.length > 1 && !options.force) {
      throw new StrataError(ErrorCode.ECONFLICT, `conflict: unable to delete ${id.slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
    }
    if (container !== undefined) {
      if (!options.force) throw new StrataError(ErrorCode.ECONFLICT, `conflict: unable to delete ${id.slice(0, 12)} (must be forced) - image is being used by running container ${container.slice(0, 12)}`);
      this.#root.db.transaction(() => image.names.forEach((n) => this.#rows.deleteTag(n)));
      return image.names.map((n) => ({ kind: 'Untagged' as const, what: familiarString(parseReference(n)) }));
    }
    if (this.#rows.children(id).length > 0) {
      throw new StrataError(ErrorCode.ECONFLICT, `conflict: unable to delete ${id.slice(0, 12)} (cannot be forced) - image has dependent child images`);
    }
    events.push(...(await this.#delete(image)));
    // Untagged parents go too, up the chain (a build's intermediate images), until one is named, has other children or is in use.
    for (let next = options.noPrune ? undefined : image.parent; next !== undefined;) {
      const parent = this.#rows.find(next);
      if (parent === undefined || parent.names.length > 0 || parent.repoDigests.length > 0 || this.#rows.children(parent.id).length > 0 || options.usedBy?.(parent.id) !== undefined) break;
      events.push(...(await this.#delete(parent)));
      next = parent.parent;
    }
    return events;
  }

  /** Deletes an image: names, row, then its layers (through a lease, so a crash finishes the release at open). */
  async #delete(image: ImageRecord): Promise<RemovalEvent[]> {
    const events: RemovalEvent[] = [...image.names, ...image.repoDigests].map((n) => ({ kind: 'Untagged' as const, what: familiarString(parseReference(n)) }));
    const lease = Lease.begin(this.#root.db);
    this.#root.db.transaction(() => {
      for (const layer of image.layers) lease.addLayer(layer);
      this.#rows.delete(image.id);
    });
    events.push({ kind: 'Deleted', what: `sha256:${image.id}` });
    for (const layer of [...image.layers].reverse()) {
      const { chainId } = this.#layers.get(layer);
      if (await this.#giveBack(lease.id, layer)) events.push({ kind: 'Deleted', what: chainId ?? `sha256:${layer}` });
    }
    this.#root.db.transaction(() => lease.end());
    await this.collectBlobs();
    return events;
  }

  /** Deletes blobs nothing references any more; returns their bytes. */
  async collectBlobs(): Promise<number> {
    const dead = this.#rows.unreferencedBlobs();
    this.#root.db.transaction(() => dead.forEach((b) => this.#rows.deleteBlob(b.digest)));
    for (const blob of dead) await this.#content.delete(blob.digest);
    return dead.reduce((sum, b) => sum + b.size, 0);
  }

  /** Images no name points at and no image builds on (`image prune`'s dangling ones). */
  dangling(): ImageRecord[] {
    return this.#rows.all().filter((i) => i.names.length === 0 && this.#rows.children(i.id).length === 0);
  }

  /** The full normalised name `ref` means, when it is a tag name. */
  #nameOf(ref: string): string | undefined {
    try {
      const parsed = parseReference(ref);
      return parsed.digest === undefined ? formatReference(withDefaultTag(parsed)) : undefined;
    } catch {
      return undefined;
    }
  }
}
