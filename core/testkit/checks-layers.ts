import type { Check } from './check.js';
import { rejectsWith } from './check.js';
import type { Op } from './ops.js';

/** A base layer with the modes and owners that break naive copies. */
export const ODD_BASE: readonly Op[] = [
  { op: 'mkdir', path: '/tmp', mode: 0o1777 },
  { op: 'mkdir', path: '/bin' },
  { op: 'write', path: '/bin/su', data: 'setuid', mode: 0o4755 },
  { op: 'write', path: '/bin/wall', data: 'setgid', mode: 0o2755, gid: 5 },
  { op: 'mkdir', path: '/srv', mode: 0o2775, uid: 33, gid: 33 },
  { op: 'mkdir', path: '/home' },
  { op: 'mkdir', path: '/home/user', mode: 0o700, uid: 1000, gid: 1000 },
  { op: 'write', path: '/home/user/.profile', data: 'export A=1\n', mode: 0o600, uid: 1000, gid: 1000 },
  { op: 'write', path: '/odd', data: 'odd owner', mode: 0o640, uid: 4_000_000, gid: 65534 },
  { op: 'write', path: '/none', data: '', mode: 0o000 },
  { op: 'write', path: '/big', data: 'strata '.repeat(50_000) },
  { op: 'symlink', path: '/bin/sh', target: 'su', uid: 1000, gid: 1000 },
  { op: 'symlink', path: '/dangling', target: '/nowhere/at/all' },
  { op: 'mkdir', path: '/dev' },
  { op: 'mknod', path: '/dev/null', kind: 'char', mode: 0o666, major: 1, minor: 3 },
  { op: 'mknod', path: '/fifo', kind: 'fifo', mode: 0o600 },
];

export const layerChecks: readonly Check[] = [
  {
    title: 'create: an empty base layer is a 0755 root owned 0:0; bad ids and parents are refused',
    needs: { root: true },
    async run(h, t) {
      const d = h.driver;
      const id = await h.create(null, false);
      t.true(await d.exists(id));
      t.is(await d.parent(id), null);
      t.like(await d.stat(id, '/'), { type: 'directory', mode: 0o755, uid: 0, gid: 0 });
      t.deepEqual(await d.readdir(id, '/'), []);
      await h.expect(t, id, h.oracle);
      const child = await h.create(id, true);
      t.is(await d.parent(child), id);
      await rejectsWith(t, d.create(id, null, { writable: false }), 'ELAYEREXISTS', 'creating an existing id');
      await rejectsWith(t, d.create(h.newId(), 'nosuchlayer', { writable: false }), 'ENOLAYER', 'creating on a missing parent');
      await rejectsWith(t, d.stat('nosuchlayer', '/'), 'ENOLAYER', 'stat in a missing layer');
      t.false(await d.exists('nosuchlayer'));
      t.is(await d.stat(id, '/missing'), undefined);
      await rejectsWith(t, d.readdir(id, '/missing'), 'ENOTFOUND', 'readdir of a missing directory');
      await rejectsWith(t, d.read(id, '/missing'), 'ENOTFOUND', 'read of a missing file');
    },
  },
  {
    title: 'base layer keeps sticky, setuid, setgid bits, odd owners, devices, fifos and symlinks',
    needs: { root: true },
    async run(h, t) {
      await h.step(t, null, ODD_BASE);
    },
  },
  {
    title: 'a child keeps its parent\'s modes and owners',
    needs: { root: true },
    async run(h, t) {
      const base = await h.step(t, null, ODD_BASE, 'tar');
      const empty = await h.create(base, false);
      await h.expect(t, empty, h.oracle);
      await h.step(t, base, [{ op: 'write', path: '/home/user/new', data: 'new', mode: 0o600, uid: 1000, gid: 1000 }]);
      await h.verify(t, base);
    },
  },
  {
    title: 'file content and mode overwrite',
    async run(h, t) {
      const base = await h.step(t, null, [
        { op: 'mkdir', path: '/etc' },
        { op: 'write', path: '/etc/conf', data: 'one' },
        { op: 'write', path: '/tool', data: 'tool', mode: 0o755 },
      ], 'tar');
      await h.step(t, base, [
        { op: 'write', path: '/etc/conf', data: 'two, and longer', mode: 0o600 },
        { op: 'chmod', path: '/tool', mode: 0o700 },
      ]);
      await h.verify(t, base);
    },
  },
  {
    title: 'a directory removed in a lower layer and recreated hides its old children',
    async run(h, t) {
      const l1 = await h.step(t, null, [
        { op: 'mkdir', path: '/d' },
        { op: 'write', path: '/d/a', data: 'a' },
        { op: 'mkdir', path: '/d/sub' },
        { op: 'write', path: '/d/sub/b', data: 'b' },
      ], 'tar');
      const l2 = await h.step(t, l1, [{ op: 'remove', path: '/d' }]);
      const l3 = await h.step(t, l2, [{ op: 'mkdir', path: '/d', mode: 0o750 }, { op: 'write', path: '/d/c', data: 'c' }]);
      await h.step(t, l3, [
        { op: 'remove', path: '/d' },
        { op: 'mkdir', path: '/d' },
        { op: 'write', path: '/d/e', data: 'e' },
      ]);
    },
  },
  {
    title: 'chown-only layer',
    needs: { root: true },
    async run(h, t) {
      const base = await h.step(t, null, [
        { op: 'write', path: '/f', data: 'f' },
        { op: 'mkdir', path: '/dir' },
        { op: 'write', path: '/dir/g', data: 'g' },
        { op: 'symlink', path: '/link', target: 'f' },
      ], 'tar');
      await h.step(t, base, [
        { op: 'chown', path: '/f', uid: 1000, gid: 1000 },
        { op: 'chown', path: '/dir', uid: 2000, gid: 2001 },
        { op: 'chown', path: '/link', uid: 3000, gid: 3001 },
      ]);
    },
  },
  {
    title: 'ownership over three layers with remove and recreate',
    needs: { root: true },
    async run(h, t) {
      const l1 = await h.step(t, null, [
        { op: 'write', path: '/f', data: 'one', uid: 1, gid: 1 },
        { op: 'mkdir', path: '/d', uid: 2, gid: 2 },
      ]);
      const l2 = await h.step(t, l1, [
        { op: 'remove', path: '/f' },
        { op: 'chown', path: '/d', uid: 3, gid: 3 },
      ]);
      await h.step(t, l2, [
        { op: 'write', path: '/f', data: 'two', uid: 4, gid: 4 },
        { op: 'write', path: '/d/x', data: 'x', uid: 5, gid: 5 },
      ]);
    },
  },
  {
    title: 'remove refuses a layer with children; top-down removal works',
    async run(h, t) {
      const d = h.driver;
      const a = await h.create(null, false);
      const b = await h.create(a, false);
      const c = await h.create(b, true);
      await rejectsWith(t, d.remove(a), 'ELAYERHASCHILDREN', 'removing the base');
      await rejectsWith(t, d.remove(b), 'ELAYERHASCHILDREN', 'removing the middle');
      for (const id of [c, b, a]) {
        await d.remove(id);
        t.false(await d.exists(id), `${id} is gone`);
      }
      await rejectsWith(t, d.remove(a), 'ENOLAYER', 'removing a removed layer');
      await rejectsWith(t, d.stat(a, '/'), 'ENOLAYER', 'stat in a removed layer');
    },
  },
  {
    title: 'deleted files in a child',
    async run(h, t) {
      const l1 = await h.step(t, null, [
        { op: 'write', path: '/a', data: 'a' },
        { op: 'write', path: '/b', data: 'b' },
        { op: 'mkdir', path: '/dir' },
        { op: 'write', path: '/dir/c', data: 'c' },
        { op: 'write', path: '/dir/d', data: 'd' },
      ], 'tar');
      const l2 = await h.step(t, l1, [{ op: 'remove', path: '/a' }, { op: 'remove', path: '/dir/c' }]);
      await h.step(t, l2, [{ op: 'remove', path: '/dir' }]);
      await h.verify(t, l1);
    },
  },
  {
    title: 'a file moved from a lower layer',
    async run(h, t) {
      const base = await h.step(t, null, [
        { op: 'mkdir', path: '/src' },
        { op: 'write', path: '/src/f', data: 'moving', mode: 0o640 },
        { op: 'mkdir', path: '/dst' },
      ], 'tar');
      await h.step(t, base, [{ op: 'rename', from: '/src/f', to: '/dst/g' }]);
    },
  },
  {
    title: 'rename of files, and of directories from a lower layer',
    async run(h, t) {
      const base = await h.step(t, null, [
        { op: 'mkdir', path: '/dir' },
        { op: 'write', path: '/dir/a', data: 'a' },
        { op: 'mkdir', path: '/dir/sub' },
        { op: 'write', path: '/dir/sub/b', data: 'b' },
        { op: 'write', path: '/file', data: 'file' },
      ], 'tar');
      const l2 = await h.step(t, base, [{ op: 'rename', from: '/file', to: '/renamed' }]);
      const route = h.driver.capabilities.renameDirectories ? 'both' : 'tar';
      if (route === 'tar') t.log('renameDirectories is false: directory rename only through applyDiff');
      await h.step(t, l2, [{ op: 'rename', from: '/dir', to: '/moved' }], route);
    },
  },
  {
    title: 'type replacements: file→dir, dir→symlink, symlink→dir, dir→file',
    async run(h, t) {
      const base = await h.step(t, null, [
        { op: 'write', path: '/f', data: 'f' },
        { op: 'mkdir', path: '/d' },
        { op: 'write', path: '/d/x', data: 'x' },
        { op: 'symlink', path: '/s', target: 'f' },
      ], 'tar');
      const l2 = await h.step(t, base, [
        { op: 'remove', path: '/f' },
        { op: 'mkdir', path: '/f' },
        { op: 'write', path: '/f/inside', data: 'inside' },
        { op: 'remove', path: '/d' },
        { op: 'symlink', path: '/d', target: 'f' },
        { op: 'remove', path: '/s' },
        { op: 'mkdir', path: '/s' },
        { op: 'write', path: '/s/y', data: 'y' },
      ]);
      await h.step(t, l2, [{ op: 'remove', path: '/f' }, { op: 'write', path: '/f', data: 'a file again' }]);
    },
  },
  {
    title: 'hardlinks and xattrs',
    async run(h, t) {
      const xattrs = h.driver.capabilities.xattrs;
      if (!xattrs) t.log('xattrs capability is false: only hardlinks are checked');
      const attrs = (ops: Op[]): Op[] => (xattrs ? ops : []);
      const base = await h.step(t, null, [
        { op: 'write', path: '/a', data: 'shared' },
        { op: 'link', path: '/b', target: '/a' },
        { op: 'mkdir', path: '/x' },
        { op: 'link', path: '/x/c', target: '/a' },
        { op: 'write', path: '/attr', data: 'attr' },
        { op: 'mkdir', path: '/xdir' },
        ...attrs([
          { op: 'setxattr', path: '/attr', name: 'user.one', value: 'v1' },
          { op: 'setxattr', path: '/xdir', name: 'user.dir', value: 'dv' },
        ]),
      ]);
      await h.step(t, base, [
        { op: 'write', path: '/new', data: 'new' },
        { op: 'link', path: '/new2', target: '/new' },
        ...attrs([
          { op: 'setxattr', path: '/attr', name: 'user.one', value: 'v2' },
          { op: 'setxattr', path: '/attr', name: 'user.two', value: 'w' },
        ]),
      ]);
    },
  },
  {
    title: 'usage counts the bytes and inodes a layer holds',
    async run(h, t) {
      const big = 'u'.repeat(256 * 1024);
      const id = await h.step(t, null, [{ op: 'mkdir', path: '/u' }, { op: 'write', path: '/u/big', data: big }], 'tar');
      const usage = await h.driver.usage(id);
      t.true(usage.bytes >= big.length, `usage ${usage.bytes} bytes holds the 256 KiB file`);
      t.true(usage.inodes >= 2, `usage ${usage.inodes} inodes holds /u and /u/big`);
      await rejectsWith(t, h.driver.usage('nosuchlayer'), 'ENOLAYER', 'usage of a missing layer');
    },
  },
];
