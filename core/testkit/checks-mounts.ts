import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Check } from './check.js';
import { rejectsWith } from './check.js';

export const mountChecks: readonly Check[] = [
  {
    title: 'a read-only layer\'s mount refuses writes (EROFS); a writable one takes them',
    needs: { mount: true },
    async run(h, t) {
      const d = h.driver;
      const ro = await h.step(t, null, [{ op: 'write', path: '/f', data: 'f' }], 'tar');
      const path = await d.mount(ro);
      try {
        t.is(await readFile(join(path, 'f'), 'utf8'), 'f');
        await t.throwsAsync(writeFile(join(path, 'new'), 'x'), { code: 'EROFS' }, 'creating a file');
        await t.throwsAsync(writeFile(join(path, 'f'), 'x'), { code: 'EROFS' }, 'overwriting a file');
        await t.throwsAsync(mkdir(join(path, 'dir')), { code: 'EROFS' }, 'making a directory');
      } finally {
        await d.unmount(ro);
      }
      await h.verify(t, ro);
      const rw = await h.create(ro, true);
      const rwPath = await d.mount(rw);
      try {
        await writeFile(join(rwPath, 'new'), 'x');
      } finally {
        await d.unmount(rw);
      }
      t.like(await d.stat(rw, '/new'), { type: 'file', size: 1 });
      t.is(await d.stat(ro, '/new'), undefined, 'the parent is unchanged');
    },
  },
  {
    title: 'mount reference counts, across driver instances; ELAYERBUSY while mounted',
    needs: { mount: true },
    async run(h, t) {
      const d = h.driver;
      const ro = await h.step(t, null, [{ op: 'write', path: '/f', data: 'content' }], 'tar');
      const rw = await h.create(ro, true);
      for (const id of [ro, rw]) {
        const first = await d.mount(id);
        t.is(await d.mount(id), first, 'every mount of one id returns the same path');
        t.is(await d.mountCount(id), 2);
        await rejectsWith(t, d.remove(id), 'ELAYERBUSY', 'removing a mounted layer');
        await d.unmount(id);
        t.is(await d.mountCount(id), 1);
        t.is(await readFile(join(first, 'f'), 'utf8'), 'content', 'still mounted after one of two unmounts');
        const other = await h.reopen();
        t.is(await other.mountCount(id), 1, 'another driver instance on the same home sees the count');
        await other.unmount(id);
        t.is(await d.mountCount(id), 0, 'an unmount by another instance counts');
        await d.unmount(id);
        t.is(await d.mountCount(id), 0, 'unmounting an unmounted layer is a no-op');
      }
      await d.remove(rw);
      await d.remove(ro);
      await rejectsWith(t, d.mount(ro), 'ENOLAYER', 'mounting a removed layer');
    },
  },
  {
    title: 'lookups agree with the mounted view',
    needs: { mount: true },
    async run(h, t) {
      const l1 = await h.step(t, null, [
        { op: 'mkdir', path: '/a' },
        { op: 'write', path: '/a/one', data: 'one' },
        { op: 'write', path: '/a/two', data: 'two' },
        { op: 'symlink', path: '/a/link', target: 'one' },
      ], 'tar');
      const l2 = await h.step(t, l1, [{ op: 'remove', path: '/a/two' }, { op: 'write', path: '/a/three', data: '3' }], 'mount');
      const l3 = await h.step(t, l2, [{ op: 'write', path: '/a/one', data: 'one, again' }], 'tar');
      for (const id of [l1, l2, l3]) {
        const lookups = await h.lookupSnapshot(id);
        t.deepEqual(await h.mountedSnapshot(id), lookups, `layer ${id}`);
      }
    },
  },
];
