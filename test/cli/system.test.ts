import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { makeTarballs } from './fixtures.js';
import { runCli, tempDir } from './run-cli.js';

/** Every file named `name` below dir (not following symlinks). */
async function findFiles(dir: string, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await findFiles(path, name)));
    else if (entry.isFile() && entry.name === name) found.push(path);
  }
  return found;
}

test('system check passes on a sound store and fails with exit 1 naming a tampered layer', async (t) => {
  const dir = await tempDir('check');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const rootDir = join(dir.path, 'root');
  const root = ['--root', rootDir];
  const imported = await runCli([...root, 'layer', 'import', tars.base]);
  t.is(imported.status, 0, imported.stderr);
  const id = imported.stdout.trim().slice(7);

  const sound = await runCli([...root, 'system', 'check']);
  t.is(sound.status, 0, sound.stdout + sound.stderr);

  // Same length, different bytes: only a content check can notice.
  const copies = await findFiles(join(rootDir, 'drivers'), 'motd');
  t.true(copies.length > 0, 'the layer content lives under the root');
  for (const copy of copies) {
    t.is(await readFile(copy, 'utf8'), 'hello\n');
    await writeFile(copy, 'HELLO\n');
  }

  const tampered = await runCli([...root, 'system', 'check']);
  t.is(tampered.status, 1);
  t.true(tampered.stdout.includes(id.slice(0, 12)), tampered.stdout);

  const json = await runCli([...root, '--json', 'system', 'check']);
  t.is(json.status, 1);
  const report = JSON.parse(json.stdout) as { ok: boolean; failures: { id: string }[] };
  t.false(report.ok);
  t.deepEqual(report.failures.map((f) => f.id), [id]);
});

test('layer df lists each layer and a total', async (t) => {
  const dir = await tempDir('df');
  t.teardown(dir.cleanup);
  const tars = await makeTarballs(dir.path);
  const root = ['--root', join(dir.path, 'root')];
  const base = (await runCli([...root, 'layer', 'import', tars.base])).stdout.trim();
  t.is((await runCli([...root, 'layer', 'import', tars.child, '--parent', base])).status, 0);

  const df = await runCli([...root, 'layer', 'df']);
  t.is(df.status, 0, df.stderr);
  const lines = df.stdout.trim().split('\n');
  t.is(lines.length, 4, 'header, two layers, total');
  t.regex(lines[3]!, /^total\s/);

  const json = await runCli([...root, '--json', 'layer', 'df']);
  const usage = JSON.parse(json.stdout) as { layers: { bytes: number }[]; total: { bytes: number } };
  t.is(usage.layers.length, 2);
  t.true(usage.total.bytes > 0);
  t.is(usage.total.bytes, usage.layers.reduce((sum, l) => sum + l.bytes, 0));
});
