import type { Digest } from '../ids.js';

/** A layer as the store shows it. Ids are bare 64-hex strings; digests are "sha256:<hex>". */
export interface LayerInfo {
  /** The chainID hex for imported layers (content-addressed), a random hex id for created ones. */
  readonly id: string;
  /** sha256 of the imported uncompressed tar; absent for created layers. */
  readonly diffId?: Digest;
  /** OCI chainID; absent for created layers. */
  readonly chainId?: Digest;
  /** sha256 of the compressed input, when it was gzip. */
  readonly compressedDigest?: Digest;
  readonly parent: string | null;
  /** Bytes of the uncompressed tar as imported (0 for created layers). */
  readonly size: number;
  /** Bytes of regular-file content applied. */
  readonly contentSize: number;
  readonly writable: boolean;
  /** ISO 8601. */
  readonly createdAt: string;
  /** How many imports (or creations) hold this layer; `remove` drops one. */
  readonly refCount: number;
  /** Live mount references (as of the last mount/unmount/open). */
  readonly mountCount: number;
  readonly driver: string;
}

/** A layer whose content failed verification. */
export interface CheckResult {
  readonly id: string;
  /** One line: what does not match. */
  readonly reason: string;
}

export interface UsageFigures {
  readonly bytes: number;
  readonly inodes: number;
  readonly sharedBytes?: number;
}

export interface DiskUsage {
  readonly layers: ReadonlyArray<UsageFigures & { readonly id: string }>;
  readonly total: UsageFigures;
}
