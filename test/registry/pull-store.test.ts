import test from 'ava';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { pullImage } from '../../core/image-ops/pull-image.js';
import { RegistryClient } from '../../core/remotes/index.js';
import { addImage, addRandomLayer, tagInLayout } from '../helpers/oci-dir.js';
import { skopeoCopy, startRegistry } from '../helpers/registry.js';
import { freshStore, tempDir } from '../store/store-fixture.js';

/**
 * Pulls into a store: the first layer is applied while it downloads, so a
 * corrupt blob is found by the import (not a tar) before the digest check ends
 * the download; the pull still fails with the download's ECORRUPT and leaves
 * nothing behind.
 */
test('a corrupt first layer fails a store pull with ECORRUPT, leaving no image, layer or blob', async (t) => {
  const registry = await startRegistry();
  const client = new RegistryClient();
  try {
    const layout = await tempDir(t, 'strata-pull-store-');
    const layers = [await addRandomLayer(layout, 2 * 1024 * 1024), await addRandomLayer(layout, 100_000)];
    await tagInLayout(layout, 'v1', await addImage(layout, { layers }));
    await skopeoCopy(registry, `oci:${layout}:v1`, `docker://${registry.host}/victim:1`, ['--preserve-digests']);
    const hex = layers[0]!.digest.slice(7);
    await writeFile(join(registry.root, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'), Buffer.alloc(layers[0]!.size, 7));
    const { store, root } = await freshStore(t);
    const err = await t.throwsAsync(pullImage(store, { domain: registry.host, path: 'victim', tag: '1' }, { client }));
    t.true(isStrataError(err, ErrorCode.ECORRUPT), String(err));
    t.true(err!.message.includes(layers[0]!.digest), err!.message);
    t.deepEqual(store.images.list(), []);
    t.deepEqual(store.layers.list(), []);
    t.false(await store.images.content.has(layers[0]!.digest));
    const staged = await readdir(join(root, 'tmp')).catch(() => []);
    t.deepEqual(staged, [], 'no staging folder is left');
  } finally {
    client.close();
    await registry.stop();
  }
});
