// `run /bin/true` on a busybox root file system: `strata run --rm IMAGE
// /bin/true` through the CLI on every driver (built-in runtime; runc on
// overlay), both strata runners alone (in this process, and from a fresh Node
// process), next to `podman run --rm` of the same tar imported as an image.
// Not part of the main plan (the lead wires it): run it alone with
//   npx tsc -p tsconfig.json && node dist/benchmarks/container-run.js [repeats]
// STRATA_DRIVERS=vfs,overlay narrows the drivers. Needs root, runc, podman 4.3;
// prints one JSON object with medians in ms and, per driver, strata's median
// over podman's (the target: at most 0.5).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NamespaceRunner, RuncRunner, resolveUser } from '../core/containers/runner/index.js';
import type { ContainerRunner, RunSpec } from '../core/containers/runner/index.js';
import { makeBusyboxRootfs } from '../test/helpers/busybox-rootfs.js';
import { run, versionOf } from './exec.js';
import { nowMs, summarize } from './stats.js';
import type { Summary } from './stats.js';
import { bundledEntry } from '../cli/bundled.js';

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

type Case = () => Promise<unknown>;

/** One `run` in this process (what the CLI adds is its own start-up). */
function inProcess(runner: ContainerRunner, dir: string, rootfs: string): Case {
  let i = 0;
  return async () => {
    const exit = await runner.run(await specFor(dir, rootfs, i++), {});
    if (exit.exitCode !== 0) throw new Error(`${runner.name}: /bin/true exited ${exit.exitCode}`);
  };
}

/** One fresh Node process per run, importing the runner: a floor for `strata run` from a shell. */
function freshProcess(runner: ContainerRunner, dir: string, rootfs: string): Case {
  const child = fileURLToPath(new URL('../test/runner/fixtures/run-child.js', import.meta.url));
  let i = 0;
  return async () => run(process.execPath, [child, runner.name, JSON.stringify(await specFor(dir, rootfs, 1000 + i++))]);
}

/** The drivers measured: the four built-in ones, or those STRATA_DRIVERS names. */
const DRIVER_NAMES = ['vfs', 'overlay', 'fuse', 'btrfs-sim'].filter(
  (d) => process.env.STRATA_DRIVERS === undefined || process.env.STRATA_DRIVERS.split(',').map((s) => s.trim()).includes(d),
);
const CLI = bundledEntry('main.js');

/** `strata run --rm busybox-bench /bin/true` through the CLI, on a store of its own with the tar imported; or why not. */
async function strataRun(dir: string, tar: string, driver: string, runtime: 'builtin' | 'runc'): Promise<Case | string> {
  const base = [CLI, '--root', join(dir, `strata-${driver}`), '--driver', driver];
  try {
    await run(process.execPath, [...base, 'import', tar, 'busybox-bench']);
  } catch (err) {
    return `strata import on ${driver} failed: ${(err as Error).message}`;
  }
  return () => run(process.execPath, [...base, 'run', '--rm', '--network', 'none', '--runtime', runtime, 'busybox-bench', '/bin/true']);
}

/** `podman run --rm` of the same tar imported as an image, or why it cannot run here. */
async function podman(dir: string, tar: string): Promise<{ run: Case; reset: () => Promise<unknown> } | string> {
  const version = await versionOf('podman');
  if (version === undefined) return 'podman is not installed';
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, CONTAINERS_CONF);
  process.env.CONTAINERS_CONF = conf;
  const base = ['--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--storage-driver', 'overlay'];
  const reset = () => run('podman', [...base, 'system', 'reset', '--force']).catch(() => undefined);
  try {
    await run('podman', [...base, 'import', tar, 'localhost/busybox-bench']);
  } catch (err) {
    await reset();
    return `podman import failed: ${(err as Error).message}`;
  }
  return { run: () => run('podman', [...base, 'run', '--rm', '--network', 'none', ...PODMAN_LIMITS, 'localhost/busybox-bench', '/bin/true']), reset };
}

/**
 * Times every case once per round, rounds interleaved so that the machine's
 * load drifts over all cases alike; a failed sample (podman 4.3 sometimes
 * loses a container's exit code under load) is counted, not timed.
 */
async function rounds(cases: Record<string, Case>, repeats: number): Promise<Record<string, { summary: Summary; failures: number }>> {
  const samples: Record<string, number[]> = {};
  const failures: Record<string, number> = {};
  for (const name of Object.keys(cases)) {
    samples[name] = [];
    failures[name] = 0;
    await cases[name]().catch(() => undefined); // warm-up
  }
  for (let i = 0; i < repeats; i++) {
    for (const [name, fn] of Object.entries(cases)) {
      const start = nowMs();
      try {
        await fn();
        samples[name].push(nowMs() - start);
      } catch {
        failures[name]++;
      }
    }
  }
  return Object.fromEntries(Object.keys(cases).map((name) => [name, { summary: summarize(samples[name]), failures: failures[name] }]));
}

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 15);
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-run-'));
  try {
    const rootfs = await makeBusyboxRootfs(dir);
    const tar = join(dir, 'busybox.tar');
    await run('tar', ['-C', rootfs, '--numeric-owner', '-cf', tar, '.']);
    const cases: Record<string, Case> = {};
    const skipped: Record<string, string> = {};
    for (const driver of DRIVER_NAMES) {
      for (const runtime of driver === 'overlay' ? (['builtin', 'runc'] as const) : (['builtin'] as const)) {
        const name = `strata run --rm ${driver}${runtime === 'runc' ? ' --runtime runc' : ''}`;
        const c = await strataRun(dir, tar, driver, runtime);
        if (typeof c === 'string') skipped[name] = c;
        else cases[name] = c;
      }
    }
    for (const runner of [new NamespaceRunner(), new RuncRunner()]) {
      cases[`${runner.name} runner in-process`] = inProcess(runner, dir, rootfs);
      cases[`${runner.name} runner fresh node process`] = freshProcess(runner, dir, rootfs);
    }
    const peer = await podman(dir, tar);
    if (typeof peer !== 'string') cases['podman run --rm'] = peer.run;
    else skipped['podman run --rm'] = peer;
    try {
      const results = await rounds(cases, repeats);
      const podmanMedian = results['podman run --rm']?.summary.median;
      const ratios = podmanMedian === undefined ? {} : Object.fromEntries(
        Object.entries(results).filter(([name]) => name.startsWith('strata run')).map(([name, r]) => [name, Number((r.summary.median / podmanMedian).toFixed(2))]),
      );
      process.stdout.write(JSON.stringify({ benchmark: 'container-run /bin/true (ms)', repeats, results, ratioToPodman: ratios, skipped }, null, 2) + '\n');
    } finally {
      if (typeof peer !== 'string') await peer.reset();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
