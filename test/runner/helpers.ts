import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { NamespaceRunner, RuncRunner, resolveUser } from '../../core/containers/runner/index.js';
import type { ContainerRunner, RunningContainer, RunSpec } from '../../core/containers/runner/index.js';
import type { ExecutionContext, TestFn } from 'ava';
import { BUSYBOX, makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';

/** Both backends; STRATA_RUNNER=builtin|runc narrows the loop. */
export const RUNNERS: ContainerRunner[] = [new NamespaceRunner(), new RuncRunner()].filter(
  (r) => process.env.STRATA_RUNNER === undefined || process.env.STRATA_RUNNER === r.name,
);

export interface Box {
  readonly rootfs: string;
  readonly containerDir: string;
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** A fresh busybox root file system and container directory under one temp dir. */
export async function makeBox(): Promise<Box> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-runner-'));
  const rootfs = await makeBusyboxRootfs(dir);
  const containerDir = await mkdtemp(join(dir, 'container-'));
  return { rootfs, containerDir, dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A spec running `args` as root in `box`, network none, with Docker-like /etc files; `over` replaces fields. */
export async function specFor(box: Box, args: string[], over: Partial<RunSpec> & { userSpec?: string } = {}): Promise<RunSpec> {
  const user = await resolveUser(box.rootfs, over.userSpec ?? '');
  const { userSpec: _ignored, ...rest } = over;
  return {
    rootfs: box.rootfs,
    containerDir: box.containerDir,
    args,
    env: [],
    cwd: '/',
    user,
    hostname: 'strata-test',
    network: 'none',
    mounts: [],
    etc: { hosts: '127.0.0.1\tlocalhost\n', hostname: 'strata-test\n', resolvConf: 'nameserver 192.0.2.53\n' },
    tty: false,
    stdin: false,
    ...rest,
  };
}

export interface Captured {
  readonly exitCode: number;
  readonly startError?: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `spec` with piped streams and collects what the process wrote. */
export async function capture(runner: ContainerRunner, spec: RunSpec, options: { input?: string; started?: (c: RunningContainer) => void } = {}): Promise<Captured> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const stdin = options.input === undefined ? undefined : new PassThrough();
  stdin?.end(options.input);
  const exit = await runner.run(spec, { stdout, stderr, stdin, started: options.started });
  return { ...exit, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** Why runner tests cannot run here (not root, busybox-static, runc or a cgroup freezer missing), or undefined. */
export async function runnerUnmet(backend?: 'builtin' | 'runc'): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the runners need root';
  const missing = async (path: string, what: string) => access(path).then(() => undefined, () => `${path} is missing (${what})`);
  return (await missing(BUSYBOX, 'Debian package busybox-static'))
    ?? (backend === 'runc' ? await missing('/usr/sbin/runc', 'Debian package runc') : undefined)
    ?? (await missing('/sys/fs/cgroup/freezer/tasks', 'cgroup v1 freezer').then((r) => (r === undefined ? r : missing('/sys/fs/cgroup/cgroup.controllers', 'cgroup v2'))));
}

/**
 * `test` when `reason` is undefined; otherwise a visible skip naming it — or,
 * with STRATA_REQUIRE_MOUNTS=1 (CI), a failing test: a prerequisite CI must have.
 * Tests stay concurrent (unlike testkit's serial registerUnless).
 */
export function testUnless(test: TestFn, reason: string | undefined): (title: string, run: (t: ExecutionContext) => Promise<void>) => void {
  return (title, run) => {
    if (reason === undefined) test(title, run);
    else if (process.env.STRATA_REQUIRE_MOUNTS === '1') test(title, (t) => t.fail(`prerequisite missing and STRATA_REQUIRE_MOUNTS=1: ${reason}`));
    else test.skip(`${title} (skipped: ${reason})`, () => undefined);
  };
}
