import type { ImageReference } from '../../core/images/reference.js';
import test from 'ava';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isStrataError } from '../../core/errors.js';
import { RegistryClient, login, CredentialStore, pull, type ClientOptions } from '../../core/remotes/index.js';
import { DirSink, addImage, addRandomLayer, tagInLayout } from '../helpers/oci-dir.js';
import { DEFAULT_USERS, skopeoCopy, startRegistry, type TestRegistry } from '../helpers/registry.js';

let registry: TestRegistry;
let trusted: string;
let empty: string;
const work: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-tls-test-'));
  work.push(dir);
  return dir;
}

test.before(async () => {
  registry = await startRegistry({ tls: true, auth: 'htpasswd' });
  const layout = await tempDir();
  await tagInLayout(layout, 'v1', await addImage(layout, { layers: [await addRandomLayer(layout, 10_000)] }));
  await skopeoCopy(registry, `oci:${layout}:v1`, `docker://${registry.host}/app:1`, ['--preserve-digests']);
  trusted = await tempDir();
  await mkdir(join(trusted, registry.host));
  await copyFile(registry.caFile!, join(trusted, registry.host, 'ca.crt'));
  empty = await tempDir();
});

test.after.always(async () => {
  await registry?.stop();
  for (const dir of work) await rm(dir, { recursive: true, force: true });
});

const credentials = async () => ({ username: 'tester', password: DEFAULT_USERS.tester! });

async function pullWith(options: ClientOptions): Promise<DirSink> {
  const client = new RegistryClient({ credentials, ...options });
  try {
    const sink = new DirSink(await tempDir());
    const ref: ImageReference = { domain: registry.host, path: 'app', tag: '1' };
    await pull(ref, { client, sink });
    return sink;
  } finally {
    client.close();
  }
}

test('a TLS registry whose CA is in a certs.d directory is verified and used', async (t) => {
  t.truthy((await pullWith({ certsDirs: [empty, trusted] })).committed);
  await login(registry.host, { username: 'tester', password: DEFAULT_USERS.tester! }, new CredentialStore({ file: join(await tempDir(), 'auth.json'), fallbacks: [] }), { certsDirs: [trusted] });
  t.pass();
});

test('without its CA the certificate is refused (ENETWORK naming certs.d), never silently accepted nor downgraded to HTTP (which would be EREGISTRY)', async (t) => {
  const err = await t.throwsAsync(pullWith({ certsDirs: [empty] }));
  t.true(isStrataError(err, ErrorCode.ENETWORK), String(err));
  t.regex(err!.message, /certificate of 127\.0\.0\.1:\d+ is not trusted/);
  t.regex(err!.message, /certs\.d/);
});

test('--tls-verify=false and insecureRegistries accept the unverified certificate', async (t) => {
  t.truthy((await pullWith({ certsDirs: [empty], tlsVerify: false })).committed);
  t.truthy((await pullWith({ certsDirs: [empty], insecureRegistries: [registry.host] })).committed);
});
