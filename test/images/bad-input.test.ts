import { join } from 'node:path';
import test from 'ava';
import { bytesItem } from '../../core/images/archive/archive-plan.js';
import { sha256Digest as sha256 } from '../../core/ids.js';
import { configFor, smallLayer, writeDockerArchive, type DockerArchiveSpec } from './archives.js';
import { blobFiles, imageIds, layerIds, scratch, strataAt } from './support.js';

/**
 * Untrusted archives through `load`: each fails with exit 5 and one line
 * naming the file or digest, and leaves nothing behind — no image, no layer
 * (the good first layer each archive carries included), no blob.
 */

interface BadCase {
  readonly title: string;
  readonly spec: () => Promise<DockerArchiveSpec>;
  /** What the one error line must name. */
  readonly names: (spec: DockerArchiveSpec) => string;
}

/** A good first layer, so a failure on the second must undo work already done. */
const good = () => smallLayer({ 'etc/good': 'good\n' });

const cases: BadCase[] = [
  {
    title: 'a manifest naming a missing layer blob',
    spec: async () => {
      const [a, b] = [await good(), await smallLayer({ b: 'b' })];
      return { layers: [a, b], tags: ['bad:1'], manifestLayers: ['layer0/layer.tar', 'nowhere/layer.tar'] };
    },
    names: () => 'nowhere/layer.tar',
  },
  {
    title: 'a layer whose content does not match its diff_id',
    spec: async () => {
      const a = await good();
      const b = await smallLayer({ b: 'b' });
      return { layers: [a, { bytes: (await smallLayer({ b: 'tampered' })).bytes, diffId: b.diffId }], tags: ['bad:1'] };
    },
    names: (spec) => spec.layers[1]!.diffId.slice(7, 19),
  },
  {
    title: 'a truncated layer',
    spec: async () => {
      const a = await good();
      const full = (await smallLayer({ big: 'x'.repeat(5000) })).bytes;
      const cut = full.subarray(0, 2048);
      return { layers: [a, { bytes: cut, diffId: sha256(cut) }], tags: ['bad:1'] };
    },
    names: (spec) => spec.layers[1]!.diffId.slice(7, 19),
  },
  {
    title: 'a manifest layer path with ..',
    spec: async () => ({ layers: [await good(), await smallLayer({ b: 'b' })], tags: ['bad:1'], manifestLayers: ['layer0/layer.tar', 'layer1/../../escape/layer.tar'] }),
    names: () => 'layer1/../../escape/layer.tar',
  },
  {
    title: 'an absolute manifest layer path',
    spec: async () => ({ layers: [await good(), await smallLayer({ b: 'b' })], tags: ['bad:1'], manifestLayers: ['layer0/layer.tar', '/etc/layer.tar'] }),
    names: () => '/etc/layer.tar',
  },
  {
    title: 'a layer.tar symlink pointing outside the archive',
    spec: async () => ({
      layers: [await good(), await smallLayer({ b: 'b' })],
      tags: ['bad:1'],
      extra: [{ kind: 'symlink', name: 'layer1/layer.tar', target: '../../../../etc/passwd' }],
    }),
    names: () => 'layer1/layer.tar',
  },
  {
    title: 'a config that is not JSON',
    spec: async () => ({ layers: [await good()], tags: ['bad:1'], config: Buffer.from('{"architecture": "amd64", not json') }),
    names: (spec) => sha256(spec.config!).slice(7, 19),
  },
];

for (const bad of cases) {
  test(`load refuses ${bad.title}: exit 5, one line, nothing left behind`, async (t) => {
    const dir = await scratch(t, 'bad');
    const strata = strataAt(t, join(dir, 'root'), 'vfs');
    const spec = await bad.spec();
    const archive = join(dir, 'bad.tar');
    await writeDockerArchive(archive, spec);
    const result = await strata('load', '-i', archive);
    t.is(result.status, 5, result.stderr);
    const lines = result.stderr.trim().split('\n');
    t.is(lines.length, 1, result.stderr);
    t.true(lines[0]!.includes(bad.names(spec)), `${lines[0]} should name ${bad.names(spec)}`);
    t.is(result.stdout, '');
    t.deepEqual(await imageIds(strata), []);
    t.deepEqual(await layerIds(strata), []);
    t.deepEqual(await blobFiles(strata.root), []);
  });
}

test('a bad image after a good one in the same archive: the good one loads, the bad one leaves nothing', async (t) => {
  const dir = await scratch(t, 'mixed');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const ok = await smallLayer({ ok: 'ok\n' });
  const bad = await smallLayer({ bad: 'bad\n' });
  const okConfig = configFor([ok.diffId]);
  const badConfig = configFor([bad.diffId], ['/other']);
  const archive = join(dir, 'mixed.tar');
  const okName = `${sha256(okConfig).slice(7)}.json`;
  const badName = `${sha256(badConfig).slice(7)}.json`;
  await writeDockerArchive(archive, {
    layers: [ok],
    tags: ['ok:1'],
    config: okConfig,
    extra: [
      bytesItem(badName, badConfig),
      bytesItem('bad/layer.tar', (await smallLayer({ bad: 'tampered\n' })).bytes),
      bytesItem('manifest.json', Buffer.from(JSON.stringify([
        { Config: okName, RepoTags: ['ok:1'], Layers: ['layer0/layer.tar'] },
        { Config: badName, RepoTags: ['bad:1'], Layers: ['bad/layer.tar'] },
      ]))),
    ],
  });
  const result = await strata('load', '-i', archive);
  t.is(result.status, 5, result.stderr);
  t.is(result.stderr.trim().split('\n').length, 1, result.stderr);
  const images = JSON.parse(await strata.ok('--json', 'images')) as Array<{ Repository: string; ID: string }>;
  t.deepEqual(images.map((i) => [i.Repository, i.ID]), [['ok', sha256(okConfig)]]);
  t.is((await layerIds(strata)).length, 1);
  t.is((await blobFiles(strata.root)).length, 1, 'only the good config');
});

test('a layer that stops right after its last entry data, as umoci writes, loads (Go archive/tar accepts it)', async (t) => {
  const dir = await scratch(t, 'go-end');
  const strata = strataAt(t, join(dir, 'root'), 'vfs');
  const full = (await smallLayer({ 'etc/last': 'seven b' })).bytes;
  const cut = full.subarray(0, 512 + 7); // the header and the data: no padding, no end-of-archive blocks
  const id = await writeDockerArchive(join(dir, 'go.tar'), { layers: [{ bytes: cut, diffId: sha256(cut) }], tags: ['go:1'] });
  t.is(await strata.ok('load', '-i', join(dir, 'go.tar')), 'Loaded image: go:1\n');
  t.deepEqual(await imageIds(strata), [id]);
  // Saved again, the layer keeps its bytes (the diff_id is checked when it loads elsewhere).
  await strata.ok('save', '-o', join(dir, 'again.tar'), 'go:1');
  const other = strataAt(t, join(dir, 'other'), 'vfs');
  t.is(await other.ok('load', '-i', join(dir, 'again.tar')), 'Loaded image: go:1\n');
});
