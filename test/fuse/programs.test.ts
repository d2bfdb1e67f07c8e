import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStack, bytesOf, fileHashes, newDriver, sh, testNeedingAll } from './fixtures.js';

// Ordinary programs, run as child processes, on a fuse mount of a 3-layer stack.

await testNeedingAll(test, ['fuse', 'overlay'], 'find | sha256sum on a fuse mount equals the kernel overlay mount of the same stack', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const overlay = await newDriver(t, 'overlay');
  const top = await buildStack(fuse, false);
  await buildStack(overlay, false);
  const viaFuse = await fileHashes(await fuse.mount(top));
  const viaKernel = await fileHashes(await overlay.mount(top));
  t.true(viaKernel.includes('./usr/share/doc/new'), 'the listing is not empty');
  t.false(viaKernel.includes('./etc/motd'), 'the stack deletes /etc/motd');
  t.is(viaFuse, viaKernel);
  t.is(await sh(await fuse.mount(top), 'readlink etc/link; ls usr/share/doc; ls -a etc/conf | tr "\\n" " "'), 'motd\nnew\n. .. a ');
});

await testNeedingAll(test, ['fuse'], 'cp -a out of and into a fuse mount, tar -c | tar -x into it', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const mnt = await fuse.mount(top);
  const scratch = await mkdtemp(join(tmpdir(), 'strata-fuse-cp-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const original = await fileHashes(mnt);
  await sh(scratch, `cp -a ${mnt} copy`);
  t.is(await fileHashes(join(scratch, 'copy')), original, 'cp -a out of the mount keeps every file');
  t.is(await sh(scratch, 'stat -c "%a %U" copy/usr/bin/tool'), '644 root\n', 'and its mode and owner');
  await sh(scratch, 'touch -m -d @1000000000 copy/usr/bin/tool');
  await sh(mnt, `cp -a ${join(scratch, 'copy')} copied && tar -cf - usr etc | (mkdir untarred && cd untarred && tar -xf -)`);
  t.is(await fileHashes(join(mnt, 'copied')), original, 'cp -a into the mount');
  t.is(await sh(mnt, 'stat -c %Y copied/usr/bin/tool'), '1000000000\n', 'cp -a into the mount keeps the modification time');
  await sh(mnt, 'touch -m -d @1200000000 etc/conf/a');
  t.is(await sh(mnt, 'stat -c %Y etc/conf/a'), '1200000000\n', 'touch -m through the mount sets the modification time');
  const listed = 'find usr etc -type f -print0 | sort -z | xargs -0 sha256sum';
  t.is(await sh(join(mnt, 'untarred'), listed), await sh(mnt, listed), 'tar -c | tar -x inside the mount');
  const tarred = await tarOut(mnt);
  t.true(tarred.length > 100_000, 'tar -c reads the data through the mount');
  await fuse.unmount(top);
  const stat = await fuse.stat(top, '/copied/lib/libc');
  t.is(stat?.size, 'libc\n'.length * 20000, 'what was written is in the layer');
});

async function tarOut(dir: string): Promise<Buffer> {
  const { spawn } = await import('node:child_process');
  const child = spawn('tar', ['-cf', '-', '.'], { cwd: dir });
  return bytesOf(child.stdout);
}

await testNeedingAll(test, ['fuse'], 'git init, add and commit inside a fuse mount; git fsck is clean', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const mnt = await fuse.mount(top);
  const git = 'git -c user.name=strata -c user.email=strata@example.com -c init.defaultBranch=main';
  await sh(mnt, `${git} init -q && ${git} add -A && ${git} commit -q -m first && echo more >> etc/conf/a && ${git} commit -q -am second`);
  t.is(await sh(mnt, `${git} log --format=%s`), 'second\nfirst\n');
  t.is(await sh(mnt, `${git} status --porcelain`), '', 'the work tree matches the last commit');
  await sh(mnt, `${git} fsck --strict --no-progress`);
  t.is(await sh(mnt, `${git} show HEAD:usr/bin/tool`), '#!/bin/sh\necho v2\n');
  await fuse.unmount(top);
  t.like(await fuse.stat(top, '/.git/HEAD'), { type: 'file' }, 'the repository is in the layer');
});

await testNeedingAll(test, ['fuse'], 'sqlite3 writes a database inside a fuse mount', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const mnt = await fuse.mount(top);
  const sql = [
    'PRAGMA journal_mode=DELETE;',
    'CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);',
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) INSERT INTO t SELECT i, printf('value %d', i) FROM n;",
    'BEGIN; UPDATE t SET v = v || \'!\' WHERE k % 2 = 0; COMMIT;',
  ].join('\n');
  await sh(mnt, `mkdir -p var/db && sqlite3 var/db/test.db <<'SQL'\n${sql}\nSQL`);
  t.is(await sh(mnt, `sqlite3 var/db/test.db "SELECT count(*), sum(v LIKE '%!') FROM t; PRAGMA integrity_check;"`), '5000|2500\nok\n');
  await sh(mnt, 'sqlite3 var/db/test.db "PRAGMA journal_mode=WAL; INSERT INTO t VALUES (5001, \'wal\');"');
  t.is(await sh(mnt, 'sqlite3 var/db/test.db "SELECT v FROM t WHERE k = 5001;"'), 'wal\n', 'WAL mode (shared memory file) works too');
});
