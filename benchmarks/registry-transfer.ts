/**
 * Registry transfer benchmark (not wired into benchmarks/main.ts yet): against
 * one loopback docker-registry,
 *
 * - push of a 5-layer image (~200 MB of gzip'd random data) from an OCI layout:
 *   strata's engine against `skopeo copy oci:… docker://…`, each to a fresh repository;
 * - pull of it: strata's engine into a blob directory against `skopeo copy
 *   docker://… oci:…` (the same work) and `podman pull` (which also unpacks into
 *   overlay storage — the work strata's pull will do once the store applies layers);
 * - peak RSS of pushing and pulling a 1 GiB layer, measured in a child process
 *   (limit 200 MiB).
 *
 *     node dist/benchmarks/registry-transfer.js [--repeats N] [--skip-memory] [--skip-pull]
 *
 * Prints medians in seconds, and exits 1 when the RSS limit is exceeded.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RegistryClient, pull, push } from '../core/remotes/index.js';
import { DirSink, DirSource, addImage, addRandomLayer, tagInLayout } from '../test/helpers/oci-dir.js';
import { startRegistry, type TestRegistry } from '../test/helpers/registry.js';
import { median } from './stats.js';

const run = promisify(execFile);
const MIB = 1024 * 1024;
const RSS_LIMIT_MIB = 200;

const args = process.argv.slice(2);
if (args[0] === '--rss-child') {
  await rssChild(args[1]!, args[2]!, args[3]!);
} else {
  await main(Number(valueOf('--repeats') ?? 3), args.includes('--skip-memory'), args.includes('--skip-pull'));
}

function valueOf(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(repeats: number, skipMemory: boolean, skipPull: boolean): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-registry-'));
  const registry = await startRegistry();
  try {
    const layout = join(work, 'layout');
    const layers = [];
    for (let i = 0; i < 5; i++) layers.push(await addRandomLayer(layout, 40 * MIB));
    await tagInLayout(layout, 'bench', await addImage(layout, { layers }));
    const total = layers.reduce((n, l) => n + l.size, 0);
    console.log(`image: 5 layers, ${(total / MIB).toFixed(0)} MiB compressed; registry ${registry.host}; ${repeats} runs each, median`);

    const times: Record<string, number[]> = { 'push strata': [], 'push skopeo copy': [], 'pull strata': [], 'pull skopeo copy (to oci dir)': [], 'pull podman pull (overlay, unpacks)': [] };
    // Each push run gets a fresh registry: skopeo remembers where blobs went (its blob-info
    // cache) and would mount them from an earlier run's repository instead of uploading.
    for (let i = 0; i < repeats; i++) {
      const fresh = await startRegistry();
      try {
        times['push strata']!.push(await timed(() => strataPush(fresh, layout, 'strata-push')));
        times['push skopeo copy']!.push(await timed(() => run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:bench`, `docker://${fresh.host}/skopeo-push:1`])));
      } finally {
        await fresh.stop();
      }
    }
    if (!skipPull) await strataPush(registry, layout, 'strata-push-0');
    for (let i = 0; i < (skipPull ? 0 : repeats); i++) {
      const dir = join(work, `pull-${i}`);
      times['pull strata']!.push(await timed(() => strataPull(registry, `${dir}-strata`)));
      times['pull skopeo copy (to oci dir)']!.push(await timed(() => run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${registry.host}/strata-push-0:1`, `oci:${dir}-skopeo:x`])));
      times['pull podman pull (overlay, unpacks)']!.push(await timed(() => podmanPull(registry, `${dir}-podman`)));
      await rm(`${dir}-strata`, { recursive: true, force: true });
      await rm(`${dir}-skopeo`, { recursive: true, force: true });
    }
    for (const [name, samples] of Object.entries(times)) {
      if (samples.length === 0) continue;
      const m = median(samples);
      console.log(`${name.padEnd(38)} ${m.toFixed(2)} s  (${(total / MIB / m).toFixed(0)} MiB/s; runs ${samples.map((s) => s.toFixed(2)).join(', ')})`);
    }
    if (!skipMemory) await memory(work);
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

async function strataPush(registry: TestRegistry, layout: string, repo: string): Promise<void> {
  const client = new RegistryClient();
  try {
    await push(new DirSource(layout, 'bench'), { domain: registry.host, path: repo, tag: '1' }, { client });
  } finally {
    client.close();
  }
}

async function strataPull(registry: TestRegistry, dir: string, repo = 'strata-push-0'): Promise<void> {
  const client = new RegistryClient();
  try {
    await pull({ domain: registry.host, path: repo, tag: '1' }, { client, sink: new DirSink(dir) });
  } finally {
    client.close();
  }
}

async function podmanPull(registry: TestRegistry, dir: string): Promise<void> {
  const conf = join(dir, 'containers.conf');
  await run('mkdir', ['-p', dir]);
  await writeFile(conf, '[engine]\ncgroup_manager="cgroupfs"\nevents_logger="file"\nruntime="runc"\n');
  // podman refuses a runroot longer than 50 characters.
  const runroot = await mkdtemp('/tmp/podrun-');
  try {
    await run('podman', ['--root', join(dir, 'root'), '--runroot', runroot, '--storage-driver', 'overlay', 'pull', '--quiet', '--tls-verify=false', `docker://${registry.host}/strata-push-0:1`], {
      env: { ...process.env, CONTAINERS_CONF: conf },
    });
  } finally {
    await run('podman', ['--root', join(dir, 'root'), '--runroot', runroot, '--storage-driver', 'overlay', 'system', 'reset', '--force'], { env: { ...process.env, CONTAINERS_CONF: conf } }).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(runroot, { recursive: true, force: true });
  }
}

/** Builds a 1 GiB single-layer image, then measures push and pull of it in a child process. */
async function memory(work: string): Promise<void> {
  const registry = await startRegistry();
  try {
    const layout = join(work, 'big');
    await tagInLayout(layout, 'bench', await addImage(layout, { layers: [await addRandomLayer(layout, 1024 * MIB, false)] }));
    for (const phase of ['push', 'pull']) {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--rss-child', phase, registry.host, layout], { stdio: ['ignore', 'inherit', 'inherit'] });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      if (code !== 0) process.exitCode = 1;
    }
  } finally {
    await registry.stop();
  }
}

/** One phase of the 1 GiB case in a fresh process, so that its peak RSS is its own. */
async function rssChild(phase: string, host: string, layout: string): Promise<void> {
  const registry = { host } as TestRegistry;
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-big-pull-'));
  try {
    const seconds = await timed(() => (phase === 'push' ? strataPush(registry, layout, 'big') : strataPull(registry, dir, 'big')));
    const peak = process.resourceUsage().maxRSS / 1024;
    console.log(`1 GiB layer ${phase}: ${seconds.toFixed(1)} s, peak RSS ${peak.toFixed(0)} MiB (limit ${RSS_LIMIT_MIB} MiB): ${peak <= RSS_LIMIT_MIB ? 'ok' : 'FAIL'}`);
    if (peak > RSS_LIMIT_MIB) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
