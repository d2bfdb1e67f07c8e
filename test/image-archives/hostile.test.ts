import test from 'ava';
import { createWriteStream } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode } from '../../core/errors.js';
import { openImageArchive, writeImageArchive, type SaveImage } from '../../core/images/archive/index.js';
import { bytesItem, planTar, type PlannedItem } from '../../core/images/archive/archive-plan.js';
import { planOciLayout } from '../../core/images/archive/oci-writer.js';
import { assertFails, bytesOf, tempDir } from './support.js';
import { configFor, layerTar, nameOf, sha256, tinyParts } from './fixtures.js';

/** Untrusted archives: each class fails with its code and one line naming the file or digest. */

async function writeTarFile(dir: string, items: PlannedItem[]): Promise<string> {
  const path = join(dir, `archive-${Math.random().toString(36).slice(2)}.tar`);
  await pipeline(planTar(items), createWriteStream(path));
  return path;
}

function manifestJson(config: string, layers: string[]): PlannedItem {
  return bytesItem('manifest.json', Buffer.from(JSON.stringify([{ Config: config, RepoTags: ['bad:latest'], Layers: layers }])));
}

async function open(t: Parameters<typeof tempDir>[0], items: PlannedItem[]): Promise<ReturnType<typeof openImageArchive>> {
  const dir = await tempDir(t);
  return openImageArchive(await writeTarFile(dir, items), { tmpDir: dir });
}

test('manifest.json layer paths with ".." or absolute are unsafe', async (t) => {
  const { layer, config, configName } = await tinyParts();
  for (const path of ['../outside/layer.tar', 'abc/../../layer.tar', '/etc/layer.tar']) {
    const items = [bytesItem(configName, config), bytesItem('abc/layer.tar', layer), manifestJson(configName, [path])];
    await assertFails(t, open(t, items), ErrorCode.EUNSAFEARCHIVE, JSON.stringify(path));
  }
  const items = [bytesItem(configName, config), bytesItem('abc/layer.tar', layer), manifestJson(`../${configName}`, ['abc/layer.tar'])];
  await assertFails(t, open(t, items), ErrorCode.EUNSAFEARCHIVE, `../${configName}`);
});

test('a layer.tar symlink that points outside the archive is unsafe', async (t) => {
  const { config, configName } = await tinyParts();
  for (const target of ['../../../etc/passwd', '/etc/passwd']) {
    const items: PlannedItem[] = [
      bytesItem(configName, config),
      { kind: 'directory', name: 'abc' },
      { kind: 'symlink', name: 'abc/layer.tar', target },
      manifestJson(configName, ['abc/layer.tar']),
    ];
    await assertFails(t, open(t, items), ErrorCode.EUNSAFEARCHIVE, 'abc/layer.tar');
  }
});

test('a layer or config named but missing is a bad archive naming it', async (t) => {
  const { layer, config, configName } = await tinyParts();
  await assertFails(t, open(t, [bytesItem(configName, config), manifestJson(configName, ['abc/layer.tar'])]), ErrorCode.EBADARCHIVE, 'abc/layer.tar');
  await assertFails(t, open(t, [bytesItem('abc/layer.tar', layer), manifestJson(configName, ['abc/layer.tar'])]), ErrorCode.EBADARCHIVE, configName);
});

test('a config that is not JSON, or over 8 MiB, is a bad archive naming it', async (t) => {
  const { layer } = await tinyParts();
  const notJson = Buffer.from('{"rootfs": not json');
  const notJsonName = `${sha256(notJson).slice(7)}.json`;
  await assertFails(t, open(t, [bytesItem(notJsonName, notJson), bytesItem('l.tar', layer), manifestJson(notJsonName, ['l.tar'])]), ErrorCode.EBADARCHIVE, notJsonName);
  const huge = Buffer.concat([configFor([sha256(layer)]).subarray(0, -1), Buffer.from(`,"padding":"${'x'.repeat(8 * 1024 * 1024)}"}`)]);
  const hugeName = `${sha256(huge).slice(7)}.json`;
  await assertFails(t, open(t, [bytesItem(hugeName, huge), bytesItem('l.tar', layer), manifestJson(hugeName, ['l.tar'])]), ErrorCode.EBADARCHIVE, 'over the limit');
});

test('a config whose bytes are not the digest its name states is corrupt', async (t) => {
  const { layer, config } = await tinyParts();
  const liar = `${'0'.repeat(64)}.json`;
  await assertFails(t, open(t, [bytesItem(liar, config), bytesItem('l.tar', layer), manifestJson(liar, ['l.tar'])]), ErrorCode.ECORRUPT, liar);
});

test('a layer count that differs from the config diff_ids is a bad archive', async (t) => {
  const { layer, config, configName } = await tinyParts();
  await assertFails(t, open(t, [bytesItem(configName, config), bytesItem('l.tar', layer), manifestJson(configName, ['l.tar', 'l.tar'])]), ErrorCode.EBADARCHIVE, '2 layers');
});

test('a truncated docker-archive fails naming the layer entry', async (t) => {
  const dir = await tempDir(t);
  const { configName } = await tinyParts();
  const layer = await layerTar({ big: 'x'.repeat(50_000) });
  const whole = await bytesOf(planTar([bytesItem(configName, configFor([sha256(layer)])), manifestJson(configName, ['abc/layer.tar']), bytesItem('abc/layer.tar', layer)]));
  await writeFile(join(dir, 'cut.tar'), whole.subarray(0, whole.length - 30_000));
  await assertFails(t, openImageArchive(join(dir, 'cut.tar'), { tmpDir: dir }), ErrorCode.EBADARCHIVE, 'abc/layer.tar');
});

/** A valid oci-archive of the tiny image, as strata writes it, for the OCI cases to break. */
async function ociItems(): Promise<{ items: PlannedItem[]; layerDigest: string; image: SaveImage }> {
  const { layer, config } = await tinyParts();
  const image: SaveImage = {
    names: [nameOf('tiny:latest')],
    config: { digest: sha256(config), bytes: config },
    layers: [{ diffId: sha256(layer), size: layer.length, open: async () => Readable.from([layer]) }],
  };
  return { items: planOciLayout([image]), layerDigest: sha256(layer), image };
}

test('an OCI layer blob whose bytes are not its digest fails with ECORRUPT while streaming', async (t) => {
  const { items, layerDigest } = await ociItems();
  const blobName = `blobs/sha256/${layerDigest.slice(7)}`;
  const swapped = items.map((item) => {
    if (item.name !== blobName || item.kind !== 'file') return item;
    const other = Buffer.alloc(item.size, 0x41);
    return bytesItem(item.name, other);
  });
  const archive = await open(t, swapped);
  const layer = archive.images[0]!.layers[0]!;
  await assertFails(t, layer.open().then(bytesOf), ErrorCode.ECORRUPT, layerDigest);
  await archive.close();
});

test('an OCI blob that is missing or shorter than its descriptor is a bad archive naming the digest', async (t) => {
  const { items, layerDigest } = await ociItems();
  const blobName = `blobs/sha256/${layerDigest.slice(7)}`;
  await assertFails(t, open(t, items.filter((i) => i.name !== blobName)), ErrorCode.EBADARCHIVE, layerDigest);
  const shorter = items.map((item) => (item.name === blobName ? bytesItem(item.name, Buffer.alloc(10)) : item));
  await assertFails(t, open(t, shorter), ErrorCode.EBADARCHIVE, layerDigest);
  const index = items.find((i) => i.name === 'index.json');
  const indexJson = JSON.parse((await bytesOf(await (index as Extract<PlannedItem, { kind: 'file' }>).open())).toString());
  const manifestDigest = indexJson.manifests[0].digest as string;
  await assertFails(t, open(t, items.filter((i) => i.name !== `blobs/sha256/${manifestDigest.slice(7)}`)), ErrorCode.EBADARCHIVE, manifestDigest);
});

test('a file that is neither format, and a directory without index.json, are refused', async (t) => {
  const dir = await tempDir(t);
  await assertFails(t, open(t, [bytesItem('hello.txt', Buffer.from('hi'))]), ErrorCode.EBADARCHIVE, 'not an image archive');
  await assertFails(t, openImageArchive(dir, { tmpDir: dir }), ErrorCode.EBADARCHIVE, 'no index.json');
});

test('a layer that does not match its diffID makes the write fail and leaves nothing at the path', async (t) => {
  const dir = await tempDir(t);
  const { image } = await ociItems();
  const lying: SaveImage = { ...image, layers: [{ ...image.layers[0]!, open: async () => Readable.from([Buffer.alloc(image.layers[0]!.size, 1)]) }] };
  for (const format of ['docker-archive', 'oci-archive', 'oci-dir'] as const) {
    await assertFails(t, writeImageArchive([lying], format, join(dir, `out-${format}`)), ErrorCode.ECORRUPT, image.layers[0]!.diffId);
  }
  t.deepEqual(await readdir(dir), []);
});
