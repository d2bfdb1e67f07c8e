import test from 'ava';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateBaseTree } from '../../benchmarks/data/base-tree.js';
import { generateChangeSet } from '../../benchmarks/data/change-set.js';
import { writeItemsTar } from '../../benchmarks/data/tar-pack.js';
import { median, summarize } from '../../benchmarks/stats.js';
import { parseBenchArgs } from '../../benchmarks/options.js';
import { ErrorCode, isStrataError } from '../../core/engine.js';

const run = promisify(execFile);

async function sha(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

test('the same size and seed give byte-identical tarballs; another seed gives another tree', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-data-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const files = [join(dir, 'a.tar'), join(dir, 'b.tar'), join(dir, 'c.tar')];
  await writeItemsTar(generateBaseTree(1000, 1).items, files[0]!);
  await writeItemsTar(generateBaseTree(1000, 1).items, files[1]!);
  await writeItemsTar(generateBaseTree(1000, 2).items, files[2]!);
  t.is(await sha(files[0]!), await sha(files[1]!));
  t.not(await sha(files[0]!), await sha(files[2]!));
});

test('a base tree has the requested entries, shaped like a distro root, and GNU tar reads them all', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-data-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const base = generateBaseTree(2000);
  t.is(base.items.length, 2000);
  const kinds = (k: string): number => base.items.filter((i) => i.kind === k).length;
  t.true(kinds('file') > 1500 && kinds('dir') > 100 && kinds('symlink') > 40 && kinds('hardlink') > 5);
  t.true(base.dirs.some((d) => d.split('/').length >= 6), 'directories nest');
  t.true(base.dirs.includes('usr/lib') && base.dirs.includes('etc'));
  const file = join(dir, 'base.tar');
  await writeItemsTar(base.items, file);
  const { stdout } = await run('tar', ['-tvf', file], { maxBuffer: 64 << 20 });
  const lines = stdout.trim().split('\n');
  t.is(lines.length, 2000);
  t.true(lines.some((l) => l.includes(' link to ')), 'hardlinks are tar hardlinks');
  t.true(lines.some((l) => l.startsWith('l')), 'symlinks are tar symlinks');
});

test('a change set holds K changes of every kind, touches no kept path and deletes nothing twice in a stack', (t) => {
  const base = generateBaseTree(2000);
  const keep = new Set([...base.files.keys()].slice(0, 50));
  const gone = new Set<string>();
  const first = generateChangeSet(base, 200, 1, { keep, gone });
  const c = first.counts;
  t.is(c.add + c.modify + c.delete + c.chmod + c.replaceDir, 200);
  t.is(first.changes.length, 200);
  t.true(c.add > 0 && c.modify > 0 && c.delete > 0 && c.chmod > 0 && c.replaceDir > 0);
  const touched = first.items.map((i) => i.path);
  t.false(touched.some((p) => keep.has(p)));
  t.true(first.items.some((i) => i.kind === 'opaque') && first.items.some((i) => i.kind === 'whiteout'));
  const deletedFirst = new Set(first.items.filter((i) => i.kind === 'whiteout').map((i) => i.path));
  const second = generateChangeSet(base, 200, 2, { keep, gone });
  t.false(second.items.some((i) => i.kind === 'whiteout' && deletedFirst.has(i.path)));
  t.deepEqual(generateChangeSet(base, 200, 1, { keep, gone: new Set() }).items, first.items, 'deterministic');
});

test('medians and summaries', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.true(Number.isNaN(median([])));
  t.deepEqual(summarize([5, 1, 9]), { n: 3, median: 5, min: 1, max: 9 });
});

test('bench options: defaults, lists, and usage errors', (t) => {
  const o = parseBenchArgs(['--quick', '--drivers', 'vfs,overlay', '--scenarios', 'diff,lookups']);
  t.true(o.quick);
  t.deepEqual(o.drivers, ['vfs', 'overlay']);
  t.deepEqual(o.scenarios, ['diff', 'lookups']);
  t.is(o.out, 'bench-out');
  for (const args of [['--scenarios', 'fast'], ['--frobnicate']]) {
    const err = t.throws(() => parseBenchArgs(args));
    t.true(isStrataError(err, ErrorCode.EUSAGE));
  }
});
