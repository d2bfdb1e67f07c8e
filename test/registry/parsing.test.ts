import test from 'ava';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { parseChallenges } from '../../core/remotes/challenge.js';
import { choosePlatform, isLoopbackHost, parsePlatform, platformMatches } from '../../core/remotes/index.js';
import { describeRegistryBody } from '../../core/remotes/registry-error.js';

test('WWW-Authenticate challenges: Bearer with quoted parameters, Basic', (t) => {
  const [bearer] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push",error="insufficient_scope"');
  t.is(bearer!.scheme, 'bearer');
  t.deepEqual(bearer!.params, { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push', error: 'insufficient_scope' });
  t.deepEqual(parseChallenges('Basic realm="Registry Realm"'), [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
  t.deepEqual(parseChallenges(undefined), []);
});

test('platforms: arm64 means arm64/v8 both ways; attestations and unknown/unknown are never chosen', (t) => {
  t.true(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' }));
  t.true(platformMatches(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' }));
  t.false(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' }));
  t.true(platformMatches(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'amd64', variant: 'v2' }));
  const d = (digest: string, architecture: string, annotations?: Record<string, string>) => ({ mediaType: 'x', digest, size: 1, platform: { os: architecture === 'unknown' ? 'unknown' : 'linux', architecture }, annotations });
  const list = [d('sha256:att', 'amd64', { 'vnd.docker.reference.type': 'attestation-manifest' }), d('sha256:unk', 'unknown'), d('sha256:real', 'amd64')];
  t.is(choosePlatform(list, parsePlatform('linux/amd64'), 'r').digest, 'sha256:real');
  const err = t.throws(() => choosePlatform(list, parsePlatform('linux/riscv64'), 'host/app:1'));
  t.true(isStrataError(err, ErrorCode.ENOIMAGE));
  t.is(err!.message, 'host/app:1: no image for platform linux/riscv64 (the index offers linux/amd64)');
  t.true(isStrataError(t.throws(() => parsePlatform('linux')), ErrorCode.EINVALID));
});

test("loopback hosts follow Docker's localhost rule", (t) => {
  for (const host of ['localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000', 'localhost']) t.true(isLoopbackHost(host), host);
  for (const host of ['registry.example:5000', '10.0.0.1:5000', 'localhost.example']) t.false(isLoopbackHost(host), host);
});

test('registry error bodies become one line of code: message', (t) => {
  t.is(describeRegistryBody('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}},{"code":"DENIED","message":"no"}]}'), 'MANIFEST_UNKNOWN: manifest unknown; DENIED: no');
  t.is(describeRegistryBody('<html>\n<h1>502 Bad Gateway</h1>\n</html>'), '<html> <h1>502 Bad Gateway</h1> </html>');
});
