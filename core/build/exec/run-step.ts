/**
 * A RUN step's process, in the step's mounted writable layer: the runtime's
 * mountpoints placed for the run and taken away after it (runtime-stubs.ts), the
 * stage's Env, USER (resolved against the image's own passwd/group: Docker's
 * messages, EBUILD), WorkingDir; each VOLUME of the config bound to a scratch copy of
 * its content, so that what the command writes there is discarded, as in Docker's
 * classic builder. The process runs through the built-in namespaces runner with the
 * host's network. Returns the exit status; nothing of the run outlives it.
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { resolveInRoot } from '../../containers/runner/root-path.js';
import { NamespaceRunner } from '../../containers/runner/namespace-runner.js';
import type { BindMount, RunSpec } from '../../containers/runner/run-spec.js';
import { placeStubs, removeRecordedStubs, STUBS } from '../../containers/runtime-stubs.js';
import { resolveRunUser } from '../user-spec.js';
import type { BuildConfig } from '../image-config.js';

export interface RunStepInput {
  rootfs: string;
  /** This process's scratch directory of the store (StoreRoot.scratch), where the run's own files go, removed after it. */
  scratchDir: string;
  /** 64 hex: the id shown as `Running in <id12>`; the host name is its first 12 digits. */
  containerId: string;
  argv: readonly string[];
  env: readonly string[];
  config: BuildConfig;
  stdout: Writable;
  stderr: Writable;
}

/** Reads a file of the image (links resolved inside it), undefined when missing. */
export async function readInRoot(rootfs: string, path: string): Promise<string | undefined> {
  const r = await resolveInRoot(rootfs, path);
  return r.exists ? readFile(r.host, 'utf8').catch(() => undefined) : undefined;
}

export async function runStep(input: RunStepInput): Promise<number> {
  const { rootfs, config } = input;
  const resolved = resolveRunUser(config.User ?? '', await readInRoot(rootfs, '/etc/passwd'), await readInRoot(rootfs, '/etc/group'));
  // Docker's builder gives the process its primary group as a supplementary group too.
  const user = { ...resolved, additionalGids: [resolved.gid, ...resolved.additionalGids] };
  const containerDir = await mkdtemp(join(input.scratchDir, 'build-run-'));
  const stubs = join(containerDir, STUBS);
  await placeStubs(rootfs, stubs);
  try {
    const mounts: BindMount[] = [];
    for (const volume of Object.keys(config.Volumes ?? {}).sort()) {
      const scratch = join(containerDir, 'volumes', String(mounts.length));
      await mkdir(scratch, { recursive: true });
      const inImage = await resolveInRoot(rootfs, volume);
      if (inImage.exists) await cp(inImage.host, scratch, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: true }).catch(() => undefined);
      mounts.push({ source: scratch, destination: volume, readonly: false });
    }
    const hostname = input.containerId.slice(0, 12);
    const spec: RunSpec = {
      rootfs,
      containerDir,
      args: input.argv,
      env: input.env,
      cwd: config.WorkingDir || '/',
      user,
      hostname,
      network: 'host',
      mounts,
      etc: {
        hosts: await readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n'),
        hostname: `${hostname}\n`,
        resolvConf: await readFile('/etc/resolv.conf', 'utf8').catch(() => ''),
      },
      tty: false,
      stdin: false,
    };
    const exit = await new NamespaceRunner().run(spec, { stdout: input.stdout, stderr: input.stderr });
    return exit.exitCode;
  } finally {
    await removeRecordedStubs(rootfs, stubs).catch(() => undefined);
    await rm(containerDir, { recursive: true, force: true }).catch(() => undefined);
  }
}
