/**
 * The root database's schema, as migrations in order: `schema_version` holds
 * how many have run. Append only: a released migration never changes. Each
 * store owns its tables (layers: layer-rows.ts; images, tags, blobs,
 * containers: their stores) but they live in one database so that one
 * transaction can change several.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE layers (
     id TEXT PRIMARY KEY,
     driver_id TEXT NOT NULL UNIQUE,
     parent TEXT REFERENCES layers(id),
     diff_id TEXT,
     chain_id TEXT,
     compressed_digest TEXT,
     tar_size INTEGER NOT NULL DEFAULT 0,
     content_size INTEGER NOT NULL DEFAULT 0,
     writable INTEGER NOT NULL CHECK (writable IN (0, 1)),
     state TEXT NOT NULL CHECK (state IN ('creating', 'ready', 'removing')),
     ref_count INTEGER NOT NULL DEFAULT 1 CHECK (ref_count >= 0),
     mount_count INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL,
     driver TEXT NOT NULL,
     tar_split TEXT
   );
   CREATE INDEX layers_parent ON layers(parent);`,
  // The driver that holds the root's content, and an unfinished migration to another one.
  `CREATE TABLE root_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // Layers an unfinished `system migrate` has copied to the target driver already (by driver id).
  `CREATE TABLE migrated_layers (driver_id TEXT PRIMARY KEY);`,
  // Images (id: the config's sha256 hex), the layers each holds one reference to (base first),
  // names (full normalised references) and RepoDigests, content blobs, and the leases that
  // hold what an unfinished operation has made so far (released at open when its process died).
  `CREATE TABLE images (
     id TEXT PRIMARY KEY,
     config_size INTEGER NOT NULL,
     manifest_digest TEXT,
     manifest_media_type TEXT,
     parent TEXT,
     created_at TEXT NOT NULL
   );
   CREATE TABLE image_layers (
     image TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     position INTEGER NOT NULL,
     layer TEXT NOT NULL REFERENCES layers(id),
     PRIMARY KEY (image, position)
   );
   CREATE INDEX image_layers_layer ON image_layers(layer);
   CREATE TABLE tags (name TEXT PRIMARY KEY, image TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, created_at TEXT NOT NULL);
   CREATE INDEX tags_image ON tags(image);
   CREATE TABLE repo_digests (name TEXT PRIMARY KEY, image TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE);
   CREATE TABLE blobs (digest TEXT PRIMARY KEY, size INTEGER NOT NULL, media_type TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE image_blobs (image TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, digest TEXT NOT NULL, PRIMARY KEY (image, digest));
   CREATE TABLE layer_blobs (
     layer TEXT NOT NULL REFERENCES layers(id) ON DELETE CASCADE,
     digest TEXT NOT NULL,
     media_type TEXT NOT NULL,
     size INTEGER NOT NULL,
     source TEXT,
     PRIMARY KEY (layer, digest)
   );
   CREATE TABLE leases (id TEXT PRIMARY KEY, pid INTEGER NOT NULL, started TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE lease_layers (lease TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE, seq INTEGER NOT NULL, layer TEXT NOT NULL, PRIMARY KEY (lease, seq));
   CREATE TABLE lease_blobs (lease TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE, digest TEXT NOT NULL, PRIMARY KEY (lease, digest));`,
  // Containers: a writable layer on an image, the merged run configuration (JSON), and its state.
  // `owner_pid`/`owner_started` name the strata process running it (the state is stale once it is gone).
  `CREATE TABLE containers (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     image TEXT NOT NULL REFERENCES images(id),
     image_ref TEXT NOT NULL,
     layer TEXT NOT NULL,
     base_layer TEXT,
     config TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('created', 'running', 'exited')),
     owner_pid INTEGER,
     owner_started TEXT,
     exit_code INTEGER,
     started_at TEXT,
     finished_at TEXT,
     created_at TEXT NOT NULL
   );`,
  // The build cache: a step's cache key (core/build/cache-key.ts) and the image it produced.
  `CREATE TABLE build_cache (
     key TEXT PRIMARY KEY,
     image TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     created_at TEXT NOT NULL
   );
   CREATE INDEX build_cache_image ON build_cache(image);`,
];
