import type { Check } from './check.js';
import { rejectsWith } from './check.js';
import type { Op } from './ops.js';

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
