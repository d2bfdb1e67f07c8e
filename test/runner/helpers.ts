import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { NamespaceRunner, RuncRunner, resolveUser } from '../../core/containers/runner/index.js';
import type { ContainerRunner, RunningContainer, RunSpec } from '../../core/containers/runner/index.js';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';

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
