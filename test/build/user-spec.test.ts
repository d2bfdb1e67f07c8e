import test from 'ava';
import { copiedMode, fileDestination } from '../../core/build/copy-rules.js';
import { resolveChown, resolveRunUser } from '../../core/build/user-spec.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\napp:x:1000:\nextra:x:50:app\n';

test('--chown: names from the image files, numbers as is, the group defaults to the user text', (t) => {
  t.deepEqual(resolveChown('app', PASSWD, GROUP), { uid: 1000, gid: 1000 });
  t.deepEqual(resolveChown('app:root', PASSWD, GROUP), { uid: 1000, gid: 0 });
  t.deepEqual(resolveChown('1000:1000', undefined, undefined), { uid: 1000, gid: 1000 });
  t.deepEqual(resolveChown('7', undefined, undefined), { uid: 7, gid: 7 });
  t.throws(() => resolveChown('nosuchuser', PASSWD, GROUP), {
    message: 'unable to convert uid/gid chown string to host mapping: can\'t find uid for user nosuchuser: no such user: nosuchuser',
  });
  t.throws(() => resolveChown('app:nogroup', PASSWD, GROUP), { message: /can't find gid for group nogroup: no such group: nogroup/ });
});

test('USER for RUN: passwd gid by default, supplementary groups, numeric users need no entry', (t) => {
  t.deepEqual(resolveRunUser('app', PASSWD, GROUP), { uid: 1000, gid: 1000, additionalGids: [50], home: '/home/app' });
  t.deepEqual(resolveRunUser('', PASSWD, GROUP), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  t.deepEqual(resolveRunUser('4242', PASSWD, GROUP), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
  t.like(resolveRunUser('1000:50', PASSWD, GROUP), { uid: 1000, gid: 50 });
  t.throws(() => resolveRunUser('ghost', PASSWD, GROUP), { message: 'unable to find user ghost: no matching entries in passwd file' });
});

test('copy destinations and modes', (t) => {
  t.is(fileDestination('/ctx/', 'dir/a.txt', false), '/ctx/a.txt');
  t.is(fileDestination('/existing', 'a.txt', true), '/existing/a.txt');
  t.is(fileDestination('/renamed', 'a.txt', false), '/renamed');
  t.is(copiedMode(0o4755, 'context'), 0o755);
  t.is(copiedMode(0o2755, 'context'), 0o755);
  t.is(copiedMode(0o4755, 'stage'), 0o4755);
  t.is(copiedMode(0o4755, 'archive'), 0o4755);
});
