import type { DriverRuntime } from '../../core/engine.js';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import tarStream from 'tar-stream';
import { layerPathJoin } from '../../core/engine.js';
import type { TreeReader } from '../../core/engine.js';
import { OverlayDriver } from '../../drivers/overlay/index.js';
import { wrapDriver } from '../../core/engine.js';

/** A fixed mtime (seconds) so trees built at different moments compare equal. */
export const SECONDS = 1_700_000_000;

/** One tar entry: name ending '/' = directory, `->x` = symlink to x, else a file with that content. */
export type Spec = Record<string, string>;

/** An uncompressed layer tar of spec, in insertion order, every mtime SECONDS. */
export function layerTar(spec: Spec): Readable {
  const pack = tarStream.pack();
  const mtime = new Date(SECONDS * 1000);
  for (const [name, value] of Object.entries(spec)) {
    if (name.endsWith('/')) pack.entry({ name, type: 'directory', mode: 0o755, mtime });
    else if (value.startsWith('->')) pack.entry({ name, type: 'symlink', linkname: value.slice(2), mtime });
    else pack.entry({ name, type: 'file', mode: 0o644, mtime }, value);
  }
  pack.finalize();
  return Readable.from(pack);
}

/** A fresh temp directory removed when the test ends. */
export async function tempDir(t: ExecutionContext, label = 'strata-overlay-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), label));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** An initialised overlay driver in a fresh home; every mount it still holds is dropped when the test ends. */
export async function newDriver(t: ExecutionContext): Promise<DriverRuntime> {
  const home = join(await tempDir(t), 'home');
  const driver = wrapDriver((c) => new OverlayDriver(c), home);
  await driver.init();
  homes.set(driver, home);
  t.teardown(async () => {
    for (const id of await readdir(join(home, 'layers')).catch(() => [] as string[])) {
      for (let n = await driver.mountCount(id).catch(() => 0); n > 0; n--) await driver.unmount(id);
    }
  });
  return driver;
}

const homes = new WeakMap<DriverRuntime, string>();

/** The home directory newDriver made for driver. */
export function homeOf(driver: DriverRuntime): string {
  return homes.get(driver)!;
}

/**
 * Can this machine make kernel overlay mounts? Where it cannot, the test is
 * skipped visibly with the reason — and fails when STRATA_REQUIRE_MOUNTS=1.
 */
export async function requireMounts(t: ExecutionContext): Promise<boolean> {
  const filesystems = await readFile('/proc/filesystems', 'utf8').catch(() => '');
  const reason = !/\toverlay$/m.test(filesystems)
    ? 'kernel has no overlay filesystem'
    : process.getuid?.() !== 0
      ? 'kernel overlay mounts need root'
      : undefined;
  if (reason === undefined) return true;
  if (process.env.STRATA_REQUIRE_MOUNTS === '1') t.fail(`mounts required (STRATA_REQUIRE_MOUNTS=1) but unavailable: ${reason}`);
  else t.log(`SKIPPED: ${reason}`);
  if (process.env.STRATA_REQUIRE_MOUNTS !== '1') t.pass();
  return false;
}

/** Every path of a tree with what a user would compare: type, mode, owner, size, content hash or link target, mtime (s), xattrs. */
export async function describeTree(tree: TreeReader, dir = '/', out = new Map<string, string>()): Promise<Map<string, string>> {
  for (const name of await tree.readdir(dir)) {
    const path = layerPathJoin(dir, name);
    const st = (await tree.stat(path))!;
    let detail = st.linkTarget ?? '';
    if (st.type === 'file') {
      const hash = createHash('sha256');
      for await (const chunk of await tree.read(path)) hash.update(chunk as Buffer);
      detail = hash.digest('hex').slice(0, 16);
    }
    const xattrs = Object.entries(await tree.xattrs(path)).map(([k, v]) => `${k}=${v.toString('hex')}`).join(',');
    const mtime = st.type === 'directory' ? '' : String(Math.floor(st.mtimeMs / 1000));
    out.set(path, `${st.type} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${detail} ${mtime} ${xattrs}`);
    if (st.type === 'directory') await describeTree(tree, path, out);
  }
  return out;
}

export async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A TreeReader over one layer of a driver. */
export function layerTree(driver: DriverRuntime, id: string): TreeReader {
  return {
    stat: (p) => driver.stat(id, p),
    readdir: (p) => driver.readdir(id, p),
    read: (p) => driver.read(id, p),
    xattrs: (p) => driver.xattrs(id, p),
  };
}
