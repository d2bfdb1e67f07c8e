import test from 'ava';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ErrorCode, TAR_TRAILER, encodeTarHeader, isStrataError, writeTar } from '../../core/engine.js';
import type { LayerTarHeader, TarWriterEntry } from '../../core/engine.js';
import { listTar } from './tar-listing.js';
import { bytesOf, tempDir } from './trees.js';

const T = new Date(1_700_000_000_500);
const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: T } as const;

function entries(items: TarWriterEntry[]): AsyncIterable<TarWriterEntry> {
  return Readable.from(items, { objectMode: true });
}

test('short entries are one ustar block; directories get a trailing slash; mtime is whole seconds', async (t) => {
  const header: LayerTarHeader = { ...base, name: 'etc', type: 'directory', mode: 0o755 };
  const block = encodeTarHeader(header);
  t.is(block.length, 512);
  const [dir] = await listTar(Buffer.concat([block, TAR_TRAILER]));
  t.like(dir, { name: 'etc/', type: 'directory', mode: 0o755, mtimeSeconds: 1_700_000_000, uname: '', pax: null });
});

test('long names and link targets, big ids and binary xattrs go into PAX records, byte-exact', async (t) => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(120)}`;
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x0a, 0xff]);
  const header: LayerTarHeader = {
    ...base,
    name: long,
    type: 'symlink',
    uid: 3_000_000,
    gid: 42,
    linkName: 't'.repeat(150),
    xattrs: { 'user.z': Buffer.from('z'), 'security.capability': cap },
  };
  const encoded = encodeTarHeader(header);
  t.true(encoded.includes(Buffer.concat([Buffer.from(' SCHILY.xattr.security.capability='), cap, Buffer.from('\n')])));
  t.true(encoded.indexOf('SCHILY.xattr.security.capability') < encoded.indexOf('SCHILY.xattr.user.z'));
  const [entry] = await listTar(Buffer.concat([encoded, TAR_TRAILER]));
  t.is(entry?.name, long);
  t.is(entry?.linkname, 't'.repeat(150));
  t.is(entry?.pax?.uid, '3000000');
  t.is(entry?.gid, 42);
});

test('PAX record lengths count their own digits (checked by GNU tar)', async (t) => {
  const dir = await tempDir(t);
  const archive = join(dir, 'a.tar');
  // values sized so that the record length crosses 99 → 100 and 999 → 1000
  const items: TarWriterEntry[] = [];
  for (const n of [84, 85, 86, 87, 88, 89, 90, 984, 985, 986, 987, 988, 989, 990]) {
    items.push({ header: { ...base, name: 'n'.repeat(n) + String(n), type: 'file' } });
    items.push({ header: { ...base, name: 'é'.repeat(n / 2) + String(n), type: 'file' } });
  }
  await writeFile(archive, await bytesOf(writeTar(entries(items))));
  const listed = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n');
  t.deepEqual(listed, items.map((i) => i.header.name));
});

test('content is streamed and padded; a file that yields the wrong number of bytes fails with ECORRUPT', async (t) => {
  const body = Buffer.alloc(1000, 1);
  const good = await bytesOf(
    writeTar(entries([{ header: { ...base, name: 'f', type: 'file', size: 1000 }, content: async () => Readable.from([body]) }])),
  );
  t.is(good.length, 512 + 1024 + 1024);
  t.deepEqual((await listTar(good))[0]?.content, body);
  for (const actual of [999, 1001]) {
    const err = await t.throwsAsync(
      bytesOf(
        writeTar(
          entries([{ header: { ...base, name: 'f', type: 'file', size: 1000 }, content: async () => Readable.from([Buffer.alloc(actual)]) }]),
        ),
      ),
    );
    t.true(isStrataError(err, ErrorCode.ECORRUPT), `${actual} bytes`);
  }
});

test('a socket cannot be written', (t) => {
  const err = t.throws(() => encodeTarHeader({ ...base, name: 's', type: 'socket' }));
  t.true(isStrataError(err, ErrorCode.EUNSUPPORTED));
});
