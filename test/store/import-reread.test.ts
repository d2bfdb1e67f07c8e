import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, isStrataError } from '../../core/engine.js';
import { collect, freshStore, tempDir } from './store-fixture.js';

/**
 * An import given `reopen` (as a pull gives its downloaded blob) spools
 * nothing: the bytes of files a later entry of the same tar replaced are read
 * again from the input, and must be the same bytes.
 */

/** A gzip'd tar where `f` appears twice (the later one wins), and `g` once. */
async function duplicateTar(dir: string): Promise<{ tar: string; gz: string }> {
  const src = join(dir, 'src');
  await mkdir(src);
  const tar = join(dir, 'dup.tar');
  await writeFile(join(src, 'f'), 'first version, longer than the second one\n'.repeat(5000));
  await writeFile(join(src, 'g'), 'kept\n');
  execFileSync('tar', ['-cf', tar, '-C', src, 'f', 'g']);
  await writeFile(join(src, 'f'), 'second\n');
  execFileSync('tar', ['-rf', tar, '-C', src, 'f']);
  execFileSync('gzip', ['-k', tar]);
  return { tar, gz: `${tar}.gz` };
}

test('with reopen, a tar with duplicate entries diffs back exactly and no spool file is written', async (t) => {
  const dir = await tempDir(t);
  const { tar, gz } = await duplicateTar(dir);
  const { store } = await freshStore(t);
  const seen: string[] = [];
  const watch = setInterval(() => void readdir(join(store.layers.root, 'layers')).then((names) => seen.push(...names), () => undefined), 1);
  let reopened = 0;
  const layer = await store.layers
    .importLayer(createReadStream(gz), {
      reopen: () => {
        reopened++;
        return createReadStream(gz);
      },
    })
    .finally(() => clearInterval(watch));
  t.is(reopened, 1, 'read again once, for the shadowed file');
  t.false(seen.some((name) => name.endsWith('.spool')), 'no spool file');
  t.true((await collect(await store.layers.diff(layer.id))).equals(await readFile(tar)));
  t.deepEqual(await store.layers.check(), []);
});

test('with reopen, a tar without duplicates is never read again', async (t) => {
  const dir = await tempDir(t);
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'a'), 'a\n');
  const tar = join(dir, 'plain.tar');
  execFileSync('tar', ['-cf', tar, '-C', src, 'a']);
  const { store } = await freshStore(t);
  const layer = await store.layers.importLayer(createReadStream(tar), {
    reopen: () => {
      throw new Error('read again');
    },
  });
  t.true((await collect(await store.layers.diff(layer.id))).equals(await readFile(tar)));
});

test('with reopen giving other bytes, the import fails with ECORRUPT and leaves no layer', async (t) => {
  const dir = await tempDir(t);
  const { gz } = await duplicateTar(dir);
  const other = join(dir, 'other.tar');
  execFileSync('tar', ['-cf', other, '-C', join(dir, 'src'), 'g', 'f']);
  const { store } = await freshStore(t);
  const err = await t.throwsAsync(store.layers.importLayer(createReadStream(gz), { reopen: () => createReadStream(other) }));
  t.true(isStrataError(err, ErrorCode.ECORRUPT), String(err));
  t.deepEqual(store.layers.list(), []);
  t.deepEqual(await readdir(join(store.layers.root, 'layers')), [], 'no record is left');
});
