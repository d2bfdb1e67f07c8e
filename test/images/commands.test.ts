import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { helloElf } from '../../demo/hello-elf.js';
import { registerUnless } from '../../core/testkit/index.js';
import { runPeer } from '../helpers/peers/index.js';
import { runCli } from '../cli/run-cli.js';
import { configFor, smallLayer, writeDockerArchive } from './archives.js';
import { DRIVERS, HELLO_DIFF_ID, blobFiles, driverUnmet, helloTar, imageIds, layerIds, scratch, strataAt, tableRows } from './support.js';

/**
 * Every image command through the CLI, on each driver: what a user sees in
 * `images`, `history`, `inspect`, `tag`, `rmi`, `image prune`, `system prune`
 * and `image mount`, and the `--json` of each.
 */

const ID = /^sha256:[0-9a-f]{64}$/;

const reasons = await Promise.all(DRIVERS.map((d) => driverUnmet(d.name)));
for (const [i, { name: driver }] of DRIVERS.entries()) {
  const reason = reasons[i];
  registerUnless(test, reason === undefined ? undefined : { reason, prerequisite: true }, `[${driver}] images share a layer; inspect names the driver; mount is read-only; rmi keeps the shared layer; prune leaves nothing`, async (t) => {
    const dir = await scratch(t, driver);
    const strata = strataAt(t, join(dir, 'root'), driver);
    const tar = await helloTar(dir);
    const hello = (await strata.ok('import', '-c', 'CMD ["/hello"]', tar, 'hello')).trim();
    const second = (await strata.ok('image', 'import', '-c', 'CMD ["/hello", "again"]', tar, 'hello2:v1')).trim();
    t.deepEqual(tableRows(await strata.ok('images')).map((r) => [r[0], r[1], r[2], r[4]]).sort(), [['hello', 'latest', hello.slice(7, 19), '166B'], ['hello2', 'v1', second.slice(7, 19), '166B']]);
    const docs = JSON.parse(await strata.ok('inspect', 'hello', 'hello2:v1')) as Array<Record<string, any>>;
    t.deepEqual(docs.map((d) => [d.Id, d.GraphDriver.Name, d.RootFS.Layers, d.Size]), [[hello, driver, [HELLO_DIFF_ID], 166], [second, driver, [HELLO_DIFF_ID], 166]]);
    t.deepEqual(tableRows(await strata.ok('history', 'hello')).map((r) => [r[0], ...r.slice(-2)]), [[hello.slice(7, 19), '166B', 'Imported from -']]);

    const mounted = JSON.parse(await strata.ok('--json', 'image', 'mount', 'hello2:v1')) as { path: string };
    t.deepEqual(await readFile(join(mounted.path, 'hello')), helloElf('amd64'));
    await t.throwsAsync(runPeer('sh', ['-c', `echo x > "${mounted.path}/new"`]), { message: /Read-only file system/ });
    await strata.ok('image', 'umount', 'hello2:v1');

    t.is(await strata.ok('rmi', 'hello2:v1'), `Untagged: hello2:v1\nDeleted: ${second}\n`);
    const layers = JSON.parse(await strata.ok('--json', 'layer', 'ls')) as Array<{ diffId: string; refCount: number }>;
    t.deepEqual(layers.map((l) => [l.diffId, l.refCount]), [[HELLO_DIFF_ID, 1]]);
    const remounted = (await strata.ok('image', 'mount', 'hello')).trim();
    t.deepEqual(await readFile(join(remounted, 'hello')), helloElf('amd64'));
    await strata.ok('image', 'umount', 'hello');

    t.is(await strata.ok('system', 'prune', '-a', '-f'), `Deleted Images:\nuntagged: hello:latest\ndeleted: ${hello}\ndeleted: ${HELLO_DIFF_ID}\n\nTotal reclaimed space: 166B\n`);
    t.deepEqual(await layerIds(strata), []);
    t.deepEqual(await blobFiles(strata.root), []);
  });
}

test('images, history, inspect, tag, rmi, prune and mount as Docker shows them, and --json on each', async (t) => {
  const driver = 'vfs';
  const dir = await scratch(t, driver);
  const strata = strataAt(t, join(dir, 'root'), driver);
  const tar = await helloTar(dir);

  // import: the hello image, and a second image sharing its one layer.
  const hello = (await strata.ok('import', '-c', 'CMD ["/hello"]', tar, 'hello')).trim();
  t.regex(hello, ID);
  const second = JSON.parse(await strata.ok('--json', 'import', '-c', 'CMD ["/hello", "again"]', '-m', 'the second', tar, 'hello2:v1')) as { id: string };
  t.regex(second.id, ID);
  t.not(second.id, hello);
  const short = hello.slice(7, 19);
  const short2 = second.id.slice(7, 19);

  // images: one row per name, the shared layer's size in each.
  const images = await strata.ok('images');
  t.deepEqual(images.split('\n')[0]!.trim().split(/ {2,}/), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
  const rows = tableRows(images);
  t.deepEqual(rows.map((r) => [r[0], r[1], r[2], r[4]]).sort(), [['hello', 'latest', short, '166B'], ['hello2', 'v1', short2, '166B']]);
  t.regex(rows[0]![3]!, /(second|seconds) ago$/);
  t.deepEqual((await strata.ok('images', '-q')).trim().split('\n').sort(), [short, short2].sort());
  t.deepEqual(tableRows(await strata.ok('images', 'hello2')).map((r) => r[0]), ['hello2']);
  t.is(tableRows(await strata.ok('images', '--digests'))[0]![2], '<none>');
  t.true((await strata.ok('--no-trunc', 'images', '-q')).includes(hello));
  // As Docker users type it: after the command, for images, history and ps.
  t.true((await strata.ok('images', '--no-trunc')).includes(hello));
  t.true((await strata.ok('history', '--no-trunc', 'hello')).includes(hello));
  t.false((await strata.ok('history', 'hello')).includes(hello));
  const listed = JSON.parse(await strata.ok('--json', 'images')) as Array<{ Repository: string; Tag: string; ID: string; Size: number }>;
  t.deepEqual(listed.map((r) => `${r.Repository}:${r.Tag} ${r.ID} ${r.Size}`).sort(), [`hello2:v1 ${second.id} 166`, `hello:latest ${hello} 166`]);

  // tag, and Docker's refusals.
  await strata.ok('tag', 'hello', 'hello:v2');
  await strata.ok('image', 'tag', short, 'localhost:5000/team/hello:t');
  t.deepEqual(tableRows(await strata.ok('images', 'hello')).map((r) => r[1]).sort(), ['latest', 'v2']);
  t.true(tableRows(await strata.ok('images')).some((r) => r[0] === 'localhost:5000/team/hello' && r[1] === 't' && r[2] === short));
  const refusals: Array<[string[], RegExp]> = [
    [['tag', 'nosuch', 'foo'], /No such image: nosuch:latest/],
    [['tag', 'hello', 'Hello'], /repository name (\(library\/Hello\) )?must be lowercase/],
    [['tag', 'hello', 'foo::x'], /invalid reference format/],
    [['tag', 'hello', `foo@sha256:${'e'.repeat(64)}`], /refusing to create a tag with a digest reference/],
    [['tag', 'hello', 'e'.repeat(64)], /cannot specify 64-byte hexadecimal strings/],
  ];
  for (const [args, message] of refusals) {
    const refused = await strata(...args);
    t.not(refused.status, 0, args.join(' '));
    t.regex(refused.stderr, message, args.join(' '));
    t.is(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  }

  // history: newest first, the import's comment; -H=false in bytes and RFC 3339.
  const history = await strata.ok('history', 'hello2:v1');
  t.deepEqual(history.split('\n')[0]!.trim().split(/ {2,}/), ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']);
  const step = tableRows(history);
  t.is(step.length, 1);
  t.is(step[0]![0], short2);
  t.deepEqual(step[0]!.slice(-2), ['166B', 'the second']);
  const raw = tableRows(await strata.ok('image', 'history', '-H=false', 'hello'));
  t.regex(raw[0]![1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  t.deepEqual(raw[0]!.slice(-2), ['166', 'Imported from -']);
  const historyJson = JSON.parse(await strata.ok('--json', 'history', 'hello')) as Array<{ id: string; size: number; comment: string }>;
  t.deepEqual(historyJson.map((h) => [h.id, h.size, h.comment]), [[hello, 166, 'Imported from -']]);

  // inspect: Docker's fields.
  const [doc] = JSON.parse(await strata.ok('inspect', 'hello')) as Array<Record<string, any>>;
  t.is(doc!.Id, hello);
  t.deepEqual([...doc!.RepoTags].sort(), ['hello:latest', 'hello:v2', 'localhost:5000/team/hello:t']);
  t.deepEqual(doc!.RootFS, { Type: 'layers', Layers: [HELLO_DIFF_ID] });
  t.is(doc!.Size, 166);
  t.is(doc!.GraphDriver.Name, driver);
  t.deepEqual(doc!.Config.Cmd, ['/hello']);
  t.is(doc!.Architecture, 'amd64');
  t.is(doc!.Os, 'linux');
  t.deepEqual(JSON.parse(await strata.ok('--json', 'image', 'inspect', short2)).map((d: { Id: string }) => d.Id), [second.id]);
  const missing = await strata('inspect', 'nosuch');
  t.is(missing.status, 3);
  t.is(missing.stdout, '[]\n');
  t.regex(missing.stderr, /No such object: nosuch/);

  // image mount: the root filesystem, read-only; every reader sees the same tree.
  const mounted = (await strata.ok('image', 'mount', 'hello')).trim();
  t.deepEqual(await readFile(join(mounted, 'hello')), helloElf('amd64'));
  await t.throwsAsync(runPeer('sh', ['-c', `echo x > "${mounted}/new"`]), { message: /Read-only file system/ });
  const again = JSON.parse(await strata.ok('--json', 'image', 'mount', short)) as { path: string };
  t.is(again.path, mounted);
  await strata.ok('image', 'umount', 'hello');
  await strata.ok('image', 'umount', 'hello');

  // rmi: an id with several names is refused (exit 4); a name is untagged.
  const refused = await strata('rmi', short);
  t.is(refused.status, 4);
  t.is(refused.stderr.trim(), `strata: conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
  t.is(await strata.ok('rmi', 'hello:v2'), 'Untagged: hello:v2\n');
  t.is(await strata.ok('image', 'rm', 'localhost:5000/team/hello:t'), 'Untagged: localhost:5000/team/hello:t\n');
  // Removing one of two images sharing a layer keeps the layer for the other.
  t.is(await strata.ok('rmi', 'hello2:v1'), `Untagged: hello2:v1\nDeleted: ${second.id}\n`);
  const layers = JSON.parse(await strata.ok('--json', 'layer', 'ls')) as Array<{ diffId: string; refCount: number }>;
  t.deepEqual(layers.map((l) => [l.diffId, l.refCount]), [[HELLO_DIFF_ID, 1]]);
  const remounted = (await strata.ok('image', 'mount', 'hello')).trim();
  t.deepEqual(await readFile(join(remounted, 'hello')), helloElf('amd64'));
  await strata.ok('image', 'umount', 'hello');
  const gone = await strata('rmi', 'hello2:v1');
  t.is(gone.status, 3);
  t.regex(gone.stderr, /No such image: hello2:v1/);

  // An untagged image shows <none>; image prune removes it, freeing no layer (shared).
  const untagged = (await strata.ok('import', '-m', 'no name', tar)).trim();
  t.true(tableRows(await strata.ok('images')).some((r) => r[0] === '<none>' && r[1] === '<none>' && r[2] === untagged.slice(7, 19)));
  t.is(await strata.ok('image', 'prune', '-f'), `Deleted Images:\ndeleted: ${untagged}\n\nTotal reclaimed space: 0B\n`);
  t.is(await strata.ok('image', 'prune', '-f'), 'Total reclaimed space: 0B\n');

  // A two-layer image loaded from an archive: history shows <missing> for the lower step.
  const one = await smallLayer({ 'etc/one': '1\n' });
  const two = await smallLayer({ 'etc/two': '2\n' });
  const archive = join(dir, 'two.tar');
  const twoId = await writeDockerArchive(archive, { layers: [one, two], tags: ['two:1'], config: configFor([one.diffId, two.diffId]) });
  t.is(await strata.ok('load', '-i', archive), 'Loaded image: two:1\n');
  const twoHistory = tableRows(await strata.ok('history', 'two:1'));
  t.deepEqual(twoHistory.map((r) => r[0]), [twoId.slice(7, 19), '<missing>']);
  t.regex(twoHistory[0]![2]!, /step 2/);
  const rmiJson = JSON.parse(await strata.ok('--json', 'rmi', 'two:1')) as Array<{ kind: string; what: string }>;
  t.deepEqual(rmiJson.slice(0, 2), [{ kind: 'Untagged', what: 'two:1' }, { kind: 'Deleted', what: twoId }]);
  t.is(rmiJson.filter((e) => e.kind === 'Deleted').length, 3, 'the image and its two layers');

  // system prune -a: everything unused goes; nothing is left behind.
  await strata.ok('tag', 'hello', 'hello:v3');
  const pruned = JSON.parse(await strata.ok('--json', 'system', 'prune', '-a', '-f')) as { events: Array<{ kind: string; what: string }>; reclaimed: number };
  t.is(pruned.reclaimed, 166);
  t.true(pruned.events.some((e) => e.kind === 'Deleted' && e.what === hello));
  t.deepEqual(await imageIds(strata), []);
  t.deepEqual(await layerIds(strata), []);
  t.deepEqual(await blobFiles(strata.root), []);
  t.is(await strata.ok('system', 'prune', '-a', '-f'), 'Total reclaimed space: 0B\n');
});

test('import from stdin, save to stdout, load from stdin: the same image', async (t) => {
  const dir = await scratch(t, 'stdio');
  const root = ['--root', join(dir, 'root'), '--driver', 'vfs'];
  const imported = await runCli([...root, 'import', '-', 'piped'], { input: await readFile(await helloTar(dir)) });
  t.is(imported.status, 0, imported.stderr);
  const id = imported.stdout.trim();
  const saved = await runCli([...root, 'save', 'piped']);
  t.is(saved.status, 0, saved.stderr);
  const other = ['--root', join(dir, 'other'), '--driver', 'vfs'];
  const loaded = await runCli([...other, 'load'], { input: saved.raw });
  t.is(loaded.stdout, 'Loaded image: piped:latest\n', loaded.stderr);
  const [doc] = JSON.parse((await runCli([...other, 'inspect', 'piped'])).stdout) as Array<{ Id: string; Comment: string }>;
  t.is(doc!.Id, id);
  t.is(doc!.Comment, 'Imported from -');
});

test('rmi -f by id untags every name and deletes; with missing names, one line each, the rest removed, exit 1', async (t) => {
  const dir = await scratch(t, 'rmi-f');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const tar = await helloTar(dir);
  const id = (await strata.ok('import', tar, 'hello')).trim();
  await strata.ok('tag', 'hello', 'localhost:5000/team/hello:t');
  t.is(await strata.ok('rmi', '-f', id.slice(7, 19)), `Untagged: hello:latest\nUntagged: localhost:5000/team/hello:t\nDeleted: ${id}\nDeleted: ${HELLO_DIFF_ID}\n`);
  const again = (await strata.ok('import', tar, 'hello')).trim();
  const mixed = await strata('rmi', 'nosuch', 'hello', 'nosuch:1');
  t.is(mixed.status, 1);
  t.is(mixed.stdout, `Untagged: hello:latest\nDeleted: ${again}\nDeleted: ${HELLO_DIFF_ID}\n`);
  t.is(mixed.stderr, 'strata: No such image: nosuch:latest\nstrata: No such image: nosuch:1\n');
});
