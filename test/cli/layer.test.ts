import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { CHILD_CHANGES, makeTarballs } from './fixtures.js';
import { runCli, tempDir, tool } from './run-cli.js';

interface LayerJson {
  readonly id: string;
  readonly parent: string | null;
  readonly chainId?: string;
  readonly diffId?: string;
  readonly refCount: number;
}

const CHAIN_ID = /^sha256:[0-9a-f]{64}$/;

test('import of a GNU tar tarball, plain and gzip, gives one shared layer named by its chain id', async (t) => {
  const dir = await tempDir('import');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const root = ['--root', join(dir.path, 'root')];

  const plain = await runCli([...root, 'layer', 'import', tars.base]);
  t.is(plain.status, 0, plain.stderr);
  t.regex(plain.stdout.trim(), CHAIN_ID);
  t.is(plain.stderr, '', 'no progress or noise when stderr is not a terminal');

  const gzip = await runCli([...root, 'layer', 'import', tars.baseGz]);
  t.is(gzip.status, 0, gzip.stderr);
  t.is(gzip.stdout, plain.stdout, 'the gzip of the same tar names the same layer');

  const ls = await runCli([...root, '--json', 'layer', 'ls']);
  t.is(ls.status, 0, ls.stderr);
  const layers = JSON.parse(ls.stdout) as LayerJson[];
  t.is(layers.length, 1);
  t.is(layers[0]!.chainId, plain.stdout.trim());
  t.is(layers[0]!.parent, null);
  t.is(layers[0]!.refCount, 2);

  const table = await runCli([...root, 'layer', 'ls']);
  t.is(table.status, 0, table.stderr);
  const tableLines = table.stdout.trim().split('\n');
  t.is(tableLines.length, 2, 'a header and one layer');
  t.true(tableLines[1]!.startsWith(layers[0]!.id.slice(0, 12) + ' '), 'tables show 12-digit ids');
  t.false(table.stdout.includes(layers[0]!.id), 'and not the full id');
  const full = await runCli([...root, '--no-trunc', 'layer', 'ls']);
  t.true(full.stdout.includes(layers[0]!.id), '--no-trunc shows the full id');
});

test('import from stdin with "-" and on a parent; changes list what the child did', async (t) => {
  const dir = await tempDir('changes');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const root = ['--root', join(dir.path, 'root')];

  const base = await runCli([...root, 'layer', 'import', '-'], { input: await readFile(tars.base) });
  t.is(base.status, 0, base.stderr);
  const baseId = base.stdout.trim();
  const child = await runCli([...root, 'layer', 'import', tars.child, '--parent', baseId.slice(7, 7 + 12)]);
  t.is(child.status, 0, child.stderr);
  t.not(child.stdout, base.stdout);

  const inspect = await runCli([...root, '--json', 'layer', 'inspect', child.stdout.trim()]);
  t.is(inspect.status, 0, inspect.stderr);
  const info = JSON.parse(inspect.stdout) as LayerJson;
  const baseInfo = JSON.parse((await runCli([...root, '--json', 'layer', 'inspect', baseId])).stdout) as LayerJson;
  t.is(info.parent, baseInfo.id);

  const changes = await runCli([...root, 'layer', 'changes', child.stdout.trim()]);
  t.is(changes.status, 0, changes.stderr);
  const lines = changes.stdout.trim().split('\n');
  for (const line of lines) t.regex(line, /^[ACD] \/\S*$/);
  // Directories holding a change may be reported as changed; every file-level change must match exactly.
  t.deepEqual(
    lines.filter((l) => !['C /', 'C /etc'].includes(l)).sort(),
    [...CHILD_CHANGES].sort(),
  );

  const json = await runCli([...root, '--json', 'layer', 'changes', child.stdout.trim()]);
  t.deepEqual(
    (JSON.parse(json.stdout) as { kind: string; path: string }[]).map((c) => `${c.kind} ${c.path}`),
    lines,
  );
});

test('layer diff -o FILE gives back the imported tar; importing it on another root gives the same id', async (t) => {
  const dir = await tempDir('diff');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const rootA = ['--root', join(dir.path, 'a')];
  const rootB = ['--root', join(dir.path, 'b')];

  const base = (await runCli([...rootA, 'layer', 'import', tars.baseGz])).stdout.trim();
  const child = await runCli([...rootA, 'layer', 'import', tars.child, '--parent', base]);
  t.is(child.status, 0, child.stderr);

  const out = join(dir.path, 'child-diff.tar');
  const diff = await runCli([...rootA, 'layer', 'diff', child.stdout.trim(), '-o', out]);
  t.is(diff.status, 0, diff.stderr);
  t.deepEqual(await readFile(out), await readFile(tars.child), 'the imported bytes, exactly');

  const toStdout = await runCli([...rootA, 'layer', 'diff', child.stdout.trim()]);
  t.is(toStdout.status, 0, toStdout.stderr);
  t.deepEqual(toStdout.raw, await readFile(tars.child));

  const baseOut = join(dir.path, 'base-diff.tar');
  t.is((await runCli([...rootA, 'layer', 'diff', base, '-o', baseOut])).status, 0);
  t.true(tool('tar', ['-tf', baseOut]).toString().includes('etc/motd'));

  const baseB = await runCli([...rootB, 'layer', 'import', baseOut]);
  t.is(baseB.stdout, `${base}\n`);
  const childB = await runCli([...rootB, 'layer', 'import', out, '--parent', base]);
  t.is(childB.status, 0, childB.stderr);
  t.is(childB.stdout, child.stdout, 'same chain id on the second root');
});

test('create, mount, umount and rm a writable layer', async (t) => {
  const dir = await tempDir('mount');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const root = ['--root', join(dir.path, 'root')];
  const base = (await runCli([...root, 'layer', 'import', tars.base])).stdout.trim();

  const created = await runCli([...root, 'layer', 'create', '--parent', base, '--writable']);
  t.is(created.status, 0, created.stderr);
  const id = created.stdout.trim();
  t.regex(id, /^[0-9a-f]{64}$/);

  const mounted = await runCli([...root, 'layer', 'mount', id]);
  t.is(mounted.status, 0, mounted.stderr);
  const path = mounted.stdout.trim();
  t.teardown(() => runCli([...root, 'layer', 'umount', id]).then(() => undefined));
  t.is(await readFile(join(path, 'etc/motd'), 'utf8'), 'hello\n', 'the mount shows the parent');

  const busy = await runCli([...root, 'layer', 'rm', id]);
  t.is(busy.status, 4, 'a mounted layer is busy');
  t.regex(busy.stderr, /^strata: .+\n$/);

  t.is((await runCli([...root, 'layer', 'umount', id])).status, 0);
  const rm = await runCli([...root, 'layer', 'rm', id]);
  t.is(rm.status, 0, rm.stderr);
  const ls = JSON.parse((await runCli([...root, '--json', 'layer', 'ls'])).stdout) as LayerJson[];
  t.deepEqual(ls.map((l) => l.chainId), [base]);
});
