import test from 'ava';
import { createHash } from 'node:crypto';
import { buildStack, bytesOf, newDriver, sh, testNeedingAll } from './fixtures.js';

/** Edits of every kind, then fixed times on every path they touch, so two runs give the same bytes. */
const EDITS = `
echo changed > var/log/old
echo fresh > etc/new
ln etc/new etc/new-hard
rm etc/conf/a
rm -rf usr/lib
mkdir usr/lib
echo y > usr/lib/liby
mv usr/bin/tool usr/bin/tool2
mv var/log var/logs
ln -s ../etc/new home/link
chmod 700 home/u/notes
setfattr -n user.note -v kept home/u/notes
echo appended >> lib/libc
touch -h -d @1700000500 . etc etc/conf usr usr/lib usr/lib/liby usr/bin usr/bin/tool2 var var/logs var/logs/old \\
  etc/new home home/u home/u/notes home/link lib lib/libc
`;

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

await testNeedingAll(test, ['fuse', 'overlay'], 'changes made through a fuse mount come out of layer diff exactly as through a kernel overlay mount', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const overlay = await newDriver(t, 'overlay');
  const top = await buildStack(fuse, true);
  await buildStack(overlay, true);
  for (const driver of [fuse, overlay]) {
    await sh(await driver.mount(top), EDITS);
    await driver.unmount(top);
  }
  const viaKernel = await bytesOf(await overlay.diff(top, 's2'));
  const viaFuse = await bytesOf(await fuse.diff(top, 's2'));
  t.true(viaKernel.length > 1024, 'the diff is not empty');
  t.deepEqual(await fuse.changes(top, 's2'), await overlay.changes(top, 's2'), 'the same changes');
  t.is(sha256(viaFuse), sha256(viaKernel), 'the same diff bytes');
});
