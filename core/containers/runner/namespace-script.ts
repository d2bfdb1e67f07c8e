import { DEFAULT_CAPABILITIES } from './capabilities.js';
import { NOFILE_LIMIT } from './oci-config.js';
import { fstab } from './fstab.js';
import type { FstabEntry } from './fstab.js';
import type { PreparedRootfs } from './mountpoints.js';
import type { RunSpec } from './run-spec.js';
import { shQuote, shWords } from './shell-quote.js';


/** Exit status when the runner itself fails to set the container up (a mount, the cgroup), Docker's 125. */
export const SETUP_FAILED = 125;

export interface NamespaceScriptInput {
  readonly spec: RunSpec;
  readonly prepared: PreparedRootfs;
  /** The process environment, complete (see `containerEnv`). */
  readonly env: readonly string[];
  /** The freezer cgroup directory the container's PID 1 joins before it runs anything. */
  readonly cgroup: string;
  /** The /dev template (see `makeDevTemplate`), copied into the container's /dev tmpfs. */
  readonly devTemplate: string;
  /** Where the caller writes the answer's `fstab` before the script runs (a file in the container directory). */
  readonly fstabFile: string;
  /** The terminal's size with `tty` (see `terminalSize`). */
  readonly size: { readonly rows: number; readonly columns: number };
}

/**
 * The shell script the built-in runner runs as the first process of new
 * mount, UTS, IPC (and, for network none, network) namespaces. Its stages:
 *
 * 1. a watchdog (fd 3 is strata's pipe): when strata goes away, even by
 *    SIGKILL, it thaws the cgroup and kills the container's PID 1, so the PID
 *    namespace and everything in it dies;
 * 2. the mounts, in this mount namespace only and by one `mount -a`: tmpfs
 *    /dev (devices and links then copied in from a template), devpts (new instance), /dev/shm, read-only sysfs, the /etc files
 *    and the binds (targets already resolved inside the root file system);
 * 3. with a tty, `script` (util-linux) opens a pseudo-terminal from the
 *    container's devpts instance (bound over /dev/pts and /dev/ptmx for that);
 * 4. a waiter in the host PID namespace forks PID 1 of a new PID namespace and
 *    exits with its status (a shell reports 128+N for a signal; unshare --fork
 *    2.38 loses it, hence the shell);
 * 5. PID 1 joins the freezer cgroup, sets RLIMIT_NOFILE as runc's config does, mounts /proc, clears the environment,
 *    sets gid, groups and Docker's capability bounding set (setpriv), then
 *    chroots, changes directory, sets the uid (unshare --root --wd --setuid)
 *    and execs the command — which stays PID 1, as in Docker.
 *
 * A failed setup step exits 125 (SETUP_FAILED) with the tool's message on
 * stderr; once the last tools run (setpriv, unshare --root), their own failures
 * exit 1 with a message, like the command's. Every value reaches the shell
 * single-quoted.
 */
export function namespaceScript({ spec, prepared, env, cgroup, devTemplate, fstabFile, size }: NamespaceScriptInput): { script: string; fstab: string } {
  const dev = prepared.dev;
  const lines: string[] = [];
  const watchdog = [
    "trap '' INT TERM HUP QUIT",
    'read -r _ <&3 || :',
    'echo THAWED > "$1/freezer.state" 2>/dev/null || :',
    'for p in $(cat "$1/cgroup.procs"); do grep -qE "^NSpid:[[:space:]]+[0-9]+([[:space:]]+[0-9]+)*[[:space:]]+1\\$" /proc/$p/status 2>/dev/null && kill -9 $p; done',
  ].join('; ');
  // Double fork: the watchdog is no child of this shell (script, exec'd below, would wait for it).
  lines.push(`(/bin/sh -c ${shQuote(watchdog)} watchdog ${shQuote(cgroup)} </dev/null >/dev/null 2>&1 &)`, 'exec 3<&-');
  const setup: string[] = [];
  if (spec.network === 'none') setup.push('/bin/ip link set lo up');
  setup.push(`printf %s ${shQuote(spec.hostname)} > /proc/sys/kernel/hostname`);
  const mounts: FstabEntry[] = [
    { source: 'tmpfs', target: dev, type: 'tmpfs', options: 'nosuid,strictatime,mode=755,size=65536k' },
    { source: 'devpts', target: `${dev}/pts`, type: 'devpts', options: 'newinstance,ptmxmode=0666,mode=0620,nosuid,noexec,X-mount.mkdir' },
    { source: 'shm', target: `${dev}/shm`, type: 'tmpfs', options: 'nosuid,nodev,noexec,mode=1777,size=65536k,X-mount.mkdir' },
    { source: 'sysfs', target: prepared.sys, type: 'sysfs', options: 'ro,nosuid,nodev,noexec' },
    ...prepared.binds.map((b) => ({ source: b.source, target: b.target, type: 'none', options: b.readonly ? 'rbind,ro' : 'rbind' })),
    // With a tty, `script` must open its terminal from the container's devpts instance.
    ...(spec.tty
      ? [{ source: `${dev}/pts`, target: '/dev/pts', type: 'none', options: 'bind' }, { source: `${dev}/pts/ptmx`, target: '/dev/ptmx', type: 'none', options: 'bind' }]
      : []),
  ];
  // All mounts in one process (a `mount` per mount costs a process start each).
  setup.push(`mount -a --fstab ${shQuote(fstabFile)}`);
  setup.push(`cp -a ${shQuote(`${devTemplate}/.`)} ${shQuote(`${dev}/`)}`);
  lines.push(...setup.map((command) => `${command} || exit ${SETUP_FAILED}`));
  const waiter = `exec unshare --pid -- /bin/sh -c ${shQuote(waiterScript(spec, prepared, env, cgroup))}`;
  if (spec.tty) {
    lines.push(`exec script -qfec ${shQuote(`stty rows ${size.rows} cols ${size.columns}; ${waiter}`)} /dev/null`);
  } else {
    lines.push(waiter);
  }
  return { script: lines.join('\n') + '\n', fstab: fstab(mounts) };
}

/** Stage 4 and 5: fork PID 1 with the caller's stdin (a background job would get /dev/null), wait, exit with its status. */
function waiterScript(spec: RunSpec, prepared: PreparedRootfs, env: readonly string[], cgroup: string): string {
  const { uid, gid, additionalGids } = spec.user;
  const groups = additionalGids.length > 0 ? `--groups ${additionalGids.join(',')}` : '--clear-groups';
  const caps = `-all,${DEFAULT_CAPABILITIES.map((c) => `+${c}`).join(',')}`;
  const enter = [`--root=${spec.rootfs}`, `--wd=${spec.cwd}`, ...(uid === 0 ? [] : [`--setuid=${uid}`])];
  const pid1 = [
    `echo 0 > ${shQuote(`${cgroup}/cgroup.procs`)}`,
    `ulimit -n ${NOFILE_LIMIT}`,
    `mount -t proc -o nosuid,nodev,noexec proc ${shQuote(prepared.proc)}`,
    `exec /usr/bin/env -i -- ${shWords(env)} /usr/bin/setpriv --regid ${gid} ${groups} --bounding-set ${caps} -- /usr/bin/unshare ${shWords(enter)} -- ${shWords(spec.args)}`,
  ];
  const steps = pid1.slice(0, -1).map((command) => `{ ${command} || exit ${SETUP_FAILED}; }`).join(' && ');
  return [
    'exec 4<&0',
    `/bin/sh -c ${shQuote(`${steps} && ${pid1[pid1.length - 1]}`)} <&4 4<&- &`,
    'pid=$!',
    'exec 4<&-',
    "trap '' INT TERM HUP QUIT",
    'wait $pid',
  ].join('\n');
}
