import { readFileSync } from 'node:fs';

/**
 * A process as /proc/<pid>/stat shows it: `state` (R running, S sleeping,
 * Z zombie — exited, not yet reaped —, X dead, …) and `started`, its start
 * time in clock ticks since boot (field 22). A pid with its start time names
 * one process: pids are reused, a pid's start time changes when it is.
 */
export interface ProcessStat {
  readonly state: string;
  readonly started: string;
}

/** What /proc/<pid>/stat says of process pid; undefined where no process (not even a zombie) has that pid. */
export function processStat(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', started: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Start time of a process (clock ticks since boot), or undefined when it does not exist. */
export function startTimeOf(pid: number): string | undefined {
  return processStat(pid)?.started;
}

let ownStarted: string | undefined;

/** This process's start time (as startTimeOf): read once, it never changes. */
export function ownStartTime(): string | undefined {
  ownStarted ??= startTimeOf(process.pid);
  return ownStarted;
}

/**
 * Is the process recorded as (pid, started) still there (a zombie too)? Not where its start
 * time was never known (''), nor where the pid is gone or now another process's.
 */
export function processLives(pid: number, started: string): boolean {
  return started !== '' && startTimeOf(pid) === started;
}
