import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { CLI } from '../cli/run-cli.js';
import { bigLayer, smallLayer, writeDockerArchive } from './archives.js';
import { blobFiles, imageIds, layerIds, scratch, strataAt } from './support.js';

/** A load killed with SIGKILL leaves nothing; loads running side by side share their layers. */

test('kill -9 during a multi-layer load: the store opens clean, lists nothing, and a second load completes', async (t) => {
  const dir = await scratch(t, 'kill');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const layers = [await bigLayer(dir, 'one', 4, 4 << 20), await bigLayer(dir, 'two', 4, 4 << 20), await bigLayer(dir, 'three', 4, 4 << 20)];
  const archive = join(dir, 'big.tar');
  const id = await writeDockerArchive(archive, { layers, tags: ['big:1'] });

  const child = spawn(process.execPath, [CLI, '--root', strata.root, '--driver', 'vfs', 'load', '-i', archive], { stdio: 'ignore' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // The first layer is committed once its tar-split record exists (its id is its diff_id: it has no parent).
  const firstRecord = join(strata.root, 'layers', `${layers[0]!.diffId.slice(7)}.tar-split.gz`);
  let seen = false;
  while (child.exitCode === null && !seen) {
    seen = await access(firstRecord).then(() => true, () => false);
    if (!seen) await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  const { signal } = await exited;
  t.true(seen, 'the first layer existed before the kill');
  t.is(signal, 'SIGKILL', 'the load was killed before it finished');

  t.deepEqual(await imageIds(strata), [], 'no partial image');
  t.deepEqual(await layerIds(strata), [], 'no orphan layer');
  t.deepEqual(await blobFiles(strata.root), [], 'no unreferenced blob');
  t.is((await strata('system', 'check')).status, 0);

  t.is(await strata.ok('load', '-i', archive), 'Loaded image: big:1\n');
  t.deepEqual(await imageIds(strata), [id]);
  t.is((await layerIds(strata)).length, 3);
});

test('two loads of images sharing layers, in parallel, both succeed and share the layers', async (t) => {
  const dir = await scratch(t, 'parallel');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const base = await bigLayer(dir, 'base', 2, 2 << 20);
  const middle = await smallLayer({ 'etc/middle': 'shared too\n' });
  const a = await smallLayer({ a: 'a\n' });
  const b = await smallLayer({ b: 'b\n' });
  const aId = await writeDockerArchive(join(dir, 'a.tar'), { layers: [base, middle, a], tags: ['a:1'] });
  const bId = await writeDockerArchive(join(dir, 'b.tar'), { layers: [base, middle, b], tags: ['b:1'] });

  const [ra, rb] = await Promise.all([strata('load', '-i', join(dir, 'a.tar')), strata('load', '-i', join(dir, 'b.tar'))]);
  t.is(ra.status, 0, ra.stderr);
  t.is(rb.status, 0, rb.stderr);
  t.is(ra.stdout, 'Loaded image: a:1\n');
  t.is(rb.stdout, 'Loaded image: b:1\n');
  t.deepEqual((await imageIds(strata)).sort(), [aId, bId].sort());

  const listed = JSON.parse(await strata.ok('--json', 'layer', 'ls')) as Array<{ diffId: string; refCount: number }>;
  const refs = new Map(listed.map((l) => [l.diffId, l.refCount]));
  t.is(listed.length, 4, 'base and middle once, a and b');
  t.is(refs.get(base.diffId), 2);
  t.is(refs.get(middle.diffId), 2);
  t.is(refs.get(a.diffId), 1);
  t.is(refs.get(b.diffId), 1);
  const table = await strata.ok('layer', 'ls');
  t.true(table.split('\n')[0]!.includes('REFS'));
});
