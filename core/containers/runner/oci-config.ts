import { DEFAULT_CAPABILITY_NAMES } from './capabilities.js';
import { cgroupsPathOf } from './freezer.js';
import type { RunSpec } from './run-spec.js';

/** The open-file limit a container gets from either backend (soft = hard), as podman needs on this host. */
export const NOFILE_LIMIT = 1024;

/** Paths Docker hides from a container's /proc and /sys (moby's default masked paths). */
const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];
/** Paths Docker makes read-only in /proc. */
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * The OCI runtime-spec 1.0 `config.json` for `spec`, as Docker writes it for
 * a default container: PID, IPC, UTS and mount namespaces (plus network for
 * `none`; runc brings its loopback up), Docker's capabilities, masked and
 * read-only paths, the standard /proc, /dev, /dev/pts, /dev/shm, /dev/mqueue
 * and read-only /sys mounts, the /etc files from the container directory and
 * the binds (rbind, rprivate, `ro` when asked), RLIMIT_NOFILE 1024:1024, and the
 * container's freezer cgroup. `env` is the complete process environment.
 * runc validates it when it starts (no well-kept npm package ships the
 * runtime-spec JSON schema with a validator; runc rejects an invalid config
 * with a message).
 */
export function ociConfig(spec: RunSpec, env: readonly string[], id: string, etcDir: string): object {
  const caps = DEFAULT_CAPABILITY_NAMES.map((c) => `CAP_${c.toUpperCase()}`);
  const size = spec.consoleSize ?? { rows: 24, columns: 80 };
  const binds = [
    { destination: '/etc/hosts', source: `${etcDir}/hosts`, readonly: false },
    { destination: '/etc/hostname', source: `${etcDir}/hostname`, readonly: false },
    { destination: '/etc/resolv.conf', source: `${etcDir}/resolv.conf`, readonly: false },
    ...spec.mounts,
  ];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: spec.tty,
      ...(spec.tty ? { consoleSize: { height: size.rows, width: size.columns } } : {}),
      user: { uid: spec.user.uid, gid: spec.user.gid, additionalGids: [...spec.user.additionalGids] },
      args: [...spec.args],
      env: [...env],
      cwd: spec.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: NOFILE_LIMIT, soft: NOFILE_LIMIT }],
      noNewPrivileges: false,
    },
    root: { path: spec.rootfs, readonly: false },
    hostname: spec.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      ...binds.map((b) => ({ destination: b.destination, type: 'bind', source: b.source, options: ['rbind', 'rprivate', ...(b.readonly ? ['ro'] : [])] })),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, ...(spec.network === 'none' ? [{ type: 'network' }] : [])],
      cgroupsPath: cgroupsPathOf(id),
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
    },
  };
}
