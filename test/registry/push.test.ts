import type { ImageReference } from '../../core/images/reference.js';
import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { sha256Digest } from '../../core/ids.js';
import { RegistryClient, push, type PushProgress } from '../../core/remotes/index.js';
import { DirSource, addImage, addRandomLayer, blobPath, tagInLayout } from '../helpers/oci-dir.js';
import { skopeoCopy, skopeoRawManifest, startRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let layout: string;
const work: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-push-test-'));
  work.push(dir);
  return dir;
}

function ref(path: string, tag: string): ImageReference {
  return { domain: registry.host, path, tag };
}

test.before(async () => {
  registry = await startRegistry();
  layout = await tempDir();
  const layers = [await addRandomLayer(layout, 200_000), await addRandomLayer(layout, 9 * 1024 * 1024), await addRandomLayer(layout, 10_000)];
  await tagInLayout(layout, 'v1', await addImage(layout, { layers }));
});

test.after.always(async () => {
  await registry?.stop();
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

test.serial('push uploads in chunks, the manifest last and byte for byte; skopeo reads back the same digests', async (t) => {
  const source = new DirSource(layout, 'v1');
  const client = new RegistryClient();
  const events: PushProgress[] = [];
  const result = await push(source, ref('pushed', '1'), { client, onProgress: (e) => events.push(e) });
  const { bytes } = await source.manifest();
  t.is(result.digest, sha256Digest(bytes));
  t.is(result.size, bytes.length);
  t.deepEqual(await skopeoRawManifest(registry, `${registry.host}/pushed:1`), bytes);
  t.is(events.filter((e) => e.status === 'Pushed').length, 3);
  // skopeo copies it out again, verifying every blob against the manifest.
  const out = await tempDir();
  await skopeoCopy(registry, `docker://${registry.host}/pushed:1`, `oci:${out}:x`, ['--preserve-digests']);
  const log = await registry.requests();
  t.true(log.some((r) => r.method === 'PATCH'), 'chunked: PATCH requests');
  t.true(log.filter((r) => r.method === 'PATCH').length >= 4, 'the 9 MiB layer went in more than one chunk');
  t.false(log.some((r) => r.method === 'POST' && r.uri.includes('digest=')), 'no single-request upload');
  const manifestPut = log.findIndex((r) => r.method === 'PUT' && r.uri.includes('/manifests/'));
  t.true(log.slice(manifestPut + 1).every((r) => !r.uri.includes('/blobs/uploads/')), 'the manifest is PUT last');
  client.close();
});

test.serial('pushing again skips every layer the repository has', async (t) => {
  const client = new RegistryClient();
  await push(new DirSource(layout, 'v1'), ref('again', '1'), { client });
  const before = (await registry.requests()).length;
  const events: PushProgress[] = [];
  await push(new DirSource(layout, 'v1'), ref('again', '2'), { client, onProgress: (e) => events.push(e) });
  t.is(events.filter((e) => e.status === 'Layer already exists').length, 3);
  t.false((await registry.requests()).slice(before).some((r) => r.method === 'PATCH' || r.method === 'POST'));
  client.close();
});

test.serial('a blob another repository of the registry holds is mounted, not uploaded', async (t) => {
  const client = new RegistryClient();
  await push(new DirSource(layout, 'v1'), ref('origin', '1'), { client });
  const { bytes } = await new DirSource(layout, 'v1').manifest();
  const manifest = JSON.parse(bytes.toString()) as { config: { digest: string }; layers: { digest: string }[] };
  const sources = Object.fromEntries([manifest.config, ...manifest.layers].map((d) => [d.digest, ['origin']]));
  const before = (await registry.requests()).length;
  const events: PushProgress[] = [];
  await push(new DirSource(layout, 'v1', sources), ref('mounted', '1'), { client, onProgress: (e) => events.push(e) });
  t.is(events.filter((e) => e.status === 'Mounted from origin').length, 3);
  const log = (await registry.requests()).slice(before);
  t.is(log.filter((r) => r.method === 'POST' && r.uri.includes('mount=') && r.status === 201).length, 4, 'config and three layers mounted');
  t.false(log.some((r) => r.method === 'PATCH'));
  t.deepEqual(await skopeoRawManifest(registry, `${registry.host}/mounted:1`), bytes);
  client.close();
});

test.serial('a mount the registry refuses falls back to an upload', async (t) => {
  const client = new RegistryClient();
  const { bytes } = await new DirSource(layout, 'v1').manifest();
  const manifest = JSON.parse(bytes.toString()) as { layers: { digest: string }[] };
  const sources = { [manifest.layers[0]!.digest]: ['never-pushed-here'] };
  const events: PushProgress[] = [];
  await push(new DirSource(layout, 'v1', sources), ref('fallback', '1'), { client, onProgress: (e) => events.push(e) });
  t.is(events.filter((e) => e.status === 'Pushed').length, 3);
  client.close();
});

test.serial('a local blob that does not match its digest fails with ECORRUPT and no manifest is written', async (t) => {
  const dir = await tempDir();
  const layer = await addRandomLayer(dir, 50_000);
  await tagInLayout(dir, 'bad', await addImage(dir, { layers: [layer] }));
  await writeFile(blobPath(dir, layer.digest), Buffer.alloc(layer.size, 1));
  const client = new RegistryClient();
  const err = await t.throwsAsync(push(new DirSource(dir, 'bad'), ref('corrupt', '1'), { client }));
  t.true(isStrataError(err, ErrorCode.ECORRUPT));
  t.false((await registry.requests()).some((r) => r.method === 'PUT' && r.uri.includes('/corrupt/manifests/')));
  client.close();
});

/** The layout as a source that gives each blob as its file, as the store's content store does. */
class FileDirSource extends DirSource {
  async file(desc: { digest: string }): Promise<string> {
    return blobPath(this.dir, desc.digest);
  }
}

test.serial('blobs given as files are streamed in chunks from the file; skopeo reads back the same digests', async (t) => {
  const source = new FileDirSource(layout, 'v1');
  const client = new RegistryClient();
  const events: PushProgress[] = [];
  const before = (await registry.requests()).length;
  await push(source, ref('from-files', '1'), { client, fileChunkSize: 4 * 1024 * 1024, onProgress: (e) => events.push(e) });
  t.deepEqual(await skopeoRawManifest(registry, `${registry.host}/from-files:1`), (await source.manifest()).bytes);
  const out = await tempDir();
  await skopeoCopy(registry, `docker://${registry.host}/from-files:1`, `oci:${out}:x`, ['--preserve-digests']);
  const patches = (await registry.requests()).slice(before).filter((r) => r.method === 'PATCH');
  t.true(patches.length >= 5, `the 9 MiB layer went in 3 chunks of at most 4 MiB (${patches.length} PATCHes in all)`);
  const pushing = events.filter((e) => e.status === 'Pushing' && e.total !== undefined && e.total > 8 * 1024 * 1024);
  t.true(pushing.length > 3 && pushing.at(-1)!.current === pushing.at(-1)!.total, 'progress as the bytes stream');
  client.close();
});

test.serial('a blob file that does not match its digest, or its size, fails with ECORRUPT and no manifest is written', async (t) => {
  const dir = await tempDir();
  const layer = await addRandomLayer(dir, 3 * 1024 * 1024);
  await tagInLayout(dir, 'bad', await addImage(dir, { layers: [layer] }));
  const client = new RegistryClient();
  await writeFile(blobPath(dir, layer.digest), Buffer.alloc(layer.size, 1));
  const err = await t.throwsAsync(push(new FileDirSource(dir, 'bad'), ref('corrupt-file', '1'), { client, fileChunkSize: 1024 * 1024 }));
  t.true(isStrataError(err, ErrorCode.ECORRUPT), String(err));
  await writeFile(blobPath(dir, layer.digest), Buffer.alloc(layer.size - 1, 1));
  const short = await t.throwsAsync(push(new FileDirSource(dir, 'bad'), ref('corrupt-file', '1'), { client }));
  t.true(isStrataError(short, ErrorCode.ECORRUPT), String(short));
  t.false((await registry.requests()).some((r) => r.method === 'PUT' && r.uri.includes('/corrupt-file/manifests/')));
  client.close();
});
