import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { registerUnless } from '../../core/testkit/index.js';
import { Dockerd, buildOddImage, skopeo, umoci } from '../helpers/peers/index.js';
import { DRIVERS, describeImageTree, driverUnmet, helloTar, scratch, strataAt, type Strata } from './support.js';

/**
 * The formats judged by real tools: umoci's image loads with its digests and
 * mounts to exactly umoci's unpacked tree; load → save → load keeps the id in
 * each format; skopeo and umoci read what strata saves; Docker loads and runs
 * strata's hello image.
 */

const sha256 = (data: string | Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const FORMATS = ['docker-archive', 'oci-archive', 'oci-dir'] as const;

/** The tree `image mount` shows, described. */
async function mountedTree(strata: Strata, image: string): Promise<string> {
  const path = (await strata.ok('image', 'mount', image)).trim();
  try {
    return await describeImageTree(path);
  } finally {
    await strata.ok('image', 'umount', image);
  }
}

const [umociUnmet, skopeoUnmet, dockerUnmet] = await Promise.all([umoci.unmet(), skopeo.unmet(), Dockerd.unmet()]);
const peersUnmet = umociUnmet ?? skopeoUnmet;
const missing = (reason: string | undefined) => (reason === undefined ? undefined : { reason, prerequisite: false });

registerUnless(test, missing(peersUnmet), "umoci's odd image loads with its digests, mounts to umoci's tree, and survives load → save → load in every format", async (t) => {
  const dir = await scratch(t, 'umoci');
  const layout = join(dir, 'layout');
  const ref = await buildOddImage(layout, 'odd');
  const configBytes = await skopeo.rawConfig(`oci:${ref}`);
  const config = JSON.parse(configBytes) as { rootfs: { diff_ids: string[] } };
  const id = sha256(configBytes);
  await umoci.unpack(ref, join(dir, 'bundle'));
  const reference = await describeImageTree(join(dir, 'bundle/rootfs'));
  t.true(reference.includes('same inode: ./bin/tool ./bin/tool-hardlink'), 'the reference tree has the hard link');
  t.true(reference.includes('user.strata="value"'), 'the reference tree has the xattr');

  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const loaded = JSON.parse(await strata.ok('--json', 'load', '-i', layout)) as Array<{ id: string; names: string[] }>;
  t.deepEqual(loaded.map((l) => l.id), [id], 'the config digest is the image id');
  const [doc] = JSON.parse(await strata.ok('inspect', id)) as Array<{ RootFS: { Layers: string[] } }>;
  t.deepEqual(doc!.RootFS.Layers, config.rootfs.diff_ids);
  t.is(await mountedTree(strata, id), reference);

  // Every other driver that works here shows the same tree.
  for (const driver of DRIVERS.map((d) => d.name).filter((d) => d !== 'vfs')) {
    const why = await driverUnmet(driver);
    if (why !== undefined) {
      t.log(`${driver} not compared: ${why}`);
      continue;
    }
    const other = strataAt(t, join(dir, `root-${driver}`), driver);
    await other.ok('load', '-i', layout);
    t.is(await mountedTree(other, id), reference, `${driver}: the tree umoci unpacks`);
  }

  for (const format of FORMATS) {
    const out = join(dir, `saved-${format}`);
    await strata.ok('save', '--format', format, '-o', out, id);
    const again = strataAt(t, join(dir, `root-${format}`), 'vfs');
    const reloaded = JSON.parse(await again.ok('--json', 'load', '-i', out)) as Array<{ id: string }>;
    t.deepEqual(reloaded.map((l) => l.id), [id], `${format}: load → save → load keeps the id`);
    t.is(await mountedTree(again, id), reference, `${format}: the same tree`);
  }
});

registerUnless(test, missing(peersUnmet), 'skopeo and umoci read what strata saves, with the same digests and tree', async (t) => {
  const dir = await scratch(t, 'judges');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const id = (await strata.ok('import', '-c', 'CMD ["/hello"]', await helloTar(dir), 'hello')).trim();
  const [doc] = JSON.parse(await strata.ok('inspect', 'hello')) as Array<{ RootFS: { Layers: string[] } }>;
  const tree = await mountedTree(strata, 'hello');

  const refs = {
    'docker-archive': (path: string) => `docker-archive:${path}`,
    'oci-archive': (path: string) => `oci-archive:${path}`,
    'oci-dir': (path: string) => `oci:${path}:latest`,
  };
  for (const format of FORMATS) {
    const out = join(dir, `hello-${format}`);
    await strata.ok('save', '--format', format, '-o', out, 'hello');
    const ref = refs[format](out);
    t.is(sha256(await skopeo.rawConfig(ref)), id, `${format}: skopeo reads the same config`);
    const inspected = await skopeo.inspect(ref);
    t.deepEqual(inspected.Layers, doc!.RootFS.Layers, `${format}: skopeo inspect lists the layers (uncompressed: digest = diff_id)`);
    // skopeo copy to an OCI layout, then the reference unpacker.
    const layout = join(dir, `copied-${format}`);
    await skopeo.copy(ref, `oci:${layout}:hello`);
    const copiedConfig = await skopeo.rawConfig(`oci:${layout}:hello`);
    if (format === 'docker-archive') {
      // skopeo re-serialises a docker-archive's config when it converts to OCI (a new id): the layers stay.
      t.deepEqual((JSON.parse(copiedConfig) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, doc!.RootFS.Layers);
    } else {
      t.is(sha256(copiedConfig), id, `${format}: skopeo copy keeps the config`);
    }
    await umoci.unpack(`${layout}:hello`, join(dir, `bundle-${format}`));
    t.is(await describeImageTree(join(dir, `bundle-${format}/rootfs`)), tree, `${format}: umoci unpacks the tree strata mounts`);
  }
  // umoci straight from strata's own OCI layout.
  await umoci.unpack(`${join(dir, 'hello-oci-dir')}:latest`, join(dir, 'bundle-direct'));
  t.is(await describeImageTree(join(dir, 'bundle-direct/rootfs')), tree);
  t.deepEqual(await readFile(join(dir, 'bundle-direct/rootfs/hello')), await readFile(join(dir, 'bundle-oci-archive/rootfs/hello')));
});

registerUnless(test, missing(dockerUnmet), "docker loads strata's saved hello image and runs it", async (t) => {
  const dir = await scratch(t, 'docker');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const id = (await strata.ok('import', '-c', 'CMD ["/hello"]', await helloTar(dir), 'hello')).trim();
  const archive = join(dir, 'hello.tar');
  await strata.ok('save', '-o', archive, 'hello');
  // Installed (registerUnless checked): a daemon that does not start is a failure.
  const daemon = await Dockerd.start();
  t.teardown(() => daemon.stop());
  t.is(await daemon.docker(['load', '-i', archive]), 'Loaded image: hello:latest\n');
  t.is((await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', 'hello'])).trim(), id);
  t.is(await daemon.docker(['run', '--rm', '--network=none', 'hello']), 'hello docker\n');
});
