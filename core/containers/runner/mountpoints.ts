import { chmod, mkdir, open, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { errnoOf } from '../../errors.js';
import { resolveInRoot } from './root-path.js';
import type { RunSpec } from './run-spec.js';

/** A bind the runner performs: a host source onto a host target already resolved inside the root file system. */
export interface PreparedBind {
  readonly source: string;
  /** Host path below the root file system (symlinks resolved inside it). */
  readonly target: string;
  readonly readonly: boolean;
}

export interface PreparedRootfs {
  /** Host paths of /proc, /dev and /sys inside the root file system. */
  readonly proc: string;
  readonly dev: string;
  readonly sys: string;
  /** /etc/hosts, /etc/hostname, /etc/resolv.conf (files written in containerDir, writable by the container's root as in Docker), then the `-v` binds, in order. */
  readonly binds: readonly PreparedBind[];
}

/**
 * Writes the /etc files into `spec.containerDir` and makes sure every mount
 * target exists in the root file system, resolving each inside it. What is
 * missing is created as runc creates it — an empty directory, or an empty file
 * when the source is a file, owned by root — so, as with Docker's `-v`, a new
 * mountpoint is part of the container's layer (`docker diff` lists it as
 * added). The /etc files only get a stub when the image lacks them; Docker
 * hides those stubs in an "init" layer below the container's: a caller that
 * wants the same creates its container layer on such a layer (`writeInitLayer`).
 * The working directory is created too (root-owned, 0755) as runc does.
 */
export async function prepareRootfs(spec: RunSpec): Promise<PreparedRootfs> {
  const etc = join(spec.containerDir, 'etc');
  await mkdir(etc, { recursive: true });
  const files: [string, string, string][] = [
    ['hosts', '/etc/hosts', spec.etc.hosts],
    ['hostname', '/etc/hostname', spec.etc.hostname],
    ['resolv.conf', '/etc/resolv.conf', spec.etc.resolvConf],
  ];
  const binds: PreparedBind[] = [];
  for (const [name, destination, content] of files) {
    const source = join(etc, name);
    await writeFile(source, content, { mode: 0o644 });
    await chmod(source, 0o644);
    binds.push({ source, target: await ensureTarget(spec.rootfs, destination, true), readonly: false });
  }
  for (const mount of spec.mounts) {
    const isDir = (await stat(mount.source)).isDirectory();
    binds.push({ source: mount.source, target: await ensureTarget(spec.rootfs, mount.destination, !isDir), readonly: mount.readonly });
  }
  await ensureTarget(spec.rootfs, spec.cwd, false);
  return {
    proc: await ensureTarget(spec.rootfs, '/proc', false),
    dev: await ensureTarget(spec.rootfs, '/dev', false),
    sys: await ensureTarget(spec.rootfs, '/sys', false),
    binds,
  };
}

/** The host path of `path` inside `root`, created (a directory, or an empty file when `file`) when missing. */
async function ensureTarget(root: string, path: string, file: boolean): Promise<string> {
  const resolved = await resolveInRoot(root, path);
  if (resolved.exists) return resolved.host;
  if (!file) {
    await mkdir(resolved.host, { recursive: true, mode: 0o755 });
    return resolved.host;
  }
  await mkdir(dirname(resolved.host), { recursive: true, mode: 0o755 });
  try {
    await (await open(resolved.host, 'wx', 0o644)).close();
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err;
  }
  return resolved.host;
}
