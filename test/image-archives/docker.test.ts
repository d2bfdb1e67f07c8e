import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { registerUnless } from '../../core/testkit/index.js';
import { TarIndex, openImageArchive, writeImageArchive } from '../../core/images/archive/index.js';
import { Dockerd, buildOddImage, runPeer, umoci } from '../helpers/peers/index.js';
import { Readable } from 'node:stream';
import type { SaveImage } from '../../core/images/archive/index.js';
import { asSaveImage, hashOf, tempDir } from './support.js';
import { configFor, layerTar, nameOf, sha256 } from './fixtures.js';

/**
 * Docker 20.10 as the judge: what `docker save` writes is read with the ids
 * Docker reports, and what strata writes is loaded by `docker load` under the
 * same image id. One private daemon serves the file.
 */
const reason = (await Dockerd.unmet()) ?? (await umoci.unmet());
let daemon: Dockerd | undefined;
let startFailure: string | undefined;
if (reason === undefined) {
  try {
    daemon = await Dockerd.start();
  } catch (err) {
    startFailure = (err as Error).message;
  }
}
const why = reason ?? startFailure;
const missing = why === undefined ? undefined : { reason: why, prerequisite: true };
test.after.always(async () => daemon?.stop());

interface Inspected {
  Id: string;
  RepoTags: string[];
  RootFS: { Layers: string[] };
}

async function inspect(name: string): Promise<Inspected> {
  return (JSON.parse(await daemon!.docker(['image', 'inspect', name])) as Inspected[])[0]!;
}

registerUnless(test, missing, 'docker save archives (shared layers as layer.tar symlinks) read with the ids docker reports', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'root/etc'), { recursive: true });
  await writeFile(join(dir, 'root/etc/base'), 'base layer\n');
  await runPeer('tar', ['-C', join(dir, 'root'), '-cf', join(dir, 'root.tar'), '.']);
  await daemon!.docker(['import', '-c', 'CMD ["/bin/true"]', join(dir, 'root.tar'), 'strata-test/base:v1']);
  await mkdir(join(dir, 'ctx'));
  await writeFile(join(dir, 'ctx/Dockerfile'), 'FROM strata-test/base:v1\nCOPY f /f\nCOPY g /g\n');
  await writeFile(join(dir, 'ctx/f'), 'f\n');
  await writeFile(join(dir, 'ctx/g'), 'g\n');
  await daemon!.docker(['build', '-q', '-t', 'strata-test/child:v2', join(dir, 'ctx')]);
  await daemon!.docker(['save', '-o', join(dir, 'saved.tar'), 'strata-test/child:v2', 'strata-test/base:v1']);

  const index = await TarIndex.open(join(dir, 'saved.tar'));
  t.true([...index.entries()].some((e) => e.type === 'symlink' && e.name.endsWith('/layer.tar')), 'docker wrote a layer.tar symlink');

  const archive = await openImageArchive(join(dir, 'saved.tar'), { tmpDir: dir });
  t.is(archive.format, 'docker-archive');
  t.is(archive.images.length, 2);
  for (const name of ['strata-test/child:v2', 'strata-test/base:v1']) {
    const docker = await inspect(name);
    const image = archive.images.find((i) => i.names.includes(name));
    t.truthy(image, name);
    t.is<string, string>(image!.config.digest, docker.Id);
    t.deepEqual<string[], string[]>(image!.layers.map((l) => l.diffId), docker.RootFS.Layers);
    for (const layer of image!.layers) t.is((await hashOf(await layer.open())).digest, layer.diffId);
  }
  await archive.close();
});

registerUnless(test, missing, 'docker load accepts a strata docker-archive under the same image id, and docker save gives it back', async (t) => {
  const dir = await tempDir(t);
  await buildOddImage(join(dir, 'layout'), 'odd');
  const layout = await openImageArchive(join(dir, 'layout'), { tmpDir: dir });
  const original = layout.images[0]!;
  const save = await asSaveImage(original, ['strata-test/odd:v1'], dir);

  await writeImageArchive([save], 'docker-archive', join(dir, 'odd.tar'));
  t.regex(await daemon!.docker(['load', '-i', join(dir, 'odd.tar')]), /Loaded image: strata-test\/odd:v1/);
  const loaded = await inspect('strata-test/odd:v1');
  t.is<string, string>(loaded.Id, original.config.digest);
  t.deepEqual<string[], string[]>(loaded.RootFS.Layers, original.layers.map((l) => l.diffId));

  await daemon!.docker(['save', '-o', join(dir, 'again.tar'), 'strata-test/odd:v1']);
  const again = await openImageArchive(join(dir, 'again.tar'), { tmpDir: dir });
  t.is(again.images[0]!.config.digest, original.config.digest, 'strata save -> docker load -> docker save keeps the image id');
  await again.close();
  await layout.close();
});

registerUnless(test, missing, 'docker load reads a strata docker-archive of several images whose shared layer is a layer.tar symlink', async (t) => {
  const dir = await tempDir(t);
  const base = await layerTar({ 'etc/base': 'base\n' });
  const extra = await layerTar({ 'etc/extra': 'extra\n' });
  const image = (names: string[], layers: Buffer[]): SaveImage => {
    const config = configFor(layers.map(sha256));
    return {
      names: names.map(nameOf),
      config: { digest: sha256(config), bytes: config },
      layers: layers.map((l) => ({ diffId: sha256(l), size: l.length, open: async () => Readable.from([l]) })),
    };
  };
  // `extra` sits on `base` in one image and alone in the other: two layer dirs, one layer.tar
  const images = [image(['strata-test/stack:two'], [base, extra]), image(['strata-test/alone:one'], [extra])];
  await writeImageArchive(images, 'docker-archive', join(dir, 'both.tar'));
  const index = await TarIndex.open(join(dir, 'both.tar'));
  t.true([...index.entries()].some((e) => e.type === 'symlink'), 'the shared layer is written once');
  await daemon!.docker(['load', '-i', join(dir, 'both.tar')]);
  for (const written of images) {
    const loaded = await inspect(`${written.names[0]!.repository}:${written.names[0]!.tag}`);
    t.is<string, string>(loaded.Id, written.config.digest);
    t.deepEqual<string[], string[]>(loaded.RootFS.Layers, written.layers.map((l) => l.diffId));
  }
});
