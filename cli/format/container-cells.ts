import { humanDuration } from './human-duration.js';
import { ellipsis } from './ids.js';

/**
 * `docker ps` cells (recorded in notes/docker-images.md).
 */

/** What a container's STATUS is computed from. */
export type ContainerState =
  | { readonly status: 'created' }
  | { readonly status: 'running'; readonly startedAt: Date }
  | { readonly status: 'exited'; readonly exitCode: number; readonly finishedAt: Date };

/** What a container record says about its state (a structural slice of the store's ContainerRecord). */
export interface ContainerTimes {
  readonly state: 'created' | 'running' | 'exited';
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly exitCode: number | null;
}

/** The state STATUS is computed from; `running`: its process is alive now (a record may say running after a crash). */
export function containerStateOf(c: ContainerTimes, running: boolean): ContainerState {
  if (running) return { status: 'running', startedAt: new Date(c.startedAt ?? c.createdAt) };
  if (c.state === 'created') return { status: 'created' };
  return { status: 'exited', exitCode: c.exitCode ?? 0, finishedAt: new Date(c.finishedAt ?? c.createdAt) };
}

/** STATUS: `Created`, `Up 3 seconds`, `Exited (3) Less than a second ago`. */
export function containerStatus(state: ContainerState, now: Date = new Date()): string {
  switch (state.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${humanDuration(now.getTime() - state.startedAt.getTime())}`;
    case 'exited':
      return `Exited (${state.exitCode}) ${humanDuration(now.getTime() - state.finishedAt.getTime())} ago`;
  }
}

/**
 * COMMAND: the program and its arguments joined by spaces, an argument that
 * holds a space wrapped in single quotes (as the daemon's container list
 * writes it), cut to 20 characters (`…`) unless `noTrunc`, then
 * double-quoted: `"sh -c 'echo hi; exi…"`.
 */
export function commandCell(argv: readonly string[], noTrunc: boolean): string {
  const command = argv.map((arg, i) => (i > 0 && arg.includes(' ') ? `'${arg}'` : arg)).join(' ');
  return JSON.stringify(noTrunc ? command : ellipsis(command, 20));
}
