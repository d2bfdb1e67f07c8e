import { createHash } from 'node:crypto';
import test from 'ava';
import { EXTENT_SIZE } from '../../drivers/btrfs-sim/index.js';
import { extentFileCount, freshDriver, layerTar, sha256Of, storeCheck } from './fixtures.js';

const EIGHT_EXTENTS = Buffer.alloc(8 * EXTENT_SIZE);
for (let i = 0; i < EIGHT_EXTENTS.length; i += 4096) EIGHT_EXTENTS.writeUInt32BE(i, i); // every extent distinct

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

test('a one-byte change in a large file shares every other extent with the parent', async (t) => {
  const { driver, home } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'big' }, EIGHT_EXTENTS]]));
  t.is(await extentFileCount(home), 8);
  const changed = Buffer.from(EIGHT_EXTENTS);
  changed[3 * EXTENT_SIZE + 17] ^= 0xff;
  await driver.create('child', 'base', { writable: false });
  await driver.applyDiff('child', 'base', layerTar([[{ name: 'big' }, changed]]));
  t.is(await extentFileCount(home), 9, 'only the changed extent is new');
  const usage = await driver.usage('child');
  t.true(usage.bytes >= EXTENT_SIZE && usage.bytes < 2 * EXTENT_SIZE, `child holds ${usage.bytes} bytes alone`);
  t.is(usage.sharedBytes, 7 * EXTENT_SIZE);
  t.is(await sha256Of(await driver.read('child', '/big')), sha256(changed));
  t.is(await sha256Of(await driver.read('base', '/big')), sha256(EIGHT_EXTENTS));
});

test('identical content written in two unrelated layers is stored once', async (t) => {
  const { driver, home } = await freshDriver(t);
  for (const id of ['one', 'two']) {
    await driver.create(id, null, { writable: false });
    await driver.applyDiff(id, null, layerTar([[{ name: `dir-${id}/copy` }, EIGHT_EXTENTS.subarray(0, 2 * EXTENT_SIZE)]]));
  }
  t.is(await extentFileCount(home), 2);
  const one = await driver.usage('one');
  t.true(one.sharedBytes! >= 2 * EXTENT_SIZE, `shared ${one.sharedBytes}`);
  t.true(one.bytes < 4096, `exclusive ${one.bytes}: only its own directory nodes`);
  await driver.remove('one');
  t.is(await extentFileCount(home), 2, 'still held by the other layer');
  t.is((await driver.usage('two')).sharedBytes, 0);
  t.true((await driver.usage('two')).bytes >= 2 * EXTENT_SIZE);
  await driver.remove('two');
  t.is(await extentFileCount(home), 0);
});

test('a snapshot stores nothing new: the child shares its parent\'s whole tree until it changes', async (t) => {
  const { driver } = await freshDriver(t);
  await driver.create('base', null, { writable: false });
  await driver.applyDiff('base', null, layerTar([[{ name: 'a/b/c' }, 'deep'], [{ name: 'x' }, EIGHT_EXTENTS.subarray(0, EXTENT_SIZE + 1)]]));
  const before = await driver.usage('base');
  t.true(before.bytes > EXTENT_SIZE);
  await driver.create('child', 'base', { writable: false });
  const child = await driver.usage('child');
  t.is(child.bytes, 0);
  t.is(child.inodes, 0);
  t.is(child.sharedBytes, (await driver.usage('base')).sharedBytes);
  t.is((await driver.usage('base')).bytes, 0, 'base alone frees nothing while the snapshot holds it');
  await driver.applyDiff('child', 'base', layerTar([[{ name: 'a/b/d' }, 'new']]));
  const after = await driver.usage('child');
  t.is(after.inodes, 4, 'path copy: root, a, a/b and the new file');
  t.deepEqual(await driver.changes('child', 'base'), [{ kind: 'A', path: '/a/b/d' }]);
  t.deepEqual(await storeCheck(driver), []);
});
