// `run /bin/true` on a busybox root file system through both strata runners,
// next to `podman run --rm` of the same file system imported as an image.
// Not part of the main plan (the lead wires it): run it alone with
//   npx tsc -p tsconfig.json && node dist/benchmarks/container-run.js [repeats]
// Needs root, runc, podman 4.3; prints one JSON object with medians in ms.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NamespaceRunner, RuncRunner, resolveUser } from '../core/containers/runner/index.js';
import type { ContainerRunner, RunSpec } from '../core/containers/runner/index.js';
import { makeBusyboxRootfs } from '../test/helpers/busybox-rootfs.js';
import { run, versionOf } from './exec.js';
import { sampleMs, summarize } from './stats.js';
import type { Summary } from './stats.js';

/** podman on this host: cgroupfs, file events, runc, and limits it can set (see NOTES). */
const CONTAINERS_CONF = '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n';
const PODMAN_LIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

async function specFor(dir: string, rootfs: string, i: number): Promise<RunSpec> {
  const containerDir = await mkdtemp(join(dir, `c${i}-`));
  return {
    rootfs, containerDir, args: ['/bin/true'], env: [], cwd: '/', user: await resolveUser(rootfs, ''),
    hostname: 'bench', network: 'none', mounts: [],
    etc: { hosts: '127.0.0.1\tlocalhost\n', hostname: 'bench\n', resolvConf: 'nameserver 127.0.0.1\n' },
    tty: false, stdin: false,
  };
}

/** One `run` in this process (what the CLI adds is its own start-up). */
async function inProcess(runner: ContainerRunner, dir: string, rootfs: string, repeats: number): Promise<Summary> {
  let i = 0;
  return summarize(await sampleMs(repeats, async () => {
    const exit = await runner.run(await specFor(dir, rootfs, i++), {});
    if (exit.exitCode !== 0) throw new Error(`${runner.name}: /bin/true exited ${exit.exitCode}`);
  }, 2));
}

/** One fresh Node process per run, importing the runner: a floor for `strata run` from a shell. */
async function freshProcess(runner: ContainerRunner, dir: string, rootfs: string, repeats: number): Promise<Summary> {
  const child = fileURLToPath(new URL('../test/runner/fixtures/run-child.js', import.meta.url));
  let i = 0;
  return summarize(await sampleMs(repeats, async () => {
    await run(process.execPath, [child, runner.name, JSON.stringify(await specFor(dir, rootfs, i++))]);
  }, 2));
}

async function podman(dir: string, rootfs: string, repeats: number): Promise<Summary | string> {
  const version = await versionOf('podman');
  if (version === undefined) return 'podman is not installed';
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, CONTAINERS_CONF);
  process.env.CONTAINERS_CONF = conf;
  const base = ['--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--storage-driver', 'overlay'];
  try {
    await run('sh', ['-c', 'tar -C "$0" -c . | podman "$@" import - localhost/busybox-bench', rootfs, ...base]);
    return summarize(await sampleMs(repeats, () => run('podman', [...base, 'run', '--rm', '--network', 'none', ...PODMAN_LIMITS, 'localhost/busybox-bench', '/bin/true']), 2));
  } catch (err) {
    return `podman failed: ${(err as Error).message}`;
  } finally {
    await run('podman', [...base, 'system', 'reset', '--force']).catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 15);
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-run-'));
  try {
    const rootfs = await makeBusyboxRootfs(dir);
    const results: Record<string, Summary | string> = {};
    for (const runner of [new NamespaceRunner(), new RuncRunner()]) {
      results[`${runner.name} in-process`] = await inProcess(runner, dir, rootfs, repeats);
      results[`${runner.name} fresh node process`] = await freshProcess(runner, dir, rootfs, repeats);
    }
    results['podman run --rm'] = await podman(dir, rootfs, repeats);
    process.stdout.write(JSON.stringify({ benchmark: 'container-run /bin/true (ms)', repeats, results }, null, 2) + '\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
