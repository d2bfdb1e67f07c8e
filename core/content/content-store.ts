import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode, StrataError, errnoOf } from '../errors.js';
import { isDigest, randomId, type Digest } from '../ids.js';
import { ownedName, ownerLives } from '../store/owned-names.js';
import { syncPath } from '../sync-path.js';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** The kind of owned name (owned-names.ts) of the temporary files blobs are written to before they are renamed into place. */
const TEMP_KIND = 'blob';

/** What `put` stored. */
export interface BlobInfo {
  readonly digest: Digest;
  /** Bytes. */
  readonly size: number;
}

/**
 * Blobs by digest (configs, manifests, compressed layers as they arrived) in
 * `<root>/blobs/sha256/<hex>`, containerd's content store in miniature: a blob
 * is written to a temporary file (named after the writing process), hashed as it streams, verified against the
 * digest the caller expects, synced and renamed into place — so a blob file
 * that exists is complete and correct. Which blobs are still wanted is the
 * image store's business (its tables); `delete` and `sweep` act on its word.
 */
export class ContentStore {
  readonly #dir: string;
  readonly #tmp: string;

  constructor(root: string) {
    this.#dir = join(root, 'blobs', 'sha256');
    this.#tmp = join(root, 'blobs', 'tmp');
  }

  /** Creates the folders and drops temporary files a crash left. */
  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await mkdir(this.#tmp, { recursive: true, mode: 0o700 });
    // Blobs are written outside the store lock: only a dead process's temporary files go
    // (and names of no process: an older strata's, which named them by pid alone or not at all).
    for (const name of await readdir(this.#tmp)) {
      if (ownerLives(name, TEMP_KIND) !== true) await rm(join(this.#tmp, name), { force: true });
    }
  }

  /** A new temporary file's path, named for this process (see owned-names.ts). */
  #tempPath(): string {
    return join(this.#tmp, `${ownedName(TEMP_KIND)}-${randomId()}`);
  }

  /** The blob's file (which may not exist). Fails with EINVALID for a malformed digest. */
  path(digest: string): string {
    if (!DIGEST_RE.test(digest)) throw new StrataError(ErrorCode.EINVALID, `not a sha256 digest: ${JSON.stringify(digest)}`);
    return join(this.#dir, digest.slice(7));
  }

  async has(digest: string): Promise<boolean> {
    return stat(this.path(digest)).then(() => true, () => false);
  }

  /**
   * Stores the bytes of `input`; with `expected`, fails with ECORRUPT (naming
   * `what` and both digests) when they hash otherwise, and stores nothing.
   * Storing a blob that exists is a no-op that still verifies the input.
   */
  async put(input: Readable | Buffer, expected?: string, what = 'blob'): Promise<BlobInfo> {
    const temp = this.#tempPath();
    const hash = createHash('sha256');
    let size = 0;
    try {
      const source = Buffer.isBuffer(input) ? [input] : input;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, callback) {
          hash.update(chunk);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await pipeline(source, counter, createWriteStream(temp, { flags: 'wx', mode: 0o600 }));
      await syncPath(temp);
      return await this.#place(temp, `sha256:${hash.digest('hex')}`, size, expected, what);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /**
   * Stores several small blobs (configs) with one sync round: each is written to its
   * temporary file, all are synced concurrently (the file system commits them together),
   * renamed into place, and the directory synced once. Blobs that exist are rewritten
   * in place of themselves (same bytes). Returns each one's digest and size, in order.
   */
  async putMany(blobs: readonly Buffer[]): Promise<BlobInfo[]> {
    const temps = blobs.map(() => this.#tempPath());
    try {
      await Promise.all(blobs.map((bytes, i) => writeFile(temps[i]!, bytes, { flag: 'wx', mode: 0o600 })));
      await Promise.all(temps.map((t) => syncPath(t)));
      const infos = blobs.map((bytes) => ({ digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest, size: bytes.length }));
      for (const [i, info] of infos.entries()) await rename(temps[i]!, this.path(info.digest));
      await syncPath(this.#dir);
      return infos;
    } finally {
      await Promise.all(temps.map((t) => rm(t, { force: true })));
    }
  }

  /**
   * Stores the file at `path` without copying it (a copy on another
   * filesystem): a hard link, hashed (read back), synced and renamed into place. The caller
   * must not change the file afterwards. Verification and failures as `put`.
   * `verified`: this process hashed the file to `expected` as it wrote it (a
   * download checked while it streamed), so it is not read back.
   */
  async putFile(path: string, expected?: string, what = 'blob', verified = false): Promise<BlobInfo> {
    const temp = this.#tempPath();
    try {
      await link(path, temp).catch((err: unknown) => (errnoOf(err) === 'EXDEV' ? copyFile(path, temp) : Promise.reject(err)));
      if (verified && expected !== undefined && isDigest(expected)) {
        const { size } = await stat(temp);
        await syncPath(temp);
        return await this.#place(temp, expected, size, expected, what);
      }
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of createReadStream(temp) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      await syncPath(temp);
      return await this.#place(temp, `sha256:${hash.digest('hex')}`, size, expected, what);
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** Renames a synced, hashed temporary file to its digest's path, after checking it against `expected`. */
  async #place(temp: string, digest: Digest, size: number, expected: string | undefined, what: string): Promise<BlobInfo> {
    if (expected !== undefined && digest !== expected) {
      throw new StrataError(ErrorCode.ECORRUPT, `${what}: content hashes to ${digest}, expected ${expected}`);
    }
    await rename(temp, this.path(digest));
    await syncPath(this.#dir);
    return { digest, size };
  }

  /** The blob's bytes, for small blobs (configs, manifests). Fails with ENOTFOUND. */
  async read(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.path(digest));
    } catch (err) {
      throw new StrataError(ErrorCode.ENOTFOUND, `blob ${digest} is missing from the content store`, { cause: err });
    }
  }

  /** A stream of the blob. Fails with ENOTFOUND. */
  async open(digest: string): Promise<Readable> {
    if (!(await this.has(digest))) throw new StrataError(ErrorCode.ENOTFOUND, `blob ${digest} is missing from the content store`);
    return createReadStream(this.path(digest));
  }

  async size(digest: string): Promise<number> {
    return (await stat(this.path(digest))).size;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.path(digest), { force: true });
  }

  /** Deletes every blob file `keep` says no to (files a crash left without a row). */
  async sweep(keep: (digest: string) => boolean): Promise<void> {
    for (const name of await readdir(this.#dir)) {
      const digest = `sha256:${name}`;
      if (DIGEST_RE.test(digest) && !keep(digest)) await rm(join(this.#dir, name), { force: true });
    }
  }
}
