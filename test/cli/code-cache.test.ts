// The launcher runs the command line from V8 code caches kept beside the bundle
// (cli/launcher.ts), one per code path. A cache that is missing or damaged costs
// time, never a wrong answer, and the command leaves a good one behind.
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import test from 'ava';
import { CLI, runCli, tempDir } from './run-cli.js';

const BUNDLE_DIR = dirname(CLI);

/** The cache files of the code path `path` (`system-df`, `layer-ls`), any V8 or bundle version. */
async function cachesOf(path: string): Promise<string[]> {
  return (await readdir(BUNDLE_DIR)).filter((name) => name.startsWith('strata.cjs.') && name.endsWith(`.${path}.cache`)).map((name) => join(BUNDLE_DIR, name));
}

test('a command whose code path has no cache runs, and leaves its cache behind', async (t) => {
  const dir = await tempDir('cache-missing');
  t.teardown(dir.cleanup);
  for (const file of await cachesOf('system-df')) await rm(file, { force: true });
  const r = await runCli(['--root', dir.path, '--driver', 'vfs', 'system', 'df']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\n/);
  t.is((await cachesOf('system-df')).length, 1);
});

test('a damaged cache is ignored: the command answers as without one, and replaces it', async (t) => {
  const dir = await tempDir('cache-damaged');
  t.teardown(dir.cleanup);
  const root = ['--root', dir.path, '--driver', 'vfs'];
  t.is((await runCli([...root, 'layer', 'create'])).status, 0);
  await runCli([...root, 'layer', 'ls']); // makes the cache where a build did not
  const [cache] = await cachesOf('layer-ls');
  t.truthy(cache, 'layer ls has a code cache');
  const garbage = Buffer.alloc(4096, 0x5a);
  await writeFile(cache!, garbage);
  const r = await runCli([...root, 'layer', 'ls']);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^ID\s+PARENT\s+SIZE.*\n[0-9a-f]{12}\s+-\s/);
  t.false((await readFile(cache!)).equals(garbage), 'the damaged cache was replaced');
});
