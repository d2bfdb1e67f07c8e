import type { Readable, Writable } from 'node:stream';

/**
 * What a runner runs: one process in a root file system that the caller has
 * already mounted (through a storage driver) and keeps mounted until `run`
 * settles. Both backends (the built-in namespaces runner and runc) take the
 * same spec and promise the same behaviour; see `ContainerRunner`.
 */
export interface RunSpec {
  /** Absolute host path of the container's root file system (the union mount). */
  readonly rootfs: string;
  /**
   * Absolute host path of a directory the caller owns for this container (it
   * must exist). The runner writes /etc/hosts, /etc/hostname, /etc/resolv.conf
   * there (bind-mounted into the container, so they never land in its layer),
   * the OCI bundle and runc's state. The caller removes it.
   */
  readonly containerDir: string;
  /** argv; args[0] is looked up in the container's PATH unless it contains `/`. Non-empty. */
  readonly args: readonly string[];
  /** `K=V` entries, the image's Env merged with `-e` (later wins). PATH, HOSTNAME, HOME are added when absent (see `containerEnv`). */
  readonly env: readonly string[];
  /** Absolute working directory inside the container; created (owned by the user) when missing, as Docker does. */
  readonly cwd: string;
  /** The resolved user (see `resolveUser`); the process runs with exactly these ids. */
  readonly user: ResolvedUser;
  /** The container's host name (its own UTS namespace). */
  readonly hostname: string;
  /** 'host': the host's network namespace; 'none': a new one with only the loopback interface, up. */
  readonly network: 'host' | 'none';
  /** Host paths bound into the container (recursive binds, as `-v` does); applied in order. */
  readonly mounts: readonly BindMount[];
  /** Contents of the container's /etc/hosts, /etc/hostname and /etc/resolv.conf. */
  readonly etc: EtcFiles;
  /** A pseudo-terminal for the process (its stdin, stdout and stderr), as `-t`. */
  readonly tty: boolean;
  /** The caller's stdin is connected to the process (`-i`); otherwise the process reads /dev/null (or, with a tty, a terminal that gets no input). With both, input written before the runtime sets the terminal raw may be echoed twice by runc's extra terminal; Docker refuses a non-terminal stdin with -t. */
  readonly stdin: boolean;
  /** Terminal size with `tty` (default 24 rows × 80 columns). */
  readonly consoleSize?: { readonly rows: number; readonly columns: number };
}

export interface BindMount {
  /** Absolute host path (file or directory); it must exist. */
  readonly source: string;
  /** Absolute path inside the container; created as a stub (empty file or directory) in the root file system when missing, as runc does. */
  readonly destination: string;
  readonly readonly: boolean;
}

export interface EtcFiles {
  readonly hosts: string;
  readonly hostname: string;
  readonly resolvConf: string;
}

/** Numeric credentials and HOME, as `resolveUser` answers them. */
export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  /** Supplementary groups (from /etc/group membership of the user's name), without `gid`. */
  readonly additionalGids: readonly number[];
  /** HOME from passwd; `/` when the user has no entry. */
  readonly home: string;
}

/** How the process ended. */
export interface ExitInfo {
  /** The exit status, Docker style: the process's own, 128+N when killed by signal N (as a shell reports it: a process that exits 137 looks the same), 127/126 when it could not be started, 125 when the runner failed to set the container up (a mount, the cgroup; the message is on stderr). */
  readonly exitCode: number;
  /** Set when the process could not be started (already written to stderr), e.g. `exec: "nosuch": executable file not found in $PATH`. */
  readonly startError?: string;
}

/**
 * Where the process's standard streams go. 'inherit' hands the caller's own
 * file descriptor over (a terminal stays a terminal: with `tty`, the runner
 * puts it in raw mode and follows its window size). A stream is piped.
 */
export interface RunIo {
  readonly stdin?: Readable | 'inherit';
  readonly stdout?: Writable | 'inherit';
  readonly stderr?: Writable | 'inherit';
  /** Forward SIGINT, SIGTERM and SIGHUP received by this Node process to the container's process while it runs. */
  readonly forwardSignals?: boolean;
  /** Called once the container's process exists, before it runs the command. */
  readonly started?: (container: RunningContainer) => void;
}

/** A live container, for signals and the freezer. */
export interface RunningContainer {
  /** Host pid of the container's first process (PID 1 in its namespace); undefined until known. */
  readonly pid: number | undefined;
  /** The cgroup v1 freezer directory that holds every process of the container (see `freezeContainer`). */
  readonly freezerCgroup: string;
  /**
   * Sends `signal` to the container's PID 1. As in Docker, PID 1 ignores a
   * signal it has no handler for (SIGKILL excepted), so SIGTERM to a process
   * without a trap does nothing: stop with SIGKILL after a time-out.
   */
  kill(signal: NodeJS.Signals): void;
  /** `docker stop`: SIGTERM now, SIGKILL after `graceMs` (default 10,000) if the process still runs. */
  stop(graceMs?: number): void;
}

/**
 * One way to run a RunSpec. Invariants both backends keep:
 * - `run` resolves when the process has ended and every mount and process of the
 *   container is gone; it rejects (StrataError) only when nothing was started:
 *   EPRIVILEGE when not root, EINVALID for a bad spec, EUNSUPPORTED when the
 *   backend's tools are missing.
 * - an unknown command resolves with exit 127, a non-executable one with 126,
 *   and the Docker-style line written to stderr; a failed setup (a mount) with
 *   125 and the tool's message;
 * - if this Node process dies (even by SIGKILL), the container's processes die
 *   with it and its mounts go with its mount namespace.
 */
export interface ContainerRunner {
  readonly name: 'builtin' | 'runc';
  run(spec: RunSpec, io: RunIo): Promise<ExitInfo>;
}
