/**
 * Registry transfer benchmark (`npm run bench:registry`; not in the default
 * bench plan: a run takes minutes). Against loopback docker-registries:
 *
 * - pull of a 5-layer image (~200 MiB of gzip'd random data, seeded by skopeo
 *   from an OCI layout): `strata pull` (the CLI, into a fresh store; every
 *   layer applied through the driver, the image usable) next to `podman pull`
 *   (which also unpacks into its overlay storage);
 * - push of that image from the store strata pulled it into (its compressed
 *   blobs kept) next to `skopeo copy oci:… docker://…` from the layout, each
 *   to a fresh registry (nothing to skip or mount);
 * - peak RSS of pulling and of pushing a 1 GiB layer, each in a child process
 *   of its own (limit 200 MiB).
 *
 *     node dist/benchmarks/registry-transfer.js [--repeats N] [--driver D] [--skip-memory]
 *
 * Prints medians in seconds, and exits 1 when the RSS limit is exceeded.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Store } from '../core/engine.js';
import { pullImage, pushImage } from '../core/image-ops/index.js';
import { RegistryClient } from '../core/remotes/index.js';
import { builtinDriverModules } from '../drivers/index.js';
import { addImage, addRandomLayer, tagInLayout } from '../test/helpers/oci-dir.js';
import { skopeoCopy, startRegistry, type TestRegistry } from '../test/helpers/registry.js';
import { median } from './stats.js';
import { bundledEntry } from '../cli/bundled.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const RSS_LIMIT_MIB = 200;
const CLI = bundledEntry('main.js');

const args = process.argv.slice(2);
if (args[0] === '--rss-child') {
  await rssChild(args[1] as 'pull' | 'push', args[2]!, args[3]!, args[4]!);
} else {
  await main(Number(valueOf('--repeats') ?? 3), valueOf('--driver') ?? 'overlay', args.includes('--skip-memory'));
}

function valueOf(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(repeats: number, driver: string, skipMemory: boolean): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-registry-'));
  const registry = await startRegistry();
  try {
    const layout = join(work, 'layout');
    const layers = [];
    for (let i = 0; i < 5; i++) layers.push(await addRandomLayer(layout, 40 * MIB));
    await tagInLayout(layout, 'bench', await addImage(layout, { layers }));
    const total = layers.reduce((n, l) => n + l.size, 0);
    await skopeoCopy(registry, `oci:${layout}:bench`, `docker://${registry.host}/bench:1`, ['--preserve-digests']);
    const source = `${registry.host}/bench:1`;
    console.log(`image: 5 layers, ${(total / MIB).toFixed(0)} MiB compressed; registry ${registry.host}; strata driver ${driver}; ${repeats} runs each, median`);

    const times: Record<string, number[]> = { 'pull strata (CLI, applied)': [], 'pull podman pull (overlay)': [], 'push strata (CLI)': [], 'push skopeo copy (oci layout)': [] };
    const pushRoot = join(work, 'push-root');
    await strataCli(pushRoot, driver, ['pull', '-q', source]);
    for (let i = 0; i < repeats; i++) {
      const root = join(work, `pull-${i}`);
      times['pull strata (CLI, applied)']!.push(await timed(() => strataCli(root, driver, ['pull', '-q', source])));
      await rm(root, { recursive: true, force: true });
      times['pull podman pull (overlay)']!.push(await timed(() => podmanPull(source, join(work, `podman-${i}`))));
      // Each push gets a fresh registry: nothing there to skip, and skopeo's blob-info
      // cache cannot mount from an earlier run's repository.
      const fresh = await startRegistry();
      try {
        times['push strata (CLI)']!.push(await timed(() => strataCli(pushRoot, driver, ['push', source, `${fresh.host}/strata-push:1`])));
        times['push skopeo copy (oci layout)']!.push(await timed(() => run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${fresh.host}/skopeo-push:1`])));
      } finally {
        await fresh.stop();
      }
    }
    for (const [name, samples] of Object.entries(times)) {
      const m = median(samples);
      console.log(`${name.padEnd(32)} ${m.toFixed(2)} s  (${(total / MIB / m).toFixed(0)} MiB/s; runs ${samples.map((s) => s.toFixed(2)).join(', ')})`);
    }
    if (!skipMemory) await memory(work, driver);
  } finally {
    await registry.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** `strata --root ROOT --driver DRIVER ARGS`, as a user runs it. */
async function strataCli(root: string, driver: string, words: readonly string[]): Promise<void> {
  await run(process.execPath, [CLI, '--root', root, '--driver', driver, ...words], { maxBuffer: 16 * MIB });
}

async function podmanPull(source: string, dir: string): Promise<void> {
  const conf = join(dir, 'containers.conf');
  await run('mkdir', ['-p', dir]);
  await writeFile(conf, '[engine]\ncgroup_manager="cgroupfs"\nevents_logger="file"\nruntime="runc"\n');
  // podman refuses a runroot longer than 50 characters.
  const runroot = await mkdtemp('/tmp/podrun-');
  const base = ['--root', join(dir, 'root'), '--runroot', runroot, '--storage-driver', 'overlay'];
  const env = { ...process.env, CONTAINERS_CONF: conf };
  try {
    await run('podman', [...base, 'pull', '--quiet', '--tls-verify=false', `docker://${source}`], { env });
  } finally {
    await run('podman', [...base, 'system', 'reset', '--force'], { env }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(runroot, { recursive: true, force: true });
  }
}

/** A 1 GiB single-layer image: its pull into a store, then its push to a fresh registry, each in a child process. */
async function memory(work: string, driver: string): Promise<void> {
  const registry = await startRegistry();
  const target = await startRegistry();
  try {
    const layout = join(work, 'big');
    await tagInLayout(layout, 'bench', await addImage(layout, { layers: [await addRandomLayer(layout, 1024 * MIB)] }));
    await skopeoCopy(registry, `oci:${layout}:bench`, `docker://${registry.host}/big:1`, ['--preserve-digests']);
    await rm(layout, { recursive: true, force: true });
    const root = join(work, 'big-root');
    for (const [phase, host] of [['pull', registry.host], ['push', target.host]] as const) {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--rss-child', phase, host, root, driver], { stdio: ['ignore', 'inherit', 'inherit'] });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      if (code !== 0) process.exitCode = 1;
    }
  } finally {
    await registry.stop();
    await target.stop();
  }
}

/** One phase of the 1 GiB case in a fresh process, so that its peak RSS is its own. */
async function rssChild(phase: 'pull' | 'push', host: string, root: string, driver: string): Promise<void> {
  const store = await Store.open({ config: { root, driver, plugins: [], driverOptions: {} }, driverModules: builtinDriverModules });
  const client = new RegistryClient({ tlsVerify: false });
  const registry = { host } as TestRegistry;
  try {
    const seconds = await timed(async () => {
      if (phase === 'pull') await pullImage(store, { domain: registry.host, path: 'big', tag: '1' }, { client });
      else await pushImage(store, store.images.list()[0]!.id, { domain: registry.host, path: 'big', tag: '1' }, { client });
    });
    const peak = process.resourceUsage().maxRSS / 1024;
    console.log(`1 GiB layer ${phase}: ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MiB (limit ${RSS_LIMIT_MIB} MiB): ${peak <= RSS_LIMIT_MIB ? 'ok' : 'FAIL'}`);
    if (peak > RSS_LIMIT_MIB) process.exitCode = 1;
  } finally {
    client.close();
    await store.close();
  }
}
