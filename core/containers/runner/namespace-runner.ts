import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError } from '../../errors.js';
import { makeDevTemplate } from './dev-template.js';
import { containerCgroup, removeContainerCgroup } from './freezer.js';
import { prepareRootfs } from './mountpoints.js';
import { forgetRun, recordRun } from './reap.js';
import { namespaceScript } from './namespace-script.js';
import { isExecFailure, prepareRun, terminalSize } from './prepare-run.js';
import type { ContainerRunner, ExitInfo, RunIo, RunSpec } from './run-spec.js';
import { stdioFor, supervise } from './supervise.js';

/** Host tools the built-in runner needs, with their Debian packages; a missing one fails with EUNSUPPORTED. */
const TOOLS: [string, string][] = [
  ['/usr/bin/setpriv', 'util-linux'],
  ['/usr/bin/unshare', 'util-linux'],
  ['/usr/bin/env', 'coreutils'],
  ['/usr/bin/cp', 'coreutils'],
];
const TTY_TOOLS: [string, string][] = [['/usr/bin/script', 'bsdutils'], ['/usr/bin/stty', 'coreutils']];
/** Brings the loopback up in a new network namespace. */
const NET_TOOLS: [string, string][] = [['/bin/ip', 'iproute2']];

/**
 * The built-in runner: Linux namespaces through util-linux (setpriv, unshare,
 * script), no runtime. One `run` costs a few tens of ms. The process gets new
 * mount, PID, UTS and IPC namespaces (and a network namespace with `none`),
 * Docker's default capability bounding set, and is chrooted (unshare --root)
 * into the root file system. Unlike runc it neither pivots the root nor masks
 * /proc paths nor applies seccomp: a root process in the container that keeps
 * CAP_SYS_CHROOT can leave the chroot for this mount namespace's view of the
 * host. Use runc where the container is not trusted.
 *
 * Signals: SIGINT, SIGTERM, SIGHUP go to the container's PID 1, which ignores
 * any it has no handler for (Docker's behaviour too); SIGKILL always works.
 */
export class NamespaceRunner implements ContainerRunner {
  readonly name = 'builtin' as const;

  async run(spec: RunSpec, io: RunIo): Promise<ExitInfo> {
    refuseLoaderVariables(spec.env);
    const prepared = await prepareRun(spec, io, [...TOOLS, ...(spec.tty ? TTY_TOOLS : []), ...(spec.network === 'none' ? NET_TOOLS : [])]);
    if (isExecFailure(prepared)) return { exitCode: prepared.exitCode, startError: prepared.message };
    const mounts = await prepareRootfs(spec);
    const cgroup = await containerCgroup(prepared.id);
    await recordRun(spec.containerDir, { backend: 'builtin', id: prepared.id, cgroup });
    try {
      const devTemplate = await makeDevTemplate(spec.containerDir);
      const fstabFile = join(spec.containerDir, 'fstab');
      const { script, fstab } = namespaceScript({ spec, prepared: mounts, env: prepared.env, cgroup, devTemplate, fstabFile, size: terminalSize(spec, io) });
      await writeFile(fstabFile, fstab);
      const namespaces = ['--mount', '--uts', '--ipc', ...(spec.network === 'none' ? ['--net'] : [])];
      const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', '/usr/bin/unshare', ...namespaces, '--fork', '--kill-child', '--', '/bin/sh', '-c', script], {
        stdio: stdioFor(spec, io),
        detached: true, // a session of its own: the caller's terminal signals only strata, which forwards them to PID 1 (Docker's sig-proxy)
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SHELL: '/bin/sh' },
      });
      return { exitCode: await supervise(child, spec, io, cgroup) };
    } finally {
      if (await removeContainerCgroup(cgroup)) await forgetRun(spec.containerDir);
    }
  }
}

/**
 * The built-in runner hands the container's environment to host tools
 * (setpriv, unshare) that run before the chroot: the dynamic loader's variables
 * would make them load libraries from host paths an image names (a layer's
 * directory, say) as root. Fails with EUNSUPPORTED naming the variable; the
 * runc backend passes them safely.
 */
function refuseLoaderVariables(env: readonly string[]): void {
  const name = env.map((e) => e.slice(0, e.indexOf('='))).find((n) => n.startsWith('LD_') || n === 'GLIBC_TUNABLES');
  if (name !== undefined) {
    throw new StrataError(ErrorCode.EUNSUPPORTED, `the built-in runner cannot pass ${name} to a container (host tools would load it before the chroot); use the runc runtime`);
  }
}
