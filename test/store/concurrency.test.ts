import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore, tempDir } from './store-fixture.js';

const CHILD = fileURLToPath(new URL('./import-child.js', import.meta.url));

/** Runs the import child to its end; resolves with its "done" line's fields. */
function runImport(root: string, seed: number): Promise<{ code: number | null; id: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, root, '2', '10', '200', String(seed)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, id: /^done (\S+)/m.exec(out)?.[1] ?? '' })); // after its output is all read
  });
}

test('two processes importing into one root at once both succeed and leave consistent metadata', async (t) => {
  const root = await tempDir(t);
  // Initialise the root first so both children find an existing store.
  await (await openStore(root)).close();
  const [a, b, c] = await Promise.all([runImport(root, 7), runImport(root, 7), runImport(root, 8)]);
  t.is(a.code, 0);
  t.is(b.code, 0);
  t.is(c.code, 0);
  t.is(a.id, b.id, 'the same content gets the same id in both processes');
  t.not(a.id, c.id);
  const store = await openStore(root);
  t.teardown(() => store.close());
  const layers = store.layers.list();
  t.deepEqual(layers.map((l) => l.id).sort(), [a.id, c.id].sort());
  t.is(store.layers.get(a.id).refCount, 2, 'the shared layer holds both imports');
  t.is(store.layers.get(c.id).refCount, 1);
  t.deepEqual(await store.layers.check(), []);
});
