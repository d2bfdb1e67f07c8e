#!/usr/bin/env node
/**
 * `strata-fuse-overlay`: strata's FUSE union behind fuse-overlayfs' command
 * line, so podman, buildah and CRI-O can use it as their storage.conf
 * `[storage.options.overlay] mount_program`, and overlayfs test suites can
 * drive it:
 *
 *     strata-fuse-overlay -o lowerdir=A:B,upperdir=U,workdir=W[,volatile] MNT
 *     strata-fuse-overlay --version
 *
 * Lowers are top-most first; the upper directory and the lowers are in
 * overlayfs' format (whiteouts char 0/0, trusted.overlay.opaque), as
 * containers/storage keeps them. The command returns once the mount answers,
 * leaving a daemon that serves it until the mount is unmounted (umount,
 * fusermount -u) or it gets SIGTERM. Exit status 1 with one line on stderr
 * where it cannot mount. Loads only the union and fuse-native (no store, no
 * container runtime code). With a workdir, the daemon's stdout and stderr (its
 * faults and the notes of its life: mounted, signals, exit status) go to
 * `<workdir>/strata-fuse-overlay.log`, which the daemon opens itself.
 *
 * The same command without a Node parent: build/Release/strata-fuse-overlay
 * (drivers/fuse/compat/native/strata_fuse_overlay.c) starts the daemon as
 * `daemonize` here does and waits for its report, about 55 ms sooner.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess, StdioOptions } from 'node:child_process';
import { mkdir, readdir, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strataVersion } from '../../../core/version.js';
import { openForMount } from '../mount-log.js';
import { parseOverlayArgs } from './overlay-args.js';

/** Set in the daemon's environment: it mounts and reports on fd 3 instead of forking again. */
const DAEMON_ENV = 'STRATA_FUSE_OVERLAY_DAEMON';

/** Mounts and serves (the daemon, or -f). The union and fuse-native load here only: the parent that daemonizes never loads them. */
async function serve(argv: readonly string[], report: (line: string) => void): Promise<void> {
  const args = parseOverlayArgs(argv, process.cwd());
  const [{ opaqueXattrFor }, { serveUnion }, { UnionFs }] = await Promise.all([
    import('../../../core/union/whiteout-format.js'),
    import('../fuse-server.js'),
    import('../union-fs.js'),
  ]);
  process.umask(0); // the kernel applied the caller's umask already
  const privileged = process.getuid?.() === 0;
  // containers/storage hands short symlinks (l/XXXX) to each layer: the union reads the directories themselves.
  const lower = await Promise.all(args.lower.map((p) => realpath(p)));
  const upper = args.upper === undefined ? undefined : await realpath(args.upper);
  const work = args.work === undefined ? undefined : join(await realpath(args.work), 'strata');
  if (work !== undefined) {
    await mkdir(work, { recursive: true, mode: 0o700 });
    for (const name of await readdir(work)) await rm(join(work, name), { recursive: true, force: true });
  }
  const union = new UnionFs({
    layers: upper === undefined ? lower : [upper, ...lower],
    writable: upper !== undefined,
    workDir: work ?? '/nonexistent',
    opaqueXattr: opaqueXattrFor(privileged),
    privileged,
    // containers/storage's upper directories: fuse-overlayfs and its native diff would not follow a redirect
    redirectDirs: false,
  });
  await serveUnion(union, args.mountpoint, privileged, { exitWhenUnmounted: true });
  report('ok');
}

/**
 * Points the daemon's stdout and stderr (Node's own messages and libfuse's included) at
 * `<workdir>/strata-fuse-overlay.log`, opened to append (see mount-log.ts). Nothing without a
 * workdir, with arguments that do not parse (the daemon reports those), or where the log
 * cannot be opened: its parent left them on /dev/null.
 */
async function logToWorkdir(argv: readonly string[]): Promise<void> {
  let work: string | undefined;
  try {
    work = parseOverlayArgs(argv, process.cwd()).work;
  } catch {
    return;
  }
  if (work === undefined) return;
  const log = await openForMount(join(work, 'strata-fuse-overlay.log')).then(({ log }) => log, () => undefined);
  if (log === undefined) return;
  const { sys } = await import('../../../core/sys/index.js');
  sys.dup2(log.fd, 1);
  sys.dup2(log.fd, 2);
  await log.close();
}

/** Starts this command again as a detached daemon and waits for its first line on fd 3: "ok" or why it failed. */
async function daemonize(argv: readonly string[]): Promise<number> {
  const stdio: StdioOptions = ['ignore', 'ignore', 'ignore', 'pipe'];
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv], { detached: true, stdio, env: { ...process.env, [DAEMON_ENV]: '1' } });
  return new Promise((resolve) => {
    let said = '';
    const channel = child.stdio[3] as NodeJS.ReadableStream;
    channel.setEncoding('utf8');
    channel.on('data', (chunk: string) => (said += chunk));
    const finish = (status: number, line: string) => {
      if (status !== 0) process.stderr.write(`strata-fuse-overlay: ${line || 'the daemon exited before mounting'}\n`);
      child.unref();
      (channel as unknown as { destroy(): void }).destroy();
      resolve(status);
    };
    channel.on('end', () => finish(said.trim() === 'ok' ? 0 : 1, said.trim()));
    child.on('error', (err) => finish(1, err.message));
  });
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--version') || argv.includes('-V')) {
    process.stdout.write(`strata-fuse-overlay: version ${strataVersion()}\nFUSE library version 2.9\n`);
    return 0;
  }
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    process.stdout.write('usage: strata-fuse-overlay [-f] -o lowerdir=A:B[,upperdir=U,workdir=W][,volatile] MNT\n');
    return argv.length === 0 ? 1 : 0;
  }
  if (process.env[DAEMON_ENV] === '1') {
    await logToWorkdir(argv); // first: before anything writes to stdout or stderr
    const { createWriteStream } = await import('node:fs');
    const fd3 = createWriteStream('', { fd: 3 });
    const report = (line: string) => fd3.end(`${line}\n`);
    await serve(argv, report).catch((err: unknown) => {
      report((err as Error)?.message ?? String(err));
      fd3.on('finish', () => process.exit(1));
    });
    return -1; // serving: the process lives on
  }
  parseOverlayArgs(argv, process.cwd()); // bad arguments fail here, before any daemon
  const foreground = argv.includes('-f') || argv.includes('-d');
  if (foreground) {
    await serve(argv, () => undefined);
    return -1;
  }
  return daemonize(argv);
}

main(process.argv.slice(2)).then(
  (status) => {
    if (status >= 0) process.exit(status);
  },
  (err: unknown) => {
    process.stderr.write(`strata-fuse-overlay: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  },
);
