import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { errnoOf } from '../../errors.js';
import { cgroupPids, freezeContainer, removeContainerCgroup, thawContainer } from './freezer.js';

const run = promisify(execFile);
const RECORD = 'runner.json';

/** What a run leaves in its container directory while it lives, for `reapContainer`. */
export interface RunRecord {
  readonly backend: 'builtin' | 'runc';
  /** The runtime id (also the cgroup's name). */
  readonly id: string;
  readonly cgroup: string;
}

/** Writes the record of a starting run into `containerDir`. */
export async function recordRun(containerDir: string, record: RunRecord): Promise<void> {
  await writeFile(join(containerDir, RECORD), JSON.stringify(record) + '\n');
}

/** Removes the record once the run is over and cleaned up. */
export async function forgetRun(containerDir: string): Promise<void> {
  await rm(join(containerDir, RECORD), { force: true });
}

/** The record of the run live in `containerDir` (written by either runner while it runs), or undefined. */
export async function readRunRecord(containerDir: string): Promise<RunRecord | undefined> {
  try {
    return JSON.parse(await readFile(join(containerDir, RECORD), 'utf8')) as RunRecord;
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Runs `body` with every process of the container running in `containerDir`
 * frozen (the cgroup freezer, as Docker's commit pauses a container), and
 * thaws them afterwards, even when `body` throws. From any process — say the
 * `strata commit` beside a `strata run`. When no run is live there, `body`
 * just runs. Fails with EIO when the processes do not freeze (see
 * `freezeContainer`).
 */
export async function withContainerFrozen<T>(containerDir: string, body: () => Promise<T>): Promise<T> {
  const record = await readRunRecord(containerDir);
  if (record === undefined) return body();
  await freezeContainer(record.cgroup);
  try {
    return await body();
  } finally {
    await thawContainer(record.cgroup);
  }
}

/**
 * Cleans up after a run whose strata process died (say, by SIGKILL) — for the
 * next command to call before it reports the container as exited. Thaws and
 * kills whatever is left in the container's cgroup (normally nothing: the
 * processes die with strata), deletes runc's state, removes the cgroup and the
 * record. Answers whether a record was found. Safe to call on a directory
 * whose run ended normally (there is no record then).
 */
export async function reapContainer(containerDir: string): Promise<boolean> {
  const record = await readRunRecord(containerDir);
  if (record === undefined) return false;
  await thawContainer(record.cgroup).catch(() => undefined);
  for (const pid of await cgroupPids(record.cgroup)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (record.backend === 'runc') {
    await run('/usr/sbin/runc', ['--root', join(containerDir, 'runc'), 'delete', '--force', record.id]).catch(() => undefined);
  }
  await removeContainerCgroup(record.cgroup);
  await forgetRun(containerDir);
  return true;
}
