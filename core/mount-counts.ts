import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from './errors.js';

const TEMP_SUFFIX = '.tmp';

/**
 * Durable mount reference counts, one small file per mounted layer in a
 * directory of the driver's home: `<dir>/<id>` holds the count as decimal text.
 * No file means 0. Every change is written to a temp file and renamed over the
 * old one, so a reader in another process sees either the old or the new count,
 * never a torn one; `strata layer mount` in one process and `layer umount` in
 * the next agree.
 *
 * Read-modify-write is not locked here: core serialises mutating driver calls
 * on one store (its store lock), which is what makes `add` safe across processes.
 * Layer ids are [a-z0-9] (see driver.ts), so they are safe file names.
 */
export class MountCounts {
  readonly #dir: string;

  /** `dir` is created on first write; it must lie in the driver's home. */
  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Live references of id; 0 when none. Fails with ECORRUPT on a count file that holds no count, EIO where it cannot be read. */
  async get(id: string): Promise<number> {
    let text: string;
    try {
      text = await readFile(join(this.#dir, id), 'utf8');
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return 0;
      throw new StrataError(ErrorCode.EIO, `mount count of ${id}: ${errnoOf(err) ?? String(err)}`, { cause: err });
    }
    const n = Number(text.trim());
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new StrataError(ErrorCode.ECORRUPT, `mount count of ${id} is not a count: ${JSON.stringify(text)}`);
    }
    return n;
  }

  /** Adds delta (never going below 0) and returns the new count. */
  async add(id: string, delta: number): Promise<number> {
    const next = Math.max(0, (await this.get(id)) + delta);
    await this.set(id, next);
    return next;
  }

  /** Sets the count; 0 removes the file. */
  async set(id: string, count: number): Promise<void> {
    const path = join(this.#dir, id);
    if (count === 0) {
      await rm(path, { force: true });
      return;
    }
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const temp = `${path}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    await writeFile(temp, `${count}\n`, { mode: 0o600 });
    await rename(temp, path);
  }

  /** Every layer with a non-zero count, as [id, count] pairs sorted by id. */
  async entries(): Promise<Array<[string, number]>> {
    const names = await this.#names();
    const out: Array<[string, number]> = [];
    for (const name of names.filter((n) => !n.endsWith(TEMP_SUFFIX)).sort()) {
      const n = await this.get(name);
      if (n > 0) out.push([name, n]);
    }
    return out;
  }

  /** Removes temp files a crash left between write and rename (call from `init`). */
  async removeTemp(): Promise<void> {
    for (const name of await this.#names()) {
      if (name.endsWith(TEMP_SUFFIX)) await rm(join(this.#dir, name), { force: true });
    }
  }

  async #names(): Promise<string[]> {
    try {
      return await readdir(this.#dir);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw err;
    }
  }
}
