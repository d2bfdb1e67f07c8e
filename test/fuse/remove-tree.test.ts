import test from 'ava';
import type { StorageDriver } from '../../core/engine.js';
import { layerTar } from '../overlay/fixtures.js';
import type { Spec } from '../overlay/fixtures.js';
import { newDriver, sh, testNeedingAll } from './fixtures.js';

// rm -rf of directories that come from a lower layer, run by a shell on a
// writable mount. fts(3) in rm keeps a few directory fds and, deeper than
// that, reopens ".." and checks it is the same inode it walked down from: a
// directory whose inode changed when the first unlink inside copied it up
// made rm fail with "fts_read failed: No such file or directory".

/** A base layer of two trees seven directories deep, with files at every level. */
function deepBase(): Spec {
  const spec: Spec = { 'srv/': '', 'srv/keep': 'keep\n' };
  for (const top of ['lower', 'mixed']) {
    for (const branch of ['a', 'b', 'c']) {
      let dir = `srv/${top}/${branch}`;
      spec[`srv/${top}/`] = '';
      for (const level of ['1', '2', '3', '4', '5', '6']) {
        spec[`${dir}/`] = '';
        for (let i = 0; i < 8; i++) spec[`${dir}/f${i}`] = `${dir} ${i}\n`;
        dir = `${dir}/${level}`;
      }
    }
  }
  return spec;
}

/** Upper entries in the mixed tree: changed and new files deep in lower directories, new directories, a replaced directory. */
const MIX = `
echo changed > mixed/a/1/2/3/f0
mkdir -p mixed/b/1/2/3/4/new/deeper/still
echo new > mixed/b/1/2/3/4/new/deeper/still/file
rm -rf mixed/c/1/2
mkdir -p mixed/c/1/2/again/and/again
echo again > mixed/c/1/2/again/and/again/file
mkdir -p mixed/fresh/x/y/z/w/v
echo fresh > mixed/fresh/x/y/z/w/v/file
`;

async function baseWithTop(driver: StorageDriver): Promise<string> {
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar(deepBase()));
  await driver.create('rw', 'base', { writable: true });
  return 'rw';
}

/** Runs the removals through a mount of driver's writable layer and returns what `find` shows after them. */
async function removeTrees(driver: StorageDriver): Promise<string> {
  const top = await baseWithTop(driver);
  const srv = `${await driver.mount(top)}/srv`;
  await sh(srv, 'rm -rf lower');
  await sh(srv, MIX);
  // Some upper entries from an earlier mount, some from this one.
  await driver.unmount(top);
  const again = `${await driver.mount(top)}/srv`;
  await sh(again, 'mkdir -p mixed/a/1/2/3/4/5/late && echo late > mixed/a/1/2/3/4/5/late/file && rm -rf mixed');
  const found = await sh(again, 'find . | sort');
  await driver.unmount(top);
  return found;
}

// Both needs are probed before the first test registers (ava takes no registration after tests start).
await testNeedingAll(test, ['fuse', 'overlay'], 'rm -rf of lower and mixed directory trees through a fuse mount, as through a kernel overlay mount', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const overlay = await newDriver(t, 'overlay');
  const viaFuse = await removeTrees(fuse);
  const viaKernel = await removeTrees(overlay);
  t.is(viaFuse, '.\n./keep\n', 'find on the parent shows only what is left');
  t.is(viaFuse, viaKernel);
  const changes = await fuse.changes('rw', 'base');
  t.deepEqual(changes, [{ kind: 'C', path: '/srv' }, { kind: 'D', path: '/srv/lower' }, { kind: 'D', path: '/srv/mixed' }], 'the layer records both deletions');
  t.deepEqual(changes, await overlay.changes('rw', 'base'));
  t.is(await fuse.stat('rw', '/srv/lower'), undefined);
  t.is(await fuse.stat('rw', '/srv/mixed/a'), undefined);
});

await testNeedingAll(test, ['fuse'], 'a directory keeps its inode number when a change inside it copies it up, across remounts', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await baseWithTop(fuse);
  const inodes = 'stat -c %i srv/lower srv/lower/a srv/lower/a/1/2/3';
  const first = await fuse.mount(top);
  const before = await sh(first, inodes);
  await sh(first, 'echo x > srv/lower/a/1/2/3/f0');
  await fuse.unmount(top);
  // A fresh mount: nothing answered from the kernel's attribute cache.
  const mnt = await fuse.mount(top);
  t.is(await sh(mnt, 'cat srv/lower/a/1/2/3/f0'), 'x\n', 'the write is in the layer');
  t.is(await sh(mnt, inodes), before);
});
