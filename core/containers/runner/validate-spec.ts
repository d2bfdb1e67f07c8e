import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { ErrorCode, StrataError } from '../../errors.js';
import type { RunSpec } from './run-spec.js';

/** Linux's HOST_NAME_MAX. */
const HOSTNAME_MAX = 64;

/**
 * Checks a RunSpec at the edge, before anything is created: fails with EINVALID
 * naming the field and the value (an empty args, `-e` without `=`, a relative
 * `-w`, a missing bind source, a bad host name), and with EPRIVILEGE when this
 * process is not root (the runners need root; rootless is not supported).
 */
export async function validateRunSpec(spec: RunSpec): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new StrataError(ErrorCode.EPRIVILEGE, 'running a container needs root (rootless containers are not supported)');
  }
  const bad = (what: string) => new StrataError(ErrorCode.EINVALID, what);
  if (!isAbsolute(spec.rootfs) || !(await isDirectory(spec.rootfs))) throw bad(`root file system ${JSON.stringify(spec.rootfs)} is not an absolute path to a directory`);
  if (!isAbsolute(spec.containerDir) || !(await isDirectory(spec.containerDir))) throw bad(`container directory ${JSON.stringify(spec.containerDir)} is not an absolute path to a directory`);
  if (spec.args.length === 0) throw bad('no command given: the image has no Cmd or Entrypoint and none was given');
  for (const arg of spec.args) if (arg.includes('\0')) throw bad(`argument ${JSON.stringify(arg)} contains a NUL byte`);
  for (const entry of spec.env) {
    if (entry.indexOf('=') <= 0 || entry.includes('\0')) throw bad(`environment entry ${JSON.stringify(entry)} is not NAME=VALUE`);
  }
  if (!spec.cwd.startsWith('/')) throw bad(`working directory ${JSON.stringify(spec.cwd)} is not absolute`);
  if (spec.hostname === '' || spec.hostname.length > HOSTNAME_MAX || !/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(spec.hostname)) {
    throw bad(`host name ${JSON.stringify(spec.hostname)} is not valid (letters, digits, '.', '-'; at most ${HOSTNAME_MAX})`);
  }
  if (spec.network !== 'host' && spec.network !== 'none') throw bad(`network ${JSON.stringify(spec.network)} is not supported (host or none)`);
  for (const id of [spec.user.uid, spec.user.gid, ...spec.user.additionalGids]) {
    if (!Number.isInteger(id) || id < 0 || id > 2 ** 32 - 2) throw bad(`user or group id ${id} is out of range`);
  }
  for (const mount of spec.mounts) {
    if (!isAbsolute(mount.source)) throw bad(`bind mount source ${JSON.stringify(mount.source)} is not absolute`);
    if (!mount.destination.startsWith('/') || mount.destination.split('/').includes('..')) throw bad(`bind mount destination ${JSON.stringify(mount.destination)} is not an absolute path without '..'`);
    if (mount.destination.replace(/\/+$/, '') === '') throw bad('a bind mount cannot replace the container\'s root');
    await stat(mount.source).catch(() => {
      throw bad(`bind mount source ${JSON.stringify(mount.source)} does not exist`);
    });
  }
  if (spec.consoleSize !== undefined) {
    const { rows, columns } = spec.consoleSize;
    if (![rows, columns].every((n) => Number.isInteger(n) && n > 0 && n < 65536)) throw bad(`console size ${rows}x${columns} is not valid`);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
