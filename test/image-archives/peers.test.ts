import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registerUnless } from '../../core/testkit/index.js';
import { openImageArchive, writeImageArchive, type ArchiveImage } from '../../core/images/archive/index.js';
import { buildOddImage, skopeo, umoci } from '../helpers/peers/index.js';
import { asSaveImage, describeTree, hashOf, tempDir } from './support.js';

/**
 * Round trips with the reference tools: archives umoci and skopeo write are
 * read with their digests; archives strata writes are read by them with the
 * same digests and unpack to the same tree.
 */
const reason = (await umoci.unmet()) ?? (await skopeo.unmet());
const missing = reason === undefined ? undefined : { reason, prerequisite: true };
const peerTest = (title: string, run: Parameters<typeof registerUnless>[3]) => registerUnless(test, missing, title, run);

async function oddLayout(dir: string): Promise<string> {
  await buildOddImage(join(dir, 'layout'), 'odd');
  return join(dir, 'layout');
}

async function readOnly(path: string, tmpDir: string): Promise<ArchiveImage> {
  const archive = await openImageArchive(path, { tmpDir });
  try {
    return archive.images[0]!;
  } finally {
    await archive.close();
  }
}

peerTest('an OCI layout made by umoci reads with its manifest, config and layer digests', async (t) => {
  const dir = await tempDir(t);
  const layout = await oddLayout(dir);
  const archive = await openImageArchive(layout, { tmpDir: dir });
  t.is(archive.format, 'oci-dir');
  t.is(archive.images.length, 1);
  const image = archive.images[0]!;
  const raw = await skopeo.rawManifest(`oci:${layout}:odd`);
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
  t.is(image.manifest?.digest, index.manifests[0].digest);
  t.is<string, string>(image.config.digest, raw.config.digest);
  t.deepEqual(image.layers.map((l) => l.blobDigest), raw.layers.map((l) => l.digest));
  t.deepEqual(image.names, []);
  t.deepEqual(image.tags, ['odd'], 'a bare ref.name is a tag, not a name');
  for (const layer of image.layers) t.deepEqual(await hashOf(await layer.open()), { digest: layer.blobDigest!, size: layer.size });
});

peerTest('oci-archive and docker-archive made by skopeo read with the same config and layers', async (t) => {
  const dir = await tempDir(t);
  const layout = await oddLayout(dir);
  const original = await readOnly(layout, dir);

  await skopeo.copy(`oci:${layout}:odd`, `oci-archive:${join(dir, 'odd-oci.tar')}:example.com/odd:v1`);
  const oci = await openImageArchive(join(dir, 'odd-oci.tar'), { tmpDir: dir });
  t.is(oci.format, 'oci-archive');
  const fromOci = oci.images[0]!;
  t.is(fromOci.config.digest, original.config.digest);
  t.is(fromOci.manifest?.digest, original.manifest?.digest);
  t.deepEqual(fromOci.layers.map((l) => l.blobDigest), original.layers.map((l) => l.blobDigest));
  t.deepEqual(fromOci.names, ['example.com/odd:v1'], 'a ref.name that is a whole reference is a name');
  await oci.close();

  await skopeo.copy(`oci:${layout}:odd`, `docker-archive:${join(dir, 'odd-docker.tar')}:example.com/odd:v1`);
  const docker = await openImageArchive(join(dir, 'odd-docker.tar'), { tmpDir: dir });
  t.is(docker.format, 'docker-archive');
  const fromDocker = docker.images[0]!;
  t.deepEqual(fromDocker.names, ['example.com/odd:v1']);
  const skopeoConfig = Buffer.from(await skopeo.rawConfig(`docker-archive:${join(dir, 'odd-docker.tar')}`));
  t.deepEqual(fromDocker.config.bytes, skopeoConfig);
  t.deepEqual(fromDocker.layers.map((l) => l.diffId), original.layers.map((l) => l.diffId));
  for (const layer of fromDocker.layers) t.is((await hashOf(await layer.open())).digest, layer.diffId, 'docker-archive layers are the uncompressed tars');
  await docker.close();
});

peerTest('strata oci-dir and oci-archive keep the stored digests and are read by skopeo and umoci', async (t) => {
  const dir = await tempDir(t);
  const layout = await oddLayout(dir);
  const original = await readOnly(layout, dir);
  const save = await asSaveImage(original, ['example.com/odd:v1'], dir, { keepBlobs: true, keepManifest: true });

  await writeImageArchive([save], 'oci-dir', join(dir, 'out'));
  const raw = await skopeo.rawManifest(`oci:${join(dir, 'out')}:v1`);
  t.is<string, string>(raw.config.digest, original.config.digest);
  t.deepEqual(raw.layers.map((l) => l.digest), original.layers.map((l) => l.blobDigest));
  const index = JSON.parse(await readFile(join(dir, 'out/index.json'), 'utf8'));
  t.is(index.manifests[0].digest, original.manifest?.digest, 'the stored manifest is reused byte for byte');
  t.deepEqual(index.manifests[0].annotations, { 'io.containerd.image.name': 'example.com/odd:v1', 'org.opencontainers.image.ref.name': 'v1' });

  await umoci.unpack(`${layout}:odd`, join(dir, 'bundle-original'));
  await umoci.unpack(`${join(dir, 'out')}:v1`, join(dir, 'bundle-strata'));
  t.is(await describeTree(join(dir, 'bundle-strata/rootfs')), await describeTree(join(dir, 'bundle-original/rootfs')));

  await writeImageArchive([save], 'oci-archive', join(dir, 'out.tar'));
  await skopeo.copy(`oci-archive:${join(dir, 'out.tar')}:v1`, `oci:${join(dir, 'copied')}:v1`);
  const copied = await skopeo.rawManifest(`oci:${join(dir, 'copied')}:v1`);
  t.deepEqual(copied, raw);
});

peerTest('layers offered uncompressed only are written as plain tars under a new manifest that umoci and skopeo accept', async (t) => {
  const dir = await tempDir(t);
  const layout = await oddLayout(dir);
  const original = await readOnly(layout, dir);
  const save = await asSaveImage(original, ['odd:plain'], dir);

  await writeImageArchive([save], 'oci-archive', join(dir, 'plain.tar'));
  const inspected = await skopeo.inspect(`oci-archive:${join(dir, 'plain.tar')}:plain`);
  t.deepEqual(inspected.Layers, original.layers.map((l) => l.diffId));
  await skopeo.copy(`oci-archive:${join(dir, 'plain.tar')}:plain`, `oci:${join(dir, 'copied')}:plain`);
  await umoci.unpack(`${join(dir, 'copied')}:plain`, join(dir, 'bundle-plain'));
  await umoci.unpack(`${layout}:odd`, join(dir, 'bundle-original'));
  t.is(await describeTree(join(dir, 'bundle-plain/rootfs')), await describeTree(join(dir, 'bundle-original/rootfs')));

  const back = await readOnly(join(dir, 'plain.tar'), dir);
  t.is(back.config.digest, original.config.digest, 'load -> save -> load keeps the image id');
  t.deepEqual(back.tags, ['plain']);
  t.deepEqual(back.names, ['docker.io/library/odd:plain']);
});

peerTest('a strata docker-archive is read by skopeo and unpacks through it to the same tree', async (t) => {
  const dir = await tempDir(t);
  const layout = await oddLayout(dir);
  const original = await readOnly(layout, dir);
  const save = await asSaveImage(original, ['example.com/odd:v1'], dir);
  await writeImageArchive([save], 'docker-archive', join(dir, 'odd.tar'));
  const inspected = await skopeo.inspect(`docker-archive:${join(dir, 'odd.tar')}`);
  t.deepEqual(inspected.Layers, original.layers.map((l) => l.diffId));
  t.deepEqual(Buffer.from(await skopeo.rawConfig(`docker-archive:${join(dir, 'odd.tar')}`)), original.config.bytes);
  await skopeo.copy(`docker-archive:${join(dir, 'odd.tar')}`, `oci:${join(dir, 'copied')}:v1`);
  await umoci.unpack(`${join(dir, 'copied')}:v1`, join(dir, 'bundle-copied'));
  await umoci.unpack(`${layout}:odd`, join(dir, 'bundle-original'));
  t.is(await describeTree(join(dir, 'bundle-copied/rootfs')), await describeTree(join(dir, 'bundle-original/rootfs')));
});

peerTest('the writers are deterministic: the same images give the same bytes', async (t) => {
  const dir = await tempDir(t);
  const original = await readOnly(await oddLayout(dir), dir);
  const save = await asSaveImage(original, ['odd:one', 'odd:two'], dir, { keepBlobs: true });
  for (const format of ['docker-archive', 'oci-archive'] as const) {
    await writeImageArchive([save], format, join(dir, `${format}-1.tar`));
    await writeImageArchive([save], format, join(dir, `${format}-2.tar`));
    t.deepEqual(await readFile(join(dir, `${format}-1.tar`)), await readFile(join(dir, `${format}-2.tar`)), format);
    const back = await openImageArchive(join(dir, `${format}-1.tar`), { tmpDir: dir });
    const expected = format === 'docker-archive' ? ['odd:one', 'odd:two'] : ['docker.io/library/odd:one', 'docker.io/library/odd:two'];
    t.deepEqual([...back.images[0]!.names].sort(), expected, format);
    await back.close();
  }
});
