// `USER 1000` then `touch f`: the file is 1000's on every driver — in the
// container and in the layer (export). On fuse this needs the mount to create
// files as the calling process (fuse-native's caller context).
import test from 'ava';
import { DRIVERS, RUNTIMES, tarOwners, testOn, withStrata } from './fixtures.js';

for (const driver of DRIVERS) {
  // Ownership is the driver's: runc adds nothing but on fuse (the caller's context through a mount runc enters).
  for (const runtime of RUNTIMES.filter((r) => r === 'builtin' || driver === 'fuse')) {
    testOn(test, driver, runtime)('USER 1000: files the process creates are owned by 1000:1000', (t) => withStrata(driver, runtime, async (s) => {
      await s.importImage('bb-user', ['USER 1000', 'WORKDIR /home/user']);
      const r = await s.run(['--name', 'owner', 'bb-user', 'sh', '-c', 'touch f /tmp/f; mkdir /tmp/d; ln -s f /tmp/l; stat -c "%n %u:%g" f /tmp/f /tmp/d']);
      t.is(r.status, 0, r.stderr);
      t.is(r.stdout, 'f 1000:1000\n/tmp/f 1000:1000\n/tmp/d 1000:1000\n');
      const owners = tarOwners((await s.cli(['export', 'owner'])).raw);
      for (const path of ['home/user/f', 'tmp/f', 'tmp/d', 'tmp/l']) t.is(owners.get(path), '1000/1000', path);
    }));
  }
}
