import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError, errnoOf } from '../../errors.js';

/** The cgroup hierarchies this host mounts: v1 (a `freezer` controller of its own; this host's hybrid layout) or v2 (unified, `cgroup.freeze`). */
const V1_FREEZER = '/sys/fs/cgroup/freezer';
const V2_ROOT = '/sys/fs/cgroup';
/** Parent of every container cgroup strata makes, relative to the hierarchy's root. */
export const CGROUP_PARENT = 'strata';
/** How long `freezeContainer` waits for every task to stop, in ms, before failing with EIO. */
const FREEZE_TIMEOUT_MS = 5000;

/** Which freezer this host offers, detected once. */
let flavour: Promise<'v1' | 'v2' | undefined> | undefined;
function detect(): Promise<'v1' | 'v2' | undefined> {
  flavour ??= access(join(V1_FREEZER, 'tasks')).then(
    () => 'v1' as const,
    () => access(join(V2_ROOT, 'cgroup.controllers')).then(() => 'v2' as const, () => undefined),
  );
  return flavour;
}

/** The cgroup path runc is given (`linux.cgroupsPath`) for container `id`: the same directory `containerCgroup` makes. */
export function cgroupsPathOf(id: string): string {
  return `/${CGROUP_PARENT}/${id}`;
}

/**
 * Creates (idempotently) and returns the freezer cgroup directory of container
 * `id`; every process of the container is placed in it, so freezing it stops
 * them all at once, forks included. Fails with EUNSUPPORTED where the host has
 * no cgroup freezer.
 */
export async function containerCgroup(id: string): Promise<string> {
  const kind = await detect();
  if (kind === undefined) throw new StrataError(ErrorCode.EUNSUPPORTED, 'this host has no cgroup freezer (neither cgroup v1 freezer nor cgroup v2)');
  const dir = join(kind === 'v1' ? V1_FREEZER : V2_ROOT, CGROUP_PARENT, id);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** How long `removeContainerCgroup` waits for the last processes to be released, in ms. */
const REMOVE_TIMEOUT_MS = 5000;

/**
 * Removes the container's cgroup once it is empty (exited processes leave it
 * only when reaped, which can lag on a loaded machine: it retries for 5 s); a
 * cgroup that still has processes then is left, and reported false.
 */
export async function removeContainerCgroup(dir: string): Promise<boolean> {
  for (const deadline = Date.now() + REMOVE_TIMEOUT_MS; Date.now() < deadline; ) {
    try {
      await rmdir(dir);
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return true;
      if (errnoOf(err) !== 'EBUSY') throw err;
      await sleep(10);
    }
  }
  return false;
}

/** Host pids of the processes in a container cgroup. */
export async function cgroupPids(dir: string): Promise<number[]> {
  const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '').map(Number);
}

/**
 * Freezes every process of the container whose cgroup is `dir` (as `docker
 * pause` and Docker's commit do) and resolves once all are stopped, so the
 * container's layer can be read without a torn write. Fails with EIO when they
 * do not stop within 5 s (the cgroup is thawed again). Pair with `thawContainer`.
 */
export async function freezeContainer(dir: string): Promise<void> {
  const v1 = dir.startsWith(V1_FREEZER + '/');
  await writeFile(join(dir, v1 ? 'freezer.state' : 'cgroup.freeze'), v1 ? 'FROZEN' : '1');
  const deadline = Date.now() + FREEZE_TIMEOUT_MS;
  while (!(await isFrozen(dir, v1))) {
    if (Date.now() > deadline) {
      await thawContainer(dir);
      throw new StrataError(ErrorCode.EIO, `the container's processes did not freeze within ${FREEZE_TIMEOUT_MS} ms`);
    }
    if (v1) await writeFile(join(dir, 'freezer.state'), 'FROZEN');
    await sleep(5);
  }
}

/** Lets the container's processes run again; a no-op on a cgroup that is not frozen or is gone. */
export async function thawContainer(dir: string): Promise<void> {
  const v1 = dir.startsWith(V1_FREEZER + '/');
  await writeFile(join(dir, v1 ? 'freezer.state' : 'cgroup.freeze'), v1 ? 'THAWED' : '0').catch((err) => {
    if (errnoOf(err) !== 'ENOENT') throw err;
  });
}

/** Whether the cgroup reports itself frozen (v1: `freezer.state` FROZEN, not FREEZING; v2: `frozen 1` in cgroup.events). */
export async function isFrozen(dir: string, v1 = dir.startsWith(V1_FREEZER + '/')): Promise<boolean> {
  if (v1) return (await readFile(join(dir, 'freezer.state'), 'utf8')).trim() === 'FROZEN';
  return /^frozen 1$/m.test(await readFile(join(dir, 'cgroup.events'), 'utf8'));
}
