import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMounted } from '../../core/bind-mount.js';
import { ErrorCode, StrataError, errnoOf } from '../../core/errors.js';
import { MNT_DETACH, sys } from '../../core/sys/index.js';

const SCRIPT = fileURLToPath(new URL('./mount-process.js', import.meta.url));
/** How long a mount process may take to mount, and to exit once told to. */
const START_MS = 30_000;
const STOP_MS = 10_000;
const POLL_MS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Is a process with this pid alive (and not a zombie we could reap)? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

/** The line of a mount process's log that says why it failed: its own message, or the error Node printed. */
function reasonIn(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => l.startsWith('strata fuse:') || /^\w*Error\b/.test(l)) ?? lines.at(-1) ?? '';
}

/**
 * The processes that serve a home's FUSE mounts, one per mounted layer,
 * found again by any process of the store through `<dir>/<id>.pid`; each
 * one's stderr goes to `<dir>/<id>.log`.
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
   * mount answers (shows in /proc/self/mountinfo). Fails with
   * EDRIVERUNAVAILABLE carrying the process's own reason where it exits or
   * does not mount within 30 s (it is then killed).
   */
  async start(id: string, target: string): Promise<void> {
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const log = await open(this.#logFile(id), 'w', 0o600);
    let exited: number | null | undefined;
    let pid: number | undefined;
    try {
      const child = spawn(process.execPath, [SCRIPT, this.#home, id, target], { detached: true, stdio: ['ignore', log.fd, log.fd] });
      child.once('exit', (code) => (exited = code));
      child.once('error', () => (exited = -1));
      child.unref();
      pid = child.pid;
    } finally {
      await log.close();
    }
    if (pid === undefined) throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `cannot start the mount process of layer ${id}`);
    await writeFile(this.#pidFile(id), `${pid}\n`, { mode: 0o600 });
    for (const deadline = Date.now() + START_MS; ; await sleep(POLL_MS)) {
      if (await isMounted(target)) return;
      if (exited !== undefined || Date.now() > deadline) {
        if (exited === undefined) process.kill(pid, 'SIGKILL');
        await rm(this.#pidFile(id), { force: true });
        const said = reasonIn(await readFile(this.#logFile(id), 'utf8').catch(() => ''));
        throw new StrataError(ErrorCode.EDRIVERUNAVAILABLE, `fuse mount of layer ${id} failed: ${said || (exited === undefined ? 'timed out' : `exit ${exited}`)}`);
      }
    }
  }

  /**
   * Ends id's mount: SIGTERM to its process (which unmounts and exits), then,
   * where it does not go within 10 s or is gone already, a lazy unmount and
   * SIGKILL. Nothing mounted and no process: a no-op.
   */
  async stop(id: string, target: string): Promise<void> {
    const pid = await this.pid(id);
    if (pid !== undefined && alive(pid)) {
      process.kill(pid, 'SIGTERM');
      for (const deadline = Date.now() + STOP_MS; alive(pid) && Date.now() < deadline; ) await sleep(POLL_MS);
    }
    await this.#detach(target);
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(this.#pidFile(id), { force: true });
  }

  /** Is id's mount served by a live process on target? */
  async serving(id: string, target: string): Promise<boolean> {
    const pid = await this.pid(id);
    return pid !== undefined && alive(pid) && (await isMounted(target));
  }

  /**
   * Clears a mount whose process is dead (every call on it fails with
   * ENOTCONN, "Transport endpoint is not connected"): lazy unmount, pid file
   * removed. Returns whether something was cleared.
   */
  async clearStale(id: string, target: string): Promise<boolean> {
    const pid = await this.pid(id);
    if (pid !== undefined && alive(pid)) return false;
    const mounted = await isMounted(target);
    if (mounted) await this.#detach(target);
    await rm(this.#pidFile(id), { force: true });
    return mounted;
  }

  /** The recorded pid of id's mount process, if any. */
  async pid(id: string): Promise<number | undefined> {
    const text = await readFile(this.#pidFile(id), 'utf8').catch(() => undefined);
    const pid = Number(text?.trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
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
