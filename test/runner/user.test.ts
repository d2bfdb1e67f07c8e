import test from 'ava';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerEnv, resolveInRoot, resolveUser, writeInitLayer } from '../../core/containers/runner/index.js';
import { isStrataError } from '../../core/errors.js';
import { makeBusyboxRootfs } from '../helpers/busybox-rootfs.js';
import { runnerUnmet, testUnless } from './helpers.js';

const reason = await runnerUnmet();
const parent = await mkdtemp(join(tmpdir(), 'strata-user-'));
const rootfs = reason === undefined ? await makeBusyboxRootfs(parent) : parent;
test.after.always(() => rm(parent, { recursive: true, force: true }));
const maybe = testUnless(test, reason);

maybe('names, ids and groups resolve against the image\'s passwd and group, as Docker does', async (t) => {
  t.deepEqual(await resolveUser(rootfs, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  t.deepEqual(await resolveUser(rootfs, 'user'), { uid: 1000, gid: 1000, additionalGids: [50], home: '/home/user' });
  t.deepEqual(await resolveUser(rootfs, '1000'), { uid: 1000, gid: 1000, additionalGids: [50], home: '/home/user' });
  t.deepEqual(await resolveUser(rootfs, 'nobody:nogroup'), { uid: 65534, gid: 65534, additionalGids: [], home: '/nonexistent' });
  t.deepEqual(await resolveUser(rootfs, 'user:50'), { uid: 1000, gid: 50, additionalGids: [], home: '/home/user' }, 'an explicit group drops the supplementary ones');
  t.deepEqual(await resolveUser(rootfs, '4242'), { uid: 4242, gid: 0, additionalGids: [], home: '/' }, 'a uid without an entry runs with gid 0 and HOME /');
  t.deepEqual(await resolveUser(rootfs, '4242:4343'), { uid: 4242, gid: 4343, additionalGids: [], home: '/' });
});

maybe('an unknown user or group fails with Docker\'s message', async (t) => {
  const user = await t.throwsAsync(resolveUser(rootfs, 'nosuch'));
  t.true(isStrataError(user, 'ESTART'));
  t.is(user?.message, 'unable to find user nosuch: no matching entries in passwd file');
  const group = await t.throwsAsync(resolveUser(rootfs, 'user:nosuch'));
  t.true(isStrataError(group, 'ESTART'));
  t.is(group?.message, 'unable to find group nosuch: no matching entries in group file');
  await t.throwsAsync(resolveUser(rootfs, 'user:'), { message: /empty group/ });
});

maybe('passwd is read inside the root file system: a symlink to the host\'s passwd resolves inside it', async (t) => {
  const root = await makeBusyboxRootfs(parent);
  await rm(join(root, 'etc/passwd'));
  await mkdir(join(root, 'etc/real'));
  await writeFile(join(root, 'etc/real/passwd'), 'app:x:77:77::/app:/bin/sh\n');
  await symlink('/etc/real/passwd', join(root, 'etc/passwd'));
  t.is((await resolveUser(root, 'app')).uid, 77);
  await rm(join(root, 'etc/passwd'));
  await symlink('../../../../../../../../etc/group', join(root, 'etc/passwd'));
  await t.throwsAsync(resolveUser(root, 'root'), { message: /unable to find user root/ }, 'the link resolves to the image\'s own /etc/group, never to a host file');
});

maybe('resolveInRoot keeps every path inside the root and stops symlink loops', async (t) => {
  const root = await mkdtemp(join(parent, 'paths-'));
  await mkdir(join(root, 'a'));
  await symlink('/', join(root, 'a/up'));
  await symlink('../../..', join(root, 'a/dots'));
  await symlink('loop2', join(root, 'loop1'));
  await symlink('loop1', join(root, 'loop2'));
  t.deepEqual(await resolveInRoot(root, '/a/up/a'), { host: join(root, 'a'), inRoot: '/a', exists: true });
  t.deepEqual(await resolveInRoot(root, '/a/dots/etc/passwd'), { host: join(root, 'etc/passwd'), inRoot: '/etc/passwd', exists: false });
  t.is((await resolveInRoot(root, '/../../a')).host, join(root, 'a'));
  await t.throwsAsync(resolveInRoot(root, '/loop1'), { message: /too many levels of symbolic links/ });
});

test('containerEnv: default PATH, HOSTNAME, TERM with a tty, HOME from passwd unless set', (t) => {
  const user = { uid: 1000, gid: 1000, additionalGids: [], home: '/home/user' };
  t.deepEqual(containerEnv(['A=1'], { hostname: 'h', tty: true, user }), [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'TERM=xterm', 'A=1', 'HOME=/home/user',
  ]);
  t.deepEqual(containerEnv(['PATH=/x', 'HOME=/h', 'A=1', 'A=2'], { hostname: 'h', tty: false, user }), ['HOSTNAME=h', 'PATH=/x', 'HOME=/h', 'A=2']);
});

maybe('writeInitLayer adds Docker\'s init-layer entries the image lacks, and keeps those it has', async (t) => {
  const root = await makeBusyboxRootfs(parent);
  await writeFile(join(root, 'etc/hosts'), 'image\n');
  await writeInitLayer(root);
  t.is(await readFile(join(root, 'etc/hosts'), 'utf8'), 'image\n');
  t.is((await stat(join(root, 'etc/resolv.conf'))).size, 0);
  t.is(await readlink(join(root, 'etc/mtab')), '/proc/mounts');
  t.true((await stat(join(root, 'dev/pts'))).isDirectory());
});
