import test from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLI, runCli, tempDir, tool } from '../cli/run-cli.js';
import { hostPlatform } from '../../core/remotes/index.js';
import { addIndex, tagInLayout } from '../helpers/oci-dir.js';
import { skopeoCopy, skopeoRawManifest, startRegistry, type TestRegistry } from '../helpers/registry.js';
import { addTreeImage, addTreeLayer } from './layout.js';

/**
 * pull and push through the CLI against a real docker-registry, with skopeo
 * as the independent client that seeds the registry and reads back.
 */
let registry: TestRegistry;
let work: { path: string; cleanup: () => Promise<void> };
let seeded: { manifest: string; config: string };

test.before(async () => {
  registry = await startRegistry();
  work = await tempDir('registry');
  const layout = join(work.path, 'layout');
  const base = await addTreeLayer(layout, { 'etc/motd': 'hello from the base\n', 'gone.txt': 'soon gone\n' });
  const top = await addTreeLayer(layout, { 'etc/motd': 'hello from the top\n', 'app/data.txt': 'data\n', '.wh.gone.txt': '' });
  seeded = await addTreeImage(layout, 'v1', [base, top]);
  await skopeoCopy(registry, `oci:${layout}:v1`, `docker://${registry.host}/app:v1`, ['--preserve-digests']);
});

test.after.always(async () => {
  await registry?.stop();
  await work?.cleanup();
});

/** `strata --root ROOT --driver vfs ARGS` with auth files under the work folder. */
function strata(root: string, args: readonly string[], input?: Buffer) {
  const home = join(work.path, 'home');
  return runCli(['--root', root, '--driver', 'vfs', ...args], { env: { HOME: home, XDG_CONFIG_HOME: join(home, '.config') }, ...(input ? { input } : {}) });
}

test.serial('pull of what skopeo pushed: Docker\'s lines, RepoDigests, the files through image mount, and a second pull GETs no blob', async (t) => {
  const root = join(work.path, 'pull-root');
  const name = `${registry.host}/app:v1`;
  const pulled = await strata(root, ['pull', name]);
  t.is(pulled.status, 0, pulled.stderr);
  const lines = pulled.stdout.trimEnd().split('\n');
  t.is(lines[0], 'v1: Pulling from app');
  t.is(lines.filter((l) => /^[0-9a-f]{12}: Pull complete$/.test(l)).length, 2);
  t.true(lines.includes(`Digest: ${seeded.manifest}`));
  t.true(lines.includes(`Status: Downloaded newer image for ${name}`));
  t.is(lines.at(-1), name);

  const [inspect] = JSON.parse((await strata(root, ['inspect', name])).stdout) as { Id: string; RepoDigests: string[]; RepoTags: string[] }[];
  t.is(inspect!.Id, seeded.config);
  t.deepEqual(inspect!.RepoDigests, [`${registry.host}/app@${seeded.manifest}`]);
  t.true((await strata(root, ['images'])).stdout.includes(`${registry.host}/app`));

  const mount = await strata(root, ['image', 'mount', name]);
  t.is(mount.status, 0, mount.stderr);
  const dir = mount.stdout.trim();
  t.is(await readFile(join(dir, 'etc/motd'), 'utf8'), 'hello from the top\n');
  t.is(await readFile(join(dir, 'app/data.txt'), 'utf8'), 'data\n');
  t.false((await readdir(dir)).includes('gone.txt'));
  t.is((await strata(root, ['image', 'umount', name])).status, 0);

  const before = (await registry.blobGets()).length;
  const again = await strata(root, ['pull', name]);
  t.is(again.status, 0, again.stderr);
  t.true(again.stdout.includes(`Status: Image is up to date for ${name}`));
  const byDigest = await strata(root, ['pull', `${registry.host}/app@${seeded.manifest}`]);
  t.is(byDigest.status, 0, byDigest.stderr);
  t.is((await registry.blobGets()).length, before, 'no blob GET for what the store has');
});

test.serial('push of an imported image: skopeo reads it back with the same config digest; a pulled image pushed elsewhere mounts its layers', async (t) => {
  const root = join(work.path, 'push-root');
  const tree = join(work.path, 'tree');
  await tool('mkdir', ['-p', join(tree, 'etc')]);
  await writeFile(join(tree, 'etc/hello'), 'pushed by strata\n');
  const tar = tool('tar', ['-C', tree, '--numeric-owner', '-cf', '-', '.']);
  const imported = await strata(root, ['import', '-', 'mine:1'], tar);
  t.is(imported.status, 0, imported.stderr);
  const id = imported.stdout.trim();

  const dest = `${registry.host}/mine:1`;
  const pushed = await strata(root, ['push', 'mine:1', dest]);
  t.is(pushed.status, 0, pushed.stderr);
  const lines = pushed.stdout.trimEnd().split('\n');
  t.is(lines[0], `The push refers to repository [${registry.host}/mine]`);
  t.true(lines.some((l) => /^[0-9a-f]{12}: Pushed$/.test(l)));
  t.regex(lines.at(-1)!, /^1: digest: sha256:[0-9a-f]{64} size: \d+$/);
  const manifest = JSON.parse((await skopeoRawManifest(registry, dest)).toString()) as { config: { digest: string } };
  t.is(manifest.config.digest, id);
  const copy = join(work.path, 'copy');
  await skopeoCopy(registry, `docker://${dest}`, `oci:${copy}:x`);

  const again = await strata(root, ['push', 'mine:1', dest]);
  t.true(again.stdout.includes('Layer already exists'), again.stdout);
  t.is(again.stdout.trimEnd().split('\n').at(-1), lines.at(-1), 'the same manifest digest');

  const pulled = await strata(root, ['pull', `${registry.host}/app:v1`]);
  t.is(pulled.status, 0, pulled.stderr);
  const moved = await strata(root, ['push', `${registry.host}/app:v1`, `${registry.host}/other/app:v1`]);
  t.is(moved.status, 0, moved.stderr);
  t.is(moved.stdout.split('\n').filter((l) => l.endsWith(': Mounted from app')).length, 2, moved.stdout);
  t.true(moved.stdout.includes(`v1: digest: ${seeded.manifest} `), 'the pulled manifest, byte for byte');
});

test.serial('push of an image loaded from an OCI layout keeps its config and manifest digests', async (t) => {
  const root = join(work.path, 'load-root');
  const loaded = await strata(root, ['load', '-i', join(work.path, 'layout')]);
  t.is(loaded.status, 0, loaded.stderr);
  const images = JSON.parse((await strata(root, ['--json', 'images'])).stdout) as { ID: string }[];
  const dest = `${registry.host}/loaded:1`;
  const pushed = await strata(root, ['push', images[0]!.ID.slice(7, 19), dest]);
  t.is(pushed.status, 0, pushed.stderr);
  const manifest = JSON.parse((await skopeoRawManifest(registry, dest)).toString()) as { config: { digest: string } };
  t.is(manifest.config.digest, seeded.config);
  t.true(pushed.stdout.includes(`1: digest: ${seeded.manifest} `), 'the layout\'s manifest, byte for byte');
});

test.serial('a multi-platform pull picks the host\'s image (or --platform\'s), with the index digest in RepoDigests; a missing platform fails naming it', async (t) => {
  const layout = join(work.path, 'multi-layout');
  const amd = await addTreeImage(layout, undefined, [await addTreeLayer(layout, { 'arch.txt': 'amd64\n' })], { os: 'linux', architecture: 'amd64' });
  const arm = await addTreeImage(layout, undefined, [await addTreeLayer(layout, { 'arch.txt': 'arm64\n' })], { os: 'linux', architecture: 'arm64', variant: 'v8' });
  const index = await addIndex(layout, [amd.desc, arm.desc]);
  await tagInLayout(layout, 'multi', index);
  await skopeoCopy(registry, `oci:${layout}:multi`, `docker://${registry.host}/multi:1`, ['--all', '--preserve-digests']);
  const root = join(work.path, 'multi-root');
  const name = `${registry.host}/multi:1`;

  const arm64 = await strata(root, ['pull', '--platform', 'linux/arm64', name]);
  t.is(arm64.status, 0, arm64.stderr);
  t.true(arm64.stdout.includes(`Digest: ${index.digest}`));
  const [doc] = JSON.parse((await strata(root, ['inspect', name])).stdout) as { Id: string; RepoDigests: string[]; Architecture: string }[];
  t.is(doc!.Id, arm.config);
  t.is(doc!.Architecture, 'arm64');
  t.deepEqual(doc!.RepoDigests, [`${registry.host}/multi@${index.digest}`]);

  const hostRoot = join(work.path, 'multi-host-root');
  t.is((await strata(hostRoot, ['pull', '-q', name])).status, 0);
  const [native] = JSON.parse((await strata(hostRoot, ['inspect', name])).stdout) as { Id: string }[];
  t.is(native!.Id, hostPlatform().architecture === 'arm64' ? arm.config : amd.config);

  const missing = await strata(root, ['pull', '--platform', 'linux/s390x', name]);
  t.not(missing.status, 0);
  t.regex(missing.stderr, /^strata: .*no image for platform linux\/s390x \(the index offers linux\/amd64, linux\/arm64\/v8\)\n$/);
});

test.serial('kill -9 during a pull leaves no partial image or layer; the next pull reuses the completed downloads', async (t) => {
  const layout = join(work.path, 'big-layout');
  const small = await addTreeLayer(layout, { 'a.txt': 'a\n' });
  const big = await addTreeLayer(layout, { 'big.bin': randomBytes(48 * 1024 * 1024) });
  const last = await addTreeLayer(layout, { 'b.txt': 'b\n' });
  await addTreeImage(layout, 'big', [small, big, last]);
  await skopeoCopy(registry, `oci:${layout}:big`, `docker://${registry.host}/big:1`, ['--preserve-digests']);
  const root = join(work.path, 'kill-root');
  const home = join(work.path, 'home');
  const child = spawn(process.execPath, [CLI, '--root', root, '--driver', 'vfs', 'pull', `${registry.host}/big:1`], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const killed = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('Pull complete')) child.kill('SIGKILL');
  });
  t.is(await killed, 'SIGKILL', `the pull ended before it was killed: ${out}`);

  const images = await strata(root, ['images', '-q']);
  t.is(images.status, 0, images.stderr);
  t.is(images.stdout, '', 'no image after the crash');
  t.deepEqual(JSON.parse((await strata(root, ['--json', 'layer', 'ls'])).stdout), [], 'no orphan layer');
  const before = (await registry.blobGets()).length;
  const again = await strata(root, ['pull', `${registry.host}/big:1`]);
  t.is(again.status, 0, again.stderr);
  t.true(again.stdout.includes('Status: Downloaded newer image'));
  const fetched = (await registry.blobGets()).slice(before).map((r) => r.uri);
  t.false(fetched.some((uri) => uri.endsWith(small.desc.digest)), 'the layer downloaded before the crash is not downloaded again');
  t.true((await strata(root, ['image', 'inspect', `${registry.host}/big:1`])).stdout.includes(`${registry.host}/big@`));
  t.deepEqual((await readdir(join(root, 'tmp'))).filter((n) => n.startsWith('pull-')), [], 'no staging folder left');
});

test.serial('pull from a local oci: layout loads the image its REF names, and fails naming a REF it does not have', async (t) => {
  const root = join(work.path, 'local-root');
  const layout = join(work.path, 'layout');
  const got = await strata(root, ['pull', `oci:${layout}:v1`]);
  t.is(got.status, 0, got.stderr);
  t.is(got.stdout, `${seeded.config}\n`);
  const missing = await strata(root, ['pull', `oci:${layout}:nope`]);
  t.not(missing.status, 0);
  t.is(missing.stderr, `strata: oci:${layout}:nope: no such image there\n`);
});
