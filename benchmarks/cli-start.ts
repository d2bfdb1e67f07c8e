/**
 * CLI start (issue 14, target 1: "≤ 150 ms wall for `layer ls`, `images`,
 * `ps`"): the wall time of each listing command of the bundled `strata` on an
 * empty store (overlay, the default driver), next to `node -e 0` (Node's own
 * start, the floor) and podman's `images` / `ps -a` on an empty root of its
 * own, interleaved round by round in one run. Medians in ms.
 *
 *     node dist/benchmarks/cli-start.js [repeats]     (default 20)
 *
 * Prints one JSON object: per command the median, min and max, and each
 * strata command's median over `node -e 0`'s and over podman's same command.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledEntry } from '../cli/bundled.js';
import { run, versionOf } from './exec.js';
import { sampleInterleaved } from './stats.js';
import type { Summary } from './stats.js';

const COMMANDS = [['layer', 'ls'], ['images'], ['ps', '-a']] as const;

async function main(): Promise<void> {
  const repeats = Number(process.argv[2] ?? 20);
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-cli-'));
  const cli = bundledEntry('main.js');
  const cases: Record<string, () => Promise<unknown>> = { 'node -e 0': () => run(process.execPath, ['-e', '0']) };
  const root = join(work, 'strata');
  for (const command of COMMANDS) cases[`strata ${command.join(' ')}`] = () => run(process.execPath, [cli, '--root', root, ...command]);
  const podmanVersion = await versionOf('podman');
  if (podmanVersion !== undefined) {
    const conf = join(work, 'containers.conf');
    await writeFile(conf, '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n');
    process.env.CONTAINERS_CONF = conf;
    const base = ['--root', join(work, 'podman-root'), '--runroot', join(work, 'podman-run'), '--storage-driver', 'overlay'];
    cases['podman images'] = () => run('podman', [...base, 'images']);
    cases['podman ps -a'] = () => run('podman', [...base, 'ps', '-a']);
  }
  let results: Record<string, Summary>;
  try {
    results = await sampleInterleaved(cases, repeats);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const ratios: Record<string, Record<string, number>> = {};
  for (const command of COMMANDS) {
    const name = `strata ${command.join(' ')}`;
    const own = results[name]!.median;
    const peer = results[`podman ${command.join(' ')}`];
    ratios[name] = { 'node -e 0': Number((own / results['node -e 0']!.median).toFixed(2)), ...(peer === undefined ? {} : { [`podman ${command.join(' ')}`]: Number((own / peer.median).toFixed(2)) }) };
  }
  process.stdout.write(`${JSON.stringify({ benchmark: 'CLI start: wall time of a listing command on an empty store (ms)', repeats, podman: podmanVersion ?? 'not installed', results, ratios }, null, 2)}\n`);
}

await main();
