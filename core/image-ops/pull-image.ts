import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ErrorCode, StrataError, isStrataError } from '../errors.js';
import { chainIdOf, type Digest } from '../ids.js';
import { parseImageConfig } from '../images/image-config.js';
import { layerCompression } from '../images/media-types.js';
import { repositoryName, withDefaultTag, type ImageReference } from '../images/reference.js';
import type { RegistryClient } from '../remotes/client.js';
import type { Descriptor, Platform } from '../remotes/media-types.js';
import { READ_CHUNK, pull, type PullResult } from '../remotes/pull.js';
import type { PulledImage, PullProgress, PullSink } from '../remotes/transfer.js';
import type { LayerBlob } from '../store/image-store.js';
import type { Lease } from '../store/leases.js';
import { deadOwnersIn, ownedName } from '../store/owned-names.js';
import type { Store } from '../store/store.js';
import { teeInto } from './tee-into.js';

export interface PullImageOptions {
  readonly client: RegistryClient;
  /** Default: this host's. */
  readonly platform?: Platform;
  readonly onProgress?: (event: PullProgress) => void;
}

export interface PullImageResult extends PullResult {
  /** The image id (config sha256, hex). */
  readonly id: string;
}

/**
 * `pull`: the image `ref` names, from its registry into the store, named as
 * given (`latest` when neither tag nor digest is given; a pull by digest adds
 * no tag) with RepoDigest `NAME@<digest ref resolved to>` (the index's for a
 * multi-platform image). Layers the store has on the same parent chain are
 * not downloaded, nor are those whose compressed blob it keeps; each
 * downloaded layer is applied through the driver and its compressed blob
 * kept (with its source repository, for mounts on a later push). Everything
 * is held by one lease: a failure or a crash leaves no partial image and no
 * orphan layer. Fails as `pull` (remotes/pull.ts) and with ECORRUPT when a
 * layer does not hash to the diffID its config names.
 */
export async function pullImage(store: Store, ref: ImageReference, options: PullImageOptions): Promise<PullImageResult> {
  const { dir: tempDir, adopted } = await pullTempDir(store);
  const sink = new StorePullSink(store, ref, tempDir, adopted);
  try {
    const result = await pull(ref, { client: options.client, sink, ...(options.platform ? { platform: options.platform } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    return { ...result, id: sink.id! };
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/**
 * This process's staging folder for downloads, `<root>/tmp/pull-<pid>-<start>`.
 * The folders of processes that are gone (a kill -9 during a pull) are
 * removed, after the blobs their downloads completed (files named by their hex
 * digest: see PullSink.tempDir) are moved into `adopted/` of this one: the
 * pull reuses them instead of downloading them again (they are verified again
 * as they are stored and applied).
 */
async function pullTempDir(store: Store): Promise<{ dir: string; adopted: Map<string, string> }> {
  const tmp = await store.root.tmpDir();
  const dir = join(tmp, ownedName('pull'));
  const adoptedDir = join(dir, 'adopted');
  await mkdir(adoptedDir, { recursive: true, mode: 0o700 });
  const adopted = new Map<string, string>();
  for (const name of await deadOwnersIn(tmp, 'pull')) {
    const dead = join(tmp, name);
    for (const staging of await readdir(dead).catch(() => [])) {
      for (const file of await readdir(join(dead, staging)).catch(() => [])) {
        if (!/^[0-9a-f]{64}$/.test(file) || adopted.has(`sha256:${file}`)) continue;
        await rename(join(dead, staging, file), join(adoptedDir, file));
        adopted.set(`sha256:${file}`, join(adoptedDir, file));
      }
    }
    await rm(dead, { recursive: true, force: true });
  }
  return { dir, adopted };
}

/** The image store as a pull's sink (see PullSink for the order of calls). */
class StorePullSink implements PullSink {
  readonly tempDir: string;
  readonly #store: Store;
  readonly #ref: ImageReference;
  #lease: Lease | undefined;
  #config: Buffer | undefined;
  #diffIds: readonly Digest[] = [];
  #parent: { id: string; chainId: Digest } | undefined;
  readonly #blobs: LayerBlob[] = [];
  /** Compressed blobs still being written to the content store. */
  readonly #storing: Promise<unknown>[] = [];
  /** Verified blobs a crashed pull downloaded, by digest (see pullTempDir). */
  readonly #adopted: ReadonlyMap<string, string>;
  id: string | undefined;

  constructor(store: Store, ref: ImageReference, tempDir: string, adopted: ReadonlyMap<string, string>) {
    this.#store = store;
    this.#ref = ref;
    this.tempDir = tempDir;
    this.#adopted = adopted;
  }

  get #leased(): Lease {
    this.#lease ??= this.#store.images.beginLease();
    return this.#lease;
  }

  async has(desc: Descriptor, index?: number): Promise<boolean> {
    const { content } = this.#store.images;
    if (index === undefined) {
      const bytes = await content.read(desc.digest).catch(() => undefined);
      if (bytes !== undefined) this.#setConfig(bytes);
      return bytes !== undefined;
    }
    const chainId = this.#chainAt(index);
    if (chainId !== undefined && this.#store.layers.byChainId(chainId) !== undefined) return true;
    return this.#adopted.has(desc.digest) || this.#localBlob(desc);
  }

  async config(_desc: Descriptor, bytes: Buffer): Promise<void> {
    this.#setConfig(bytes);
  }

  async layer(index: number, desc: Descriptor, given: Readable | null, file?: Promise<string>): Promise<void> {
    const { layers, images, root } = this.#store;
    const adopted = given === null ? this.#adopted.get(desc.digest) : undefined;
    const staged = adopted === undefined ? file : Promise.resolve(adopted);
    const body = given ?? (adopted === undefined ? null : createReadStream(adopted, { highWaterMark: READ_CHUNK }));
    // A file this pull downloaded was hashed as it arrived (an adopted one was not: it is hashed again).
    const verified = given !== null && file !== undefined;
    const lease = this.#leased;
    const diffId = this.#diffIds[index];
    if (diffId === undefined) {
      body?.resume();
      throw new StrataError(ErrorCode.EREGISTRY, `${this.#subject()}: the config names ${this.#diffIds.length} layer(s), the manifest more`);
    }
    const chainId = chainIdOf(this.#parent?.chainId ?? null, diffId);
    const compression = layerCompression(desc.mediaType);
    // Compressed blobs are kept (a plain tar is given back exactly by the layer's diff).
    const keep = compression === 'gzip' || compression === 'zstd';
    const have = layers.byChainId(chainId);
    let id: string | undefined;
    if (have !== undefined && this.#hold(have.id)) {
      id = have.id;
      if (body !== null && keep && staged !== undefined) this.#storing.push(this.#keepFile(desc, staged, verified));
      else if (body !== null && keep) await images.putBlob(lease, body, desc.digest, desc.mediaType, this.#what(desc));
      body?.resume();
    } else {
      const input = body ?? (await images.content.open(desc.digest));
      const parent = this.#parent?.id;
      const importing = (tar: Readable, from?: Promise<string>) =>
        root.lock.run('pull', () =>
          layers.importLayerLocked(tar, {
            lease,
            ...(parent ? { parent } : {}),
            ...(from === undefined ? {} : { reopen: () => Readable.from(readFileOnce(from), { objectMode: false }) }),
            ...(verified ? { inputDigest: desc.digest as Digest } : {}),
          }),
        );
      let made;
      if (body !== null && staged !== undefined) {
        if (keep) this.#storing.push(this.#keepFile(desc, staged, verified));
        made = await importing(body, staged);
      } else if (body !== null && keep) {
        const [stored, imported] = teeInto(body, (blob) => images.putBlob(lease, blob, desc.digest, desc.mediaType, this.#what(desc)), importing);
        this.#storing.push(stored);
        made = await imported;
      } else {
        made = await importing(input);
      }
      if (made.diffId !== diffId) {
        throw new StrataError(ErrorCode.ECORRUPT, `${this.#what(desc)}: its tar hashes to ${made.diffId}, the config says ${diffId}`);
      }
      id = made.id;
    }
    if (keep && (body !== null || (await images.content.has(desc.digest)))) {
      this.#blobs.push({ layer: id, digest: desc.digest, mediaType: desc.mediaType, size: desc.size, source: repositoryName(this.#ref) });
    }
    this.#parent = { id, chainId };
  }

  async commit(image: PulledImage): Promise<void> {
    if (this.#config === undefined) throw new StrataError(ErrorCode.EREGISTRY, `${this.#subject()}: no config was received`);
    await Promise.all(this.#storing);
    const name = { domain: this.#ref.domain, path: this.#ref.path };
    const { id } = await this.#store.images.register(this.#leased, {
      config: this.#config,
      manifest: { bytes: image.manifest.bytes, mediaType: image.manifest.mediaType },
      names: this.#ref.digest === undefined ? [withDefaultTag(this.#ref)] : [],
      repoDigests: [{ ...name, digest: image.digest }],
      layerBlobs: this.#blobs,
    });
    this.id = id;
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.#storing);
    const lease = this.#lease;
    if (lease !== undefined) await this.#store.root.lock.run('pull', () => this.#store.images.abandon(lease));
  }

  /**
   * Links the staged file into the content store (no copy) once its download
   * is complete; its hash (unless `verified` as it downloaded) and sync run
   * while this layer and the next ones apply. `commit` waits for it.
   */
  #keepFile(desc: Descriptor, file: Promise<string>, verified: boolean): Promise<unknown> {
    const lease = this.#leased;
    const stored = file.then((path) => this.#store.images.putBlob(lease, { file: path, verified }, desc.digest, desc.mediaType, this.#what(desc)));
    stored.catch(() => undefined);
    return stored;
  }

  #setConfig(bytes: Buffer): void {
    this.#config = bytes;
    const config = parseImageConfig(bytes, { what: `${this.#subject()}: image config`, code: ErrorCode.EREGISTRY });
    this.#diffIds = (config.rootfs?.diff_ids ?? []) as Digest[];
  }

  /** The chainID of layer `index` per the config, when it names that many layers. */
  #chainAt(index: number): Digest | undefined {
    let chain: Digest | null = null;
    for (let i = 0; i <= index; i++) {
      const diffId = this.#diffIds[i];
      if (diffId === undefined) return undefined;
      chain = chainIdOf(chain, diffId);
    }
    return chain ?? undefined;
  }

  /** True when the content store keeps this compressed blob as some layer's. */
  async #localBlob(desc: Descriptor): Promise<boolean> {
    const { images } = this.#store;
    return images.layersWithBlob(desc.digest).length > 0 && (await images.content.has(desc.digest));
  }

  /** One more reference to a layer the store has, held by the lease; false when it went meanwhile. */
  #hold(layer: string): boolean {
    try {
      this.#store.root.db.transaction(() => {
        this.#store.layers.retain(layer);
        this.#leased.addLayer(layer);
      });
      return true;
    } catch (err) {
      if (isStrataError(err, ErrorCode.ENOLAYER)) return false;
      throw err;
    }
  }

  #subject(): string {
    return repositoryName(this.#ref);
  }

  #what(desc: Descriptor): string {
    return `${this.#subject()} (layer ${desc.digest})`;
  }
}

/** The bytes of the file `path` resolves to, once it does. */
async function* readFileOnce(path: Promise<string>): AsyncGenerator<Buffer> {
  yield* createReadStream(await path, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>;
}
