import type { Readable } from 'node:stream';
import type { Descriptor } from './media-types.js';
import type { ImageReference } from '../images/reference.js';
import type { FetchedManifest } from './resolver.js';

/**
 * The two contracts between the registry engine and the image store.
 *
 * Pulling: `pull(ref, { sink })` resolves the reference, asks the sink what
 * it has, downloads the rest, and hands the sink the config and then every
 * layer in manifest order, then `commit`s. The sink never sees a byte that was
 * not verified against its digest.
 *
 *     resolve ─▶ has(config)? ─no─▶ config(desc, bytes)
 *            ─▶ has(layer i, i)? for all i (asked once, before any layer download)
 *            ─▶ layer(0, desc, stream|null) … layer(n-1, …)   (in order)
 *            ─▶ commit(image)          or, on any failure, abort(err)
 *
 * Pushing: `push(source, dest)` reads the manifest as stored, makes sure
 * every blob it names is in the destination repository (present, mounted or
 * uploaded), then PUTs the manifest, byte for byte.
 */

/** What a pull hands the store. Implemented by the image store. */
export interface PullSink {
  /**
   * Where layer downloads are staged (verified) before `layer` reads them, so
   * that three download while one is applied. Best on the store's filesystem.
   * Default: the system temporary directory. The engine removes its files when
   * the pull ends (not sooner, so that a crashed pull leaves its downloads);
   * after a crash, files named by a hex digest in its `strata-pull-…` folders are complete,
   * verified blobs (partial ones end in `.part`).
   */
  readonly tempDir?: string;
  /**
   * True when the store can do without downloading this blob — a config by its
   * digest; a layer (`index`: its position in the manifest) when the store has
   * the layer on the same parent chain or its compressed blob. Asked first for
   * the config (before `config`), then once per layer, before any layer download.
   */
  has(desc: Descriptor, index?: number): Promise<boolean>;
  /** The config blob, verified, bytes as served. Called once, before any `layer`, only when `has(config)` was false. */
  config(desc: Descriptor, bytes: Buffer): Promise<void>;
  /**
   * Layer `index` (0 = the base), called strictly in manifest order, one at a
   * time. `body` is the blob exactly as served (still compressed as
   * `desc.mediaType` says), verified as it streams: bytes that do not match
   * the digest fail it at its end (ECORRUPT) instead of ending it. Null when
   * `has(desc)` was true. The sink consumes `body` to its end before resolving;
   * rejecting fails the pull (then `abort`). `file`, with a body: resolves to
   * the verified file in `tempDir` holding the blob once its download is
   * complete (the first layer streams while it downloads), which the sink may
   * hard-link (never change) to keep the blob without copying it.
   */
  layer(index: number, desc: Descriptor, body: Readable | null, file?: Promise<string>): Promise<void>;
  /** Called once, after every layer was accepted: name and record the image. */
  commit(image: PulledImage): Promise<void>;
  /** Called instead of `commit` when the pull failed after it began: discard any partial state. */
  abort?(err: unknown): Promise<void>;
}

/** The image a pull produced, as `PullSink.commit` receives it. */
export interface PulledImage {
  readonly reference: ImageReference;
  /** The digest the reference resolved to (the index's for a multi-platform image): for RepoDigests. */
  readonly digest: string;
  /** The platform's image manifest, bytes exactly as served. */
  readonly manifest: FetchedManifest;
  /** The index or manifest list it was chosen from, when there was one. */
  readonly index?: FetchedManifest;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
}

/** What a push reads from the store. Implemented by the image store. */
export interface PushSource {
  /**
   * The image manifest exactly as stored (OCI or Docker v2; not an index), and
   * its media type. Every blob it names must be openable with `open`.
   */
  manifest(): Promise<{ readonly mediaType: string; readonly bytes: Buffer }>;
  /** The exact bytes of a blob the manifest names (the config, or a layer as compressed in the manifest). */
  open(desc: Descriptor): Promise<Readable>;
  /**
   * A file holding exactly the blob's bytes, when the source keeps it as one
   * (its chunks are then streamed from the file, not buffered); undefined
   * otherwise (`open` is used).
   */
  file?(desc: Descriptor): Promise<string | undefined>;
  /**
   * Repository paths on registry `domain` known to hold the blob (where it was
   * pulled from or pushed to), tried in order for a cross-repository mount.
   */
  mountSources?(desc: Descriptor, domain: string): Promise<readonly string[]>;
  /** Told, after the manifest is pushed, that `dest` holds these blobs (to remember for later mounts). */
  pushed?(dest: ImageReference, blobs: readonly Descriptor[]): Promise<void>;
}

/** Per-layer pull progress, as `docker pull` shows it. */
export interface PullProgress {
  /** The first 12 hex digits of the layer's blob digest. */
  readonly id: string;
  readonly status: 'Waiting' | 'Downloading' | 'Download complete' | 'Pull complete' | 'Already exists';
  /** Bytes so far and in all, for 'Downloading'. */
  readonly current?: number;
  readonly total?: number;
}

/** Per-layer push progress, as `docker push` shows it. */
export interface PushProgress {
  readonly id: string;
  readonly status: 'Preparing' | 'Waiting' | 'Pushing' | 'Pushed' | 'Layer already exists' | `Mounted from ${string}`;
  readonly current?: number;
  readonly total?: number;
}

/** `<12 hex>` of a `sha256:` digest. */
export function shortId(digest: string): string {
  return digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13);
}

/** Runs at most `n` of the functions at a time. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    while (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}
