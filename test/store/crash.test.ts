import test from 'ava';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openStore, tempDir } from './store-fixture.js';
import { fileNamesOf, generateLayerTar } from './tar-generator.js';

const CHILD = fileURLToPath(new URL('./import-child.js', import.meta.url));

/** Every file name under dir, recursively. */
async function namesUnder(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) names.add(entry.name);
  return names;
}

test('kill -9 during a large import leaves a store that opens clean and imports again', async (t) => {
  const root = await tempDir(t);
  // 3 × 120 MiB: the child is killed once 100 MiB went in, well before the end.
  const child = spawn(process.execPath, [CHILD, root, '3', '120', '50', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let killedAt = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const bytes = Number(/^progress (\d+)$/.exec(line)?.[1] ?? NaN);
    if (bytes >= 100 * 1024 * 1024) {
      killedAt = bytes;
      child.kill('SIGKILL');
      break;
    }
  }
  t.is(await exited, 'SIGKILL');
  t.true(killedAt > 0, 'the child was killed mid-import');

  const store = await openStore(root);
  t.teardown(() => store.close());
  t.deepEqual(store.layers.list(), [], 'no partial layer is listed');
  const left = await namesUnder(join(root, 'drivers'));
  const generated = fileNamesOf({ bigFiles: 3, bigSize: 0, smallFiles: 50, smallSize: 0 });
  t.deepEqual(generated.filter((n) => left.has(n)), [], 'the driver holds no leftover content');
  t.deepEqual(await readdir(join(root, 'layers')), [], 'no record or spool file is left');

  const fresh = await store.layers.importLayer(generateLayerTar({ bigFiles: 1, bigSize: 1024 * 1024, smallFiles: 10, smallSize: 100 }));
  t.deepEqual(store.layers.list().map((l) => l.id), [fresh.id]);
  t.deepEqual(await store.layers.check(), []);
});
