/**
 * Whole-process native diff (issue 14, target 2: "whole-process `strata layer
 * diff` ≤ CLI start + 2× `tar -c`"): the wall time of `strata layer diff` of a
 * layer written through an overlay mount (K changes over a base, the diff
 * scenario's change set, run as a script in the mount), next to `tar -c` of
 * that layer's upper directory (the same files) and to `strata layer ls` on
 * the same store (CLI start), interleaved round by round in one run. Both
 * outputs go through a pipe to `wc -c`. Medians in ms.
 *
 *     node dist/benchmarks/cli-diff.js [repeats] [base entries] [changes]   (default 20, 20,000, 200)
 *
 * Needs root (the overlay mount). Prints one JSON object: the medians, the
 * target (layer ls + 2 × tar -c) and the diff's median over it.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundledEntry } from '../cli/bundled.js';
import { mountScript } from './data/mount-script.js';
import { DataSets } from './data/data-sets.js';
import { run, versionOf } from './exec.js';
import { sampleInterleaved } from './stats.js';

async function main(): Promise<void> {
  const [repeats = 20, baseEntries = 20000, changes = 200] = process.argv.slice(2).map(Number);
  if (process.getuid?.() !== 0) throw new Error('cli-diff needs root: the layer is written through an overlay mount');
  const work = await mkdtemp(join(tmpdir(), 'strata-bench-cli-diff-'));
  const cli = bundledEntry('main.js');
  const root = join(work, 'strata');
  const strata = async (...args: string[]) => (await run(process.execPath, [cli, '--root', root, '--driver', 'overlay', ...args])).stdout.trim();
  let mounted: string | undefined;
  try {
    const data = new DataSets(join(work, 'data'));
    await mkdir(data.dir);
    const base = await strata('layer', 'import', await data.baseTar(baseEntries));
    const layer = await strata('layer', 'create', '--writable', '--parent', base);
    const merged = await strata('layer', 'mount', layer);
    mounted = layer;
    await run('bash', ['-c', mountScript(data.changes(baseEntries, changes))], { cwd: merged });
    await strata('layer', 'umount', layer);
    mounted = undefined;
    // the overlay driver's upper directory of the layer (drivers/overlay: <root>/drivers/overlay/layers/<id>/diff)
    const upper = join(root, 'drivers', 'overlay', 'layers', layer, 'diff');
    const piped = (command: string) => () => run('bash', ['-c', `set -o pipefail; ${command} | wc -c`, 'cli-diff', cli, root, layer, upper]);
    const cases: Record<string, () => Promise<unknown>> = {
      'strata layer ls': piped('node "$1" --root "$2" layer ls'),
      'strata layer diff': piped('node "$1" --root "$2" layer diff "$3"'),
      'tar -c': piped('tar -C "$4" -cf - .'),
    };
    const results = await sampleInterleaved(cases, repeats);
    const target = results['strata layer ls']!.median + 2 * results['tar -c']!.median;
    const diff = results['strata layer diff']!.median;
    process.stdout.write(
      `${JSON.stringify(
        {
          benchmark: 'whole-process layer diff of a layer written through an overlay mount, vs CLI start + 2 × tar -c of its upper directory (ms)',
          repeats,
          base: baseEntries,
          changes,
          tar: (await versionOf('tar')) ?? 'not installed',
          results,
          target: Number(target.toFixed(1)),
          'diff over target': Number((diff / target).toFixed(3)),
          met: diff <= target,
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    if (mounted !== undefined) await strata('layer', 'umount', mounted).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
