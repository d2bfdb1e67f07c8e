import test from 'ava';
import { link, lstat, mkdir, readFile, readlink, symlink, utimes, writeFile, chown, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectoryTree, sys } from '../../core/engine.js';
import { MTIME, extract, gnuTar, listTree, packTar, sandbox } from './fixtures.js';

const isRoot = process.getuid?.() === 0;

test('files, directories and symlinks get their modes, owners and mtimes; directory mtimes survive their children', async (t) => {
  const box = await sandbox(t);
  const dirTime = new Date(1_200_000_000_000);
  const bytes = await packTar([
    { name: 'bin/', type: 'directory', mode: 0o755, mtime: dirTime },
    { name: 'bin/su', mode: 0o4755, uid: 0, gid: 0, body: 'suid' },
    { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: dirTime },
    { name: 'tmp/owned', mode: 0o640, uid: 1001, gid: 1002, body: 'mine' },
    { name: 'bin/sh', type: 'symlink', linkname: 'su', uid: 1001, gid: 1002 },
    { name: 'ro/', type: 'directory', mode: 0o555, mtime: dirTime },
    { name: 'ro/inside', body: 'written before the directory became read-only' },
  ]);
  const result = await extract(box.layer, bytes);
  t.is(result.entries, 7);
  t.is(result.size, 4 + 4 + 'written before the directory became read-only'.length);
  const su = await lstat(join(box.layer, 'bin/su'));
  t.is(su.mode & 0o7777, 0o4755);
  t.is(su.mtimeMs, MTIME.getTime());
  t.is((await lstat(join(box.layer, 'tmp'))).mode & 0o7777, 0o1777);
  t.is((await lstat(join(box.layer, 'ro'))).mode & 0o7777, 0o555);
  for (const dir of ['bin', 'tmp', 'ro']) t.is((await lstat(join(box.layer, dir))).mtimeMs, dirTime.getTime(), dir);
  t.is(await readlink(join(box.layer, 'bin/sh')), 'su');
  t.is((await lstat(join(box.layer, 'bin/sh'))).mtimeMs, MTIME.getTime());
  if (isRoot) {
    const owned = await lstat(join(box.layer, 'tmp/owned'));
    t.deepEqual([owned.uid, owned.gid], [1001, 1002]);
    const sh = await lstat(join(box.layer, 'bin/sh'));
    t.deepEqual([sh.uid, sh.gid], [1001, 1002]);
  }
});

test('later duplicate entries win: file over directory, directory over file, directory over symlink', async (t) => {
  const box = await sandbox(t);
  const bytes = await packTar([
    { name: 'x/', type: 'directory' },
    { name: 'x/child', body: 'gone' },
    { name: 'x', body: 'now a file' },
    { name: 'y', body: 'was a file' },
    { name: 'y/', type: 'directory' },
    { name: 'y/inner', body: 'inside' },
    { name: 'z', type: 'symlink', linkname: '../canary' },
    { name: 'z/', type: 'directory', mode: 0o700 },
    { name: 'z/file', body: 'inside the layer' },
    { name: 'dup', body: 'first' },
    { name: 'dup', body: 'second' },
  ]);
  await extract(box.layer, bytes);
  t.is(await readFile(join(box.layer, 'x'), 'utf8'), 'now a file');
  t.is(await readFile(join(box.layer, 'y/inner'), 'utf8'), 'inside');
  t.true((await lstat(join(box.layer, 'z'))).isDirectory());
  t.is(await readFile(join(box.layer, 'z/file'), 'utf8'), 'inside the layer');
  t.is(await readFile(join(box.layer, 'dup'), 'utf8'), 'second');
  t.deepEqual(await listTree(join(box.root, 'canary')), ['secret.txt', 'sub/', 'sub/data', 'sub/link@']);
});

test('parents the tar omits take the lower layer mode, owner and mtime', async (t) => {
  const box = await sandbox(t);
  const lowerDir = join(box.root, 'lower');
  await mkdir(join(lowerDir, 'usr/lib'), { recursive: true });
  await chmod(join(lowerDir, 'usr'), 0o750);
  if (isRoot) await chown(join(lowerDir, 'usr'), 10, 20);
  await utimes(join(lowerDir, 'usr/lib'), 1_100_000_000, 1_100_000_000);
  const bytes = await packTar([
    { name: 'usr/lib/libnew.so', body: 'elf' },
    { name: 'opt/new/file', body: 'no lower parent' },
  ]);
  await extract(box.layer, bytes, { lower: new DirectoryTree(lowerDir) });
  const usr = await lstat(join(box.layer, 'usr'));
  t.is(usr.mode & 0o7777, 0o750);
  if (isRoot) t.deepEqual([usr.uid, usr.gid], [10, 20]);
  t.is((await lstat(join(box.layer, 'usr/lib'))).mtimeMs, 1_100_000_000_000);
  t.is((await lstat(join(box.layer, 'opt/new'))).mode & 0o7777, 0o755);
  t.is(await readFile(join(box.layer, 'opt/new/file'), 'utf8'), 'no lower parent');
});

test('an opaque marker after new files hides only what lower layers had', async (t) => {
  const box = await sandbox(t);
  // vfs-style: the layer directory starts as a full copy of its parent
  await mkdir(join(box.layer, 'etc/conf.d'), { recursive: true });
  await writeFile(join(box.layer, 'etc/old'), 'lower');
  await writeFile(join(box.layer, 'etc/conf.d/lower.conf'), 'lower');
  const bytes = await packTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/new', body: 'this layer' },
    { name: 'etc/conf.d/mine.conf', body: 'this layer' },
    { name: 'etc/.wh..wh..opq' },
    { name: 'etc/after', body: 'also this layer' },
  ]);
  await extract(box.layer, bytes);
  t.deepEqual(await listTree(box.layer), ['etc/', 'etc/after', 'etc/conf.d/', 'etc/conf.d/mine.conf', 'etc/new']);
});

test('whiteouts remove lower paths; a whiteout under a path this layer just made a file is a no-op', async (t) => {
  const box = await sandbox(t);
  await mkdir(join(box.layer, 'a/deep'), { recursive: true });
  await writeFile(join(box.layer, 'a/deep/f'), 'lower');
  await writeFile(join(box.layer, 'keep'), 'lower');
  await writeFile(join(box.layer, 'drop'), 'lower');
  const bytes = await packTar([
    { name: '.wh.drop' },
    { name: 'a', body: 'a is a file now' },
    { name: 'a/deep/.wh.f' },
    { name: 'a/.wh.deep' },
    { name: 'nowhere/.wh.thing' },
  ]);
  const result = await extract(box.layer, bytes);
  t.is(result.entries, 5);
  t.deepEqual(await listTree(box.layer), ['a', 'keep']);
  t.is(await readFile(join(box.layer, 'a'), 'utf8'), 'a is a file now');
});

test('hardlinks: within the layer, re-emitted over an existing pair, and copied up from a lower layer', async (t) => {
  const box = await sandbox(t);
  await writeFile(join(box.layer, 'old'), 'old content');
  await link(join(box.layer, 'old'), join(box.layer, 'old-link'));
  const lowerDir = join(box.root, 'lower');
  await mkdir(join(lowerDir, 'lib'), { recursive: true });
  await writeFile(join(lowerDir, 'lib/only-below'), 'from the lower layer', { mode: 0o751 });
  const bytes = await packTar([
    { name: 'one', body: 'shared' },
    { name: 'two', type: 'link', linkname: 'one' },
    { name: 'old', body: 'new content' },
    { name: 'old-link', type: 'link', linkname: 'old' },
    { name: 'up', type: 'link', linkname: 'lib/only-below' },
  ]);
  await extract(box.layer, bytes, { lower: new DirectoryTree(lowerDir) });
  const [one, two] = await Promise.all([lstat(join(box.layer, 'one')), lstat(join(box.layer, 'two'))]);
  t.is(one.ino, two.ino);
  t.is(await readFile(join(box.layer, 'old-link'), 'utf8'), 'new content');
  t.is((await lstat(join(box.layer, 'old'))).ino, (await lstat(join(box.layer, 'old-link'))).ino);
  const up = await lstat(join(box.layer, 'up'));
  t.is(up.ino, (await lstat(join(box.layer, 'lib/only-below'))).ino);
  t.is(up.mode & 0o7777, 0o751);
  t.is(await readFile(join(box.layer, 'up'), 'utf8'), 'from the lower layer');
});

test('PAX xattrs from GNU tar are set; a GNU tar tree extracts to the same tree', async (t) => {
  const box = await sandbox(t);
  const src = join(box.root, 'src');
  await mkdir(join(src, 'dir/sub'), { recursive: true });
  await writeFile(join(src, 'dir/sub/file'), 'content');
  await writeFile(join(src, 'dir/exe'), '#!/bin/sh\n', { mode: 0o755 });
  await symlink('sub/file', join(src, 'dir/link'));
  await link(join(src, 'dir/sub/file'), join(src, 'dir/hard'));
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  sys.lsetxattr(join(src, 'dir/exe'), 'user.cap', cap);
  sys.lsetxattr(join(src, 'dir/sub'), 'user.dir', Buffer.from('on a directory'));
  const bytes = gnuTar(src, ['--format=posix', '--xattrs', '--xattrs-include=*', '--numeric-owner', '-cf', '-', 'dir']);
  await extract(box.layer, bytes);
  t.deepEqual(sys.lgetxattr(join(box.layer, 'dir/exe'), 'user.cap'), cap);
  t.deepEqual(sys.lgetxattr(join(box.layer, 'dir/sub'), 'user.dir'), Buffer.from('on a directory'));
  t.deepEqual(await listTree(box.layer), await listTree(src));
  t.is((await lstat(join(box.layer, 'dir/hard'))).ino, (await lstat(join(box.layer, 'dir/sub/file'))).ino);
  for (const path of ['dir', 'dir/sub', 'dir/sub/file', 'dir/exe', 'dir/link']) {
    const [a, b] = await Promise.all([lstat(join(src, path)), lstat(join(box.layer, path))]);
    t.is(b.mode, a.mode, path);
    t.is(Math.floor(b.mtimeMs / 1000), Math.floor(a.mtimeMs / 1000), path);
  }
});

test('devices are created when allowed, fifos always', async (t) => {
  const box = await sandbox(t);
  const bytes = await packTar([
    { name: 'pipe', type: 'fifo', mode: 0o620 },
    ...(isRoot ? [{ name: 'null', type: 'character-device' as const, mode: 0o666, devmajor: 1, devminor: 3 }] : []),
  ]);
  await extract(box.layer, bytes);
  const pipe = await lstat(join(box.layer, 'pipe'));
  t.true(pipe.isFIFO());
  t.is(pipe.mode & 0o7777, 0o620);
  if (isRoot) {
    const dev = await lstat(join(box.layer, 'null'));
    t.true(dev.isCharacterDevice());
    t.is(dev.rdev, (1 << 8) | 3);
  }
});

test('the root entry sets the layer root mode; an empty archive changes nothing', async (t) => {
  const box = await sandbox(t);
  await extract(box.layer, await packTar([{ name: './', type: 'directory', mode: 0o711 }]));
  t.is((await lstat(box.layer)).mode & 0o7777, 0o711);
  const result = await extract(box.layer, await packTar([]));
  t.deepEqual(result, { size: 0, entries: 0 });
});
