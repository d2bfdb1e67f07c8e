import test from 'ava';
import { chmod, lstat, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTEXT_HASH_DIR, ContextHashCache, clearContextHashCaches } from '../../core/build/context/hash-cache.js';
import { hashContextSource } from '../../core/build/context/source-hash.js';
import { tempDirUntilExit } from '../helpers/temp-dirs.js';

async function context(files: Record<string, string>): Promise<string> {
  const root = await tempDirUntilExit('strata-hash-cache-');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** Files written by the test count as settled (they are seconds old for a real build). */
const SETTLED = { racyMs: -60_000 };

test('context hash cache: a saved cache answers for unchanged files; the hashes equal those without it', async (t) => {
  const root = await context({ 'd/a': 'one', 'd/b': 'two', 'f': 'three' });
  const store = await tempDirUntilExit('strata-hash-cache-store-');
  const cacheDir = join(store, CONTEXT_HASH_DIR);
  await mkdir(cacheDir);
  const dir = await lstat(join(root, 'd'));
  const plain = await hashContextSource(root, 'd', dir);
  const first = await ContextHashCache.open(cacheDir, root, SETTLED);
  t.is(await hashContextSource(root, 'd', dir, undefined, first), plain);
  t.is(await hashContextSource(root, 'f', await lstat(join(root, 'f')), undefined, first), await hashContextSource(root, 'f', await lstat(join(root, 'f'))));
  await first.save();

  const second = await ContextHashCache.open(cacheDir, root, SETTLED);
  t.truthy(second.get('d/a', await lstat(join(root, 'd/a'))));
  t.truthy(second.get('f', await lstat(join(root, 'f'))));
  t.is(await hashContextSource(root, 'd', dir, undefined, second), plain);

  await clearContextHashCaches(store);
  t.deepEqual(await readdir(store), []);
});

test('context hash cache: new content of the same size under the old mtime, or a new mode, is read again; an mtime alone changes nothing', async (t) => {
  const root = await context({ 'd/a': 'one', 'd/b': 'two' });
  await utimes(join(root, 'd/a'), 1000, 1000);
  const cacheDir = await tempDirUntilExit('strata-hash-cache-store-');
  const dir = await lstat(join(root, 'd'));
  const plain = await hashContextSource(root, 'd', dir);
  const cache = await ContextHashCache.open(cacheDir, root, SETTLED);
  await hashContextSource(root, 'd', dir, undefined, cache);

  // Later than the hash, in another tick of the file system's clock.
  await sleep(50);
  const before = await lstat(join(root, 'd/a'));
  await writeFile(join(root, 'd/a'), 'ONE');
  await utimes(join(root, 'd/a'), 1000, 1000);
  const after = await lstat(join(root, 'd/a'));
  t.is(after.mtimeMs, before.mtimeMs);
  t.is(after.size, before.size);
  t.not(after.ctimeMs, before.ctimeMs);
  const rewritten = await hashContextSource(root, 'd', dir, undefined, cache);
  t.not(rewritten, plain);
  t.is(rewritten, await hashContextSource(root, 'd', dir));

  await chmod(join(root, 'd/b'), 0o600);
  const chmodded = await hashContextSource(root, 'd', dir, undefined, cache);
  t.not(chmodded, rewritten);
  t.is(chmodded, await hashContextSource(root, 'd', dir));

  await utimes(join(root, 'd/b'), new Date(1_000_000), new Date(1_000_000));
  t.is(await hashContextSource(root, 'd', dir, undefined, cache), chmodded);
});

test('context hash cache: a file changed moments before the hashing pass is not remembered', async (t) => {
  const root = await context({ 'd/a': 'one' });
  const cacheDir = await tempDirUntilExit('strata-hash-cache-store-');
  // "Moments" made a minute, so that a slow machine does not let the file settle.
  const cache = await ContextHashCache.open(cacheDir, root, { racyMs: 60_000 });
  await hashContextSource(root, 'd', await lstat(join(root, 'd')), undefined, cache);
  t.is(cache.get('d/a', await lstat(join(root, 'd/a'))), undefined);
  await cache.save();
  t.deepEqual(await readdir(cacheDir), []);
});

test('context hash cache: whole-second timestamps (coarse file systems) need two seconds to settle, finer ones a tenth', async (t) => {
  const root = await context({ 'a': 'one' });
  const cacheDir = await tempDirUntilExit('strata-hash-cache-store-');
  const cache = await ContextHashCache.open(cacheDir, root);
  const st = await lstat(join(root, 'a'));
  const start = 1_700_000_000_000;
  const at = (ms: number) => Object.assign(Object.create(Object.getPrototypeOf(st) as object) as typeof st, st, { ctimeMs: ms, mtimeMs: ms });
  cache.put('coarse-recent', at(start - 1000), 'h1', start);
  cache.put('fine-recent', at(start - 50.5), 'h2', start);
  cache.put('fine-settled', at(start - 500.5), 'h3', start);
  cache.put('coarse-settled', at(start - 3000), 'h4', start);
  t.is(cache.get('coarse-recent', at(start - 1000)), undefined);
  t.is(cache.get('fine-recent', at(start - 50.5)), undefined);
  t.is(cache.get('fine-settled', at(start - 500.5)), 'h3');
  t.is(cache.get('coarse-settled', at(start - 3000)), 'h4');
});
