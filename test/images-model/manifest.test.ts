import test from 'ava';
import type { ExecutionContext } from 'ava';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { isSafeArchivePath, parseDockerArchiveManifest, parseOciLayout } from '../../core/images/archive-manifest.js';
import { MAX_DOCUMENT_BYTES } from '../../core/images/json-document.js';
import { nameFromAnnotations, parseImageIndex, parseImageManifest, parseManifest } from '../../core/images/manifest.js';
import { MANIFEST_ACCEPT, MediaType, isIndexMediaType, layerCompression, layerMediaType } from '../../core/images/media-types.js';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

const ociManifest = {
  schemaVersion: 2,
  mediaType: MediaType.OCI_MANIFEST,
  config: { mediaType: MediaType.OCI_CONFIG, digest: D1, size: 901 },
  layers: [{ mediaType: MediaType.OCI_LAYER_GZIP, digest: D2, size: 150, annotations: { a: 'b' } }],
  annotations: { 'org.opencontainers.image.created': '2026-11-29T00:00:00Z' },
  extra: { kept: true },
};

function refused(t: ExecutionContext, fn: () => unknown, code: ErrorCode, fragment: string): void {
  const err = t.throws(fn);
  t.true(isStrataError(err, code), `${err?.message}`);
  t.true(err!.message.includes(fragment), err!.message);
  t.false(err!.message.includes('\n'), 'one line');
}

test('an OCI manifest parses, unknown fields kept', (t) => {
  const m = parseImageManifest(JSON.stringify(ociManifest), { what: 'manifest' });
  t.is(m.config.digest, D1);
  t.is(m.layers[0]!.annotations!['a'], 'b');
  t.deepEqual((m as Record<string, unknown>)['extra'], { kept: true });
});

test('the kind comes from the declared type, the embedded type, or the shape', (t) => {
  const { mediaType: _omit, ...bare } = ociManifest;
  t.is(parseManifest(JSON.stringify(bare), { what: 'm' }).kind, 'manifest');
  const docker = { ...ociManifest, mediaType: MediaType.DOCKER_MANIFEST };
  t.is(parseManifest(JSON.stringify(docker), { what: 'm' }).mediaType, MediaType.DOCKER_MANIFEST);
  const index = { schemaVersion: 2, manifests: [{ mediaType: MediaType.OCI_MANIFEST, digest: D1, size: 3, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } }] };
  const parsed = parseManifest(JSON.stringify(index), { what: 'index.json' });
  t.is(parsed.kind, 'index');
  t.is(parseImageIndex(JSON.stringify(index), { what: 'i', mediaType: MediaType.OCI_INDEX }).manifests[0]!.platform!.variant, 'v8');
  const list = { ...index, mediaType: MediaType.DOCKER_MANIFEST_LIST };
  t.true(isIndexMediaType(parseManifest(JSON.stringify(list), { what: 'l' }).mediaType));
});

test('bad manifests fail in one line with the caller\'s code, naming the document and the field', (t) => {
  const src = { what: 'manifest sha256:abc', code: ErrorCode.EREGISTRY };
  refused(t, () => parseManifest('{', src), ErrorCode.EREGISTRY, 'manifest sha256:abc: not JSON');
  refused(t, () => parseManifest('[]', src), ErrorCode.EREGISTRY, 'expected object');
  refused(t, () => parseManifest(JSON.stringify({ ...ociManifest, layers: [{ mediaType: 'x', digest: 'sha256:00', size: 1 }] }), src), ErrorCode.EREGISTRY, 'layers[0].digest: not a valid digest');
  refused(t, () => parseManifest(JSON.stringify({ ...ociManifest, config: { ...ociManifest.config, size: -1 } }), src), ErrorCode.EREGISTRY, 'config.size');
  refused(t, () => parseManifest(JSON.stringify({ ...ociManifest, schemaVersion: 3 }), src), ErrorCode.EREGISTRY, 'schemaVersion');
  refused(t, () => parseManifest(JSON.stringify({ schemaVersion: 1, fsLayers: [] }), src), ErrorCode.EREGISTRY, 'schema 1 manifests are not supported');
  refused(t, () => parseManifest(JSON.stringify(ociManifest), { ...src, mediaType: MediaType.DOCKER_MANIFEST }), ErrorCode.EREGISTRY, 'declared as');
  refused(t, () => parseManifest(JSON.stringify({ ...ociManifest, mediaType: 'text/plain' }), src), ErrorCode.EREGISTRY, 'unsupported manifest media type text/plain');
  refused(t, () => parseManifest('{"schemaVersion":2}', src), ErrorCode.EREGISTRY, 'neither an image manifest nor an image index');
  refused(t, () => parseImageIndex(JSON.stringify(ociManifest), src), ErrorCode.EREGISTRY, 'not an image index');
  const huge = JSON.stringify({ ...ociManifest, pad: 'x'.repeat(MAX_DOCUMENT_BYTES) });
  refused(t, () => parseManifest(huge, { what: 'big' }), ErrorCode.ECORRUPT, 'big: ');
  refused(t, () => parseManifest(Buffer.from(huge), { what: 'big' }), ErrorCode.ECORRUPT, 'byte limit');
});

test('media types say what a blob is and how a layer is compressed', (t) => {
  t.is(layerCompression(MediaType.DOCKER_LAYER_GZIP), 'gzip');
  t.is(layerCompression(MediaType.OCI_LAYER_ZSTD), 'zstd');
  t.is(layerCompression(MediaType.OCI_LAYER), 'none');
  t.is(layerCompression(MediaType.OCI_CONFIG), undefined);
  t.is(layerMediaType('gzip', 'docker'), MediaType.DOCKER_LAYER_GZIP);
  t.is(layerMediaType('none', 'oci'), MediaType.OCI_LAYER);
  t.is(MANIFEST_ACCEPT.length, 4);
});

// manifest.json as Docker 20.10 wrote it (notes/docker-images.md).
const savedManifest =
  '[{"Config":"eccb0321b80a576f237372cece81026273b2ef1c8883c140033e8a926ef71af7.json","RepoTags":["hello:latest"],"Layers":["11325ea21730edf2ac43cf3962d8ef1fabced750d10ced9685e0d9a8ab9ffcad/layer.tar"]},' +
  '{"Config":"c07794d037cf6d68d8d0f19b25a9f94effb33ca1e274255e6342bd58ca1f2887.json","RepoTags":null,"Layers":["27c1d2d37209d5d12873264051beee499a7d071f51a5da38cce55624ea02ea71/layer.tar"]}]';

test("docker save's manifest.json parses; unsafe paths and bad tags are refused", (t) => {
  const entries = parseDockerArchiveManifest(savedManifest, { what: 'manifest.json', code: ErrorCode.EBADARCHIVE });
  t.is(entries.length, 2);
  t.deepEqual(entries[0]!.RepoTags, ['hello:latest']);
  t.is(entries[1]!.RepoTags, null);
  const src = { what: 'manifest.json', code: ErrorCode.EBADARCHIVE };
  for (const bad of ['../x/layer.tar', '/etc/passwd', 'a/../../b', 'a//b', './a', 'a\\b', '']) {
    refused(t, () => parseDockerArchiveManifest(JSON.stringify([{ Config: 'c.json', Layers: [bad] }]), src), ErrorCode.EBADARCHIVE, '[0].Layers[0]: not a relative path');
  }
  refused(t, () => parseDockerArchiveManifest(JSON.stringify([{ Config: '../c.json', Layers: [] }]), src), ErrorCode.EBADARCHIVE, '[0].Config');
  refused(t, () => parseDockerArchiveManifest(JSON.stringify([{ Config: 'c.json', RepoTags: ['Bad'], Layers: [] }]), src), ErrorCode.EBADARCHIVE, '[0].RepoTags[0]: not a valid image reference');
  refused(t, () => parseDockerArchiveManifest('{}', src), ErrorCode.EBADARCHIVE, 'manifest.json: expected array');
  t.true(isSafeArchivePath('blobs/sha256/abc'));
});

test('oci-layout must say 1.0.0', (t) => {
  t.is(parseOciLayout('{"imageLayoutVersion":"1.0.0"}', { what: 'oci-layout' }).imageLayoutVersion, '1.0.0');
  refused(t, () => parseOciLayout('{"imageLayoutVersion":"2.0.0"}', { what: 'oci-layout', code: ErrorCode.EBADARCHIVE }), ErrorCode.EBADARCHIVE, 'oci-layout: imageLayoutVersion 2.0.0 is not 1.0.0');
});

test('image names come from containerd or full OCI ref.name annotations', (t) => {
  t.deepEqual(nameFromAnnotations({ 'io.containerd.image.name': 'docker.io/library/busybox:1.36', 'org.opencontainers.image.ref.name': '1.36' }), {
    domain: 'docker.io',
    path: 'library/busybox',
    tag: '1.36',
  });
  t.deepEqual(nameFromAnnotations({ 'org.opencontainers.image.ref.name': 'localhost:5000/a:t' }), { domain: 'localhost:5000', path: 'a', tag: 't' });
  t.is(nameFromAnnotations({ 'org.opencontainers.image.ref.name': 'latest' }), undefined);
  t.is(nameFromAnnotations({ 'io.containerd.image.name': 'Not Valid' }), undefined);
  t.is(nameFromAnnotations(undefined), undefined);
});
