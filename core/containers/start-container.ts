import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, StrataError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { ContainerRecord } from '../store/container-rows.js';
import { NamespaceRunner } from './runner/namespace-runner.js';
import { RuncRunner } from './runner/runc-runner.js';
import type { ExitInfo, RunIo, RunSpec } from './runner/run-spec.js';
import { resolveUser } from './runner/user.js';
import { argvOf, type RunConfig } from './run-config.js';
import { placeStubs, removeRecordedStubs, STUBS } from './runtime-stubs.js';

/** /etc/hosts of a container: the host's with host networking, else localhost and its own name. */
async function etcFiles(config: RunConfig): Promise<RunSpec['etc']> {
  const hostResolv = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const own = `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n`;
  const hosts = config.Network === 'host' ? await readFile('/etc/hosts', 'utf8').catch(() => own) : `${own}127.0.1.1\t${config.Hostname}\n`;
  return { hosts, hostname: `${config.Hostname}\n`, resolvConf: config.Network === 'host' ? hostResolv : '' };
}

/**
 * Runs a created or exited container to its end in this process: its layer is
 * mounted through the store's driver, the process runs through its runtime
 * (the built-in namespaces runner, or runc), its state is recorded (running,
 * then exited with its status), and the mount is dropped. With AutoRemove
 * (`run --rm`) the container is removed afterwards. If this process is killed,
 * the container's processes die with it and the next store open records it as
 * exited. Fails with ECONFLICT (it is running), ESTART (an unknown user, status 125:
 * Docker's message; the container stays as it was, or is removed with
 * AutoRemove), EPRIVILEGE (not root).
 */
export async function startContainer(store: Store, c: ContainerRecord, io: RunIo): Promise<ExitInfo> {
  const { containers, layers, root } = store;
  if (containers.isRunning(c)) throw new StrataError(ErrorCode.ECONFLICT, `container ${c.id.slice(0, 12)} is running already`);
  if (process.getuid?.() !== 0) throw new StrataError(ErrorCode.EPRIVILEGE, 'running a container needs root (the built-in runner and runc use mount and PID namespaces; rootless is not supported)');
  // The user resolves against the container's own passwd before it counts as started (Docker's container stays Created).
  const { rootfs, user } = await root.lock.run('start', async () => {
    // A --rm container's layer is thrown away after the run: no sync for it (kernel overlay's volatile), as podman does.
    const path = await layers.mountLocked(c.layer, c.config.AutoRemove ? { volatile: true } : undefined);
    try {
      const resolved = await resolveUser(path, c.config.User);
      containers.markRunning(c.id);
      return { rootfs: path, user: resolved };
    } catch (err) {
      await layers.unmountLocked(c.layer);
      throw err;
    }
  }).catch(async (err: unknown) => {
    if (c.config.AutoRemove) await containers.remove(c.id, true);
    throw err;
  });
  let exit: ExitInfo = { exitCode: 125 };
  const containerDir = containers.dirOf(c.id);
  const stubs = join(containerDir, STUBS);
  try {
    await mkdir(containerDir, { recursive: true, mode: 0o700 });
    await removeRecordedStubs(rootfs, stubs);
    await placeStubs(rootfs, stubs);
    const spec: RunSpec = {
      rootfs,
      containerDir,
      args: argvOf(c.config),
      env: c.config.Env,
      cwd: c.config.WorkingDir,
      user,
      hostname: c.config.Hostname,
      network: c.config.Network,
      mounts: c.config.Binds,
      etc: await etcFiles(c.config),
      tty: c.config.Tty,
      stdin: c.config.OpenStdin,
    };
    const runner = c.config.Runtime === 'runc' ? new RuncRunner() : new NamespaceRunner();
    exit = await runner.run(spec, io);
    return exit;
  } finally {
    await removeRecordedStubs(rootfs, stubs).catch(() => undefined);
    await root.lock.run('stop', async () => {
      containers.markExited(c.id, exit.exitCode, c.config.AutoRemove);
      await layers.unmountLocked(c.layer);
    });
    if (c.config.AutoRemove) await containers.remove(c.id, true);
  }
}
