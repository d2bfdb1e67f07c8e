import test from 'ava';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { FuseDriver } from '../../drivers/fuse/index.js';
import { layerTar } from '../overlay/fixtures.js';
import type { Spec } from '../overlay/fixtures.js';
import { logMountsIfFailed, run, sh, testNeedingAll } from './fixtures.js';
import { type DriverRuntime, wrapDriver } from '../../core/engine.js';

// st_ino through a fuse mount: kept across copy-up, rename and remount; never shared by two files.

const BASE: Spec = {
  'a/': '', 'a/b/': '', 'a/b/f': 'f\n', 'a/b/g': 'g\n', 'm/': '', 'm/x': 'x\n', 'm/y': 'y\n', 'm/l': '->x', 'top': 'top\n',
};

/** A fuse driver in a fresh home with BASE as layer base and a writable rw on it; with `tmpfs`, each layer on a tmpfs of its own. */
async function stack(t: ExecutionContext, tmpfs: boolean): Promise<{ fuse: DriverRuntime; home: string }> {
  const work = await mkdtemp(join(tmpdir(), 'strata-fuse-ino-'));
  const home = join(work, 'home');
  const fuse = wrapDriver((c) => new FuseDriver(c), home);
  await fuse.init();
  const mounted: string[] = [];
  t.teardown(async () => {
    await logMountsIfFailed(t, home);
    for (let n = await fuse.mountCount('rw').catch(() => 0); n > 0; n--) await fuse.unmount('rw');
    for (const dir of mounted.reverse()) await run('umount', ['-l', dir]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  });
  /** Moves layer id's directory (diff, work dir, records) onto a tmpfs of its own. */
  const onTmpfs = async (id: string) => {
    if (!tmpfs) return;
    const dir = join(home, 'layers', id);
    const saved = join(work, `${id}.saved`);
    await run('cp', ['-a', dir, saved]);
    await run('mount', ['-t', 'tmpfs', 'tmpfs', dir]);
    mounted.push(dir);
    await run('cp', ['-a', `${saved}/.`, dir]);
  };
  await fuse.create('base', null, { writable: false });
  await onTmpfs('base');
  await fuse.applyDiff('base', null, layerTar(BASE));
  await fuse.create('rw', 'base', { writable: true });
  await onTmpfs('rw');
  return { fuse, home };
}

const inos = (mnt: string, paths: string) => sh(mnt, `stat -c "%i" ${paths}`);

await testNeedingAll(test, ['fuse'], 'a file keeps its st_ino across copy-up, rename and remount; a renamed lower directory too; hard links stay one file', async (t) => {
  const { fuse } = await stack(t, false);
  let mnt = await fuse.mount('rw');
  const before = await inos(mnt, 'm/x m/y m/l a a/b a/b/g top');
  await sh(mnt, 'chmod 600 m/x && echo more >> m/y && touch -h m/l && mv top top2 && mv a a2');
  const after = await inos(mnt, 'm/x m/y m/l a2 a2/b a2/b/g top2');
  t.is(after, before, 'copy-up (chmod, write, touch) and rename (of a file, of a lower directory) keep st_ino');
  await sh(mnt, 'ln m/y m/y2 && echo linked >> m/y2');
  t.is(await inos(mnt, 'm/y2'), await inos(mnt, 'm/y'), 'a hard link made through the mount shows the same number');
  t.is(await sh(mnt, 'tail -n 1 m/y'), 'linked\n', 'and is the same file');
  await fuse.unmount('rw');
  mnt = await fuse.mount('rw');
  t.is(await inos(mnt, 'm/x m/y m/l a2 a2/b a2/b/g top2'), before, 'after a remount too');
  const listed = await sh(mnt, 'find . -printf "%i\\n" | sort | uniq -c | sort -rn | head -n 1');
  t.is(listed.trim().split(/\s+/)[0], '2', 'no two entries share a number but the two hard links');
});

await testNeedingAll(test, ['fuse'], 'layers on two filesystems (each a tmpfs): no two files of the union share st_dev/st_ino', async (t) => {
  const { fuse } = await stack(t, true);
  const mnt = await fuse.mount('rw');
  await sh(mnt, 'for i in 1 2 3 4 5 6 7 8 9 10; do echo $i > new$i; mkdir d$i; done');
  const numbers = (await sh(mnt, 'find . -printf "%D:%i\\n"')).trim().split('\n');
  t.is(numbers.length, 1 + 9 + 20, 'every entry listed');
  t.is(new Set(numbers).size, numbers.length, 'every entry has its own number');
  const lower = await sh(mnt, 'stat -c %i top');
  await sh(mnt, 'chmod 600 top');
  t.is(await sh(mnt, 'stat -c %i top'), lower, 'a copy-up across filesystems keeps the number');
  t.is(await sh(mnt, 'cmp top new1 > /dev/null && echo same || echo differ'), 'differ\n', 'cmp reads them');
  t.true((await readdir(mnt)).length > 0);
});
