import { ErrorCode, StrataError } from '../../errors.js';
import { DEFAULT_CAPABILITIES } from './capabilities.js';
import type { PreparedRootfs } from './mountpoints.js';
import { NOFILE_LIMIT } from './oci-config.js';
import type { RunSpec } from './run-spec.js';

/** The character devices of a container's /dev: name, major, minor (all mode 0666, as Docker's). */
const DEVICES: readonly [string, number, number][] = [
  ['null', 1, 3], ['zero', 1, 5], ['full', 1, 7], ['random', 1, 8], ['urandom', 1, 9], ['tty', 5, 0],
];
/** The symlinks of a container's /dev (runc's set). */
const LINKS: readonly [string, string][] = [
  ['ptmx', 'pts/ptmx'], ['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2'],
];

export interface NamespaceSpecInput {
  readonly spec: RunSpec;
  readonly prepared: PreparedRootfs;
  /** The process environment, complete (see `containerEnv`). */
  readonly env: readonly string[];
  /** The freezer cgroup directory the container's PID 1 joins before it runs anything. */
  readonly cgroup: string;
  /** The terminal's size with `tty` (see `terminalSize`). */
  readonly size: { readonly rows: number; readonly columns: number };
}

/**
 * The spec strata-nsrun (core/containers/runner/native/strata_nsrun.c) reads:
 * its records as words, each written NUL-terminated. Host paths are already
 * resolved inside the root file system (see prepareRootfs). The mounts, in
 * order: a tmpfs /dev (then its devices and links), a new devpts instance,
 * /dev/shm, read-only sysfs, the /etc files and the binds. Fails with EINVAL
 * for a word holding a NUL, which no path, variable or argument can pass.
 */
export function namespaceSpec({ spec, prepared, env, cgroup, size }: NamespaceSpecInput): Buffer {
  const dev = prepared.dev;
  const words: string[] = ['rootfs', spec.rootfs, 'hostname', spec.hostname, 'cgroup', cgroup, 'nofile', String(NOFILE_LIMIT), 'proc', prepared.proc, 'cwd', spec.cwd];
  if (spec.network === 'none') words.push('net-none');
  const { uid, gid, additionalGids } = spec.user;
  words.push('uid', String(uid), 'gid', String(gid));
  for (const group of additionalGids) words.push('group', String(group));
  for (const cap of Object.values(DEFAULT_CAPABILITIES)) words.push('cap', String(cap));
  const mount = (source: string, target: string, type: string, options: string, data = '') => words.push('mount', source, target, type, options, data);
  mount('tmpfs', dev, 'tmpfs', 'nosuid,strictatime', 'mode=755,size=65536k');
  mount('devpts', `${dev}/pts`, 'devpts', 'nosuid,noexec,mkdir', 'newinstance,ptmxmode=0666,mode=0620');
  mount('shm', `${dev}/shm`, 'tmpfs', 'nosuid,nodev,noexec,mkdir', 'mode=1777,size=65536k');
  mount('sysfs', prepared.sys, 'sysfs', 'ro,nosuid,nodev,noexec');
  for (const b of prepared.binds) mount(b.source, b.target, 'none', b.readonly ? 'rbind,ro' : 'rbind');
  for (const [name, major, minor] of DEVICES) words.push('device', `${dev}/${name}`, String(major), String(minor));
  for (const [name, target] of LINKS) words.push('link', `${dev}/${name}`, target);
  if (spec.tty) words.push('tty', `${dev}/pts`, String(size.rows), String(size.columns));
  for (const variable of env) words.push('env', variable);
  for (const arg of spec.args) words.push('arg', arg);
  const bad = words.find((w) => w.includes('\0'));
  if (bad !== undefined) throw new StrataError(ErrorCode.EINVALID, `a container's path, variable or argument cannot hold a NUL byte: ${JSON.stringify(bad)}`);
  return Buffer.from(words.map((w) => `${w}\0`).join(''), 'utf8');
}
