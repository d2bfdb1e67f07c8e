import type { Database as Db } from 'better-sqlite3';
import type { StoreDatabase } from './store-database.js';

/** An image row with its layers, names and digests (base layer first). */
export interface ImageRecord {
  /** The config's sha256, hex: the image id. */
  readonly id: string;
  /** Full normalised names (`docker.io/library/hello:latest`), oldest tag first. */
  readonly names: readonly string[];
  /** `repository@sha256:…` of the manifests this image was pulled or loaded by. */
  readonly repoDigests: readonly string[];
  /** Layer ids (chainID hex), base first; the image holds one reference to each. */
  readonly layers: readonly string[];
  readonly configSize: number;
  readonly manifestDigest?: string;
  readonly manifestMediaType?: string;
  /** The image this one was built or committed on, if known. */
  readonly parent?: string;
  /** When the store registered it (ISO 8601). */
  readonly createdAt: string;
}

interface Row {
  id: string;
  config_size: number;
  manifest_digest: string | null;
  manifest_media_type: string | null;
  parent: string | null;
  created_at: string;
}

/** A compressed blob recorded for a layer, as it arrived (pull, load). */
export interface LayerBlob {
  readonly layer: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** The repository it came from (`registry/path`), for cross-repository mounts on push. */
  readonly source?: string;
}

/** The image tables' SQL (schema.ts): images, image_layers, tags, repo_digests, blobs, image_blobs, layer_blobs. */
export class ImageRows {
  readonly #db: Db;

  constructor(db: StoreDatabase) {
    this.#db = db.sqlite;
  }

  all(): ImageRecord[] {
    return (this.#db.prepare('SELECT * FROM images ORDER BY created_at, id').all() as Row[]).map((r) => this.#record(r));
  }

  find(id: string): ImageRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM images WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : this.#record(row);
  }

  ids(): string[] {
    return (this.#db.prepare('SELECT id FROM images').all() as { id: string }[]).map((r) => r.id);
  }

  /** The image a name (full normalised `repo:tag`) points at. */
  byName(name: string): string | undefined {
    return (this.#db.prepare('SELECT image FROM tags WHERE name = ?').get(name) as { image: string } | undefined)?.image;
  }

  /** The image a `repo@digest` points at. */
  byRepoDigest(name: string): string | undefined {
    return (this.#db.prepare('SELECT image FROM repo_digests WHERE name = ?').get(name) as { image: string } | undefined)?.image;
  }

  /** Images whose manifest digest is `digest`. */
  byManifestDigest(digest: string): string[] {
    return (this.#db.prepare('SELECT id FROM images WHERE manifest_digest = ?').all(digest) as { id: string }[]).map((r) => r.id);
  }

  insert(image: Omit<ImageRecord, 'names' | 'repoDigests' | 'createdAt'>): void {
    this.#db
      .prepare('INSERT INTO images (id, config_size, manifest_digest, manifest_media_type, parent, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(image.id, image.configSize, image.manifestDigest ?? null, image.manifestMediaType ?? null, image.parent ?? null, new Date().toISOString());
    const add = this.#db.prepare('INSERT INTO image_layers (image, position, layer) VALUES (?, ?, ?)');
    image.layers.forEach((layer, i) => add.run(image.id, i, layer));
  }

  /** Records a manifest for an image that has none yet (a later pull of the same image). */
  setManifest(id: string, digest: string, mediaType: string): void {
    this.#db.prepare('UPDATE images SET manifest_digest = ?, manifest_media_type = ? WHERE id = ? AND manifest_digest IS NULL').run(digest, mediaType, id);
  }

  delete(id: string): void {
    this.#db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }

  /** Points name at image (moving it from whatever image had it). */
  setTag(name: string, image: string): void {
    this.#db
      .prepare('INSERT INTO tags (name, image, created_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET image = excluded.image, created_at = excluded.created_at')
      .run(name, image, new Date().toISOString());
  }

  deleteTag(name: string): void {
    this.#db.prepare('DELETE FROM tags WHERE name = ?').run(name);
  }

  addRepoDigest(name: string, image: string): void {
    this.#db.prepare('INSERT INTO repo_digests (name, image) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image = excluded.image').run(name, image);
  }

  deleteRepoDigest(name: string): void {
    this.#db.prepare('DELETE FROM repo_digests WHERE name = ?').run(name);
  }

  addBlob(digest: string, size: number, mediaType: string): void {
    this.#db.prepare('INSERT OR IGNORE INTO blobs (digest, size, media_type, created_at) VALUES (?, ?, ?, ?)').run(digest, size, mediaType, new Date().toISOString());
  }

  addImageBlob(image: string, digest: string): void {
    this.#db.prepare('INSERT OR IGNORE INTO image_blobs (image, digest) VALUES (?, ?)').run(image, digest);
  }

  /** Records a layer's compressed blob; a known one keeps its row and takes the newer source, when given. */
  addLayerBlob(blob: LayerBlob): void {
    this.#db
      .prepare(
        `INSERT INTO layer_blobs (layer, digest, media_type, size, source) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(layer, digest) DO UPDATE SET source = coalesce(excluded.source, layer_blobs.source)`,
      )
      .run(blob.layer, blob.digest, blob.mediaType, blob.size, blob.source ?? null);
  }

  layerBlobs(layer: string): LayerBlob[] {
    const rows = this.#db.prepare('SELECT * FROM layer_blobs WHERE layer = ?').all(layer) as { layer: string; digest: string; media_type: string; size: number; source: string | null }[];
    return rows.map((r) => ({ layer: r.layer, digest: r.digest, mediaType: r.media_type, size: r.size, ...(r.source === null ? {} : { source: r.source }) }));
  }

  layersWithBlob(digest: string): string[] {
    return (this.#db.prepare('SELECT layer FROM layer_blobs WHERE digest = ?').all(digest) as { layer: string }[]).map((r) => r.layer);
  }

  /** Blob rows nothing references (no image, layer or lease): what GC may delete. */
  unreferencedBlobs(): { digest: string; size: number }[] {
    return this.#db
      .prepare(
        `SELECT digest, size FROM blobs WHERE digest NOT IN (SELECT digest FROM image_blobs)
           AND digest NOT IN (SELECT digest FROM layer_blobs) AND digest NOT IN (SELECT digest FROM lease_blobs)`,
      )
      .all() as { digest: string; size: number }[];
  }

  deleteBlob(digest: string): void {
    this.#db.prepare('DELETE FROM blobs WHERE digest = ?').run(digest);
  }

  /** Every digest that has a row or a lease: what the content store keeps. */
  knownBlobs(): Set<string> {
    const rows = this.#db.prepare('SELECT digest FROM blobs UNION SELECT digest FROM lease_blobs').all() as { digest: string }[];
    return new Set(rows.map((r) => r.digest));
  }

  /** Total bytes of blob rows. */
  blobBytes(): number {
    return (this.#db.prepare('SELECT coalesce(sum(size), 0) AS n FROM blobs').get() as { n: number }).n;
  }

  /** Images whose recorded parent is id. */
  children(id: string): string[] {
    return (this.#db.prepare('SELECT id FROM images WHERE parent = ?').all(id) as { id: string }[]).map((r) => r.id);
  }

  #record(row: Row): ImageRecord {
    const names = (this.#db.prepare('SELECT name FROM tags WHERE image = ? ORDER BY created_at, name').all(row.id) as { name: string }[]).map((r) => r.name);
    const repoDigests = (this.#db.prepare('SELECT name FROM repo_digests WHERE image = ? ORDER BY name').all(row.id) as { name: string }[]).map((r) => r.name);
    const layers = (this.#db.prepare('SELECT layer FROM image_layers WHERE image = ? ORDER BY position').all(row.id) as { layer: string }[]).map((r) => r.layer);
    return {
      id: row.id,
      names,
      repoDigests,
      layers,
      configSize: row.config_size,
      ...(row.manifest_digest === null ? {} : { manifestDigest: row.manifest_digest }),
      ...(row.manifest_media_type === null ? {} : { manifestMediaType: row.manifest_media_type }),
      ...(row.parent === null ? {} : { parent: row.parent }),
      createdAt: row.created_at,
    };
  }
}
