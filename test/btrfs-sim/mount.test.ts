import { link, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { BtrfsSimDriver, EXTENT_SIZE } from '../../drivers/btrfs-sim/index.js';
import { testNeeding, unmet } from '../helpers/prerequisites.js';
import { extentFileCount, freshDriver, layerTar, storeCheck, textOf } from './fixtures.js';
import { wrapDriver } from '../../core/engine.js';

// Probe every need before registering: ava wants all tests declared in one go.
await Promise.all([unmet('root'), unmet('bind')]);

await testNeeding(test, 'root', 'writes through a mount fold back into the tree on the last unmount', async (t) => {
  const { driver, home } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'etc/conf' }, 'old'], [{ name: 'var/big' }, Buffer.alloc(2 * EXTENT_SIZE, 9)]]));
  await driver.create('box', 'base', { writable: true });
  const dir = await driver.mount('box');
  t.is(await driver.mount('box'), dir, 'every mount of one layer returns the same path');
  await writeFile(join(dir, 'etc/conf'), 'new');
  await writeFile(join(dir, 'etc/added'), Buffer.alloc(EXTENT_SIZE + 1, 3));
  await link(join(dir, 'etc/added'), join(dir, 'etc/alias'));
  await rm(join(dir, 'var/big'));
  await driver.unmount('box');
  t.is(await textOf(await driver.read('box', '/etc/conf')), 'new', 'still mounted once: lookups read the live directory');
  await driver.unmount('box');
  await t.throwsAsync(stat(dir), { code: 'ENOENT' }, 'the materialised directory is gone after the last unmount');
  t.deepEqual(await driver.changes('box', 'base'), [
    { kind: 'C', path: '/etc' },
    { kind: 'A', path: '/etc/added' },
    { kind: 'A', path: '/etc/alias' },
    { kind: 'C', path: '/etc/conf' },
    { kind: 'C', path: '/var' },
    { kind: 'D', path: '/var/big' },
  ]);
  const added = await driver.stat('box', '/etc/added');
  const alias = await driver.stat('box', '/etc/alias');
  t.is(added?.nlink, 2);
  t.is(added?.ino, alias?.ino, 'the hard link survives the fold-back');
  t.is(await textOf(await driver.read('base', '/etc/conf')), 'old', 'the parent is untouched');
  t.is(await extentFileCount(home), 3, 'base keeps var/big; the new file adds one full and one 1-byte extent');
  t.deepEqual(await storeCheck(driver), []);
});

await testNeeding(test, 'root', 'the fold-back sees same-size rewrites, even with the old mtime put back', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'a' }, 'aaaa'], [{ name: 'b' }, Buffer.alloc(EXTENT_SIZE + 10, 1)], [{ name: 'c' }, 'cccc']]));
  await driver.create('box', 'base', { writable: true });
  const dir = await driver.mount('box');
  const { mtime } = await stat(join(dir, 'b'));
  await writeFile(join(dir, 'a'), 'AAAA'); // at once: likely in the same clock tick as the materialisation
  const changed = Buffer.alloc(EXTENT_SIZE + 10, 1);
  changed[EXTENT_SIZE + 3] = 2;
  await writeFile(join(dir, 'b'), changed);
  await utimes(join(dir, 'b'), mtime, mtime);
  await driver.unmount('box');
  t.deepEqual(await driver.changes('box', 'base'), [
    { kind: 'C', path: '/a' },
    { kind: 'C', path: '/b' },
  ]);
  t.is(await textOf(await driver.read('box', '/a')), 'AAAA');
  t.is(await textOf(await driver.read('box', '/c')), 'cccc');
  t.deepEqual(await storeCheck(driver), []);
});

await testNeeding(test, 'root', 'a mount outlives its driver instance; another instance unmounts and folds it', async (t) => {
  const { driver, home } = await freshDriver(t);
  await driver.create('box', null, { writable: true });
  const dir = await driver.mount('box');
  await writeFile(join(dir, 'file'), 'written by another process');
  await driver.close();
  const other = wrapDriver((c) => new BtrfsSimDriver(c), home);
  await other.init();
  t.is(await other.mountCount('box'), 1);
  t.is(await readFile(join(dir, 'file'), 'utf8'), 'written by another process', 'init keeps a live mount');
  await other.unmount('box');
  t.is(await textOf(await other.read('box', '/file')), 'written by another process');
  await other.close();
});

await testNeeding(test, 'bind', 'a read-only layer mounts read-only; remove is refused while mounted', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('ro', null, { writable: false });
  await driver.applyDiff('ro', null, layerTar([[{ name: 'f' }, 'x']]));
  const dir = await driver.mount('ro');
  await t.throwsAsync(writeFile(join(dir, 'f'), 'y'), { code: 'EROFS' });
  await t.throwsAsync(driver.remove('ro'), { code: 'ELAYERBUSY' });
  await driver.unmount('ro');
  await driver.remove('ro');
  t.false(await driver.exists('ro'));
});
