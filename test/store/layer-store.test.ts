import test from 'ava';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readFile, readdir, symlink, link, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { ErrorCode, isStrataError, sha256Digest } from '../../core/engine.js';
import { collect, freshStore, openStore, tempDir } from './store-fixture.js';

/** A small tree with a long name, a symlink, a hardlink, an empty file, made into tars by GNU tar. */
async function gnuTars(dir: string): Promise<{ plain: string; gzip: string }> {
  const src = join(dir, 'src');
  const deep = join(src, 'a-rather-long-directory-name-to-need-more-than-one-hundred-bytes', 'and-another-long-component-for-good-measure');
  await mkdir(deep, { recursive: true });
  await writeFile(join(deep, 'file-with-a-long-name.txt'), 'long name content\n');
  await writeFile(join(src, 'hello.txt'), 'hello, world\n');
  await writeFile(join(src, 'empty'), '');
  await writeFile(join(src, 'binary.bin'), Buffer.alloc(70_000, 7));
  await symlink('hello.txt', join(src, 'link'));
  await link(join(src, 'hello.txt'), join(src, 'hard'));
  const plain = join(dir, 'layer.tar');
  const gzip = join(dir, 'layer.tar.gz');
  execFileSync('tar', ['-cf', plain, '-C', src, '.']);
  execFileSync('tar', ['-czf', gzip, '-C', src, '.']);
  return { plain, gzip };
}

test('a GNU tar layer (plain and gzip) diffs back to its exact bytes, and re-imports elsewhere with the same diff id', async (t) => {
  const dir = await tempDir(t);
  const { plain, gzip } = await gnuTars(dir);
  const { store } = await freshStore(t);
  const fromPlain = await store.layers.importLayer(createReadStream(plain));
  const original = await readFile(plain);
  t.is(fromPlain.diffId, sha256Digest(original));
  t.is(fromPlain.id, fromPlain.diffId!.slice(7));
  t.is(fromPlain.size, original.length);
  t.true((await collect(await store.layers.diff(fromPlain.id))).equals(original));

  const { store: other } = await freshStore(t);
  const fromGzip = await other.layers.importLayer(createReadStream(gzip));
  const unzipped = gunzipSync(await readFile(gzip));
  t.is(fromGzip.diffId, sha256Digest(unzipped));
  t.is(fromGzip.compressedDigest, sha256Digest(await readFile(gzip)));
  const diffed = await collect(await other.layers.diff(fromGzip.id));
  t.true(diffed.equals(unzipped));

  const { store: third } = await freshStore(t);
  const again = await third.layers.importLayer(Readable.from([diffed]));
  t.is(again.diffId, fromGzip.diffId);
  t.deepEqual(await third.layers.check(), []);
});

test('the same tar on the same parent is stored once; each import holds a reference', async (t) => {
  const dir = await tempDir(t);
  const { plain } = await gnuTars(dir);
  const { store } = await freshStore(t);
  const first = await store.layers.importLayer(createReadStream(plain));
  const second = await store.layers.importLayer(createReadStream(plain));
  t.is(second.id, first.id);
  t.is(second.refCount, 2);
  t.is(store.layers.list().length, 1);
  const child = await store.layers.importLayer(createReadStream(plain), { parent: first.id });
  t.not(child.id, first.id, 'on another parent the same tar is another layer');
  t.is(child.parent, first.id);
  await store.layers.remove(child.id);
  await store.layers.remove(first.id);
  t.is(store.layers.get(first.id).refCount, 1);
  await store.layers.remove(first.id);
  t.deepEqual(store.layers.list(), []);
  const layers = await readdir(join(store.layers.root, 'layers'));
  t.deepEqual(layers, [], 'no tar-split record is left');
});

test('a tar with duplicate entries (later wins) still diffs back exactly', async (t) => {
  const dir = await tempDir(t);
  const src = join(dir, 'src');
  await mkdir(src);
  const tarPath = join(dir, 'dup.tar');
  await writeFile(join(src, 'f'), 'first version, longer than the second one\n');
  await writeFile(join(src, 'g'), 'kept\n');
  execFileSync('tar', ['-cf', tarPath, '-C', src, 'f', 'g']);
  await writeFile(join(src, 'f'), 'second\n');
  execFileSync('tar', ['-rf', tarPath, '-C', src, 'f']);
  const { store } = await freshStore(t);
  const layer = await store.layers.importLayer(createReadStream(tarPath));
  t.true((await collect(await store.layers.diff(layer.id))).equals(await readFile(tarPath)));
  t.deepEqual(await store.layers.check(), []);
});

test('check() and diff name a layer whose content was tampered with', async (t) => {
  const dir = await tempDir(t);
  const { plain } = await gnuTars(dir);
  const { store, root } = await freshStore(t);
  const layer = await store.layers.importLayer(createReadStream(plain));
  const hits = execFileSync('find', [join(root, 'drivers'), '-name', 'hello.txt', '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
  t.true(hits.length > 0 && hits[0] !== '');
  await appendFile(hits[0]!, 'tampered');
  const failures = await store.layers.check();
  t.is(failures.length, 1);
  t.is(failures[0]!.id, layer.id);
  const err = await t.throwsAsync(async () => collect(await store.layers.diff(layer.id)));
  t.true(isStrataError(err, ErrorCode.ECORRUPT), String(err));
  t.true(err!.message.includes(layer.id));
});

test('diff of an imported layer of many files: the imported bytes; a file removed from the middle is named (ECORRUPT); a stream dropped partway ends cleanly', async (t) => {
  const dir = await tempDir(t);
  const src = join(dir, 'many');
  await mkdir(join(src, 'd'), { recursive: true });
  for (let i = 0; i < 60; i++) await writeFile(join(src, 'd', `f${String(i).padStart(2, '0')}`), `file ${i}\n`.repeat(i + 1));
  const tarPath = join(dir, 'many.tar');
  execFileSync('tar', ['-cf', tarPath, '-C', src, '.']);
  const { store, root } = await freshStore(t);
  const layer = await store.layers.importLayer(createReadStream(tarPath));
  t.true((await collect(await store.layers.diff(layer.id))).equals(await readFile(tarPath)), 'files opened ahead come back in order');
  // Read a little, then drop the stream: nothing left open fails later.
  const partial = await store.layers.diff(layer.id);
  await new Promise<void>((resolve) => partial.once('data', () => resolve()));
  partial.destroy();
  const hit = execFileSync('find', [join(root, 'drivers'), '-name', 'f31', '-type', 'f'], { encoding: 'utf8' }).trim();
  execFileSync('rm', [hit]);
  const err = await t.throwsAsync(async () => collect(await store.layers.diff(layer.id)));
  t.true(isStrataError(err, ErrorCode.ECORRUPT), String(err));
  t.regex(err!.message, /d\/f31/);
});

test('layers resolve by full id, sha256: form and unique 12+ digit prefix; unknown and ambiguous refs fail', async (t) => {
  const { store, root } = await freshStore(t);
  const a = await store.layers.createLayer({ writable: true });
  const b = await store.layers.createLayer({ writable: true });
  t.is(store.layers.get(a.id).id, a.id);
  t.is(store.layers.get(`sha256:${a.id}`).id, a.id);
  t.is(store.layers.get(a.id.slice(0, 12)).id, a.id);
  t.true(isStrataError(t.throws(() => store.layers.get(a.id.slice(0, 11))), ErrorCode.ENOLAYER));
  t.true(isStrataError(t.throws(() => store.layers.get('0123456789abcdef')), ErrorCode.ENOLAYER) || a.id.startsWith('0123456789abcdef'));
  // Make two ids share a 12-digit prefix (ids are random, so force it in the metadata).
  const db = new Database(join(root, 'strata.db'));
  db.prepare('UPDATE layers SET id = ? WHERE id = ?').run(`abcdefabcdef1${a.id.slice(13)}`, a.id);
  db.prepare('UPDATE layers SET id = ? WHERE id = ?').run(`abcdefabcdef2${b.id.slice(13)}`, b.id);
  db.close();
  t.true(isStrataError(t.throws(() => store.layers.get('abcdefabcdef')), ErrorCode.EAMBIGUOUS));
  t.is(store.layers.get('abcdefabcdef2').id, `abcdefabcdef2${b.id.slice(13)}`);
});

test('remove refuses a layer with children or mounts, and works once they are gone', async (t) => {
  const { store } = await freshStore(t);
  const base = await store.layers.createLayer({ writable: true });
  const child = await store.layers.createLayer({ parent: base.id, writable: true });
  t.true(isStrataError(await t.throwsAsync(store.layers.remove(base.id)), ErrorCode.ELAYERHASCHILDREN));
  const path = await store.layers.mount(child.id);
  t.is(store.layers.get(child.id).mountCount, 1);
  await writeFile(join(path, 'new-file'), 'x');
  t.true(isStrataError(await t.throwsAsync(store.layers.remove(child.id)), ErrorCode.ELAYERBUSY));
  t.is(store.layers.list().length, 2, 'a refused remove changes nothing');
  await store.layers.unmount(child.id);
  t.is(store.layers.get(child.id).mountCount, 0);
  await store.layers.remove(child.id);
  await store.layers.remove(base.id);
  t.deepEqual(store.layers.list(), []);
});

test('a bad archive fails with EBADARCHIVE and leaves no layer and no record behind', async (t) => {
  const { store, root } = await freshStore(t);
  const garbage = Buffer.alloc(2048, 0x41);
  const err = await t.throwsAsync(store.layers.importLayer(Readable.from([garbage])));
  t.true(isStrataError(err, ErrorCode.EBADARCHIVE), String(err));
  t.deepEqual(store.layers.list(), []);
  t.deepEqual(await readdir(join(root, 'layers')), []);
  const db = new Database(join(root, 'strata.db'), { readonly: true });
  t.is((db.prepare('SELECT count(*) AS n FROM layers').get() as { n: number }).n, 0);
  db.close();
});

test('open recovers: unfinished layers and stray records are removed', async (t) => {
  const root = await tempDir(t);
  const dir = await tempDir(t);
  const { plain } = await gnuTars(dir);
  let store = await openStore(root);
  const kept = await store.layers.importLayer(createReadStream(plain));
  const half = await store.layers.createLayer({ writable: true });
  await store.close();
  const db = new Database(join(root, 'strata.db'));
  db.prepare("UPDATE layers SET state = 'creating' WHERE id = ?").run(half.id);
  db.close();
  await writeFile(join(root, 'layers', '.tmp-0123.spool'), 'x');
  await writeFile(join(root, 'layers', `${'e'.repeat(64)}.tar-split.gz`), 'x');
  store = await openStore(root);
  t.teardown(() => store.close());
  t.deepEqual(store.layers.list().map((l) => l.id), [kept.id]);
  t.deepEqual(await readdir(join(root, 'layers')), [`${kept.id}.tar-split.gz`]);
  const driverLayers = execFileSync('find', [join(root, 'drivers'), '-name', half.id], { encoding: 'utf8' }).trim();
  t.is(driverLayers, '', 'the half-made layer is gone from the driver');
  t.deepEqual(await store.layers.check(), []);
});

test('a mutating operation fails with ELOCKED while another process holds the store lock too long', async (t) => {
  const { store, root } = await freshStore(t);
  await store.close();
  const locked = await openStore(root, 200);
  t.teardown(() => locked.close());
  const holder = new Database(join(root, 'lock.db'));
  holder.exec('BEGIN EXCLUSIVE');
  const err = await t.throwsAsync(locked.layers.createLayer({ writable: false }));
  holder.exec('ROLLBACK');
  holder.close();
  t.true(isStrataError(err, ErrorCode.ELOCKED), String(err));
  t.truthy(await locked.layers.createLayer({ writable: false }), 'works once the lock is free');
});
