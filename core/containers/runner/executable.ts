import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInRoot } from './root-path.js';
import type { ResolvedUser } from './run-spec.js';

/** Why a command cannot start, with the exit status Docker gives it. */
export interface ExecFailure {
  readonly exitCode: 126 | 127;
  /** Docker's wording, e.g. `exec: "nosuch": executable file not found in $PATH`. */
  readonly message: string;
}

/**
 * Checks, before anything starts, that `command` can be executed in `rootfs`
 * by `user`, as runc does inside the container (Go's exec.LookPath): a name
 * without `/` is searched in `path` (a PATH value; entries are taken from
 * the container's point of view), a name with `/` is taken relative to `cwd`.
 * Answers undefined when it can start; otherwise exit 127 for a missing file,
 * 126 for one that exists but is not executable (or is a directory).
 * Bind mounts are not consulted: a command that only a `-v` provides is
 * reported missing.
 */
export async function checkExecutable(rootfs: string, command: string, path: string, cwd: string, user: ResolvedUser): Promise<ExecFailure | undefined> {
  const quoted = JSON.stringify(command);
  if (command.includes('/')) {
    const inRoot = posix.resolve(cwd, command);
    const found = await resolveInRoot(rootfs, inRoot).catch(() => undefined);
    const stats = found?.exists ? await stat(found.host).catch(() => undefined) : undefined;
    if (stats === undefined) return { exitCode: 127, message: `exec: ${quoted}: stat ${command}: no such file or directory` };
    if (stats.isDirectory()) return { exitCode: 126, message: `exec: ${quoted}: is a directory` };
    if (!mayExecute(stats.mode, stats.uid, stats.gid, user)) return { exitCode: 126, message: `exec: ${quoted}: permission denied` };
    return undefined;
  }
  if (command === '') return { exitCode: 127, message: `exec: "": executable file not found in $PATH` };
  for (const dir of path.split(':')) {
    const found = await resolveInRoot(rootfs, posix.join(posix.resolve(cwd, dir || '.'), command)).catch(() => undefined);
    const stats = found?.exists ? await stat(found.host).catch(() => undefined) : undefined;
    if (stats !== undefined && stats.isFile() && (stats.mode & 0o111) !== 0) {
      if (!mayExecute(stats.mode, stats.uid, stats.gid, user)) return { exitCode: 126, message: `exec: ${quoted}: permission denied` };
      return undefined;
    }
  }
  return { exitCode: 127, message: `exec: ${quoted}: executable file not found in $PATH` };
}

/** Whether the owner/group/other execute bit that applies to `user` is set (root: any of them). */
function mayExecute(mode: number, uid: number, gid: number, user: ResolvedUser): boolean {
  if (user.uid === 0) return (mode & 0o111) !== 0;
  if (uid === user.uid) return (mode & 0o100) !== 0;
  if (gid === user.gid || user.additionalGids.includes(gid)) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}
