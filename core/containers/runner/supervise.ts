import type { ChildProcess, StdioOptions } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { cgroupPids } from './freezer.js';
import type { RunIo, RunningContainer, RunSpec } from './run-spec.js';

/** Signals a runner forwards to the container with `forwardSignals`. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
/** `docker stop`'s default grace period, in ms. */
const STOP_GRACE_MS = 10_000;
/** How often the container's PID 1 is looked for in its cgroup, in ms. */
const FIND_INIT_EVERY_MS = 5;

/**
 * spawn()'s stdio for a runner's child: stdin only when the spec attaches it
 * (with a tty and no stdin, a pipe that stays silent and open),
 * 'inherit' hands the caller's descriptor over, a stream is piped. Fd 3 is a
 * pipe strata holds for the life of the run (the built-in runner's watchdog
 * reads it: its end of file means strata is gone).
 */
export function stdioFor(spec: RunSpec, io: RunIo): StdioOptions {
  // A terminal without input stays open (Docker's -t without -i): a pipe strata never writes.
  const silent = spec.tty ? 'pipe' : 'ignore';
  const input = !spec.stdin || io.stdin === undefined ? silent : io.stdin === 'inherit' ? 'inherit' : 'pipe';
  const output = (s: Writable | 'inherit' | undefined) => (s === undefined ? 'ignore' : s === 'inherit' ? 'inherit' : 'pipe');
  return [input, output(io.stdout), output(io.stderr), 'pipe'];
}

/**
 * Connects a runner's child to `io`, forwards signals to the container's PID 1
 * (found in the container's cgroup: the process whose innermost pid is 1),
 * and resolves with the exit status once the child has exited and its streams
 * are drained: its own exit code, or 128+N when the child itself was killed by
 * signal N.
 */
export function supervise(child: ChildProcess, spec: RunSpec, io: RunIo, cgroup: string): Promise<number> {
  if (spec.stdin && io.stdin !== undefined && io.stdin !== 'inherit' && child.stdin) {
    (io.stdin as Readable).pipe(child.stdin);
    child.stdin.on('error', () => undefined);
  }
  if (io.stdout !== undefined && io.stdout !== 'inherit') child.stdout?.pipe(io.stdout, { end: false });
  if (io.stderr !== undefined && io.stderr !== 'inherit') child.stderr?.pipe(io.stderr, { end: false });
  const lifeline = child.stdio[3];
  lifeline?.on('error', () => undefined);

  let initPid: number | undefined;
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  const pending: NodeJS.Signals[] = [];
  const deliver = (signal: NodeJS.Signals): void => {
    if (exited) return; // PID 1 is gone and its pid may be reused
    if (initPid === undefined) pending.push(signal);
    else {
      try {
        process.kill(initPid, signal);
      } catch {
        // PID 1 already gone: the run is ending.
      }
    }
  };
  const handle: RunningContainer = {
    get pid() {
      return initPid;
    },
    freezerCgroup: cgroup,
    kill: deliver,
    stop(graceMs = STOP_GRACE_MS) {
      deliver('SIGTERM');
      killTimer ??= setTimeout(() => deliver('SIGKILL'), graceMs);
    },
  };
  const onSignal = (signal: NodeJS.Signals) => deliver(signal);
  if (io.forwardSignals) for (const signal of FORWARDED_SIGNALS) process.on(signal, onSignal);

  const look = async (): Promise<void> => {
    while (!exited && initPid === undefined) {
      initPid = await findInit(cgroup);
      if (initPid === undefined) await new Promise((resolve) => setTimeout(resolve, FIND_INIT_EVERY_MS));
    }
    for (const signal of pending.splice(0)) deliver(signal);
  };
  void look();
  io.started?.(handle);

  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => {
      exited = true;
      lifeline?.destroy();
    });
    child.on('close', (code, signal) => {
      exited = true;
      clearTimeout(killTimer);
      if (io.forwardSignals) for (const s of FORWARDED_SIGNALS) process.off(s, onSignal);
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}

/**
 * The host pid of the process in `cgroup` that is PID 1 of a PID namespace
 * below ours, or undefined. runc's own init (`runc:[2:INIT]`, before it execs
 * the command) does not count yet: a signal to it would fail the start rather
 * than reach the command.
 */
export async function findInit(cgroup: string): Promise<number | undefined> {
  for (const pid of await cgroupPids(cgroup)) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    if (/^Name:\s+runc:\[/m.test(status)) continue;
    const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/);
    if (nspid !== undefined && nspid.length >= 2 && nspid[nspid.length - 1] === '1') return pid;
  }
  return undefined;
}
