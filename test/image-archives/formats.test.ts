import test from 'ava';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCode } from '../../core/errors.js';
import { openLayerStream } from '../../core/archive/decompress.js';
import { registerUnless } from '../../core/testkit/index.js';
import { MediaType, openImageArchive, writeImageArchive, type SaveImage } from '../../core/images/archive/index.js';
import { bytesItem, planTar, type PlannedItem } from '../../core/images/archive/archive-plan.js';
import { planOciLayout } from '../../core/images/archive/oci-writer.js';
import { missingProgram, runPeer } from '../helpers/peers/index.js';
import { assertFails, bytesOf, hashOf, tempDir } from './support.js';
import { configFor, layerTar, nameOf, sha256 } from './fixtures.js';

/** Probed before any test is declared (ava wants them declared in one go). */
const zstdMissing = await missingProgram('zstd', ['--version']);

async function tinyImage(names: string[], files: Record<string, string> = { hello: 'hello docker\n' }): Promise<SaveImage> {
  const layer = await layerTar(files);
  const config = configFor([sha256(layer)]);
  return {
    names: names.map(nameOf),
    config: { digest: sha256(config), bytes: config },
    layers: [{ diffId: sha256(layer), size: layer.length, open: async () => Readable.from([layer]) }],
  };
}

async function tarOf(dir: string, items: PlannedItem[], name: string): Promise<string> {
  await pipeline(planTar(items), createWriteStream(join(dir, name)));
  return join(dir, name);
}

/** A Docker 25+ archive: an OCI layout and a manifest.json naming the same blobs. */
function docker25(image: SaveImage, repoTags: string[]): PlannedItem[] {
  const hex = (d: string) => `blobs/sha256/${d.slice(7)}`;
  const entry = { Config: hex(image.config.digest), RepoTags: repoTags, Layers: image.layers.map((l) => hex(l.diffId)) };
  return [...planOciLayout([image]), bytesItem('manifest.json', Buffer.from(JSON.stringify([entry])))];
}

test('a Docker 25+ archive is read through its OCI layout when complete, with RepoTags as names', async (t) => {
  const dir = await tempDir(t);
  const image = await tinyImage(['tiny:latest']);
  const archive = await openImageArchive(await tarOf(dir, docker25(image, ['tiny:latest', 'tiny:extra']), 'd25.tar'), { tmpDir: dir });
  t.is(archive.format, 'docker-archive');
  const [read] = archive.images;
  t.truthy(read!.manifest, 'the manifest comes from the layout');
  t.deepEqual(read!.names, ['docker.io/library/tiny:latest', 'tiny:latest', 'tiny:extra']);
  t.deepEqual(read!.tags, ['latest']);
  t.is(read!.layers[0]!.blobDigest, image.layers[0]!.diffId);
  await archive.close();
});

test('a Docker 25+ archive whose layout is incomplete is read through manifest.json', async (t) => {
  const dir = await tempDir(t);
  const image = await tinyImage([]);
  const items = docker25(image, ['tiny:latest']);
  const manifestBlob = items.find((i) => i.kind === 'file' && i.name.startsWith('blobs/') && ![image.config.digest, image.layers[0]!.diffId].some((d) => i.name.endsWith(d.slice(7))));
  const archive = await openImageArchive(await tarOf(dir, items.filter((i) => i !== manifestBlob), 'd25.tar'), { tmpDir: dir });
  const [read] = archive.images;
  t.is(read!.manifest, undefined);
  t.deepEqual(read!.names, ['tiny:latest']);
  t.is(read!.config.digest, image.config.digest);
  t.is((await hashOf(await read!.layers[0]!.open())).digest, image.layers[0]!.diffId, 'a blobs/sha256 layer is verified against its name');
  await archive.close();
});

test('several images with shared layers and several names each survive every format', async (t) => {
  const dir = await tempDir(t);
  const a = await tinyImage(['a:one', 'a:two']);
  const b: SaveImage = { ...(await tinyImage(['b:latest'], { other: 'other\n' })) };
  const shared: SaveImage = (() => {
    const config = configFor([a.layers[0]!.diffId, b.layers[0]!.diffId]);
    return { names: [nameOf('c:both')], config: { digest: sha256(config), bytes: config }, layers: [a.layers[0]!, b.layers[0]!] };
  })();
  for (const format of ['docker-archive', 'oci-archive', 'oci-dir'] as const) {
    const path = join(dir, format);
    await writeImageArchive([a, b, shared], format, path);
    const archive = await openImageArchive(path, { tmpDir: dir });
    t.is(archive.format, format);
    t.deepEqual(archive.images.map((i) => i.config.digest).sort(), [a, b, shared].map((i) => i.config.digest).sort(), format);
    const readShared = archive.images.find((i) => i.config.digest === shared.config.digest)!;
    const full = (n: string) => (format === 'docker-archive' ? n : `docker.io/library/${n}`);
    t.deepEqual(readShared.names, [full('c:both')], format);
    t.deepEqual([...archive.images.find((i) => i.config.digest === a.config.digest)!.names].sort(), [full('a:one'), full('a:two')], format);
    if (format !== 'docker-archive') t.deepEqual(readShared.tags, ['both'], format);
    for (const [n, layer] of readShared.layers.entries()) t.is((await hashOf(await layer.open())).digest, shared.layers[n]!.diffId, format);
    await archive.close();
  }
  const docker = await readFile(join(dir, 'docker-archive'));
  t.true(docker.includes(Buffer.from('/layer.tar')), 'docker-archive has legacy layer dirs');
});

test('writing an oci-dir over a non-empty directory is refused; over an empty one it takes its place', async (t) => {
  const dir = await tempDir(t);
  const image = await tinyImage(['x:y']);
  await writeFile(join(dir, 'keep'), 'x');
  await assertFails(t, writeImageArchive([image], 'oci-dir', dir), ErrorCode.ECONFLICT, dir);
  const empty = join(dir, 'empty');
  await mkdir(empty);
  await writeImageArchive([image], 'oci-dir', empty);
  t.is(JSON.parse(await readFile(join(empty, 'oci-layout'), 'utf8')).imageLayoutVersion, '1.0.0');
});

registerUnless(test, zstdMissing === undefined ? undefined : { reason: zstdMissing, prerequisite: false }, 'zstd layers (from the zstd tool) decompress by their magic; a truncated one is a bad archive', async (t) => {
  const dir = await tempDir(t);
  const tar = await layerTar({ a: 'x'.repeat(200_000), b: 'y' });
  await writeFile(join(dir, 'layer.tar'), tar);
  await runPeer('zstd', ['-q', '-19', join(dir, 'layer.tar'), '-o', join(dir, 'layer.tar.zst')]);
  const zst = await readFile(join(dir, 'layer.tar.zst'));
  const chunks = (bytes: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));
  for (const size of [1, 7, 65536]) t.deepEqual(await bytesOf(await openLayerStream(chunks(zst, size))), tar);
  await assertFails(t, openLayerStream(Readable.from([zst.subarray(0, zst.length - 10)])).then(bytesOf), ErrorCode.EBADARCHIVE, 'zstd');

  const config = configFor([sha256(tar)]);
  const image: SaveImage = {
    names: [nameOf('zstd:latest')],
    config: { digest: sha256(config), bytes: config },
    layers: [{ diffId: sha256(tar), size: tar.length, open: async () => Readable.from([tar]), compressed: { digest: sha256(zst), size: zst.length, mediaType: MediaType.ociLayerZstd, open: async () => Readable.from([zst]) } }],
  };
  await writeImageArchive([image], 'oci-archive', join(dir, 'zstd.tar'));
  const archive = await openImageArchive(join(dir, 'zstd.tar'), { tmpDir: dir });
  const layer = archive.images[0]!.layers[0]!;
  t.is(layer.mediaType, MediaType.ociLayerZstd);
  t.is((await hashOf(await openLayerStream(await layer.open()))).digest, layer.diffId);
  await archive.close();
});

test('a nested index (several platforms) gives the manifest for this machine, named by the outer descriptor', async (t) => {
  const dir = await tempDir(t);
  const mine = await tinyImage(['x:mine'], { mine: '1' });
  const other = await tinyImage(['x:other'], { other: '2' });
  const items = planOciLayout([other, mine]);
  const outer = JSON.parse((await bytesOf(await (items.at(-1) as Extract<PlannedItem, { kind: 'file' }>).open())).toString());
  const host = { x64: 'amd64', arm64: 'arm64' }[process.arch as string] ?? process.arch;
  const [otherDescriptor, mineDescriptor] = outer.manifests.map((m: { annotations?: unknown }) => ({ ...m, annotations: undefined }));
  const nested = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { ...otherDescriptor, platform: { os: 'linux', architecture: 'not-this-one' } },
      { ...mineDescriptor, platform: { os: 'linux', architecture: host } },
    ],
  }));
  const index = { schemaVersion: 2, manifests: [{ mediaType: MediaType.ociIndex, digest: sha256(nested), size: nested.length, annotations: { 'io.containerd.image.name': 'example.com/multi:1' } }] };
  const path = await tarOf(dir, [...items.slice(0, -1), bytesItem(`blobs/sha256/${sha256(nested).slice(7)}`, nested), bytesItem('index.json', Buffer.from(JSON.stringify(index)))], 'multi.tar');
  const archive = await openImageArchive(path, { tmpDir: dir });
  t.is(archive.images.length, 1);
  t.is(archive.images[0]!.config.digest, mine.config.digest);
  t.deepEqual(archive.images[0]!.names, ['example.com/multi:1']);
  await archive.close();
});

test('a blob symlink in an OCI layout directory that leads outside it is unsafe', async (t) => {
  const dir = await tempDir(t);
  const image = await tinyImage(['x:y']);
  await writeImageArchive([image], 'oci-dir', join(dir, 'layout'));
  const blob = join(dir, 'layout/blobs/sha256', image.config.digest.slice(7));
  await writeFile(join(dir, 'outside'), image.config.bytes);
  await rm(blob);
  await symlink('../../../outside', blob);
  await assertFails(t, openImageArchive(join(dir, 'layout'), { tmpDir: dir }), ErrorCode.EUNSAFEARCHIVE, image.config.digest.slice(7));
});

test('an archive can be written to a stream (stdout) and read back; an xz-compressed archive is refused in one line', async (t) => {
  const dir = await tempDir(t);
  const image = await tinyImage(['x:stream']);
  await writeImageArchive([image], 'oci-archive', createWriteStream(join(dir, 'out.tar')));
  const archive = await openImageArchive(join(dir, 'out.tar'), { tmpDir: dir });
  t.deepEqual(archive.images[0]!.tags, ['stream']);
  await archive.close();
  await writeFile(join(dir, 'image.tar.xz'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]));
  await assertFails(t, openImageArchive(join(dir, 'image.tar.xz'), { tmpDir: dir }), ErrorCode.EBADARCHIVE, 'xz-compressed');
});
