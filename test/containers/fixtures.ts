import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext, TestFn } from 'ava';
import { BUSYBOX, makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';
import { unmet } from '../helpers/prerequisites.js';
import { CLI, runCli, tool, type CliResult } from '../cli/run-cli.js';

export type Driver = 'vfs' | 'overlay' | 'fuse' | 'btrfs-sim';
export type Runtime = 'builtin' | 'runc';

/** The four built-in drivers; STRATA_DRIVERS=vfs,overlay narrows the loop (as the conformance suite). */
export const DRIVERS: Driver[] = (['vfs', 'overlay', 'fuse', 'btrfs-sim'] as const).filter(
  (d) => process.env.STRATA_DRIVERS === undefined || process.env.STRATA_DRIVERS.split(',').map((s) => s.trim()).includes(d),
);
/** Both backends; STRATA_RUNNER=builtin|runc narrows the loop (as test/runner). */
export const RUNTIMES: Runtime[] = (['builtin', 'runc'] as const).filter((r) => process.env.STRATA_RUNNER === undefined || process.env.STRATA_RUNNER === r);

/** Why containers on `driver` with `runtime` cannot run here, or undefined. */
export async function containersUnmet(driver: Driver, runtime: Runtime): Promise<string | undefined> {
  const missing = (path: string, what: string) => access(path).then(() => undefined, () => `${path} is missing (${what})`);
  return (await unmet('root'))
    ?? (await missing(BUSYBOX, 'Debian package busybox-static'))
    ?? (runtime === 'runc' ? await missing('/usr/sbin/runc', 'Debian package runc') : undefined)
    ?? (driver === 'overlay' ? await unmet('overlay') : driver === 'fuse' ? await unmet('fuse') : undefined);
}

/** Why each driver/runtime pair cannot run here (undefined: it can), probed before any test is declared. */
const REASONS = new Map<string, string | undefined>();
for (const driver of DRIVERS) for (const runtime of RUNTIMES) REASONS.set(`${driver}/${runtime}`, await containersUnmet(driver, runtime));

/**
 * `test` when the driver and runtime can run here; otherwise a visible skip
 * naming the reason — a failure under STRATA_REQUIRE_MOUNTS=1 (CI).
 */
export function testOn(test: TestFn, driver: Driver, runtime: Runtime): (title: string, body: (t: ExecutionContext) => Promise<void>) => void {
  const reason = REASONS.get(`${driver}/${runtime}`);
  return (title, body) => {
    const full = `${driver}/${runtime}: ${title}`;
    if (reason === undefined) test(full, body);
    else if (process.env.STRATA_REQUIRE_MOUNTS === '1') test(full, (t) => t.fail(`prerequisite missing and STRATA_REQUIRE_MOUNTS=1: ${reason}`));
    else test.skip(`${full} (skipped: ${reason})`, () => undefined);
  };
}

let tarball: Promise<string> | undefined;

/** A tar of the busybox root file system (test/helpers/busybox-rootfs.ts), made once per test process (removed at its exit); numeric owners. */
export function busyboxTar(): Promise<string> {
  tarball ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-ctr-tar-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const rootfs = await makeBusyboxRootfs(dir);
    const tar = join(dir, 'busybox.tar');
    tool('tar', ['-C', rootfs, '--numeric-owner', '-cf', tar, '.']);
    return tar;
  })();
  return tarball;
}

/** A strata store root in a fresh temp directory, driven through the CLI with one driver and one runtime. */
export class Strata {
  readonly dir: string;
  readonly root: string;
  readonly driver: Driver;
  readonly runtime: Runtime;

  constructor(dir: string, driver: Driver, runtime: Runtime) {
    this.dir = dir;
    this.root = join(dir, 'root');
    this.driver = driver;
    this.runtime = runtime;
  }

  /** `strata --root R --driver D ...args`. */
  cli(args: readonly string[], input?: Buffer): Promise<CliResult> {
    return runCli(['--root', this.root, '--driver', this.driver, ...args], input === undefined ? {} : { input });
  }

  /** `strata run --runtime R ...args` (the runtime flag goes first, before the image). */
  run(args: readonly string[]): Promise<CliResult> {
    return this.cli(['run', '--runtime', this.runtime, ...args]);
  }

  /** The same as `run`, left running: the child is `node cli/main.js` itself (kill it to kill strata). */
  spawnRun(args: readonly string[]): ChildProcess {
    return spawn(process.execPath, [CLI, '--root', this.root, '--driver', this.driver, 'run', '--runtime', this.runtime, ...args], { stdio: 'ignore' });
  }

  /** `strata import [-c …] tar name`; fails the test when it fails. */
  async importImage(name: string, changes: readonly string[] = []): Promise<string> {
    const r = await this.cli(['import', ...changes.flatMap((c) => ['-c', c]), await busyboxTar(), name]);
    if (r.status !== 0) throw new Error(`import ${name} failed: ${r.stderr}`);
    return r.stdout.trim();
  }
}

/**
 * Runs `body` on a fresh store with the busybox image imported as `bb`
 * (`CMD ["/bin/sh"]`); afterwards unmounts whatever is left under the
 * directory (a failed test) and removes it.
 */
export async function withStrata(driver: Driver, runtime: Runtime, body: (s: Strata) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), `strata-ctr-${driver}-`));
  const s = new Strata(dir, driver, runtime);
  try {
    await s.importImage('bb', ['CMD ["/bin/sh"]']);
    await body(s);
  } finally {
    for (const mountpoint of (await mountsUnder(dir)).reverse()) tool('umount', ['-l', mountpoint]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Mount points under `dir` in this process's mount table. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').map((line) => line.split(' ')[4] ?? '').filter((point) => point === dir || point.startsWith(`${dir}/`));
}

/** Whether any process's mount table names a path under `dir`. */
export async function mountedAnywhere(dir: string): Promise<boolean> {
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const info = await readFile(`/proc/${name}/mountinfo`, 'utf8').catch(() => '');
    if (info.includes(dir)) return true;
  }
  return false;
}

/** Pids (other than ours) whose command line contains `marker` (with `exact`: is `marker`, arguments joined by spaces). */
export async function processesWith(marker: string, exact = false): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    const line = cmdline.replace(/\0/g, ' ').trimEnd();
    if (exact ? line === marker : line.includes(marker)) found.push(Number(name));
  }
  return found;
}

/** Polls `check` every 50 ms until it answers true or `seconds` pass; answers the last result. */
export async function eventually(check: () => Promise<boolean>, seconds = 20): Promise<boolean> {
  for (let i = 0; i < seconds * 20; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Paths of a tar archive's entries, `./` and trailing `/` dropped. */
export function tarPaths(tar: Buffer): string[] {
  const listing = spawnSyncTar(tar, ['-t']);
  return listing.split('\n').filter(Boolean).map((p) => p.replace(/^\.\//, '').replace(/\/$/, '')).filter((p) => p !== '.' && p !== '');
}

/** `tar -tv --numeric-owner` lines of an archive, keyed by path. */
export function tarOwners(tar: Buffer): Map<string, string> {
  const owners = new Map<string, string>();
  for (const line of spawnSyncTar(tar, ['-tv', '--numeric-owner']).split('\n').filter(Boolean)) {
    const fields = line.split(/\s+/);
    owners.set(fields.slice(5).join(' ').replace(/ -> .*$/, '').replace(/^\.\//, '').replace(/\/$/, ''), fields[1]!);
  }
  return owners;
}

function spawnSyncTar(tar: Buffer, flags: string[]): string {
  const r = spawnSync('tar', [...flags, '-f', '-'], { input: tar, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tar ${flags.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout.toString('utf8');
}
