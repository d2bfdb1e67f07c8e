import test from 'ava';
import { createReadStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { createGzip } from 'node:zlib';
import { ErrorCode } from '../../core/errors.js';
import { writeTar } from '../../core/archive/tar-writer.js';
import { TarIndex, openImageArchive } from '../../core/images/archive/index.js';
import { bytesItem, planTar, type PlannedItem } from '../../core/images/archive/archive-plan.js';
import { assertFails, bytesOf, tempDir } from './support.js';
import { tinyDockerArchive } from './fixtures.js';

async function tarFile(dir: string, items: PlannedItem[], name = 'a.tar'): Promise<string> {
  const path = join(dir, name);
  await pipeline(planTar(items), createWriteStream(path));
  return path;
}

test('entries are found under normalised names and read by byte range', async (t) => {
  const dir = await tempDir(t);
  const big = Buffer.alloc(70_000);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const path = await tarFile(dir, [
    { kind: 'directory', name: 'd' },
    bytesItem('d/big', big),
    bytesItem('small', Buffer.from('hello')),
    bytesItem('empty', Buffer.alloc(0)),
    bytesItem(`${'n'.repeat(120)}/${'m'.repeat(120)}`, Buffer.from('long')),
  ]);
  const index = await TarIndex.open(path);
  for (const name of ['./d/big', 'd/big', '/d//big', 'd/./big']) t.is(index.lookup(name)?.name, 'd/big');
  t.deepEqual(await bytesOf(index.openEntry(index.lookup('d/big')!)), big);
  t.deepEqual(await bytesOf(index.openEntry(index.lookup('./small')!)), Buffer.from('hello'));
  t.deepEqual(await bytesOf(index.openEntry(index.lookup('empty')!)), Buffer.alloc(0));
  t.is((await bytesOf(index.openEntry(index.lookup(`${'n'.repeat(120)}/${'m'.repeat(120)}`)!))).toString(), 'long');
  t.is(index.lookup('d')?.type, 'directory');
  t.is(index.lookup('../small'), undefined);
});

test('symlinks and hard links are followed inside the archive, in any component', async (t) => {
  const dir = await tempDir(t);
  const path = await tarFile(dir, [
    { kind: 'directory', name: 'real' },
    bytesItem('real/layer.tar', Buffer.from('layer')),
    { kind: 'symlink', name: 'alias', target: 'real' },
    { kind: 'directory', name: 'other' },
    { kind: 'symlink', name: 'other/layer.tar', target: '../alias/layer.tar' },
    { kind: 'symlink', name: 'escape', target: '../../etc/passwd' },
    { kind: 'symlink', name: 'absolute', target: '/etc/passwd' },
    { kind: 'symlink', name: 'loop', target: 'loop' },
  ]);
  const index = await TarIndex.open(path);
  t.is(index.resolve('other/layer.tar')?.name, 'real/layer.tar');
  t.is(index.resolve('alias/layer.tar')?.name, 'real/layer.tar');
  t.is(index.resolve('other/missing'), undefined);

  const linked = join(dir, 'hardlink.tar');
  const header = { mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) };
  await pipeline(
    writeTar(
      (async function* () {
        yield { header: { ...header, name: 'real/layer.tar', type: 'file' as const, size: 5 }, content: async () => [Buffer.from('layer')] };
        yield { header: { ...header, name: 'dir/layer.tar', type: 'hardlink' as const, size: 0, linkName: 'real/layer.tar' } };
      })(),
    ),
    createWriteStream(linked),
  );
  const hardIndex = await TarIndex.open(linked);
  t.is(hardIndex.lookup('dir/layer.tar')?.type, 'hardlink');
  t.is((await bytesOf(hardIndex.openEntry(hardIndex.resolve('dir/layer.tar')!))).toString(), 'layer');
  for (const name of ['escape', 'absolute', 'loop', '../real/layer.tar']) {
    const err = t.throws(() => index.resolve(name));
    t.is((err as { code?: string }).code, ErrorCode.EUNSAFEARCHIVE, name);
  }
});

test('a truncated archive and a file that is no tar fail with EBADARCHIVE naming the entry', async (t) => {
  const dir = await tempDir(t);
  const whole = await bytesOf(planTar([bytesItem('first', Buffer.from('x')), bytesItem('blobs/big', Buffer.alloc(10_000, 1))]));
  await writeFile(join(dir, 'cut.tar'), whole.subarray(0, 3000));
  await assertFails(t, TarIndex.open(join(dir, 'cut.tar')), ErrorCode.EBADARCHIVE, 'blobs/big');
  await writeFile(join(dir, 'text.tar'), 'this is not a tar archive at all'.repeat(40));
  await assertFails(t, TarIndex.open(join(dir, 'text.tar')), ErrorCode.EBADARCHIVE, 'not a tar archive');
});

test('stdin and gzipped archives are spooled to the given tmp dir and removed on close', async (t) => {
  const dir = await tempDir(t);
  const spoolDir = await tempDir(t);
  const path = join(dir, 'image.tar');
  await pipeline(planTar(await tinyDockerArchive()), createWriteStream(path));
  await pipeline(createReadStream(path), createGzip(), createWriteStream(`${path}.gz`));

  const fromStdin = await openImageArchive('-', { tmpDir: spoolDir, stdin: createReadStream(path) });
  t.is(fromStdin.format, 'docker-archive');
  t.deepEqual(fromStdin.images[0]!.names, ['tiny:latest']);
  t.is((await readdir(spoolDir)).length, 1);
  await fromStdin.close();
  t.deepEqual(await readdir(spoolDir), []);

  const gz = await openImageArchive(`${path}.gz`, { tmpDir: spoolDir });
  t.is(gz.images[0]!.config.digest, fromStdin.images[0]!.config.digest);
  t.is((await bytesOf(await gz.images[0]!.layers[0]!.open())).length, gz.images[0]!.layers[0]!.size);
  await gz.close();
  t.deepEqual(await readdir(spoolDir), []);

  await assertFails(t, openImageArchive(join(dir, 'missing.tar'), { tmpDir: spoolDir }), ErrorCode.ENOTFOUND, 'missing.tar');
});
