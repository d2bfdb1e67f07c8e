import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { isMounted } from '../../core/bind-mount.js';
import { ErrorCode, StrataError, errnoOf } from '../../core/errors.js';
import { processStat, startTimeOf } from '../../core/process-stat.js';
import { MNT_DETACH, sys } from '../../core/sys/index.js';
import { appendNote, logSince, openForMount, reasonIn } from './mount-log.js';

/**
 * The mount process's script: the bundled one (dist/bundle/cli, made by `npm run
 * build`; it starts in a fraction of the time) when present, else the module
 * beside this one. This file and the bundle both sit three directories below the
 * package root, so the same relative URL finds the bundle from either.
 */
const BUNDLED = fileURLToPath(new URL('../../bundle/cli/mount-process.js', import.meta.url));
const SCRIPT = existsSync(BUNDLED) ? BUNDLED : fileURLToPath(new URL('./mount-process.js', import.meta.url));
/** How long a mount process may take to mount, and to exit once told to. */
const START_MS = 30_000;
const STOP_MS = 10_000;
const POLL_MS = 5;
/** How long a mount process that closed its pipe without mounting is given to report its exit status. */
const EXIT_NOTICE_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A mount process as its pid file (`<pid> <start time>`) records it. `started`
 * is undefined in a pid file written before start times were kept.
 */
interface MountProcess {
  readonly pid: number;
  readonly started?: string;
}

/**
 * Does the recorded mount process still run? Not where its pid is free, nor a
 * zombie (it exited; whoever adopted it has not reaped it yet — a lazy init
 * can take seconds), nor a later process that got the pid (its start time
 * differs): such a pid is never signalled.
 */
function running(p: MountProcess): boolean {
  const stat = processStat(p.pid);
  if (stat === undefined || stat.state === 'Z' || stat.state === 'X') return false;
  return p.started === undefined || stat.started === p.started;
}

/** Unmounts target unless it is busy (EBUSY: files open in it) or not mounted; answers whether it went. */
function unmountNow(target: string): boolean {
  try {
    sys.umount2(target, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Settles when the mount process has spoken on its readiness pipe (true: it
 * mounted) or closed it without a word (false: it exited, or is exiting,
 * without mounting — whatever shows at the mount point then is not its
 * mount). The pipe is let go either way, so it holds neither process.
 */
function readinessOf(pipe: Readable | null): Promise<boolean> {
  if (pipe === null) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const done = (said: boolean) => () => {
      pipe.destroy();
      resolve(said);
    };
    pipe.once('data', done(true));
    pipe.once('end', done(false));
    pipe.once('error', done(false));
    pipe.once('close', done(false));
  });
}

/**
 * The processes that serve a home's FUSE mounts, one per mounted layer,
 * found again by any process of the store through `<dir>/<id>.pid` (pid and
 * start time: a pid reused by another process is never taken for it); each
 * one's stderr and life-cycle notes go to `<dir>/<id>.log` (mount-log.ts).
 */
export class MountSupervisor {
  readonly #dir: string;
  readonly #home: string;

  /** `home`: the upper-layer home the mount processes read; `dir`: where pid and log files live. */
  constructor(home: string, dir: string) {
    this.#home = home;
    this.#dir = dir;
  }

  /**
   * Starts the mount process of id on target, detached, and resolves once the
   * process says on its readiness pipe that it mounted and the mount shows in
   * /proc/self/mountinfo (no polling: the word arrives when the mount is up). Fails with
   * EDRIVERUNAVAILABLE carrying the process's own reason where it exits or
   * does not mount within 30 s (it is then killed). While this process lives,
   * the mount process's exit (status or signal) is noted in id's log.
   */
  async start(id: string, target: string): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const logFile = this.#logFile(id);
    const { log, from } = await openForMount(logFile);
    let exited: number | null | undefined;
    let pid: number | undefined;
    let ready: Promise<boolean>;
    try {
      const child = spawn(process.execPath, [SCRIPT, this.#home, id, target], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd, 'pipe'],
        env: { ...process.env, STRATA_READY_FD: '3' },
      });
      child.once('exit', (code, signal) => {
        exited = code;
        appendNote(logFile, `mount process ${child.pid} exited: ${signal === null ? `status ${code}` : `signal ${signal}`}`);
      });
      child.once('error', (err) => {
        exited = -1;
        appendNote(logFile, `mount process did not start: ${err.message}`);
      });
      ready = readinessOf(child.stdio[3] as Readable | null);
      child.unref();
      pid = child.pid;
    } finally {
      await log.close();
    }
    if (pid === undefined) throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `cannot start the mount process of layer ${id}`);
    // Not reaped before this process sees its exit: the pid is still the child's.
    await writeFile(this.#pidFile(id), `${pid} ${startTimeOf(pid) ?? ''}\n`, { mode: 0o600 });
    const timedOut = Symbol('timed out');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([ready, new Promise<symbol>((resolve) => (timer = setTimeout(resolve, START_MS, timedOut)))]);
    clearTimeout(timer);
    if (outcome === true && (await isMounted(target))) return;
    // The pipe closed without a mount: the process is exiting; let its status arrive for the message.
    for (const until = Date.now() + EXIT_NOTICE_MS; outcome !== timedOut && exited === undefined && Date.now() < until; ) await sleep(POLL_MS);
    if (exited === undefined) {
      appendNote(logFile, `SIGKILL to mount process ${pid}: ${outcome === timedOut ? `not mounted within ${START_MS} ms` : outcome ? 'said ready without a mount' : 'closed its pipe without a word'}`);
      process.kill(pid, 'SIGKILL');
    }
    await rm(this.#pidFile(id), { force: true });
    const said = reasonIn(await logSince(logFile, from));
    throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `fuse mount of layer ${id} failed: ${said || (exited === undefined ? 'timed out' : `exit ${exited}`)}`);
  }

  /**
   * Ends id's mount. As root, an unmount from here first: when nothing holds
   * the mount it goes at once and the process, which has nothing left to
   * serve, is killed (no `fusermount` round, no JS shutdown to wait for).
   * Otherwise (a busy mount, not root) SIGTERM to its process (which unmounts
   * and exits), then, where it does not go within 10 s or is gone already, a
   * lazy unmount and SIGKILL. Nothing mounted and no process: a no-op. Each
   * step is noted in id's log.
   */
  async stop(id: string, target: string): Promise<void> {
    const p = await this.#recorded(id);
    if (p !== undefined && running(p)) {
      const unmounted = process.getuid?.() === 0 && unmountNow(target);
      const signal = unmounted ? 'SIGKILL' : 'SIGTERM';
      appendNote(this.#logFile(id), `stop: ${signal} to mount process ${p.pid}${unmounted ? ' (unmounted)' : ''}`);
      process.kill(p.pid, signal);
      for (const deadline = Date.now() + STOP_MS; running(p) && Date.now() < deadline; ) await sleep(POLL_MS);
    }
    await this.#detach(target);
    if (p !== undefined && running(p)) {
      appendNote(this.#logFile(id), `stop: SIGKILL to mount process ${p.pid}, still there after ${STOP_MS} ms`);
      process.kill(p.pid, 'SIGKILL');
    }
    await rm(this.#pidFile(id), { force: true });
  }

  /** Is id's mount served by a running process on target? */
  async serving(id: string, target: string): Promise<boolean> {
    const p = await this.#recorded(id);
    return p !== undefined && running(p) && (await isMounted(target));
  }

  /**
   * Clears a mount whose process is gone (every call on it fails with
   * ENOTCONN, "Transport endpoint is not connected"): lazy unmount, pid file
   * removed, and noted in id's log. Returns whether something was cleared.
   */
  async clearStale(id: string, target: string): Promise<boolean> {
    const p = await this.#recorded(id);
    if (p !== undefined && running(p)) return false;
    const mounted = await isMounted(target);
    if (mounted) {
      appendNote(this.#logFile(id), `stale mount cleared: its mount process ${p?.pid ?? '(no pid file)'} is gone`);
      await this.#detach(target);
    }
    await rm(this.#pidFile(id), { force: true });
    return mounted;
  }

  /** id's mount process as its pid file records it, if any. */
  async #recorded(id: string): Promise<MountProcess | undefined> {
    const text = await readFile(this.#pidFile(id), 'utf8').catch(() => undefined);
    const [pidText, started] = (text ?? '').trim().split(' ');
    const pid = Number(pidText);
    if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
    return started === undefined || started === '' ? { pid } : { pid, started };
  }

  async #detach(target: string): Promise<void> {
    if (!(await isMounted(target))) return;
    try {
      sys.umount2(target, MNT_DETACH);
    } catch (err) {
      if (errnoOf(err) !== 'EINVAL') throw new StrataError(ErrorCode.EIO, `cannot unmount ${target}: ${errnoOf(err) ?? String(err)}`, { cause: err });
    }
  }

  #pidFile(id: string): string {
    return join(this.#dir, `${id}.pid`);
  }

  #logFile(id: string): string {
    return join(this.#dir, `${id}.log`);
  }
}
