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
];
