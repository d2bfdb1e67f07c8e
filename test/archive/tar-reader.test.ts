import test from 'ava';
import { mkdir, writeFile, symlink, link, utimes, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ErrorCode, readLayerTar, sys, type LayerTarHeader } from '../../core/engine.js';
import { assertRefused, gnuTar, packTar, sandbox } from './fixtures.js';

async function readAll(bytes: Buffer, consume = true): Promise<Array<{ header: LayerTarHeader; data: string }>> {
  const out: Array<{ header: LayerTarHeader; data: string }> = [];
  for await (const { header, body } of readLayerTar(Readable.from([bytes]))) {
    let data = '';
    if (consume) for await (const chunk of body) data += String(chunk);
    out.push({ header, data });
  }
  return out;
}

test('names are made relative and normalized; directories lose their trailing slash', async (t) => {
  const bytes = await packTar([
    { name: './', type: 'directory' },
    { name: '/etc/', type: 'directory' },
    { name: './etc//passwd', body: 'root:x:0:0\n' },
    { name: 'usr/./bin/', type: 'directory' },
  ]);
  const names = (await readAll(bytes)).map((e) => e.header.name);
  t.deepEqual(names, ['.', 'etc', 'etc/passwd', 'usr/bin']);
});

test('modes keep setuid, setgid and sticky bits; owners and mtimes come through', async (t) => {
  const bytes = await packTar([
    { name: 'tmp', type: 'directory', mode: 0o1777 },
    { name: 'su', mode: 0o4755, uid: 1234, gid: 5678, body: 'x', mtime: new Date(1_500_000_000_000) },
    { name: 'sg', mode: 0o2711 },
  ]);
  const [tmp, su, sg] = (await readAll(bytes)).map((e) => e.header);
  t.is(tmp?.mode, 0o1777);
  t.is(su?.mode, 0o4755);
  t.is(su?.uid, 1234);
  t.is(su?.gid, 5678);
  t.is(su?.size, 1);
  t.is(su?.mtime.getTime(), 1_500_000_000_000);
  t.is(sg?.mode, 0o2711);
});

test('symlinks, hardlinks, devices and fifos are typed; hardlink targets are normalized', async (t) => {
  const bytes = await packTar([
    { name: 'a', body: 'data' },
    { name: 'b', type: 'link', linkname: './a' },
    { name: 'c', type: 'symlink', linkname: '/etc/../a' },
    { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
    { name: 'loop0', type: 'block-device', devmajor: 7, devminor: 0 },
    { name: 'pipe', type: 'fifo' },
  ]);
  const headers = (await readAll(bytes)).map((e) => e.header);
  t.deepEqual(
    headers.map((h) => [h.name, h.type, h.linkName, h.devmajor, h.devminor]),
    [
      ['a', 'file', undefined, undefined, undefined],
      ['b', 'hardlink', 'a', undefined, undefined],
      ['c', 'symlink', '/etc/../a', undefined, undefined],
      ['null', 'char', undefined, 1, 3],
      ['loop0', 'block', undefined, 7, 0],
      ['pipe', 'fifo', undefined, undefined, undefined],
    ],
  );
});

test('long names and link targets (PAX and GNU) are read whole', async (t) => {
  const long = `${'d'.repeat(120)}/${'e'.repeat(150)}/${'f'.repeat(200)}`;
  const pax = await readAll(await packTar([{ name: long, body: 'x' }, { name: 'l', type: 'symlink', linkname: long }]));
  t.is(pax[0]?.header.name, long);
  t.is(pax[1]?.header.linkName, long);

  const box = await sandbox(t);
  await mkdir(join(box.root, 'src', long.slice(0, long.lastIndexOf('/'))), { recursive: true });
  await writeFile(join(box.root, 'src', long), 'gnu');
  const gnu = await readAll(gnuTar(join(box.root, 'src'), ['--format=gnu', '-cf', '-', long]));
  t.is(gnu.at(-1)?.header.name, long);
  t.is(gnu.at(-1)?.data, 'gnu');
});

test('PAX SCHILY.xattr records become byte-exact xattrs; PAX mtime keeps milliseconds', async (t) => {
  const box = await sandbox(t);
  const src = join(box.root, 'src');
  await mkdir(src);
  await writeFile(join(src, 'f'), 'x');
  const binary = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x80, 0x00]);
  sys.lsetxattr(join(src, 'f'), 'user.bin', binary);
  sys.lsetxattr(join(src, 'f'), 'user.text', Buffer.from('hello'));
  await utimes(join(src, 'f'), 1_600_000_000.25, 1_600_000_000.25);
  const bytes = gnuTar(src, ['--format=posix', '--xattrs', '--xattrs-include=*', '-cf', '-', 'f']);
  const [f] = await readAll(bytes);
  t.deepEqual(f?.header.xattrs?.['user.bin'], binary);
  t.deepEqual(f?.header.xattrs?.['user.text'], Buffer.from('hello'));
  t.is(f?.header.mtime.getTime(), 1_600_000_000_250);
});

test('GNU tar hardlinks arrive as hardlink entries naming the first path', async (t) => {
  const box = await sandbox(t);
  const src = join(box.root, 'src');
  await mkdir(src);
  await writeFile(join(src, 'one'), 'shared');
  await link(join(src, 'one'), join(src, 'two'));
  await symlink('one', join(src, 'sym'));
  await chmod(join(src, 'one'), 0o4750);
  const headers = (await readAll(gnuTar(src, ['--format=posix', '-cf', '-', 'one', 'two', 'sym']))).map((e) => e.header);
  t.deepEqual(
    headers.map((h) => [h.name, h.type, h.linkName ?? null, h.mode]),
    [
      ['one', 'file', null, 0o4750],
      ['two', 'hardlink', 'one', 0o4750],
      ['sym', 'symlink', 'one', 0o777],
    ],
  );
});

test('bodies left unread are drained before the next entry', async (t) => {
  const bytes = await packTar([
    { name: 'big', body: Buffer.alloc(300_000, 7) },
    { name: 'small', body: 'tail' },
  ]);
  const entries = await readAll(bytes, false);
  t.deepEqual(
    entries.map((e) => e.header.name),
    ['big', 'small'],
  );
});

test('a truncated archive fails with EBADARCHIVE naming the entry', async (t) => {
  const bytes = await packTar([
    { name: 'first', body: 'complete' },
    { name: 'second', body: Buffer.alloc(10_000, 1) },
  ]);
  const cut = bytes.subarray(0, 512 + 512 + 512 + 4096);
  await assertRefused(t, readAll(cut), ErrorCode.EBADARCHIVE, 'second');
  const cutInHeader = bytes.subarray(0, 512 + 512 + 100);
  await assertRefused(t, readAll(cutInHeader), ErrorCode.EBADARCHIVE, 'first');
});

test('garbage fails with EBADARCHIVE; a corrupt header after a good entry names that entry', async (t) => {
  const noise = Buffer.alloc(2048, 0x5a);
  await assertRefused(t, readAll(noise), ErrorCode.EBADARCHIVE, 'first entry');
  const bytes = await packTar([{ name: 'good', body: 'ok' }, { name: 'bad', body: 'x' }]);
  bytes[1024 + 10] ^= 0xff; // damage the second header (checksum no longer matches)
  await assertRefused(t, readAll(bytes), ErrorCode.EBADARCHIVE, 'good');
});

test('names with ".." or NUL are refused with EUNSAFEARCHIVE', async (t) => {
  await assertRefused(t, readAll(await packTar([{ name: 'a/../../etc/passwd', body: 'x' }])), ErrorCode.EUNSAFEARCHIVE, 'a/../../etc/passwd');
  await assertRefused(
    t,
    readAll(await packTar([{ name: 'ok', pax: { path: 'bad\0name' }, body: 'x' }])),
    ErrorCode.EUNSAFEARCHIVE,
    'bad',
  );
  await assertRefused(
    t,
    readAll(await packTar([{ name: 'l', type: 'link', linkname: '../outside' }])),
    ErrorCode.EUNSAFEARCHIVE,
    '"l"',
  );
});
