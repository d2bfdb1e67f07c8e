import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmod, lchown, link, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryTree, S_IFCHR, S_IFIFO, diffSize, naiveChanges, naiveDiff, sys } from '../../core/engine.js';
import { listTar } from './tar-listing.js';
import { FIXED_SECONDS, buildTree, bytesOf, pinTimes, sha256, tempDir } from './trees.js';
import type { TreeSpec } from './trees.js';

const SPEC: TreeSpec = {
  'a/': '',
  'a/x': 'x1',
  'a/y': 'y1',
  'b/': '',
  'b/old': 'o',
  c: 'c',
  'l': '->a/x',
};

/** Builds lower and upper from SPEC, applies `edit` to upper, pins all times. */
async function pair(t: Parameters<typeof tempDir>[0], edit: (upper: string) => Promise<void>) {
  const lower = await buildTree(await tempDir(t), SPEC);
  const upper = await buildTree(await tempDir(t), SPEC);
  await edit(upper);
  await pinTimes(upper);
  return { lower: new DirectoryTree(lower), upper: new DirectoryTree(upper), upperDir: upper };
}

async function richTree(dir: string): Promise<void> {
  await buildTree(dir, { ...SPEC, 'deep/': '', 'deep/er/': '', 'deep/er/f': 'deep', 'empty/': '', 'zero': '' });
  const long = join(dir, 'deep', 'L'.repeat(150));
  await writeFile(long, 'long name');
  await symlink('T'.repeat(140), join(dir, 'long-link'));
  await link(join(dir, 'a/x'), join(dir, 'hard-to-x'));
  await chmod(join(dir, 'c'), 0o4755);
  await chmod(join(dir, 'empty'), 0o1777);
  await lchown(join(dir, 'b/old'), 1000, 2000);
  await lchown(join(dir, 'zero'), 3_000_000, 3_000_001);
  sys.lsetxattr(join(dir, 'a/y'), 'user.bin', Buffer.from([0, 0xff, 0x0a, 0x3d]));
  sys.lsetxattr(join(dir, 'a'), 'user.dir', Buffer.from('on a dir'));
  sys.mknod(join(dir, 'fifo'), S_IFIFO | 0o600, 0, 0);
  sys.mknod(join(dir, 'null'), S_IFCHR | 0o666, 1, 3);
  await pinTimes(dir);
  await utimes(join(dir, 'c'), 4_102_444_800, 4_102_444_800); // 2100-01-01, past 2038
}

test('the same trees give the same bytes, twice and from another directory', async (t) => {
  const one = await tempDir(t);
  const two = await tempDir(t);
  await richTree(one);
  await richTree(two);
  const first = await bytesOf(naiveDiff(null, new DirectoryTree(one)));
  const again = await bytesOf(naiveDiff(null, new DirectoryTree(one)));
  const other = await bytesOf(naiveDiff(null, new DirectoryTree(two)));
  t.true(first.equals(again));
  t.is(sha256(first), sha256(other));
  const lower = new DirectoryTree(await buildTree(await tempDir(t), SPEC));
  t.is(
    sha256(await bytesOf(naiveDiff(lower, new DirectoryTree(one)))),
    sha256(await bytesOf(naiveDiff(lower, new DirectoryTree(two)))),
  );
});

test('deletes and opaque directories become whiteouts with fixed metadata, in canonical order', async (t) => {
  const { lower, upper } = await pair(t, async (u) => {
    await rm(join(u, 'a/y'));
    await rm(join(u, 'b/old'));
    await writeFile(join(u, 'b/new'), 'n');
    await rm(join(u, 'c'));
    await mkdir(join(u, 'd'));
  });
  const listed = await listTar(await bytesOf(naiveDiff(lower, upper)));
  t.deepEqual(
    listed.map((e) => e.name),
    ['a/.wh.y', 'b/.wh..wh..opq', 'b/new', '.wh.c', 'd/'],
  );
  for (const wh of listed.filter((e) => e.name.includes('.wh.'))) {
    t.like(wh, { type: 'file', mode: 0, uid: 0, gid: 0, mtimeSeconds: 0, size: 0 });
  }
  t.like(listed[2], { type: 'file', mtimeSeconds: FIXED_SECONDS, content: Buffer.from('n') });
  t.like(listed[4], { type: 'directory', mode: 0o755 });
});

test('an opaque root becomes a top-level marker', async (t) => {
  const { lower, upper } = await pair(t, async (u) => {
    for (const name of ['a', 'b', 'c', 'l']) await rm(join(u, name), { recursive: true });
    await writeFile(join(u, 'only'), '');
  });
  t.deepEqual((await listTar(await bytesOf(naiveDiff(lower, upper)))).map((e) => e.name), ['.wh..wh..opq', 'only']);
});

test('hard links: the first carried path is the file, later ones link to it', async (t) => {
  const { lower, upper } = await pair(t, async (u) => {
    await link(join(u, 'c'), join(u, 'c2')); // c itself is unchanged: c2 carries the content
    await writeFile(join(u, 'n1'), 'shared');
    await link(join(u, 'n1'), join(u, 'n0'));
    await link(join(u, 'n1'), join(u, 'n2'));
  });
  const listed = await listTar(await bytesOf(naiveDiff(lower, upper)));
  t.deepEqual(
    listed.map((e) => [e.name, e.type, e.linkname ?? '', e.content.toString()]),
    [
      ['c2', 'file', '', 'c'],
      ['n0', 'file', '', 'shared'],
      ['n1', 'link', 'n0', ''],
      ['n2', 'link', 'n0', ''],
    ],
  );
  t.is(await diffSize(lower, upper), 1 + 6);
});

test('sockets are listed as changes but a tar cannot carry them', async (t) => {
  const { lower, upper, upperDir } = await pair(t, async () => {});
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(upperDir, 'sock'), resolve));
  t.teardown(() => server.close());
  t.deepEqual(await naiveChanges(lower, upper), [{ kind: 'A', path: '/sock' }]);
  t.deepEqual(await listTar(await bytesOf(naiveDiff(lower, upper))), []);
});

test('round trip: a tree, its tar, extracted by GNU tar, compares equal to the tree', async (t) => {
  const source = await tempDir(t);
  await richTree(source);
  const dir = await tempDir(t);
  const archive = join(dir, 'layer.tar');
  const bytes = await bytesOf(naiveDiff(null, new DirectoryTree(source)));
  await writeFile(archive, bytes);
  const out = join(dir, 'out');
  await mkdir(out);
  execFileSync('tar', ['--xattrs', "--xattrs-include=*", '--warning=no-timestamp', '-xpf', archive, '-C', out]);
  t.deepEqual(await naiveChanges(new DirectoryTree(source), new DirectoryTree(out)), []);
  t.deepEqual(await naiveChanges(new DirectoryTree(out), new DirectoryTree(source)), []);
  // and the extracted copy diffs to the very same bytes
  t.is(sha256(await bytesOf(naiveDiff(null, new DirectoryTree(out)))), sha256(bytes));
});
