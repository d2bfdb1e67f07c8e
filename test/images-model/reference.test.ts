import test from 'ava';
import fc from 'fast-check';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import {
  familiarName,
  familiarString,
  formatReference,
  parseAnyReference,
  parseDigest,
  parseReference,
  parseTagTarget,
  withDefaultTag,
} from '../../core/images/reference.js';
import type { ImageReference } from '../../core/images/reference.js';
import { formatImageLocation, parseImageLocation } from '../../core/images/transport.js';

const HEX = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DIGEST = `sha256:${HEX}`;

function refusal(t: import('ava').ExecutionContext, text: string, fragment: string | RegExp): void {
  const err = t.throws(() => parseReference(text), undefined, text);
  t.true(isStrataError(err, ErrorCode.EINVALID), text);
  if (typeof fragment === 'string') t.true(err!.message.includes(fragment), `${text}: ${err!.message}`);
  else t.regex(err!.message, fragment);
}

test('familiar names normalise as Docker does', (t) => {
  const cases: Array<[string, ImageReference, string]> = [
    ['busybox', { domain: 'docker.io', path: 'library/busybox' }, 'busybox'],
    ['busybox:latest', { domain: 'docker.io', path: 'library/busybox', tag: 'latest' }, 'busybox:latest'],
    ['docker.io/x', { domain: 'docker.io', path: 'library/x' }, 'x'],
    ['index.docker.io/user/app:1.0', { domain: 'docker.io', path: 'user/app', tag: '1.0' }, 'user/app:1.0'],
    ['docker.io/library/ubuntu:13.10', { domain: 'docker.io', path: 'library/ubuntu', tag: '13.10' }, 'ubuntu:13.10'],
    ['library/a/b', { domain: 'docker.io', path: 'library/a/b' }, 'library/a/b'],
    ['localhost:5000/a/b:t', { domain: 'localhost:5000', path: 'a/b', tag: 't' }, 'localhost:5000/a/b:t'],
    ['localhost/x', { domain: 'localhost', path: 'x' }, 'localhost/x'],
    ['localhost:5000', { domain: 'docker.io', path: 'library/localhost', tag: '5000' }, 'localhost:5000'],
    ['Registry/app', { domain: 'Registry', path: 'app' }, 'Registry/app'],
    ['[::1]:5000/app', { domain: '[::1]:5000', path: 'app' }, '[::1]:5000/app'],
    ['quay.io/a/b/c_d__e--f.g', { domain: 'quay.io', path: 'a/b/c_d__e--f.g' }, 'quay.io/a/b/c_d__e--f.g'],
    [`busybox@${DIGEST}`, { domain: 'docker.io', path: 'library/busybox', digest: DIGEST }, `busybox@${DIGEST}`],
    [`busybox:1@${DIGEST}`, { domain: 'docker.io', path: 'library/busybox', tag: '1', digest: DIGEST }, `busybox:1@${DIGEST}`],
    ['foo:Tag_1.x-y', { domain: 'docker.io', path: 'library/foo', tag: 'Tag_1.x-y' }, 'foo:Tag_1.x-y'],
  ];
  for (const [text, expected, familiar] of cases) {
    const ref = parseReference(text);
    t.deepEqual(ref, expected, text);
    t.is(familiarString(ref), familiar, text);
  }
  t.is(formatReference(withDefaultTag(parseReference('busybox'))), 'docker.io/library/busybox:latest');
  t.is(familiarName(parseReference('busybox:1')), 'busybox');
  t.deepEqual(withDefaultTag(parseReference(`a@${DIGEST}`)), { domain: 'docker.io', path: 'library/a', digest: DIGEST });
});

test('bad names fail with EINVALID naming what is wrong, in Docker words', (t) => {
  refusal(t, 'Hello', 'invalid reference format: repository name (library/Hello) must be lowercase');
  refusal(t, 'docker.io/Foo/bar', 'repository name (Foo/bar) must be lowercase');
  refusal(t, '', 'repository name must have at least one component');
  refusal(t, HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`);
  refusal(t, 'a'.repeat(256), 'repository name must not be more than 255 characters');
  refusal(t, 'foo:bad tag', 'tag "bad tag" is not valid');
  refusal(t, 'foo:-bad', 'tag "-bad"');
  refusal(t, `foo:${'t'.repeat(129)}`, 'is not valid');
  refusal(t, 'foo::x', 'tag ":x"');
  refusal(t, 'foo/', 'repository name "foo/" is not valid');
  refusal(t, 'a..b', 'repository name "library/a..b"');
  refusal(t, 'foo@sha256:0000', 'invalid checksum digest length');
  refusal(t, `foo@sha256:${HEX.toUpperCase()}`, 'invalid checksum digest format');
  refusal(t, `foo@md5:${HEX}`, 'unsupported digest algorithm');
  refusal(t, 'a_b.c/d', '"a_b.c" is not a valid registry host');
  // The limit is on the path, library/ included (distribution today).
  t.is(parseReference('a'.repeat(247)).path.length, 255);
  refusal(t, 'a'.repeat(248), 'must not be more than 255 characters');
});

test('tag targets refuse digests and default to latest', (t) => {
  t.deepEqual(parseTagTarget('hello'), { domain: 'docker.io', path: 'library/hello', tag: 'latest' });
  const err = t.throws(() => parseTagTarget(`foo@${DIGEST}`));
  t.true(isStrataError(err, ErrorCode.EINVALID));
  t.is(err!.message, 'refusing to create a tag with a digest reference');
});

test('a 64-hex string or a digest is an id; anything else is a name', (t) => {
  t.deepEqual(parseAnyReference(HEX), { kind: 'id', digest: DIGEST });
  t.deepEqual(parseAnyReference(DIGEST), { kind: 'id', digest: DIGEST });
  t.deepEqual(parseAnyReference('eccb0321b80a'), { kind: 'reference', reference: { domain: 'docker.io', path: 'library/eccb0321b80a' } });
  t.is(parseDigest(DIGEST), DIGEST);
  t.throws(() => parseAnyReference('Nope'), { message: /must be lowercase/ });
});

const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,4}){0,2}$/);
const domain = fc.oneof(
  fc.constant('docker.io'),
  fc.constant('localhost'),
  fc.integer({ min: 1, max: 65535 }).map((p) => `localhost:${p}`),
  fc.stringMatching(/^[a-z0-9]{1,8}\.[a-z]{2,4}(?::[0-9]{1,5})?$/),
  fc.stringMatching(/^[A-Z][a-zA-Z0-9]{0,6}$/),
  fc.constant('[::1]:5000'),
);
const refArb = fc
  .record({
    domain,
    path: fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/')),
    tag: fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), { nil: undefined }),
    digest: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`), { nil: undefined }),
  })
  .map(({ domain, path, tag, digest }) => {
    // On docker.io a one-element path is an official image: its canonical path has library/.
    const canonicalPath = domain === 'docker.io' && !path.includes('/') ? `library/${path}` : path;
    return { domain, path: canonicalPath, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) } as ImageReference;
  });

test('parse ∘ format and parse ∘ familiar give back the same reference', (t) => {
  fc.assert(
    fc.property(refArb, (ref) => {
      t.deepEqual(parseReference(formatReference(ref)), ref);
      // Docker's familiar form is ambiguous for a Hub path whose first element looks like a host.
      const first = ref.path.split('/')[0]!;
      if (ref.domain !== 'docker.io' || !(first.includes('.') || first === 'localhost')) {
        t.deepEqual(parseReference(familiarString(ref)), ref);
      }
    }),
    { numRuns: 500 },
  );
});

test('parsing never throws anything but EINVALID, and what it accepts re-parses to itself', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'aZ0:/@._-'.split('')), maxLength: 30 }), (text) => {
      try {
        const ref = parseReference(text);
        t.deepEqual(parseReference(formatReference(ref)), ref);
      } catch (err) {
        t.true(isStrataError(err, ErrorCode.EINVALID), String(err));
      }
    }),
    { numRuns: 1000 },
  );
});

test('transports parse into a typed union and format back', (t) => {
  t.deepEqual(parseImageLocation('busybox'), { transport: 'docker', reference: { domain: 'docker.io', path: 'library/busybox' } });
  t.deepEqual(parseImageLocation('docker://localhost:5000/a:t'), { transport: 'docker', reference: { domain: 'localhost:5000', path: 'a', tag: 't' } });
  t.deepEqual(parseImageLocation('oci:/tmp/layout'), { transport: 'oci', path: '/tmp/layout' });
  t.deepEqual(parseImageLocation('oci:/tmp/layout:busybox:latest'), { transport: 'oci', path: '/tmp/layout', refName: 'busybox:latest' });
  t.deepEqual(parseImageLocation('oci-archive:x.tar:v1'), { transport: 'oci-archive', path: 'x.tar', refName: 'v1' });
  t.deepEqual(parseImageLocation('docker-archive:x.tar'), { transport: 'docker-archive', path: 'x.tar' });
  t.deepEqual(parseImageLocation('docker-archive:x.tar:hello'), {
    transport: 'docker-archive',
    path: 'x.tar',
    name: { domain: 'docker.io', path: 'library/hello', tag: 'latest' },
  });
  t.deepEqual(parseImageLocation('docker-archive:x.tar:@2'), { transport: 'docker-archive', path: 'x.tar', index: 2 });
  for (const text of ['oci:/d:v1', 'oci-archive:f.tar', 'docker-archive:x.tar:@0', 'docker://quay.io/a/b@' + DIGEST]) {
    t.is(formatImageLocation(parseImageLocation(text)), text);
  }
  for (const bad of ['oci:', 'oci::x', 'oci:/d:-bad', 'docker-archive:x.tar:@x', 'docker-archive:x.tar:Bad', 'docker:busybox', 'docker://Bad']) {
    const err = t.throws(() => parseImageLocation(bad), undefined, bad);
    t.true(isStrataError(err, ErrorCode.EINVALID), bad);
  }
});
