import { execFile, spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { containerCgroup, removeContainerCgroup } from './freezer.js';
import { prepareRootfs } from './mountpoints.js';
import { forgetRun, recordRun } from './reap.js';
import { ociConfig } from './oci-config.js';
import { debianTool, isExecFailure, prepareRun, terminalSize, writeLine } from './prepare-run.js';
import type { ContainerRunner, ExitInfo, RunIo, RunSpec } from './run-spec.js';
import { shWords } from './shell-quote.js';
import { stdioFor, supervise } from './supervise.js';

const run = promisify(execFile);
/** The runtime binary (Debian's runc package; runc 1.1 works on this host's hybrid cgroups, crun does not). */
export const RUNC = '/usr/sbin/runc';

/**
 * The OCI backend: writes a runtime-spec bundle (`containerDir/bundle/config.json`,
 * see `ociConfig`) and runs it in the foreground with `runc run`, its state under
 * `containerDir/runc`. runc itself copies the terminal with `tty` and forwards
 * the signals it receives; it takes its terminal from `script` (util-linux) with
 * `tty`, since it copies only to and from its own controlling terminal. strata sends them straight to the container's PID 1,
 * with the same PID 1 rules as the built-in runner. runc runs as PID 1 of a
 * PID namespace of its own that dies with strata (setpriv --pdeathsig, unshare
 * --kill-child), so strata's death takes the container's processes with it;
 * what runc leaves then (its state, empty cgroups) is removed by `runc delete
 * -f`, which every run ends with and `reapContainer` repeats.
 */
export class RuncRunner implements ContainerRunner {
  readonly name = 'runc' as const;

  async run(spec: RunSpec, io: RunIo): Promise<ExitInfo> {
    const tools = [debianTool(RUNC, 'runc'), debianTool('/usr/bin/setpriv', 'util-linux'), debianTool('/usr/bin/unshare', 'util-linux')];
    const prepared = await prepareRun(spec, io, spec.tty ? [...tools, debianTool('/usr/bin/script', 'bsdutils'), debianTool('/usr/bin/stty', 'coreutils')] : tools);
    if (isExecFailure(prepared)) return { exitCode: prepared.exitCode, startError: prepared.message };
    await prepareRootfs(spec);
    const bundle = join(spec.containerDir, 'bundle');
    const state = join(spec.containerDir, 'runc');
    await mkdir(bundle, { recursive: true });
    await mkdir(state, { recursive: true });
    await writeFile(join(bundle, 'config.json'), JSON.stringify(ociConfig({ ...spec, consoleSize: terminalSize(spec, io) }, prepared.env, prepared.id, join(spec.containerDir, 'etc')), null, 2));
    const cgroup = await containerCgroup(prepared.id);
    await recordRun(spec.containerDir, { backend: 'runc', id: prepared.id, cgroup });
    try {
      const log = join(spec.containerDir, 'runc.log');
      await rm(log, { force: true });
      const runc = [RUNC, '--root', state, '--log', log, '--log-format', 'json', 'run', '--bundle', bundle, prepared.id];
      const size = terminalSize(spec, io);
      // runc copies a terminal only to and from its own controlling terminal: give it one.
      const command = spec.tty ? ['/usr/bin/script', '-qfec', `stty rows ${size.rows} cols ${size.columns} raw -echo; exec ${shWords(runc)}`, '/dev/null'] : runc;
      const child = spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', '/usr/bin/unshare', '--pid', '--fork', '--kill-child', '--mount-proc', '--', ...command], {
        stdio: stdioFor(spec, io),
        detached: true, // a session of its own: the caller's terminal signals only strata, which forwards them to PID 1 (Docker's sig-proxy)
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', SHELL: '/bin/sh' },
      });
      const exitCode = await supervise(child, spec, io, cgroup);
      const failure = exitCode === 0 ? undefined : await runcFailure(log);
      if (failure === undefined) return { exitCode };
      writeLine(io.stderr, `strata: ${failure.message}`);
      return { exitCode: failure.exitCode, startError: failure.message };
    } finally {
      await run(RUNC, ['--root', state, 'delete', '--force', prepared.id]).catch(() => undefined);
      if (await removeContainerCgroup(cgroup)) await forgetRun(spec.containerDir);
      await rm(bundle, { recursive: true, force: true });
    }
  }
}

/**
 * What runc's JSON log says went wrong when runc itself failed (as opposed to
 * the container's process exiting non-zero): its last error line, with
 * Docker's status — 127 for a missing executable, 126 for one that cannot be
 * executed, 125 for anything else (a mount, the cgroup, the config).
 */
async function runcFailure(log: string): Promise<{ exitCode: number; message: string } | undefined> {
  const text = await readFile(log, 'utf8').catch(() => '');
  let message: string | undefined;
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string };
      if (entry.level === 'error' && typeof entry.msg === 'string') message = entry.msg;
    } catch {
      // Not a JSON line: runc's log holds only JSON lines; skip anything else.
    }
  }
  if (message === undefined) return undefined;
  const exec = /exec: ".*": (executable file not found in \$PATH|stat .*: no such file or directory|permission denied|is a directory)/.exec(message);
  if (exec === null) return { exitCode: 125, message };
  return { exitCode: exec[1] === 'permission denied' || exec[1] === 'is a directory' ? 126 : 127, message: exec[0] };
}
