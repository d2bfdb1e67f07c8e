import test from 'ava';
import { chmod } from 'node:fs/promises';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { extract } from 'tar-stream';
import type { Readable } from 'node:stream';
import { buildStack, newDriver, sh, testNeedingAll } from './fixtures.js';

// Files a process makes through a writable fuse mount belong to that process, as on a local filesystem.

/** Lets other users reach mnt: its temp ancestors are 0700. */
async function openPathTo(mnt: string): Promise<void> {
  for (let dir = dirname(mnt); dir.startsWith(tmpdir()) && dir !== tmpdir(); dir = dirname(dir)) await chmod(dir, 0o755);
}

/** path → "uid:gid mode" of every entry of a layer tar. */
async function owners(tar: Readable): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const ex = extract();
  ex.on('entry', (h, body, next) => {
    found.set(h.name.replace(/^\.?\/?/, '').replace(/\/$/, ''), `${h.uid}:${h.gid} ${(h.mode ?? 0).toString(8)}`);
    body.on('end', next).resume();
  });
  const done = new Promise<void>((resolve, reject) => ex.on('finish', resolve).on('error', reject));
  tar.pipe(ex);
  await done;
  return found;
}

await testNeedingAll(test, ['fuse'], 'setpriv uid 1000: touch, mkdir, mknod, symlink make entries owned by 1000:1000 with its umask, in the union and the diff', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const mnt = await fuse.mount(top);
  await openPathTo(mnt);
  await sh(mnt, 'mkdir -m 1777 shared && mkdir -m 2777 shared/sgid && chgrp 50 shared/sgid');
  const asUser = 'setpriv --reuid 1000 --regid 1000 --clear-groups';
  await sh(mnt, `${asUser} sh -c 'umask 027; cd shared; touch f; mkdir d; mknod p p; ln -s f l; echo hi > sgid/g; mkdir sgid/sd'`);
  const show = 'stat -c "%n %u:%g %a" shared/f shared/d shared/p shared/sgid/g shared/sgid/sd; stat -c "%n %u:%g" shared/l';
  t.is(
    await sh(mnt, show),
    'shared/f 1000:1000 640\nshared/d 1000:1000 750\nshared/p 1000:1000 640\nshared/sgid/g 1000:50 640\nshared/sgid/sd 1000:50 2750\nshared/l 1000:1000\n',
  );
  t.regex(await sh(mnt, `${asUser} sh -c 'echo more >> shared/f; cat shared/f; rm shared/f; ls shared'`), /^more\nd\nl\np\nsgid\n$/, 'the owner can use and remove them');
  await sh(mnt, 'echo root > shared/r && chmod 600 shared/r');
  await t.throwsAsync(sh(mnt, `${asUser} cat shared/r`), undefined, 'default_permissions: the kernel checks modes against the caller');
  await fuse.unmount(top);
  const diff = await owners(await fuse.diff(top, 's2'));
  t.is(diff.get('shared/d'), '1000:1000 750');
  t.is(diff.get('shared/p'), '1000:1000 640');
  t.is(diff.get('shared/l')?.split(' ')[0], '1000:1000');
  t.is(diff.get('shared/sgid/g'), '1000:50 640');
  t.is(diff.get('shared/sgid/sd'), '1000:50 2750');
});

await testNeedingAll(test, ['fuse'], 'supplementary groups: chgrp to one of them works through a fuse mount, to another is refused', async (t) => {
  const fuse = await newDriver(t, 'fuse');
  const top = await buildStack(fuse, true);
  const mnt = await fuse.mount(top);
  await openPathTo(mnt);
  await sh(mnt, 'mkdir -m 1777 shared && mkdir -m 770 shared/team && chgrp 60 shared/team');
  const asUser = 'setpriv --reuid 1000 --regid 1000 --groups 60';
  await sh(mnt, `${asUser} sh -c 'touch shared/team/f && chgrp 60 shared/team/f'`);
  t.is(await sh(mnt, 'stat -c "%u:%g" shared/team/f'), '1000:60\n', 'a supplementary group opens the group-only directory and is a chgrp target');
  await t.throwsAsync(sh(mnt, `${asUser} chgrp 61 shared/team/f`), undefined, 'a group the caller lacks is refused');
  await t.throwsAsync(sh(mnt, 'setpriv --reuid 1000 --regid 1000 --clear-groups touch shared/team/g'), undefined, 'without the group, no entry');
});
