import type { DriverRuntime } from '../../core/engine.js';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import tar, { type Header } from 'tar-stream';
import type { StorageDriver } from '../../core/engine.js';
import { BtrfsSimDriver } from '../../drivers/btrfs-sim/index.js';
import { wrapDriver } from '../../core/engine.js';

export { layerReader } from '../../core/testkit/index.js';

/** One tar entry of a test layer: a header (tar-stream's) and its content. */
export type TarItem = readonly [Partial<Header> & Pick<Header, 'name'>, (string | Buffer)?];

/** An uncompressed layer tar of the items, in order. */
export function layerTar(items: readonly TarItem[]): Readable {
  const pack = tar.pack();
  for (const [header, body] of items) pack.entry({ ...header, mtime: header.mtime ?? new Date(1_700_000_000_000), mode: header.mode ?? 0o644 }, body ?? '');
  pack.finalize();
  return Readable.from(pack);
}

/** A fresh, initialised driver in its own temp home, closed and deleted when the test ends. */
export async function freshDriver(t: ExecutionContext): Promise<{ driver: DriverRuntime; home: string }> {
  const home = await mkdtemp(join(tmpdir(), 'strata-btrfs-sim-'));
  const driver = wrapDriver((c) => new BtrfsSimDriver(c), home);
  await driver.init();
  t.teardown(async () => {
    for (const id of await mountedIds(driver, home)) while ((await driver.mountCount(id)) > 0) await driver.unmount(id);
    await driver.close();
    await rm(home, { recursive: true, force: true });
  });
  return { driver, home };
}

async function mountedIds(driver: DriverRuntime, home: string): Promise<string[]> {
  const names = await readdir(join(home, 'mnt')).catch(() => [] as string[]);
  const out: string[] = [];
  for (const id of names) if (await driver.exists(id).catch(() => false)) out.push(id);
  return out;
}

/** sha256 hex of a stream's bytes. */
export async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function textOf(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Number of extent files in a home. */
export async function extentFileCount(home: string): Promise<number> {
  let n = 0;
  for (const shard of await readdir(join(home, 'extents'))) {
    if (shard !== 'tmp') n += (await readdir(join(home, 'extents', shard))).length;
  }
  return n;
}

/** The btrfs-sim store's own consistency check (not part of the driver contract). */
export function storeCheck(driver: DriverRuntime): Promise<string[]> {
  return (driver.inner as BtrfsSimDriver).check();
}
