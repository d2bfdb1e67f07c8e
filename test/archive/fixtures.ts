import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, lstat, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ExecutionContext } from 'ava';
import tar, { type Header } from 'tar-stream';
import { deletingWhiteouts, extractLayer, isStrataError, type ErrorCode, type ExtractOptions, type ExtractResult } from '../../core/engine.js';

/** One entry to pack; defaults: a file, mode 0644, owned 0:0, mtime 2001-09-09. */
export interface TarItem {
  readonly name: string;
  readonly type?: Header['type'];
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: Date;
  readonly linkname?: string;
  readonly body?: string | Buffer;
  readonly pax?: Record<string, string>;
  readonly devmajor?: number;
  readonly devminor?: number;
}

export const MTIME = new Date(1_000_000_000_000);

/** A tar built with tar-stream's pack, as bytes. */
export async function packTar(items: readonly TarItem[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const item of items) {
    const type = item.type ?? 'file';
    const body = item.body === undefined ? Buffer.alloc(0) : Buffer.from(item.body);
    const header = {
      name: item.name,
      type,
      mode: item.mode ?? (type === 'directory' ? 0o755 : 0o644),
      uid: item.uid ?? 0,
      gid: item.gid ?? 0,
      mtime: item.mtime ?? MTIME,
      size: type === 'file' ? body.length : 0,
      ...(item.linkname !== undefined ? { linkname: item.linkname } : {}),
      ...(item.pax !== undefined ? { pax: item.pax } : {}),
      ...(item.devmajor !== undefined ? { devmajor: item.devmajor, devminor: item.devminor ?? 0 } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, type === 'file' ? body : undefined as unknown as Buffer, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/** A temp root holding `layer/` (the extraction target) and `canary/` (must never change) side by side. */
export interface Sandbox {
  readonly root: string;
  readonly layer: string;
  readonly canary: string;
  cleanup(): Promise<void>;
}

export async function sandbox(t: ExecutionContext): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), 'strata-archive-'));
  const layer = join(root, 'layer');
  const canary = join(root, 'canary');
  await mkdir(layer);
  await mkdir(join(canary, 'sub'), { recursive: true });
  await writeFile(join(canary, 'secret.txt'), 'do not touch\n', { mode: 0o600 });
  await writeFile(join(canary, 'sub', 'data'), 'canary data\n');
  await symlink('../secret.txt', join(canary, 'sub', 'link'));
  const box = { root, layer, canary, cleanup: () => rm(root, { recursive: true, force: true }) };
  t.teardown(box.cleanup);
  return box;
}

/** A digest of a tree: every path's type, mode, owner, mtime, size, content and link target. */
export async function hashTree(dir: string): Promise<string> {
  const hash = createHash('sha256');
  async function walk(path: string, rel: string): Promise<void> {
    const st = await lstat(path);
    hash.update(`${rel}\0${st.mode}\0${st.uid}:${st.gid}\0${st.mtimeMs}\0${st.size}\0${st.nlink}\0`);
    if (st.isSymbolicLink()) hash.update(await readlink(path));
    else if (st.isFile()) hash.update(await readFile(path));
    else if (st.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await walk(join(path, name), `${rel}/${name}`);
    }
  }
  await walk(dir, '.');
  return hash.digest('hex');
}

/** Extracts tar bytes into `dir` with vfs-style whiteouts unless options say otherwise. */
export function extract(dir: string, tarBytes: Buffer, options: Partial<ExtractOptions> = {}): Promise<ExtractResult> {
  return extractLayer(dir, Readable.from([tarBytes]), { whiteouts: deletingWhiteouts, ...options });
}

/** Asserts a StrataError with `code` whose message names `entry`. */
export async function assertRefused(t: ExecutionContext, promise: Promise<unknown>, code: ErrorCode, entry: string): Promise<void> {
  const err = await t.throwsAsync(promise);
  t.true(isStrataError(err), `expected a StrataError, got ${String(err)}`);
  t.is((err as { code?: unknown }).code, code, err?.message);
  t.true(err?.message.includes(entry) === true, `message ${JSON.stringify(err?.message)} should name ${entry}`);
  t.false(err?.message.includes('\n') === true, 'one line');
}

/**
 * True when the process runs as root. Otherwise logs a visible skip and passes,
 * or FAILS when STRATA_REQUIRE_MOUNTS=1 (privileged CI must not skip silently).
 */
export function runningAsRoot(t: ExecutionContext, what: string): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.STRATA_REQUIRE_MOUNTS === '1') t.fail(`${what} needs root (STRATA_REQUIRE_MOUNTS=1)`);
  else {
    t.log(`skipped: ${what} needs root`);
    t.pass();
  }
  return false;
}

/** Runs GNU tar with `args` in `cwd`, returning stdout. */
export function gnuTar(cwd: string, args: readonly string[]): Buffer {
  return execFileSync('tar', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
}

/** Directory listing (recursive, sorted) relative to dir, with a type suffix: "a/", "b@", "c". */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(path: string, rel: string): Promise<void> {
    for (const name of (await readdir(path)).sort()) {
      const child = join(path, name);
      const st = await lstat(child);
      const relChild = rel === '' ? name : `${rel}/${name}`;
      if (st.isDirectory()) {
        out.push(`${relChild}/`);
        await walk(child, relChild);
      } else out.push(st.isSymbolicLink() ? `${relChild}@` : relChild);
    }
  }
  await walk(dir, '');
  return out;
}
