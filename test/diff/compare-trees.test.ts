import test from 'ava';
import { chmod, lchown, lutimes, mkdir, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryTree, ErrorCode, S_IFCHR, compareTrees, isStrataError, sys } from '../../core/engine.js';
import type { DiffEntry } from '../../core/engine.js';
import { FIXED_SECONDS, buildTree, collect, pinTimes, tempDir } from './trees.js';
import type { TreeSpec } from './trees.js';

/** Two trees built from the same spec, the upper changed by `edit`, with times pinned again unless `edit` says otherwise. */
async function diffOf(
  t: Parameters<typeof tempDir>[0],
  spec: TreeSpec,
  edit: (upper: string) => Promise<void>,
  repin = true,
): Promise<string[]> {
  const lower = await buildTree(await tempDir(t), spec);
  const upper = await buildTree(await tempDir(t), spec);
  await edit(upper);
  if (repin) await pinTimes(upper);
  return show(await collect(compareTrees(new DirectoryTree(lower), new DirectoryTree(upper))));
}

function show(entries: DiffEntry[]): string[] {
  return entries.map((e) => `${e.kind} ${e.path}`);
}

const BASE: TreeSpec = { 'a/': '', 'a/x': 'x1', 'a/y': 'y1', 'b/': '', 'b/old': 'o', c: 'c', 'l': '->a/x' };

test('identical trees built in different directories have no diff', async (t) => {
  t.deepEqual(await diffOf(t, BASE, async () => {}), []);
});

test('a null lower makes every node an add, pre-order, children in byte order', async (t) => {
  const upper = await buildTree(await tempDir(t), { 'b/': '', 'b/z': '', 'b/a-b': '', 'b/a/': '', 'b/a/q': '', 'B': '', 'é': '' });
  const entries = show(await collect(compareTrees(null, new DirectoryTree(upper))));
  t.deepEqual(entries, ['add /B', 'add /b', 'add /b/a', 'add /b/a/q', 'add /b/a-b', 'add /b/z', 'add /é']);
});

test('a new directory is added with its whole subtree, siblings in byte order with deletes interleaved', async (t) => {
  const entries = await diffOf(t, BASE, async (u) => {
    await rm(join(u, 'c'));
    await mkdir(join(u, 'bb/in'), { recursive: true });
    await writeFile(join(u, 'bb/in/f'), 'f');
    await writeFile(join(u, 'd'), 'd');
  });
  t.deepEqual(entries, ['add /bb', 'add /bb/in', 'add /bb/in/f', 'delete /c', 'add /d']);
});

test('each metadata change is a modify: mode, owner, mtime seconds, size, symlink target, xattrs', async (t) => {
  const entries = await diffOf(
    t,
    { g: 'g', m: 'm', o: 'o', s: 'short', t: 't', x: 'x', 'l': '->m', same: 'same' },
    async (u) => {
      await chmod(join(u, 'm'), 0o4711);
      await lchown(join(u, 'o'), 1234, 0);
      await lchown(join(u, 'g'), 0, 5678);
      await writeFile(join(u, 's'), 'longer');
      await unlink(join(u, 'l'));
      await symlink('o', join(u, 'l'));
      sys.lsetxattr(join(u, 'x'), 'user.note', Buffer.from([0, 1, 2]));
      await pinTimes(u);
      await utimes(join(u, 't'), FIXED_SECONDS + 1, FIXED_SECONDS + 1);
    },
    false,
  );
  t.deepEqual(entries, ['modify /g', 'modify /l', 'modify /m', 'modify /o', 'modify /s', 'modify /t', 'modify /x']);
});

test('mtimes are compared in whole seconds, as tar keeps them', async (t) => {
  const entries = await diffOf(
    t,
    { f: 'f' },
    async (u) => {
      await utimes(join(u, 'f'), FIXED_SECONDS + 0.75, FIXED_SECONDS + 0.75);
    },
    false,
  );
  t.deepEqual(entries, []);
});

test('content is compared when size and mtime are equal', async (t) => {
  const entries = await diffOf(t, { same: 'abcdef', diff: 'abcdef' }, async (u) => {
    await writeFile(join(u, 'diff'), 'abcdeX');
    await writeFile(join(u, 'same'), 'abcdef');
  });
  t.deepEqual(entries, ['modify /diff']);
});

test('large files with equal metadata are compared across chunk boundaries', async (t) => {
  const big = Buffer.alloc(300_000, 7);
  const changed = Buffer.from(big);
  changed[299_999] = 8;
  const lower = await tempDir(t);
  const upper = await tempDir(t);
  await writeFile(join(lower, 'big'), big);
  await writeFile(join(lower, 'big2'), big);
  await writeFile(join(upper, 'big'), changed);
  await writeFile(join(upper, 'big2'), big);
  await pinTimes(lower);
  await pinTimes(upper);
  t.deepEqual(show(await collect(compareTrees(new DirectoryTree(lower), new DirectoryTree(upper)))), ['modify /big']);
});

test('a directory whose lower children are all gone is opaque, after its own entry, with no deletes', async (t) => {
  const entries = await diffOf(
    t,
    BASE,
    async (u) => {
      await rm(join(u, 'b/old'));
      await writeFile(join(u, 'b/new'), 'n');
      await pinTimes(u);
      await lutimes(join(u, 'b'), FIXED_SECONDS + 5, FIXED_SECONDS + 5);
    },
    false,
  );
  t.deepEqual(entries, ['modify /b', 'opaque /b', 'add /b/new']);
});

test('an unchanged directory emptied in upper is opaque first among its children', async (t) => {
  t.deepEqual(await diffOf(t, BASE, async (u) => rm(join(u, 'b/old'))), ['opaque /b']);
});

test('a directory keeping some lower children gets one delete per missing name', async (t) => {
  t.deepEqual(await diffOf(t, BASE, async (u) => rm(join(u, 'a/x'))), ['delete /a/x']);
});

test('an empty lower directory is never opaque', async (t) => {
  t.deepEqual(await diffOf(t, { 'e/': '' }, async (u) => writeFile(join(u, 'e/n'), '')), ['add /e/n']);
});

test('a directory replaced by a file is one add: no whiteouts for the hidden lower children', async (t) => {
  const entries = await diffOf(t, BASE, async (u) => {
    await rm(join(u, 'a'), { recursive: true });
    await writeFile(join(u, 'a'), 'now a file');
  });
  t.deepEqual(entries, ['add /a']);
});

test('a file replaced by a directory is an add, and so is everything in it', async (t) => {
  const entries = await diffOf(t, BASE, async (u) => {
    await rm(join(u, 'c'));
    await mkdir(join(u, 'c/d'), { recursive: true });
    await writeFile(join(u, 'c/d/f'), 'f');
  });
  t.deepEqual(entries, ['add /c', 'add /c/d', 'add /c/d/f']);
});

test('a symlink replaced by a directory of the same name is an add', async (t) => {
  const entries = await diffOf(t, BASE, async (u) => {
    await rm(join(u, 'l'));
    await mkdir(join(u, 'l'));
  });
  t.deepEqual(entries, ['add /l']);
});

test('device numbers are compared', async (t) => {
  const lower = await tempDir(t);
  const upper = await tempDir(t);
  sys.mknod(join(lower, 'dev'), S_IFCHR | 0o600, 1, 3);
  sys.mknod(join(upper, 'dev'), S_IFCHR | 0o600, 1, 5);
  sys.mknod(join(lower, 'same'), S_IFCHR | 0o600, 1, 3);
  sys.mknod(join(upper, 'same'), S_IFCHR | 0o600, 1, 3);
  await pinTimes(lower);
  await pinTimes(upper);
  t.deepEqual(show(await collect(compareTrees(new DirectoryTree(lower), new DirectoryTree(upper)))), ['modify /dev']);
});

test('an upper tree without a root directory fails with ENOTFOUND', async (t) => {
  const dir = await tempDir(t);
  const err = await t.throwsAsync(collect(compareTrees(null, new DirectoryTree(join(dir, 'missing')))));
  t.true(isStrataError(err, ErrorCode.ENOTFOUND));
  await writeFile(join(dir, 'file'), '');
  const notDir = await t.throwsAsync(collect(compareTrees(null, new DirectoryTree(join(dir, 'file')))));
  t.true(isStrataError(notDir, ErrorCode.ENOTFOUND));
});
