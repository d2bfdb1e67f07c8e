import { lstat, mkdir, open, readdir, rm, rmdir, stat, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveInRoot } from './runner/root-path.js';

/** Mountpoints every run needs; made for the run and taken away after it, so the container's layer never shows them. */
const RUNTIME_ENTRIES: readonly [path: string, file: boolean][] = [
  ['/proc', false], ['/sys', false], ['/dev', false],
  ['/etc/hosts', true], ['/etc/hostname', true], ['/etc/resolv.conf', true],
];

/** One entry placed for a run, and its parent's times around the placing (ns precision lost: seconds are what a diff compares). */
export interface Stub {
  readonly host: string;
  readonly file: boolean;
  readonly parent: string;
  readonly parentBefore: { atimeMs: number; mtimeMs: number };
  readonly parentAfterMs: number;
}

/**
 * Makes the runtime's mountpoints (/proc, /sys, /dev, the /etc files the
 * runner binds) that the root file system lacks — as Docker's init layer holds
 * them — and records what was made. `removeStubs` takes them away after the
 * run and gives their parents back their times, so `diff` and `commit` never
 * see them (Docker keeps them in a separate init layer; strata commits the
 * container's layer in place, so it must not hold them).
 */
export async function placeStubs(rootfs: string): Promise<Stub[]> {
  const stubs: Stub[] = [];
  for (const [path, file] of RUNTIME_ENTRIES) {
    const resolved = await resolveInRoot(rootfs, path);
    if (resolved.exists) continue;
    const parent = dirname(resolved.host);
    const before = await stat(parent).catch(() => undefined);
    if (before === undefined) continue; // a missing parent (no /etc): the runner makes it, and it stays, as in Docker's layer
    if (file) await (await open(resolved.host, 'wx', 0o644)).close();
    else await mkdir(resolved.host, { mode: 0o755 });
    stubs.push({ host: resolved.host, file, parent, parentBefore: { atimeMs: before.atimeMs, mtimeMs: before.mtimeMs }, parentAfterMs: (await stat(parent)).mtimeMs });
  }
  return stubs;
}

/** Removes the stubs that are still as placed (empty), restoring a parent's times where nothing else changed it since. */
export async function removeStubs(stubs: readonly Stub[]): Promise<void> {
  for (const stub of [...stubs].reverse()) {
    const st = await lstat(stub.host).catch(() => undefined);
    if (st === undefined) continue;
    if (stub.file ? !st.isFile() || st.size !== 0 : !st.isDirectory() || (await readdir(stub.host)).length > 0) continue;
    // Nothing but the stub changed the parent during the run: its times go back as they were.
    const now = (await stat(stub.parent).catch(() => undefined))?.mtimeMs;
    const untouched = now !== undefined && Math.abs(now - stub.parentAfterMs) < 1;
    if (stub.file) await rm(stub.host);
    else await rmdir(stub.host);
    if (untouched) await utimes(stub.parent, stub.parentBefore.atimeMs / 1000, stub.parentBefore.mtimeMs / 1000);
  }
}
