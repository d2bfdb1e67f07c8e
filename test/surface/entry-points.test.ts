import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const dist = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

/**
 * What a fresh Node process holds after importing `entry`: the native addons
 * it mapped, and the npm packages it loaded (CommonJS ones, as better-sqlite3).
 */
async function nativeAfterImport(entry: string): Promise<string[]> {
  const script = `await import(${JSON.stringify(entry)});
const maps = (await import('node:fs')).readFileSync('/proc/self/maps', 'utf8');
const addons = maps.split('\\n').map((l) => l.split(/\\s+/)[5] ?? '').filter((p) => p.endsWith('.node')).map((p) => p.split('/').pop());
const cjs = Object.keys((await import('node:module')).default._cache).filter((p) => p.includes('/better-sqlite3/')).map(() => 'better-sqlite3');
console.log(JSON.stringify([...new Set([...addons, ...cjs])]));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  return JSON.parse(stdout) as string[];
}

test('`strata` (the contract) loads neither SQLite nor the native addon', async (t) => {
  t.deepEqual(await nativeAfterImport(dist('core/index.js')), []);
});

test('`strata/kit` loads the native addon but not SQLite', async (t) => {
  const loaded = await nativeAfterImport(dist('core/kit.js'));
  t.true(loaded.includes('strata_sys.node'), loaded.join(', '));
  t.false(loaded.includes('better-sqlite3'));
});

test('`strata/engine` is the whole engine', async (t) => {
  const loaded = await nativeAfterImport(dist('core/engine.js'));
  t.true(loaded.includes('better-sqlite3'), loaded.join(', '));
});
