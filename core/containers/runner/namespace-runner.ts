import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NSRUN_PATH } from '../../sys/index.js';
import { containerCgroup, removeContainerCgroup } from './freezer.js';
import { prepareRootfs } from './mountpoints.js';
import { forgetRun, recordRun } from './reap.js';
import { namespaceSpec } from './namespace-spec.js';
import { isExecFailure, prepareRun, terminalSize } from './prepare-run.js';
import type { ContainerRunner, ExitInfo, RunIo, RunSpec } from './run-spec.js';
import { stdioFor, supervise } from './supervise.js';

/**
 * The built-in runner: Linux namespaces through strata's own small process,
 * strata-nsrun (native/strata_nsrun.c, built by `npm install`), no runtime and
 * no host tools. The process gets new mount, PID, UTS and IPC namespaces (and a
 * network namespace with `none`), the root file system as its root by
 * pivot_root (the host's root detached, so no chroot escape), Docker's default
 * capability bounding set, and its own /dev, /proc, read-only /sys. Unlike
 * runc it neither masks /proc paths nor applies seccomp: use runc where the
 * container is not trusted.
 *
 * Signals: SIGINT, SIGTERM, SIGHUP go to the container's PID 1, which ignores
 * any it has no handler for (Docker's behaviour too); SIGKILL always works.
 * With a tty, SIGWINCH reaches strata-nsrun, which resizes the terminal.
 */
export class NamespaceRunner implements ContainerRunner {
  readonly name = 'builtin' as const;

  async run(spec: RunSpec, io: RunIo): Promise<ExitInfo> {
    const prepared = await prepareRun(spec, io, [[NSRUN_PATH, 'build it with npm install (it needs a C compiler)']]);
    if (isExecFailure(prepared)) return { exitCode: prepared.exitCode, startError: prepared.message };
    const mounts = await prepareRootfs(spec);
    const cgroup = await containerCgroup(prepared.id);
    await recordRun(spec.containerDir, { backend: 'builtin', id: prepared.id, cgroup });
    try {
      const specFile = join(spec.containerDir, 'nsrun.spec');
      await writeFile(specFile, namespaceSpec({ spec, prepared: mounts, env: prepared.env, cgroup, size: terminalSize(spec, io) }), { mode: 0o600 });
      const child = spawn(NSRUN_PATH, [specFile], {
        stdio: stdioFor(spec, io),
        detached: true, // a session of its own: the caller's terminal signals only strata, which forwards them to PID 1 (Docker's sig-proxy)
        env: {},
      });
      const resize = () => child.kill('SIGWINCH');
      if (spec.tty && io.forwardSignals) process.on('SIGWINCH', resize);
      try {
        return { exitCode: await supervise(child, spec, io, cgroup) };
      } finally {
        process.off('SIGWINCH', resize);
      }
    } finally {
      if (await removeContainerCgroup(cgroup)) await forgetRun(spec.containerDir);
    }
  }
}
