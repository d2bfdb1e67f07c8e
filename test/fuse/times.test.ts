import test from 'ava';
import { buildStack, newDriver, sh, testNeedingAll } from './fixtures.js';

// utimensat(2) through a writable fuse mount: UTIME_NOW sets the time, UTIME_OMIT leaves it, on new and lower files.

await testNeedingAll(test, ['fuse'], 'touch -a, touch -m and touch -d through a fuse mount change exactly the times asked for', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const mnt = await fuse.mount(top);
  const times = (f: string) => sh(mnt, `stat -c "%X %Y" ${f}`);
  const recent = (s: string) => Math.abs(Number(s) - Date.now() / 1000) < 60;
  await sh(mnt, 'echo x > new');
  for (const f of ['new', 'etc/conf/a']) {
    await sh(mnt, `touch -d @1000000000 ${f}`);
    t.is(await times(f), '1000000000 1000000000\n', `${f}: touch -d sets both`);
    await sh(mnt, `touch -a ${f}`);
    let [a, m] = (await times(f)).trim().split(' ');
    t.true(recent(a!), `${f}: touch -a sets the access time to now`);
    t.is(m, '1000000000', `${f}: touch -a leaves the modification time`);
    await sh(mnt, `touch -d @1000000000 ${f} && touch -m ${f}`);
    [a, m] = (await times(f)).trim().split(' ');
    t.is(a, '1000000000', `${f}: touch -m leaves the access time`);
    t.true(recent(m!), `${f}: touch -m sets the modification time to now`);
    await sh(mnt, `touch -m -d @1100000000 ${f} && touch -a -d @1200000000 ${f}`);
    t.is(await times(f), '1200000000 1100000000\n', `${f}: one time given, the other kept`);
    await sh(mnt, `touch ${f}`);
    t.true((await times(f)).trim().split(' ').every(recent), `${f}: plain touch sets both to now`);
  }
  t.is(await sh(mnt, 'touch -h -m -d @1300000000 etc/link && stat -c %Y etc/link'), '1300000000\n', 'a symlink itself (touch -h)');
});
